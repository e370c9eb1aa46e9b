// ldirectord-ng's own timing figures, read from the "perf" object of its status snapshot (issue 16 item 2).

/** p50/p99/max in milliseconds. */
export interface Quantiles {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** What `status --json` reports under "perf"; a daemon without it (an older build) yields undefined. */
export interface PerfSample {
  /** perf_hooks.monitorEventLoopDelay over the daemon's life. */
  readonly eventLoopDelayMs: Quantiles;
  /** From a check's verdict to the IPVS write it causes; count = writes measured. */
  readonly verdictToWriteMs: Quantiles & { readonly count: number };
  /** The last reload, broken down: parse, plan, applied (from the signal); null before any reload. */
  readonly lastReloadMs: { readonly parse: number; readonly plan: number; readonly applied: number } | null;
}

const num = (o: Record<string, unknown>, k: string): number | undefined => {
  const v = o[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};

const obj = (v: unknown): Record<string, unknown> | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

function quantiles(v: unknown): Quantiles | undefined {
  const o = obj(v);
  if (!o) return undefined;
  const p50 = num(o, 'p50');
  const p99 = num(o, 'p99');
  const max = num(o, 'max');
  return p50 === undefined || p99 === undefined || max === undefined ? undefined : { p50, p99, max };
}

/**
 * Extracts the "perf" object from a status snapshot. Undefined when the snapshot has none or it does
 * not have the agreed shape (the report then prints "–" rather than guessing).
 */
export function parsePerf(snapshot: unknown): PerfSample | undefined {
  const perf = obj(obj(snapshot)?.perf);
  if (!perf) return undefined;
  const eld = quantiles(perf.eventLoopDelayMs);
  const vtw = quantiles(perf.verdictToWriteMs);
  const count = num(obj(perf.verdictToWriteMs) ?? {}, 'count');
  if (!eld || !vtw || count === undefined) return undefined;
  let lastReloadMs: PerfSample['lastReloadMs'] = null;
  if (perf.lastReloadMs !== null && perf.lastReloadMs !== undefined) {
    const r = obj(perf.lastReloadMs) ?? {};
    const parse = num(r, 'parse');
    const plan = num(r, 'plan');
    const applied = num(r, 'applied');
    if (parse === undefined || plan === undefined || applied === undefined) return undefined;
    lastReloadMs = { parse, plan, applied };
  }
  return { eventLoopDelayMs: eld, verdictToWriteMs: { ...vtw, count }, lastReloadMs };
}
