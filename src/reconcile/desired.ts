// Pure computation of the IPVS state we want: targets (from the config) + health (+ what is there now).
import type { Af, DestSpec, ForwardMethod, IpvsDest, IpvsService, IpvsState, ServiceSpec } from '../model/ipvs.js';
import { destKey, hostPort, kernelPort, serviceKey } from '../model/keys.js';

/** One configured real server of a virtual, as the reconciler needs it. */
export interface RealTarget {
  /** Health identity of this real within its virtual (what the health snapshot is keyed by). */
  readonly id: string;
  readonly af: Af;
  readonly addr: string;
  /** Configured port (0 for fwmark reals without a port). */
  readonly port: number;
  readonly fwd: ForwardMethod;
  readonly weight: number;
  readonly uThresh: number;
  readonly lThresh: number;
}

/** The fallback server of a virtual (weight 1, thresholds 0, never checked). */
export interface FallbackTarget {
  readonly af: Af;
  readonly addr: string;
  readonly port: number;
  readonly fwd: ForwardMethod;
}

/** One configured virtual service and everything that decides its destinations. */
export interface VirtualTarget {
  readonly svc: ServiceSpec;
  /** Human form used in log lines: "10.0.0.1:80", "[::1]:80" or the fwmark number. */
  readonly label: string;
  readonly reals: readonly RealTarget[];
  readonly fallback?: FallbackTarget;
  /** A down real keeps weight 0 (yes) or is deleted (no). */
  readonly quiescent: boolean;
  /** A down real missing from IPVS is re-added at weight 0 (quiescent only). */
  readonly readdQuiescent: boolean;
  /** cleanstop=: on stop, delete this virtual and its reals (default yes). */
  readonly cleanStop?: boolean;
  /** fallbackcommand=, run as "<cmd> start|stop <vip>:<vport> <protocol>". */
  readonly fallbackCommand?: string;
}

/** A real's checked health; undefined = not checked yet since start or since it appeared. */
export type Health = 'up' | 'down';

/** Looks up the health of real `realId` of the virtual with service key string `svcKey`. */
export type HealthLookup = (svcKey: string, realId: string) => Health | undefined;

/** What a desired destination is, for log messages. */
export type DestRole = 'real' | 'fallback';

/** A configured destination (real or fallback) and the form it takes in IPVS. */
export interface KnownDest {
  readonly role: DestRole;
  /** "<rip>:<rport>" as configured (log lines print this). */
  readonly configured: string;
  /** The destination as IPVS stores it (port mapped to the virtual's for gate/ipip). */
  readonly spec: DestSpec;
  /** Real only: true when the real's health counts as up (checked up, or unchecked but serving). */
  readonly up: boolean;
  /**
   * Real only: true when it is added at weight 0 because its first check failed and this daemon
   * never programmed it (upstream's start-up "add, then quiesce"; logged as "Quiescent real server").
   */
  readonly firstQuiesce?: boolean;
}

/** The wanted state of one owned virtual service. */
export interface DesiredService {
  readonly svc: ServiceSpec;
  readonly label: string;
  /** Destinations that must be in IPVS, with exactly these attributes. */
  readonly dests: readonly DestSpec[];
  /** destKey() of each of `dests`, same order (desiredState computed them already; plan need not again). */
  readonly destKeys?: readonly string[];
  /** serviceKey() of `svc` (likewise). */
  readonly svcKey?: string;
  /** Every configured destination by destKey (present or not), to name it in log lines. */
  readonly known: ReadonlyMap<string, KnownDest>;
  /** True when no real is up (fallback time); undefined while unchecked reals leave it open. */
  readonly fallbackActive: boolean | undefined;
}

/** Everything the config owns, in config order. */
export interface DesiredState {
  readonly services: readonly DesiredService[];
}

/**
 * What this daemon has programmed: `programmedKey(serviceKey, destKey)` of every configured real it
 * added, or found in its own services (a restart over our table, a reload). Lets a level-triggered
 * reconciler tell "never added" (quiesce it in at weight 0) from "removed by hand" (leave it out
 * unless readdquiescent=yes).
 */
export type Programmed = ReadonlySet<string>;

/** The key of one destination of one service in a `Programmed` set. */
export function programmedKey(svcKey: string, dk: string): string {
  return `${svcKey}|${dk}`;
}

/** An observed table indexed by serviceKey and destKey: built once per pass, read by desiredState, observedReals and plan. */
export type ObservedIndex = ReadonlyMap<string, ObservedEntry>;

/** One observed service and its dests by destKey. */
export type ObservedEntry = { readonly svc: IpvsService; readonly dests: ReadonlyMap<string, IpvsDest> };

// A read returns an unchanged service as the same frozen object (the fake, the table model), so its index
// entry is built once: passes at 10,000 reals otherwise rebuilt 10,000 key texts each (issue 16 item 4).
const indexed = new WeakMap<IpvsService, { readonly sk: string; readonly entry: ObservedEntry }>();

/** Indexes `observed` (every key text computed once per service object). */
export function indexObserved(observed: IpvsState): ObservedIndex {
  const out = new Map<string, ObservedEntry>();
  for (const svc of observed.services) {
    let known = indexed.get(svc);
    if (!known) {
      const dests = new Map<string, IpvsDest>();
      for (const d of svc.dests) dests.set(destKey(d), d);
      known = { sk: serviceKey(svc.key), entry: { svc, dests } };
      if (Object.isFrozen(svc) && Object.isFrozen(svc.dests)) indexed.set(svc, known);
    }
    out.set(known.sk, known.entry);
  }
  return out;
}

const NO_DESTS: ReadonlyMap<string, IpvsDest> = new Map();

/** The configured reals of `desired` that `observed` holds: what to add to the daemon's memory. */
export function observedReals(desired: DesiredState, observed: IpvsState, index: ObservedIndex = indexObserved(observed)): string[] {
  const out: string[] = [];
  for (const s of desired.services) {
    const sk = s.svcKey ?? serviceKey(s.svc.key);
    const entry = index.get(sk);
    if (!entry) continue;
    // The same desired service and observed entry (both immutable) hold the same reals: listed once.
    let memo = observedMemo.get(s);
    if (memo?.entry !== entry) {
      const keys: string[] = [];
      for (const dk of entry.dests.keys()) if (s.known.get(dk)?.role === 'real') keys.push(programmedKey(sk, dk));
      memo = { entry, keys };
      observedMemo.set(s, memo);
    }
    for (const k of memo.keys) out.push(k);
  }
  return out;
}

const observedMemo = new WeakMap<DesiredService, { readonly entry: ObservedEntry; readonly keys: readonly string[] }>();

/**
 * Desired state: every configured virtual with its up reals at their weight, down reals quiesced
 * (weight 0) or absent, and the fallback only while no real is up. A real not checked yet keeps
 * what IPVS has (no flap when starting over an existing table; spec §7.2 items 15–17): present with
 * weight > 0 counts as up, present at 0 stays quiesced, absent stays absent until its first check.
 * A down real with quiescent=yes that is absent is added at weight 0 when this daemon never
 * programmed it (`programmed`), or always with readdquiescent=yes; one we programmed and someone
 * removed by hand stays removed (upstream's readdquiescent=no).
 */
export function desiredState(
  targets: readonly VirtualTarget[],
  health: HealthLookup,
  observed: IpvsState,
  programmed: Programmed = new Set(),
  index: ObservedIndex = indexObserved(observed),
): DesiredState {
  const services: DesiredService[] = [];
  for (const v of targets) {
    const sk = svcKeyOf(v);
    const entry = index.get(sk);
    // Health of each real, in order: with the same target and the same observed service it decides the result
    // (compared in place: this runs for every real at every pass, so a hit allocates nothing).
    const memo = desiredMemo.get(v);
    if (memo && memo.entry === entry && sameHealth(memo.health, v.reals, sk, health)) {
      services.push(memo.out);
      continue;
    }
    const hs = v.reals.map((r) => health(sk, r.id));
    let usedProgrammed = false;
    const obsDests = entry?.dests ?? NO_DESTS;
    const dests = new Map<string, DestSpec>();
    const known = new Map<string, KnownDest>();
    let anyUp = false;
    let anyUnknownAbsent = false;
    for (const [i, r] of v.reals.entries()) {
      const spec: DestSpec = {
        af: r.af,
        addr: r.addr,
        port: kernelPort(v.svc.key, r.fwd, r.port),
        fwd: r.fwd,
        weight: r.weight,
        uThresh: r.uThresh,
        lThresh: r.lThresh,
      };
      const dk = destKey(spec);
      if (known.get(dk)?.role === 'real') continue; // a duplicate real line: the first wins
      const h = hs[i];
      const obs = obsDests.get(dk);
      let up: boolean;
      if (h === 'up') up = true;
      else if (h === 'down') up = false;
      else if (obs) up = obs.weight > 0;
      else {
        up = false;
        anyUnknownAbsent = true;
      }
      usedProgrammed ||= h === 'down' && v.quiescent && !obs && !v.readdQuiescent;
      const firstQuiesce = h === 'down' && v.quiescent && !obs && !v.readdQuiescent && !programmed.has(programmedKey(sk, dk));
      known.set(dk, { role: 'real', configured: hostPort(r.addr, r.port), spec, up, ...(firstQuiesce ? { firstQuiesce } : {}) });
      if (up) {
        anyUp = true;
        dests.set(dk, spec);
      } else if (h === undefined) {
        // Unchecked and quiesced (or absent): keep exactly that until the first check says otherwise.
        if (obs) dests.set(dk, { ...spec, weight: 0 });
      } else if (v.quiescent) {
        // readdquiescent=no: a real we programmed and someone removed by hand stays removed (upstream).
        if (obs || v.readdQuiescent || firstQuiesce) dests.set(dk, { ...spec, weight: 0 });
      }
    }
    if (v.fallback) {
      const f = v.fallback;
      const spec: DestSpec = {
        af: f.af,
        addr: f.addr,
        port: kernelPort(v.svc.key, f.fwd, f.port),
        fwd: f.fwd,
        weight: 1,
        uThresh: 0,
        lThresh: 0,
      };
      const dk = destKey(spec);
      if (!known.has(dk)) {
        known.set(dk, { role: 'fallback', configured: hostPort(f.addr, f.port), spec, up: false });
        // Waiting for unchecked reals avoids adding the fallback only to delete it a moment later.
        if (!anyUp && !anyUnknownAbsent) dests.set(dk, spec);
      }
    }
    const fallbackActive = anyUp ? false : anyUnknownAbsent ? undefined : true;
    const out: DesiredService = { svc: v.svc, label: v.label, dests: [...dests.values()], destKeys: [...dests.keys()], svcKey: sk, known, fallbackActive };
    // The daemon's memory of what it programmed changes behind the inputs above: a result that read it is not kept.
    if (usedProgrammed) desiredMemo.delete(v);
    else desiredMemo.set(v, { entry, health: hs, out });
    services.push(out);
  }
  return { services };
}

/**
 * The last desired service of each target, with what it was computed from: a pass over 10,000 reals where
 * one changed recomputes one service (targets are immutable; observed entries are shared per service object).
 */
const desiredMemo = new WeakMap<VirtualTarget, { readonly entry: ObservedEntry | undefined; readonly health: readonly (Health | undefined)[]; readonly out: DesiredService }>();

const svcKeys = new WeakMap<VirtualTarget, string>();

/** serviceKey() of a target's service, computed once per target object. */
export function svcKeyOf(t: VirtualTarget): string {
  let k = svcKeys.get(t);
  if (k === undefined) {
    k = serviceKey(t.svc.key);
    svcKeys.set(t, k);
  }
  return k;
}

function sameHealth(before: readonly (Health | undefined)[], reals: readonly RealTarget[], sk: string, health: HealthLookup): boolean {
  if (before.length !== reals.length) return false;
  for (let i = 0; i < reals.length; i++) if (before[i] !== health(sk, reals[i]!.id)) return false;
  return true;
}
