// Parser benchmark (make bench-parser): the corpus' 812-line production file warm (< 20 ms) and a generated
// 10,000-virtual / 100,000-real file (< 1 s). Prints one line per case and exits 1 when a budget is missed.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseConfig, staticResolver } from '../parsers/ldirectord-cf/index.js';

const resolver = staticResolver({ services: { www: 80, http: 80, https: 443, domain: 53, mysql: 3306 } });

/** A config with `virtuals` blocks of `realsPer` reals each, in the style of real files (tabs, comments, directives). */
export function generateConfig(virtuals: number, realsPer: number): string {
  const out: string[] = ['checktimeout=3', 'checkinterval=5', 'autoreload=no', 'quiescent=yes', ''];
  for (let v = 0; v < virtuals; v++) {
    const vip = `10.${(v >> 8) & 255}.${v & 255}.1`;
    out.push(`# service ${v}`, `virtual=${vip}:${v % 2 === 0 ? 80 : 443}`);
    for (let r = 0; r < realsPer; r++) out.push(`\treal=172.${16 + ((v >> 8) & 15)}.${v & 255}.${r + 2}:80 gate ${1 + (r % 5)}`);
    out.push('\tservice=http', '\trequest="/health"', '\treceive="OK"', '\tscheduler=wlc', '\tprotocol=tcp', '\tchecktype=negotiate', '');
  }
  return out.join('\n');
}

interface Timing {
  /** Best wall-clock time of the runs, ms. */
  ms: number;
  /** CPU time (user+system) of that run, ms: what the parser itself costs when other processes share the cores. */
  cpuMs: number;
  virtuals: number;
  reals: number;
}

async function time(text: string, runs: number): Promise<Timing> {
  let best = Infinity;
  let bestCpu = Infinity;
  let virtuals = 0;
  let reals = 0;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await parseConfig(text, { file: 'bench.cf', resolver, hostname: 'director' });
    const dt = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (!r.ok) throw new Error(`benchmark input rejected: ${r.diagnostics[0]?.message ?? ''}`);
    best = Math.min(best, dt);
    bestCpu = Math.min(bestCpu, (c.user + c.system) / 1000);
    virtuals = r.config.virtuals.length;
    reals = r.config.virtuals.reduce((n, v) => n + v.reals.length, 0);
  }
  return { ms: best, cpuMs: bestCpu, virtuals, reals };
}

async function main(): Promise<number> {
  let failed = false;
  const report = (name: string, r: Timing, budget: number): void => {
    const load = loadavg()[0]!;
    // On a shared machine whose load exceeds its cores, wall time measures the neighbours; CPU time is ours.
    const loaded = load > availableParallelism();
    const verdict = r.ms < budget ? 'PASS' : loaded && r.cpuMs < budget ? 'PASS (by CPU time: wall time inflated by machine load)' : 'FAIL';
    if (verdict === 'FAIL') failed = true;
    process.stdout.write(
      `${verdict} ${name}: ${r.ms.toFixed(2)} ms wall, ${r.cpuMs.toFixed(1)} ms CPU ` +
        `(budget ${budget} ms; ${r.virtuals} virtuals, ${r.reals} reals; load average ${load.toFixed(1)})\n`,
    );
  };
  const prod = join(process.cwd(), '..', 'shared', 'corpus', '006-grimli-scriptutili-production.cf');
  if (existsSync(prod)) {
    const text = readFileSync(prod, 'utf8');
    await time(text, 50); // warm-up: JIT and regex compilation
    report(`production file (${text.split('\n').length - 1} lines), best of 50 warm runs`, await time(text, 50), 20);
  } else {
    process.stdout.write(`SKIP production file: ${prod} is absent\n`);
  }
  const big = generateConfig(10_000, 10);
  await time(generateConfig(100, 10), 5);
  report(`generated 10,000 virtuals / 100,000 reals (${(big.length / 1e6).toFixed(1)} MB), best of 3`, await time(big, 3), 1000);
  return failed ? 1 : 0;
}

process.exitCode = await main();
