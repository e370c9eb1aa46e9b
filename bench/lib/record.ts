// Pure analysis of recorded IPVS writes: replay them and derive programmed-at, detection latency and untouched ops.

/** One recorded change to a destination (weight null = deleted) or a service write. */
export type IpvsEvent =
  | { readonly t: number; readonly kind: 'dest'; readonly svc: string; readonly dest: string; readonly weight: number | null }
  | { readonly t: number; readonly kind: 'svc'; readonly svc: string };

/** Destination identity used everywhere here: "<vip:vport>|<rip:rport>". */
export const destId = (svc: string, dest: string): string => `${svc}|${dest}`;

/**
 * Parses the fake ipvsadm's calls.log ("<epoch s> <argv>") into events (ms); reads are counted, not returned.
 * The real port is kept as written: the benchmark uses masq, where ipvsadm does not remap it.
 */
export function parseIpvsadmLog(text: string): { events: IpvsEvent[]; reads: number; calls: number } {
  const events: IpvsEvent[] = [];
  let reads = 0;
  let calls = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const sp = line.indexOf(' ');
    const t = Number(line.slice(0, sp)) * 1000;
    const argv = line.slice(sp + 1).split(/\s+/);
    calls++;
    const cmd = argv[0];
    const val = (flag: string): string | undefined => {
      const i = argv.indexOf(flag);
      return i >= 0 ? argv[i + 1] : undefined;
    };
    const svc = val('-t') ?? val('-u') ?? val('-f') ?? '';
    switch (cmd) {
      case '-L':
      case '-S':
        reads++;
        break;
      case '-A':
      case '-E':
      case '-D':
        events.push({ t, kind: 'svc', svc });
        break;
      case '-a':
      case '-e':
        events.push({ t, kind: 'dest', svc, dest: val('-r') ?? '', weight: Number(val('-w') ?? '1') });
        break;
      case '-d':
        events.push({ t, kind: 'dest', svc, dest: val('-r') ?? '', weight: null });
        break;
      default:
        break;
    }
  }
  return { events, reads, calls };
}

/**
 * Earliest instant from which every destination in `healthy` has weight > 0 without interruption up to
 * the end of `events` (or `until`); undefined if that never holds. Also returns how many were up at the end.
 */
export function programmedAt(events: readonly IpvsEvent[], healthy: ReadonlySet<string>, until = Infinity): { at: number | undefined; upAtEnd: number } {
  const up = new Set<string>();
  let since: number | undefined;
  for (const e of events) {
    if (e.t > until) break;
    if (e.kind !== 'dest') continue;
    const id = destId(e.svc, e.dest);
    if (!healthy.has(id)) continue;
    if (e.weight !== null && e.weight > 0) up.add(id);
    else up.delete(id);
    if (up.size === healthy.size) since ??= e.t;
    else since = undefined;
  }
  return { at: since, upAtEnd: up.size };
}

/** Latency (ms) from `at` until each destination in `holes` is deleted or set to weight 0; missing = not detected. */
export function detectionLatencies(events: readonly IpvsEvent[], at: number, holes: ReadonlySet<string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of events) {
    if (e.t < at || e.kind !== 'dest') continue;
    const id = destId(e.svc, e.dest);
    if (!holes.has(id) || out.has(id)) continue;
    if (e.weight === null || e.weight === 0) out.set(id, e.t - at);
  }
  return out;
}

/** Nearest-rank percentile of `xs` (p in 0..100); undefined for an empty list. */
export function percentile(xs: readonly number[], p: number): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** Writes in [from, to] split into: the touched destination, other destinations, service writes. */
export function opsBetween(events: readonly IpvsEvent[], from: number, to: number, touched: string): { touched: number; untouchedDests: number; services: number; firstTouchedAt: number | undefined } {
  let t = 0;
  let u = 0;
  let s = 0;
  let first: number | undefined;
  for (const e of events) {
    if (e.t < from || e.t > to) continue;
    if (e.kind === 'svc') s++;
    else if (destId(e.svc, e.dest) === touched) {
      t++;
      first ??= e.t;
    } else u++;
  }
  return { touched: t, untouchedDests: u, services: s, firstTouchedAt: first };
}

/**
 * Turns successive snapshots of the destination table (id -> weight) into events, for backends that
 * cannot be recorded (keepalived, the real kernel): each difference is stamped with the snapshot time.
 */
export function diffSnapshots(prev: ReadonlyMap<string, number>, next: ReadonlyMap<string, number>, t: number): IpvsEvent[] {
  const out: IpvsEvent[] = [];
  for (const [id, w] of next) {
    if (prev.get(id) !== w) {
      const [svc = '', dest = ''] = id.split('|');
      out.push({ t, kind: 'dest', svc, dest, weight: w });
    }
  }
  for (const id of prev.keys()) {
    if (!next.has(id)) {
      const [svc = '', dest = ''] = id.split('|');
      out.push({ t, kind: 'dest', svc, dest, weight: null });
    }
  }
  return out;
}

/**
 * Splits `xs` into at most `k` non-empty groups, round-robin (every group gets a share of every
 * virtual service): the black holes made one group at a time across a check interval.
 */
export function staggered<T>(xs: readonly T[], k: number): T[][] {
  const n = Math.max(1, Math.min(k, xs.length));
  const out: T[][] = Array.from({ length: n }, () => []);
  xs.forEach((x, i) => out[i % n]!.push(x));
  return xs.length === 0 ? [] : out;
}
