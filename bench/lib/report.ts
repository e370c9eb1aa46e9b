// Pure rendering of benchmark results: the comparison table (markdown), the target verdicts and an SVG chart.
import type { RunResult } from '../run.js';
import { TIMING } from './scenario.js';

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

const PEER_ORDER = ['ldirectord-ng', 'ldirectord', 'keepalived'] as const;

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
  const rows = ['| where | N | metric | ldirectord-ng | ldirectord | keepalived | ldirectord ÷ ng | keepalived ÷ ng |', '|---|---:|---|---:|---:|---:|---:|---:|'];
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
        rows.push(`| ${where} | ${n.toLocaleString('en')} | ${m.label} | ${cells.join(' | ')} | ${rt(f[1])} | ${rt(f[2])} |`);
      }
    }
  }
  return rows.join('\n');
}

/** The issue's targets, each with PASS / MISS (by how much) / PENDING. */
export function verdicts(results: readonly RunResult[]): string[] {
  const find = (peer: string, where: string, n: number): RunResult | undefined => results.find((r) => r.peer === peer && r.where === where && r.n === n);
  const out: string[] = [];
  const limit = (TIMING.checkInterval + TIMING.checkTimeout) * 1000 + 100;
  const ng1k = find('ldirectord-ng', 'host', 1000);
  const p99 = ng1k?.detection?.p99Ms;
  out.push(p99 == null ? `detection p99 ≤ ${limit} ms at 1,000 reals (host): PENDING (no ldirectord-ng figure)` : `detection p99 ≤ ${limit} ms at 1,000 reals (host): ${p99 <= limit ? 'PASS' : `MISS by ${(p99 - limit).toFixed(0)} ms`} (${p99.toFixed(0)} ms)`);
  for (const where of ['host', 'guest']) {
    const ng = find('ldirectord-ng', where, 10000);
    const pl = find('ldirectord', where, 10000);
    if (ng?.startCapped) {
      out.push(`start at 10,000 reals ≥ 50× faster than ldirectord (${where}): MISS (ldirectord-ng did not program every healthy real within the ${ng.startS} s cap: ${ng.programmed}/${ng.healthy})`);
    } else if (!ng?.startS || !pl?.startS) {
      out.push(`start at 10,000 reals ≥ 50× faster than ldirectord (${where}): PENDING (${!ng?.startS ? 'no ldirectord-ng figure' : 'no ldirectord figure'})`);
    } else {
      const r = pl.startS / ng.startS;
      out.push(`start at 10,000 reals ≥ 50× faster than ldirectord (${where}): ${r >= 50 ? 'PASS' : pl.startCapped ? `NOT SHOWN (ldirectord capped: ratio ≥ ${r.toFixed(1)}×)` : `MISS (${r.toFixed(1)}×)`} (ng ${ng.startS.toFixed(2)} s, ldirectord ${pl.startCapped ? '≥ ' : ''}${pl.startS.toFixed(1)} s)`);
    }
  }
  const rl = results.filter((r) => r.peer === 'ldirectord-ng' && r.n === 10000 && r.reload);
  if (rl.length === 0) out.push('reload of one line at 10,000 reals < 200 ms with 0 untouched ops: PENDING (no ldirectord-ng figure)');
  for (const r of rl) {
    const ms = r.reload!.appliedMs;
    const ok = ms !== null && ms < 200 && r.reload!.untouchedRealOps === 0;
    out.push(`reload of one line at 10,000 reals < 200 ms with 0 untouched ops (${r.where}): ${ok ? 'PASS' : 'MISS'} (${ms === null ? 'not applied' : `${ms.toFixed(0)} ms`}, ${r.reload!.untouchedRealOps} ops on untouched reals)`);
  }
  const cpuPairs = results.filter((r) => r.peer === 'ldirectord-ng' && r.cpu?.perThousandChecksS).flatMap((ng) => {
    const k = find('keepalived', ng.where, ng.n);
    return k?.cpu?.perThousandChecksS ? [{ n: ng.n, where: ng.where, r: ng.cpu!.perThousandChecksS! / k.cpu.perThousandChecksS }] : [];
  });
  if (cpuPairs.length === 0) out.push('CPU per 1,000 checks ≤ 1.5× keepalived: PENDING (needs ldirectord-ng and keepalived in the same place)');
  for (const p of cpuPairs) out.push(`CPU per 1,000 checks ≤ 1.5× keepalived (${p.where}, N=${p.n}): ${p.r <= 1.5 ? 'PASS' : 'MISS'} (${p.r.toFixed(2)}× keepalived)`);
  const rss = find('ldirectord-ng', 'host', 10000)?.peakRssMiB ?? find('ldirectord-ng', 'guest', 10000)?.peakRssMiB;
  out.push(rss == null ? 'RSS ≤ 120 MB at 10,000 reals: PENDING (no ldirectord-ng figure)' : `RSS ≤ 120 MB at 10,000 reals: ${rss * 1.048576 <= 120 ? 'PASS' : `MISS by ${(rss * 1.048576 - 120).toFixed(0)} MB`} (${(rss * 1.048576).toFixed(0)} MB)`);
  return out;
}

const COLORS: Record<string, string> = { 'ldirectord-ng': '#1b7837', ldirectord: '#b2182b', keepalived: '#2166ac' };
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Grouped bar chart, one panel per (place, metric), log-scale y, one group per N and one bar per peer.
 * Lower bounds (capped runs) are drawn hollow with a "≥" label.
 */
export function chart(results: readonly RunResult[]): string {
  const metrics = METRICS.filter((m) => ['start', 'p99', 'cpu', 'rss'].includes(m.key));
  const places = [...new Set(results.map((r) => r.where))];
  const panels = places.flatMap((w) => metrics.map((m) => ({ w, m })));
  const W = 460;
  const H = 260;
  const cols = 2;
  const rowsN = Math.ceil(panels.length / cols);
  const total = { w: cols * W, h: rowsN * H + 60 };
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${total.w}" height="${total.h}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">ldirectord-ng vs ldirectord vs keepalived (lower is better; log scale; hollow = lower bound, run capped)</text>`,
  ];
  PEER_ORDER.forEach((p, i) => {
    parts.push(`<rect x="${10 + i * 150}" y="32" width="12" height="12" fill="${COLORS[p]}"/><text x="${26 + i * 150}" y="42">${p}</text>`);
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
  parts.push('</svg>');
  return parts.join('\n');
}
