// Pure planner: the operations (with their reasons) that turn the observed IPVS state into the desired one.
import type { IpvsDest, IpvsState, ServiceKey } from '../model/ipvs.js';
import { destKey, hostPort, sameDestAttrs, sameServiceAttrs, serviceKey } from '../model/keys.js';
import { indexObserved } from './desired.js';
import type { DesiredService, DesiredState, ObservedEntry, ObservedIndex } from './desired.js';
import type { PlannedOp } from './operations.js';

/** A virtual service this daemon owned before (previous config) that it may now delete. */
export interface RetiredService {
  readonly key: ServiceKey;
  readonly label: string;
}

/** Options of plan(). */
export interface PlanOptions {
  /** Services of the previous config that are no longer configured (deleted if still present). */
  readonly retired?: readonly RetiredService[];
  /** The observed table already indexed (the reconciler's pass builds it once). */
  readonly index?: ObservedIndex;
}

// Ordering groups: services first so dests have a home; serving weights before quiescing so a
// virtual is never left without a destination; deletions last.
const enum Group {
  Service = 0,
  DestUp = 1,
  DestZero = 2,
  DestDelete = 3,
  ServiceDelete = 4,
}

interface Sortable {
  readonly group: Group;
  readonly svc: string;
  readonly dest: string;
  readonly p: PlannedOp;
}

/**
 * Plans the changes for the services in `desired` only: foreign services in `observed` are never
 * touched; unknown destinations inside an owned service are purged (as upstream). No I/O, no clock;
 * the output is sorted, so the same inputs always give the same text.
 */
export function plan(desired: DesiredState, observed: IpvsState, options: PlanOptions = {}): PlannedOp[] {
  const out: Sortable[] = [];
  const index = options.index ?? indexObserved(observed);
  const wanted = new Set<string>();
  for (const want of desired.services) {
    const sk = want.svcKey ?? serviceKey(want.svc.key);
    wanted.add(sk);
    const entry = index.get(sk);
    const memo = planned.get(want);
    if (memo !== undefined && memo.entry === entry) {
      for (const o of memo.out) out.push(o);
      continue;
    }
    const mine = planService(want, sk, entry);
    if (entry !== undefined) planned.set(want, { entry, out: mine });
    for (const o of mine) out.push(o);
  }
  for (const r of options.retired ?? []) {
    const sk = serviceKey(r.key);
    if (wanted.has(sk) || !index.has(sk)) continue;
    out.push({ group: Group.ServiceDelete, svc: sk, dest: '', p: { op: { op: 'deleteService', key: r.key }, event: { kind: 'purgeVirtual', v: r.label } } });
  }
  out.sort((a, b) => a.group - b.group || cmp(a.svc, b.svc) || cmp(a.dest, b.dest));
  return out.map((s) => s.p);
}

/**
 * The last plan of each desired service and the observed entry it was made against: both are immutable and
 * shared while unchanged (desiredState, indexObserved), so the same pair plans the same ops (issue 16 item 4).
 */
const planned = new WeakMap<DesiredService, { readonly entry: ObservedEntry; readonly out: readonly Sortable[] }>();

/** The ops of one desired service against its observed entry (if any). */
function planService(want: DesiredService, sk: string, entry: ObservedEntry | undefined): Sortable[] {
  const out: Sortable[] = [];
  const v = want.label;
  const obs = entry?.svc;
  if (!obs) {
    out.push({ group: Group.Service, svc: sk, dest: '', p: { op: { op: 'addService', svc: want.svc }, event: { kind: 'addVirtual', v } } });
  } else if (!sameServiceAttrs(obs, want.svc)) {
    out.push({ group: Group.Service, svc: sk, dest: '', p: { op: { op: 'editService', svc: want.svc }, event: { kind: 'changeVirtual', v } } });
  }
  const obsDests = entry?.dests ?? new Map<string, IpvsDest>();
  const wantKeys = new Set<string>();
  want.dests.forEach((d, i) => {
    const dk = want.destKeys?.[i] ?? destKey(d);
    wantKeys.add(dk);
    const o = obsDests.get(dk);
    if (o && sameDestAttrs(o, d)) return; // the common case: nothing to do, nothing to name
    const k = want.known.get(dk);
    const role = k?.role ?? 'real';
    const configured = k?.configured ?? dk;
    const rs = hostPort(d.addr, d.port);
    const mapped = configured !== rs ? { mappedFrom: configured } : {};
    const group = d.weight > 0 ? Group.DestUp : Group.DestZero;
    if (!o) {
      const event =
        role === 'fallback'
          ? ({ kind: 'addFallback', rs: configured, v } as const)
          : d.weight > 0
            ? ({ kind: 'addReal', rs: configured, v, weight: d.weight } as const)
            : k?.firstQuiesce
              ? ({ kind: 'quiesceReal', rs, ...mapped, v } as const)
              : ({ kind: 'readdQuiescent', rs, ...mapped, v } as const);
      out.push({ group, svc: sk, dest: dk, p: { op: { op: 'addDest', svc: want.svc.key, dest: d }, event } });
    } else {
      const event =
        role === 'fallback'
          ? ({ kind: 'restoreFallback', rs: configured, v } as const)
          : d.weight > 0
            ? ({ kind: 'restoreReal', rs: configured, v, weight: d.weight } as const)
            : ({ kind: 'quiesceReal', rs, ...mapped, v } as const);
      out.push({ group, svc: sk, dest: dk, p: { op: { op: 'editDest', svc: want.svc.key, dest: d }, event } });
    }
  });
  for (const [dk, o] of obsDests) {
    if (wantKeys.has(dk)) continue;
    const k = want.known.get(dk);
    const rs = hostPort(o.addr, o.port);
    const mapped = k && k.configured !== rs ? { mappedFrom: k.configured } : {};
    const event =
      k === undefined
        ? ({ kind: 'purgeReal', rs, v } as const)
        : k.role === 'fallback'
          ? ({ kind: 'deleteFallback', rs, ...mapped, v } as const)
          : ({ kind: 'deleteReal', rs, ...mapped, v } as const);
    const dest = { af: o.af, addr: o.addr, port: o.port };
    out.push({ group: Group.DestDelete, svc: sk, dest: dk, p: { op: { op: 'deleteDest', svc: want.svc.key, dest }, event } });
  }
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
