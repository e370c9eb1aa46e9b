// Pure rendering of benchmark results: the comparison table (markdown), the target verdicts and an SVG chart.
import type { RunResult } from '../run.js';
import type { Where } from './peers.js';
import { TIMING, type Timing } from './scenario.js';

/** A figure with whether it is only a lower bound (a capped measurement). */
interface Fig {
  readonly v: number;
  readonly atLeast: boolean;
}

/** One metric as the table and chart show it. */
interface Metric {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  /** Lower is better for every metric here; ratios are peer / ldirectord-ng. */
  get(r: RunResult): Fig | undefined;
}

const fig = (v: number | null | undefined, atLeast = false): Fig | undefined => (v === null || v === undefined || !Number.isFinite(v) ? undefined : { v, atLeast });

/** The metrics of issue 7, in table order. */
export const METRICS: readonly Metric[] = [
  { key: 'start', label: 'start → all healthy programmed', unit: 's', get: (r) => fig(r.startS, r.startCapped) },
  { key: 'p50', label: 'detection p50', unit: 'ms', get: (r) => fig(r.detection?.p50Ms) },
  { key: 'p99', label: 'detection p99', unit: 'ms', get: (r) => fig(r.detection?.p99Ms) },
  { key: 'cpu', label: 'CPU per 1,000 checks', unit: 's', get: (r) => fig(r.cpu?.perThousandChecksS) },
  { key: 'rss', label: 'peak RSS', unit: 'MiB', get: (r) => fig(r.peakRssMiB) },
  { key: 'reload', label: 'reload one line: applied', unit: 'ms', get: (r) => (r.reload ? fig(r.reload.appliedMs, false) : undefined) },
  { key: 'reloadOps', label: 'reload: ops on untouched reals', unit: '', get: (r) => (r.reload ? fig(r.reload.untouchedRealOps) : undefined) },
];

/** Table and chart order; ldirectord-ng-mem (host only) is ldirectord-ng on its in-memory IPVS, never a ratio's base. */
const PEER_ORDER = ['ldirectord-ng', 'ldirectord-ng-mem', 'ldirectord', 'keepalived'] as const;

function fmt(f: Fig | undefined, unit: string): string {
  if (!f) return '–';
  const v = f.v;
  const s = Number.isInteger(v) || v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
  return `${f.atLeast ? '≥ ' : ''}${s}${unit ? ` ${unit}` : ''}`;
}

/** peer / ours as "12.3×" (how many times ours is better); lower bounds shown with ≥. */
function ratio(ours: Fig | undefined, peer: Fig | undefined): string {
  if (!peer) return '–';
  if (!ours) return 'ours pending';
  if (ours.atLeast && peer.atLeast) return 'both capped';
  if (ours.v === 0) return peer.v === 0 ? '=' : '∞';
  const r = peer.v / ours.v;
  const bound = peer.atLeast ? '≥ ' : ours.atLeast ? '≤ ' : '';
  return `${bound}${r >= 10 ? r.toFixed(0) : r.toFixed(2)}×`;
}

/** The one comparison table: absolute figures per peer and peer/ours ratios, per place, N and metric. */
export function table(results: readonly RunResult[]): string {
  const rows = ['| where | N | metric | ldirectord-ng | ng, in-memory IPVS | ldirectord | keepalived | ldirectord ÷ ng | keepalived ÷ ng |', '|---|---:|---|---:|---:|---:|---:|---:|---:|'];
  const places = [...new Set(results.map((r) => r.where))];
  for (const where of places) {
    const ns = [...new Set(results.filter((r) => r.where === where).map((r) => r.n))].sort((a, b) => a - b);
    for (const n of ns) {
      const by = new Map(results.filter((r) => r.where === where && r.n === n).map((r) => [r.peer, r]));
      for (const m of METRICS) {
        const f = PEER_ORDER.map((p) => {
          const r = by.get(p);
          return r ? m.get(r) : undefined;
        });
        if (f.every((x) => x === undefined)) continue;
        const cells = PEER_ORDER.map((p, i) => (by.has(p) ? fmt(f[i], m.unit) : 'not run'));
        // A count of operations has no meaningful ratio (0 is the target).
        const rt = (x: Fig | undefined): string => (m.key === 'reloadOps' ? '–' : ratio(f[0], x));
        rows.push(`| ${where} | ${n.toLocaleString('en')} | ${m.label} | ${cells.join(' | ')} | ${rt(f[2])} | ${rt(f[3])} |`);
      }
    }
  }
  return rows.join('\n');
}

/** A figure in words: "12.9 s", "≥ 300 s". */
const say = (f: Fig, unit: string): string => fmt(f, unit);

/** How much a figure exceeds a limit, absolutely and in percent of the limit: "1000 ms (9 %)". */
function over(v: number, limit: number, unit: string): string {
  const d = v - limit;
  const abs = Math.abs(d) >= 100 || Number.isInteger(d) ? d.toFixed(0) : d >= 10 ? d.toFixed(1) : d.toPrecision(2);
  return `${abs}${unit ? ` ${unit}` : ''} (${((d / limit) * 100).toFixed(0)} %)`;
}

/**
 * The goals of issue 16 item 5, each PASS / MISS (by how much) / PENDING (not measured in these results).
 * `timing` is the host's check timing (the detection bound there is checkinterval + checktimeout + 1 s).
 */
export function verdicts(results: readonly RunResult[], timing: Timing = TIMING): string[] {
  const find = (peer: string, where: string, n: number): RunResult | undefined => results.find((r) => r.peer === peer && r.where === where && r.n === n);
  const out: string[] = [];
  const ng = find('ldirectord-ng', 'guest', 1000);
  const ka = find('keepalived', 'guest', 1000);
  // Guest N=1,000: each figure no worse than keepalived's (keepalived ÷ ng ≥ 1.0).
  for (const key of ['start', 'p50', 'p99', 'reload'] as const) {
    const m = METRICS.find((x) => x.key === key)!;
    const goal = `guest N=1,000: ${m.label} ≤ keepalived (keepalived ÷ ng ≥ 1.0)`;
    const a = ng ? m.get(ng) : undefined;
    const b = ka ? m.get(ka) : undefined;
    if (!b) out.push(`${goal}: PENDING (no keepalived figure)`);
    else if (!a) out.push(`${goal}: ${ng && (key !== 'reload' || ng.reload) ? 'MISS' : 'PENDING'} (no ldirectord-ng figure${ng?.startCapped ? ': start capped' : ''}; keepalived ${say(b, m.unit)})`);
    else {
      const r = b.v / a.v;
      const verdict = a.atLeast ? 'MISS' : r >= 1 ? 'PASS' : `MISS by ${over(a.v, b.v, m.unit)}`;
      out.push(`${goal}: ${verdict} (ng ${say(a, m.unit)}, keepalived ${say(b, m.unit)}, ratio ${r.toFixed(2)}×)`);
    }
  }
  {
    const goal = 'guest N=1,000: CPU per 1,000 checks ≤ 1.5× keepalived';
    const a = ng?.cpu?.perThousandChecksS;
    const b = ka?.cpu?.perThousandChecksS;
    if (!a || !b) out.push(`${goal}: PENDING (${!b ? 'no keepalived figure' : 'no ldirectord-ng figure'})`);
    else out.push(`${goal}: ${a <= 1.5 * b ? 'PASS' : `MISS by ${over(a, 1.5 * b, 's')}`} (ng ${a.toFixed(2)} s, keepalived ${b.toFixed(2)} s: ${(a / b).toFixed(2)}× keepalived)`);
  }
  const mb = (mib: number): number => mib * 1.048576;
  // Host goals are ldirectord-ng's own figures: its in-memory IPVS run (the stand-in's cost is not the daemon's).
  const ngAt = (where: Where): string => (where === 'host' ? 'ldirectord-ng-mem' : 'ldirectord-ng');
  const rssGoal = (where: Where, n: number, limit: number): string => {
    const goal = `${where} N=${n.toLocaleString('en')}: peak RSS ≤ ${limit} MB`;
    const v = find(ngAt(where), where, n)?.peakRssMiB;
    return v == null ? `${goal}: PENDING (no ldirectord-ng figure)` : `${goal}: ${mb(v) <= limit ? 'PASS' : `MISS by ${over(mb(v), limit, 'MB')}`} (${mb(v).toFixed(0)} MB)`;
  };
  out.push(rssGoal('guest', 1000, 60));
  {
    // Every N of every place: a reload must be applied within 1 s.
    const goal = 'reload applied within 1 s at every N (guest; host in-memory runs)';
    const rl = results.filter((r) => r.peer === ngAt(r.where) && r.reload);
    const slow = rl.filter((r) => r.reload!.appliedMs === null || r.reload!.appliedMs > 1000);
    const worst = (r: RunResult): string => `${r.where} N=${r.n.toLocaleString('en')} ${r.reload!.appliedMs === null ? 'not applied' : `${r.reload!.appliedMs.toFixed(0)} ms`}`;
    if (rl.length === 0) out.push(`${goal}: PENDING (no ldirectord-ng reload measured)`);
    else if (slow.length === 0) out.push(`${goal}: PASS (slowest ${worst(rl.reduce((a, b) => ((b.reload!.appliedMs ?? 0) > (a.reload!.appliedMs ?? 0) ? b : a)))} of ${rl.length} runs)`);
    else out.push(`${goal}: MISS in ${slow.length} of ${rl.length} runs (${slow.map((r) => `${worst(r)}${r.reload!.appliedMs === null ? '' : `, ${over(r.reload!.appliedMs, 1000, 'ms')}`}`).join('; ')})`);
  }
  {
    const goal = 'host N=10,000: reload applied < 200 ms with 0 ops on untouched reals';
    const r = find(ngAt('host'), 'host', 10000)?.reload;
    if (!r) out.push(`${goal}: PENDING (no ldirectord-ng figure)`);
    else {
      const ms = r.appliedMs;
      const ok = ms !== null && ms < 200 && r.untouchedRealOps === 0;
      const by = ms === null ? 'not applied' : ms >= 200 ? `MISS by ${over(ms, 200, 'ms')}` : 'MISS';
      out.push(`${goal}: ${ok ? 'PASS' : by} (${ms === null ? 'not applied' : `${ms.toFixed(0)} ms`}, ${r.untouchedRealOps} ops on untouched reals)`);
    }
  }
  out.push(rssGoal('host', 10000, 120));
  {
    const limit = (timing.checkInterval + timing.checkTimeout + 1) * 1000;
    const goal = `host N=10,000: detection p99 ≤ checkinterval + checktimeout + 1 s = ${limit} ms`;
    const v = find(ngAt('host'), 'host', 10000)?.detection?.p99Ms;
    out.push(v == null ? `${goal}: PENDING (no ldirectord-ng figure)` : `${goal}: ${v <= limit ? 'PASS' : `MISS by ${over(v, limit, 'ms')}`} (${v.toFixed(0)} ms)`);
  }
  return out;
}

/** ldirectord-ng's own figures from its status "perf" object (issue 16 item 2); "–" when the build has none. */
export function perfTable(results: readonly RunResult[]): string {
  const rows = [
    '| where | N | run | event-loop delay p50 / p99 / max | verdict → IPVS write p50 / p99 / max (writes) | last reload: parse / plan / applied |',
    '|---|---:|---|---|---|---|',
  ];
  const q = (x: { p50: number; p99: number; max: number } | undefined): string => (x ? `${[x.p50, x.p99, x.max].map((v) => fmt({ v, atLeast: false }, '')).join(' / ')} ms` : '–');
  for (const r of results.filter((x) => x.peer.startsWith('ldirectord-ng'))) {
    const p = r.perf ?? undefined;
    const rl = p?.lastReloadMs;
    rows.push(
      `| ${r.where} | ${r.n.toLocaleString('en')} | ${r.peer === 'ldirectord-ng-mem' ? 'in-memory IPVS' : r.where === 'host' ? 'ipvsadm stand-in' : 'kernel'} | ${q(p?.eventLoopDelayMs)} | ${p ? `${q(p.verdictToWriteMs)} (${p.verdictToWriteMs.count})` : '–'} | ${rl ? `${[rl.parse, rl.plan, rl.applied].map((v) => fmt({ v, atLeast: false }, '')).join(' / ')} ms` : '–'} |`,
    );
  }
  return rows.join('\n');
}

/** A ratio peer ÷ ours as a number, when both exist and neither is a lower bound. */
function ratioOf(ours: Fig | undefined, peer: Fig | undefined): number | undefined {
  return ours && peer && !ours.atLeast && !peer.atLeast && ours.v > 0 ? peer.v / ours.v : undefined;
}

/**
 * Old (baseline) and new figures side by side for every (place, N, metric) of the current results whose
 * ldirectord-ng figure or ratio moved by more than `tolerance` (relative), or appeared/disappeared (issue 17).
 */
export function compareTable(baseline: readonly RunResult[], current: readonly RunResult[], tolerance = 0.05): string {
  const rows = [
    '| where | N | metric | ng old | ng new | ldirectord ÷ ng old → new | keepalived ÷ ng old → new |',
    '|---|---:|---|---:|---:|---:|---:|',
  ];
  const key = (r: RunResult): string => `${r.where}|${r.n}`;
  // Only places and sizes measured now: one not run this time has not moved (a quick run compares what it ran).
  const places = [...new Set(current.map(key))].sort((a, b) => {
    const [wa = '', na = '0'] = a.split('|');
    const [wb = '', nb = '0'] = b.split('|');
    return wa === wb ? Number(na) - Number(nb) : wa === 'host' ? -1 : 1;
  });
  const moved = (a: number | undefined, b: number | undefined): boolean => (a === undefined) !== (b === undefined) || (a !== undefined && b !== undefined && Math.abs(b - a) > tolerance * Math.max(Math.abs(a), Math.abs(b)));
  const rt = (x: number | undefined): string => (x === undefined ? '–' : `${x >= 10 ? x.toFixed(0) : x.toFixed(2)}×`);
  for (const pk of places) {
    const get = (set: readonly RunResult[], peer: string): RunResult | undefined => set.find((r) => key(r) === pk && r.peer === peer);
    for (const m of METRICS) {
      if (m.key === 'reloadOps') continue;
      const fig = (set: readonly RunResult[], peer: string): Fig | undefined => {
        const r = get(set, peer);
        return r ? m.get(r) : undefined;
      };
      // Before issue 17 ldirectord-ng ran on its in-memory IPVS on the host: its figures compare with that run's
      // today, while today's ratios divide by the run on the same stand-in as Perl ldirectord.
      const host = pk.startsWith('host|');
      const own = (set: readonly RunResult[]): Fig | undefined => fig(set, host && get(set, 'ldirectord-ng-mem') ? 'ldirectord-ng-mem' : 'ldirectord-ng');
      const ngOld = own(baseline);
      const ngNew = own(current);
      const baseOld = fig(baseline, 'ldirectord-ng');
      const base = fig(current, 'ldirectord-ng');
      const lOld = ratioOf(baseOld, fig(baseline, 'ldirectord'));
      const lNew = ratioOf(base, fig(current, 'ldirectord'));
      const kOld = ratioOf(baseOld, fig(baseline, 'keepalived'));
      const kNew = ratioOf(base, fig(current, 'keepalived'));
      if (!moved(ngOld?.v, ngNew?.v) && !moved(lOld, lNew) && !moved(kOld, kNew)) continue;
      const [where = '', n = '0'] = pk.split('|');
      rows.push(`| ${where} | ${Number(n).toLocaleString('en')} | ${m.label} | ${fmt(ngOld, m.unit)} | ${fmt(ngNew, m.unit)} | ${rt(lOld)} → ${rt(lNew)} | ${rt(kOld)} → ${rt(kNew)} |`);
    }
  }
  return rows.length > 2 ? rows.join('\n') : 'No figure moved by more than 5 %.';
}

const COLORS: Record<string, string> = { 'ldirectord-ng': '#1b7837', 'ldirectord-ng-mem': '#7fbf7b', ldirectord: '#b2182b', keepalived: '#2166ac' };
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Grouped bar chart, one panel per (place, metric), log-scale y, one group per N and one bar per peer.
 * Lower bounds (capped runs) are drawn hollow with a "≥" label.
 */
export function chart(results: readonly RunResult[]): string {
  const metrics = METRICS.filter((m) => ['start', 'p99', 'cpu', 'rss', 'reload'].includes(m.key));
  const places = [...new Set(results.map((r) => r.where))];
  const panels = places.flatMap((w) => metrics.map((m) => ({ w, m })));
  const growth = METRICS.filter((m) => ['start', 'rss', 'cpu', 'reload'].includes(m.key));
  const hostRuns = results.filter((r) => r.where === 'host');
  const W = 460;
  const H = 260;
  const cols = 2;
  // Bar panels, then (with host results) the growth curve over N, starting on a fresh row.
  const barRows = Math.ceil(panels.length / cols);
  const rowsN = barRows + (hostRuns.length > 0 ? Math.ceil(growth.length / cols) : 0);
  const total = { w: cols * W, h: rowsN * H + 60 };
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${total.w}" height="${total.h}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">ldirectord-ng vs ldirectord vs keepalived (lower is better; log scale; hollow = lower bound, run capped)</text>`,
  ];
  PEER_ORDER.forEach((p, i) => {
    const label = p === 'ldirectord-ng-mem' ? 'ldirectord-ng, in-memory IPVS (host)' : p;
    parts.push(`<rect x="${10 + i * 200}" y="32" width="12" height="12" fill="${COLORS[p]}"/><text x="${26 + i * 200}" y="42">${label}</text>`);
  });
  panels.forEach(({ w, m }, pi) => {
    const ox = (pi % cols) * W;
    const oy = 60 + Math.floor(pi / cols) * H;
    const rs = results.filter((r) => r.where === w);
    const ns = [...new Set(rs.map((r) => r.n))].sort((a, b) => a - b);
    const vals = rs.map((r) => m.get(r)?.v).filter((v): v is number => v !== undefined && v > 0);
    parts.push(`<text x="${ox + 50}" y="${oy + 14}" font-weight="bold">${esc(`${w}: ${m.label}${m.unit ? ` (${m.unit})` : ''}`)}</text>`);
    const px = { x: ox + 50, y: oy + 24, w: W - 70, h: H - 70 };
    parts.push(`<rect x="${px.x}" y="${px.y}" width="${px.w}" height="${px.h}" fill="none" stroke="#999"/>`);
    if (vals.length === 0) {
      parts.push(`<text x="${px.x + 10}" y="${px.y + 30}" fill="#666">no data yet</text>`);
      return;
    }
    // Half a decade of headroom below the smallest bar so it stays visible.
    const lo = Math.floor(Math.log10(Math.min(...vals) / 3));
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...vals))));
    const y = (v: number): number => px.y + px.h - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * px.h;
    for (let e = lo; e <= hi; e++) {
      const yy = y(10 ** e);
      parts.push(`<line x1="${px.x}" x2="${px.x + px.w}" y1="${yy}" y2="${yy}" stroke="#eee"/><text x="${px.x - 4}" y="${yy + 4}" text-anchor="end">${10 ** e >= 1 ? (10 ** e).toLocaleString('en') : (10 ** e).toPrecision(1)}</text>`);
    }
    const gw = px.w / Math.max(1, ns.length);
    const bw = (gw - 16) / PEER_ORDER.length;
    ns.forEach((n, gi) => {
      const gx = px.x + gi * gw + 8;
      parts.push(`<text x="${gx + (gw - 16) / 2}" y="${px.y + px.h + 14}" text-anchor="middle">N=${n.toLocaleString('en')}</text>`);
      PEER_ORDER.forEach((p, bi) => {
        const r = rs.find((x) => x.n === n && x.peer === p);
        const f = r ? m.get(r) : undefined;
        if (!f || f.v <= 0) return;
        const yy = y(f.v);
        const x = gx + bi * bw;
        const h = px.y + px.h - yy;
        parts.push(
          f.atLeast
            ? `<rect x="${x}" y="${yy}" width="${bw - 2}" height="${h}" fill="none" stroke="${COLORS[p]}" stroke-width="2" stroke-dasharray="4 2"/>`
            : `<rect x="${x}" y="${yy}" width="${bw - 2}" height="${h}" fill="${COLORS[p]}"/>`,
          `<text x="${x + (bw - 2) / 2}" y="${yy - 3}" text-anchor="middle" font-size="9">${esc(fmt(f, ''))}</text>`,
        );
      });
    });
  });
  if (hostRuns.length > 0) growth.forEach((m, gi) => growthPanel(parts, (gi % cols) * W, 60 + (barRows + Math.floor(gi / cols)) * H, W, H, m, hostRuns));
  parts.push('</svg>');
  return parts.join('\n');
}

/** One log-log panel: a metric against N, one line per peer (issue 16 item 5: the growth curve up to N=30,000). */
function growthPanel(parts: string[], ox: number, oy: number, W: number, H: number, m: Metric, rs: readonly RunResult[]): void {
  parts.push(`<text x="${ox + 50}" y="${oy + 14}" font-weight="bold">${esc(`host growth: ${m.label}${m.unit ? ` (${m.unit})` : ''} against N`)}</text>`);
  const px = { x: ox + 50, y: oy + 24, w: W - 80, h: H - 70 };
  parts.push(`<rect x="${px.x}" y="${px.y}" width="${px.w}" height="${px.h}" fill="none" stroke="#999"/>`);
  const pts = rs.flatMap((r) => {
    const f = m.get(r);
    return f && f.v > 0 ? [{ peer: r.peer, n: r.n, f }] : [];
  });
  if (pts.length === 0) {
    parts.push(`<text x="${px.x + 10}" y="${px.y + 30}" fill="#666">no data yet</text>`);
    return;
  }
  const ns = [...new Set(rs.map((r) => r.n))].sort((a, b) => a - b);
  const xlo = Math.log10(ns[0]!);
  const xhi = Math.max(xlo + 1, Math.log10(ns[ns.length - 1]!));
  const ylo = Math.floor(Math.log10(Math.min(...pts.map((p) => p.f.v))));
  const yhi = Math.max(ylo + 1, Math.ceil(Math.log10(Math.max(...pts.map((p) => p.f.v)))));
  const x = (n: number): number => px.x + ((Math.log10(n) - xlo) / (xhi - xlo)) * px.w;
  const y = (v: number): number => px.y + px.h - ((Math.log10(v) - ylo) / (yhi - ylo)) * px.h;
  for (let e = ylo; e <= yhi; e++) {
    parts.push(`<line x1="${px.x}" x2="${px.x + px.w}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#eee"/><text x="${px.x - 4}" y="${y(10 ** e) + 4}" text-anchor="end">${10 ** e >= 1 ? (10 ** e).toLocaleString('en') : (10 ** e).toPrecision(1)}</text>`);
  }
  for (const n of ns) parts.push(`<text x="${x(n)}" y="${px.y + px.h + 14}" text-anchor="middle">${n.toLocaleString('en')}</text>`);
  for (const peer of PEER_ORDER) {
    const line = pts.filter((p) => p.peer === peer).sort((a, b) => a.n - b.n);
    if (line.length === 0) continue;
    parts.push(`<polyline fill="none" stroke="${COLORS[peer]}" stroke-width="2" points="${line.map((p) => `${x(p.n).toFixed(1)},${y(p.f.v).toFixed(1)}`).join(' ')}"/>`);
    for (const p of line) {
      parts.push(
        `<circle cx="${x(p.n).toFixed(1)}" cy="${y(p.f.v).toFixed(1)}" r="3" fill="${p.f.atLeast ? 'white' : COLORS[peer]}" stroke="${COLORS[peer]}"/>`,
        `<text x="${x(p.n).toFixed(1)}" y="${(y(p.f.v) - 6).toFixed(1)}" text-anchor="middle" font-size="9">${esc(fmt(p.f, ''))}</text>`,
      );
    }
  }
}
