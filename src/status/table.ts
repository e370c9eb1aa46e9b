// The `ldirectord status` table (text for people; --json prints the snapshot itself).
import type { StatusSnapshot } from './snapshot.js';

/** Pads columns to their widest cell; the last column is not padded. */
function columns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** Control characters from the network never reach the operator's terminal as such. */
function clean(s: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function since(s: number | null): string {
  if (s === null) return '-';
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** Renders the snapshot as the status table. */
export function renderTable(s: StatusSnapshot): string {
  const out: string[] = [];
  const errs = s.reload.errors.length ? `: ${clean(s.reload.errors.join('; '))}` : '';
  out.push(`Config ${s.configPath}: last load ${s.reload.at} ${s.reload.result}${errs}`);
  for (const v of s.virtuals) {
    out.push('');
    const flags = v.flags.length ? ` flags ${v.flags.join(',')}` : '';
    out.push(`Virtual ${v.id}  scheduler ${v.scheduler}${flags}${v.inIpvs ? '' : '  (not in IPVS)'}`);
    const rows: string[][] = [['  REAL', 'HEALTH', 'WEIGHT', 'CHECK', 'LATENCY', 'FAILS', 'SINCE', 'REASON']];
    for (const r of v.reals) {
      rows.push([
        `  ${r.real}`,
        r.health,
        r.weight === null ? '-' : String(r.weight),
        r.lastCheck ? (r.lastCheck.ok ? 'ok' : 'failed') : '-',
        r.lastCheck ? `${r.lastCheck.durationMs}ms` : '-',
        String(r.failures),
        since(r.sinceChangeS),
        r.lastCheck ? clean(r.lastCheck.reason) : '',
      ]);
    }
    out.push(...columns(rows));
    if (v.fallback) out.push(`  fallback ${v.fallback.server} ${v.fallback.state}`);
  }
  out.push('');
  out.push(
    s.syncDaemons.length
      ? `Sync daemons: ${s.syncDaemons.map((d) => `${d.state} ${clean(d.mcastInterface)} syncid ${d.syncId}`).join(', ')}`
      : 'Sync daemons: none',
  );
  return `${out.join('\n')}\n`;
}
