// Turns the parsed Config into the reconciler's targets (kernel-shaped service specs and reals).
import type { Config, Fallback, Forward, VirtualService } from '../model/config.js';
import type { ForwardMethod, ServiceSpec } from '../model/ipvs.js';
import { SVC_FLAG } from '../model/ipvs.js';
import { realKey, serviceKeyOf } from '../model/keys.js';
import type { FallbackTarget, RealTarget, VirtualTarget } from './desired.js';

const FWD: Record<Forward, ForwardMethod> = { gate: 'route', masq: 'masq', ipip: 'tunnel' };

/** "255.255.255.0" → 24; "64" → 64; invalid → the full length. */
export function netmaskPrefix(netmask: string | undefined, af: 'inet' | 'inet6'): number {
  const full = af === 'inet6' ? 128 : 32;
  if (netmask === undefined || netmask === '') return full;
  if (/^\d+$/.test(netmask)) return Math.min(full, Number(netmask));
  const parts = netmask.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) return full;
  const n = parts.reduce((acc, p) => acc * 256 + p, 0);
  let bits = 0;
  while (bits < 32 && Math.floor(n / 2 ** (31 - bits)) % 2 === 1) bits++; // leading one bits
  return bits;
}

function schedFlagBits(flags: string | undefined): number {
  let bits = 0;
  for (const f of (flags ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    if (f.endsWith('-fallback') || f === 'flag-1') bits |= SVC_FLAG.SCHED1;
    else if (f.endsWith('-port') || f === 'flag-2') bits |= SVC_FLAG.SCHED2;
    else if (f === 'flag-3') bits |= SVC_FLAG.SCHED3;
  }
  return bits;
}

/** The kernel service spec of a configured virtual (scheduler, persistence, netmask, flags). */
export function serviceSpecOf(v: VirtualService): ServiceSpec {
  const key = serviceKeyOf(v);
  let flags = schedFlagBits(v.schedFlags);
  if (v.ops && v.protocol === 'udp') flags |= SVC_FLAG.ONEPACKET;
  const persistent = v.persistent ?? 0;
  return {
    key,
    scheduler: v.scheduler.toLowerCase(),
    flags,
    timeout: persistent,
    netmask: persistent > 0 ? netmaskPrefix(v.netmask, v.af) : v.af === 'inet6' ? 128 : 32,
  };
}

function fallbackOf(v: VirtualService, f: Fallback | undefined): FallbackTarget | undefined {
  if (!f) return undefined;
  return { af: f.af, addr: f.address, port: f.port ?? v.port, fwd: FWD[f.forward] };
}

/**
 * The target of each virtual object already converted, with the one global it also depends on. Configs
 * are frozen and a reload hands unchanged virtuals on as the same objects (ParseMemo), so an unchanged
 * virtual keeps its target object and the reconciler sees it unchanged by identity (issue 16 item 4).
 */
const converted = new WeakMap<VirtualService, { readonly readdQuiescent: boolean; readonly target: VirtualTarget }>();

/** Every virtual of the config as a reconciler target, in config order. */
export function targetsFromConfig(config: Config): VirtualTarget[] {
  const readdQuiescent = config.global.readdQuiescent;
  return config.virtuals.map((v) => {
    const known = converted.get(v);
    if (known?.readdQuiescent === readdQuiescent) return known.target;
    const target = targetOf(v, readdQuiescent);
    converted.set(v, { readdQuiescent, target });
    return target;
  });
}

function targetOf(v: VirtualService, readdQuiescent: boolean): VirtualTarget {
  const reals: RealTarget[] = v.reals.map((r) => ({
    id: realKey(r),
    af: r.af,
    addr: r.address,
    port: r.port,
    fwd: FWD[r.forward],
    weight: r.weight,
    uThresh: r.upperThreshold ?? 0,
    lThresh: r.lowerThreshold ?? 0,
  }));
  const fallback = fallbackOf(v, v.effectiveFallback);
  return {
    svc: serviceSpecOf(v),
    label: v.display,
    reals,
    ...(fallback ? { fallback } : {}),
    quiescent: v.quiescent,
    readdQuiescent,
    cleanStop: v.cleanStop,
    ...(v.fallbackCommand ? { fallbackCommand: v.fallbackCommand } : {}),
  };
}
