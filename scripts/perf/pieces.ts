// Host micro-measure of the pieces of a reload at N reals, each run `reps` times (median ms, CPU-bound):
// read+parse, check re-plan (HealthScheduler.update), targets, a reconcile pass. Run: scripts/perf/reload.sh pieces [N]
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/clock.js';
import { makeParse } from '../../src/config/load.js';
import { HealthScheduler } from '../../src/health/index.js';
import { FakeIpvs } from '../../src/ipvs/index.js';
import { nullLogger } from '../../src/log/index.js';
import type { Config } from '../../src/model/config.js';
import { Reconciler, targetsFromConfig } from '../../src/reconcile/index.js';
import { ldirectordCf, makeScenario, reloadTarget } from '../../bench/lib/scenario.js';

const n = Number(process.argv[2] ?? 10_000);
const reps = Number(process.argv[3] ?? 9);
const s = makeScenario(n);
const dir = mkdtempSync(join(tmpdir(), 'ldng-pieces-'));
const cfg = join(dir, 'bench.cf');
const text = (w: number): string => ldirectordCf(s, { logfile: join(dir, 'l.log'), supervised: true, weightOverride: { real: reloadTarget(s), weight: w } });
const parse = makeParse();
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function time(what: string, f: (i: number) => unknown): Promise<void> {
  const xs: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await f(i);
    const c = process.cpuUsage(c0);
    xs.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  // CPU time is the steadier figure on a shared machine (wall time also counts other processes' turns).
  console.log(`${what.padEnd(34)} wall median ${med(xs).toFixed(1)} ms (min ${Math.min(...xs).toFixed(1)}), cpu median ${med(cpu).toFixed(1)} ms`);
}
const configs: Config[] = [];
for (const w of [1, 2]) {
  writeFileSync(cfg, text(w));
  const r = await parse(readFileSync(cfg, 'utf8'), cfg);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  configs.push(r.config);
}
await time('read + parse', async (i) => {
  writeFileSync(cfg, text(1 + (i % 2)));
  return parse(readFileSync(cfg, 'utf8'), cfg);
});
const clock = new ManualClock();
const sched = new HealthScheduler(configs[0]!, { clock, checkers: () => async () => ({ ok: true }), onTransition: () => undefined, hostname: 'director' });
await time('check re-plan (scheduler.update)', (i) => sched.update(configs[(i + 1) % 2]!));
await time('targetsFromConfig', (i) => targetsFromConfig(configs[i % 2]!));
const ipvs = new FakeIpvs();
const rec = new Reconciler({ ipvs, logger: nullLogger, clock, health: () => 'up' });
rec.setTargets(targetsFromConfig(configs[0]!));
await rec.pass();
const targets = [targetsFromConfig(configs[0]!), targetsFromConfig(configs[1]!)];
await time('setTargets', (i) => rec.setTargets(targets[(i + 1) % 2]!));
await time('reconcile pass, one real changed', async (i) => {
  rec.setTargets(targets[(i + 1) % 2]!);
  ipvs.clearCalls();
  await rec.pass();
  if (ipvs.ops.length !== 1) throw new Error(`expected one write, got ${ipvs.ops.length}`);
});
await time('reconcile pass, nothing changed', () => rec.pass());
await time('ipvs.snapshot (fake)', () => ipvs.snapshot());
await sched.stop();
rmSync(dir, { recursive: true, force: true });
