// `ldirectord --probe [CONFIG]`: run every configured check once, concurrently, and print a table (exit 0 = all up).
import { getChecker } from '../checks/index.js';
import type { CheckName, Checker } from '../checks/types.js';
import { directorHostname } from '../config/load.js';
import { checkBudgetMs, nextCheckName, planChecks, runJobOnce, systemReverseLookup, FORCE_NEGOTIATE } from '../health/index.js';
import type { CheckJob } from '../health/index.js';
import type { Config } from '../model/config.js';
import { loadLocatedConfig, type CommandIo } from './located-config.js';

/** Streams and seams of the probe (tests pass their own). */
export interface ProbeIo extends CommandIo {
  /** Check registry (default: src/checks). */
  readonly checkers?: (name: CheckName) => Checker;
  /** Most checks at once (default 64). */
  readonly maxInFlight?: number;
}

/** One table row: a (virtual, real) pair and the verdict of its real's check. */
export interface ProbeRow {
  readonly virtual: string;
  readonly real: string;
  readonly check: string;
  readonly up: boolean;
  readonly latencyMs: number;
  readonly reason: string;
}

/** How the check column names a job: checktype, plus the check that ran for negotiate, N and connect. */
function checkLabel(job: CheckJob, ran: CheckName): string {
  if (job.kind.type === 'combined') return `combined(${job.kind.n})/${ran}`;
  if (job.checkType === 'negotiate' || (job.checkType === 'connect' && ran !== 'connect')) return `${job.checkType}/${ran}`;
  return job.checkType;
}

/** Runs every check of `config` once (at most `max` at a time); rows in config order. */
export async function probeConfig(config: Config, checkers: (name: CheckName) => Checker, max = 64): Promise<ProbeRow[]> {
  const jobs = planChecks(config, { hostname: directorHostname() });
  const reverseLookup = systemReverseLookup();
  const results: { job: CheckJob; rows: ProbeRow[] }[] = jobs.map((job) => ({ job, rows: [] }));
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      const slot = results[i];
      if (slot === undefined) return;
      const { job } = slot;
      // A combined (checktype=N) real starts with a negotiate, as upstream's first pass.
      const name = nextCheckName(job, FORCE_NEGOTIATE);
      const t0 = performance.now();
      const signal = AbortSignal.timeout(checkBudgetMs(name, job.spec) + 1000);
      const out = await runJobOnce(job, name, { checkers, maintenanceDir: config.global.maintenanceDir, reverseLookup }, signal);
      const latencyMs = performance.now() - t0;
      const reason = out.result.ok ? (out.result.message ?? '') : out.result.reason;
      slot.rows = job.members.map((m) => ({
        virtual: m.virtualId,
        real: m.realKey,
        check: checkLabel(job, name),
        up: out.result.ok,
        latencyMs,
        reason,
      }));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(max, jobs.length)) }, worker));
  return results.flatMap((r) => r.rows);
}

/** Renders rows as an aligned text table with a header. */
export function formatProbeTable(rows: readonly ProbeRow[]): string {
  const header = ['VIRTUAL', 'REAL', 'CHECK', 'STATE', 'LATENCY', 'REASON'];
  const cells = rows.map((r) => [r.virtual, r.real, r.check, r.up ? 'up' : 'down', `${r.latencyMs.toFixed(1)} ms`, r.reason.replace(/\s+/g, ' ')]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string =>
    c.map((x, i) => (i === c.length - 1 ? x : i === 4 ? x.padStart(widths[i]!) : x.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...cells.map(line)].join('\n') + '\n';
}

/** Runs --probe; resolves to the exit code: 0 all up, 1 any down or config not found, 2 config invalid. */
export async function runProbe(config: string | undefined, io: ProbeIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const res = await loadLocatedConfig(config, io);
  if (!res.ok) return res.exitCode;
  const { path } = res;
  const rows = await probeConfig(res.config, io.checkers ?? getChecker, io.maxInFlight);
  if (rows.length === 0) {
    io.stdout.write(`${path}: no real servers to check\n`);
    return 0;
  }
  io.stdout.write(formatProbeTable(rows));
  const down = rows.filter((r) => !r.up).length;
  io.stdout.write(`${rows.length - down}/${rows.length} up\n`);
  return down === 0 ? 0 : 1;
}
