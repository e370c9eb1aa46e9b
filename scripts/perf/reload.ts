// Host micro-measure of a one-line reload at N reals (issue 16 item 4): the daemon in-process on the
// IPVS fake, checks answering at once. Prints parse / plan / applied (ms) per reload and the writes each
// made. Run: scripts/perf/reload.sh [N] [reloads]  (not a test: timings depend on the machine).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/clock.js';
import type { Checker } from '../../src/checks/types.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { schedulerHealthFactory } from '../../src/daemon/health.js';
import { makeParse } from '../../src/config/load.js';
import { FakeIpvs } from '../../src/ipvs/index.js';
import { nullLogger } from '../../src/log/index.js';
import { ldirectordCf, makeScenario, reloadTarget } from '../../bench/lib/scenario.js';

const n = Number(process.argv[2] ?? 10_000);
const reloads = Number(process.argv[3] ?? 7);
const s = makeScenario(n);
const dir = mkdtempSync(join(tmpdir(), 'ldng-perf-'));
const cfg = join(dir, 'bench.cf');
// checkinterval 60: the checks run once at start and stay out of the way of the measure.
const text = (w: number): string =>
  ldirectordCf(s, { logfile: join(dir, 'l.log'), supervised: true, timing: { checkInterval: 60, checkTimeout: 5 }, weightOverride: { real: reloadTarget(s), weight: w } });
writeFileSync(cfg, text(1));
// The daemon's timers are unref'd (main.ts holds the process with an interval, so does this script).
const keepAlive = setInterval(() => undefined, 1 << 30);
const ok: Checker = async () => ({ ok: true });
const ipvs = new FakeIpvs();
const t0 = performance.now();
const d = await Daemon.start({
  configPath: cfg, ipvs, logger: nullLogger, clock: systemClock, parse: makeParse(), runCommand: async () => 0, watch: false,
  health: schedulerHealthFactory({ clock: systemClock, logger: nullLogger, hostname: 'director', checkers: () => ok }),
});
// Wait for every first verdict to be written (the table then holds every real).
while (ipvs.dump().split('\n').filter((l) => l.startsWith('-a ')).length < n) await new Promise((r) => setTimeout(r, 50));
await new Promise((r) => setTimeout(r, 500));
console.log(`N=${n}: started and all programmed in ${(performance.now() - t0).toFixed(0)} ms`);
const rows: { parse: number; plan: number; applied: number; writes: number }[] = [];
for (let i = 0; i < reloads; i++) {
  writeFileSync(cfg, text(i % 2 === 0 ? 2 : 1));
  ipvs.clearCalls();
  await d.reload(false);
  const t = d.lastReloadTiming!;
  rows.push({ ...t, writes: ipvs.ops.length });
  console.log(`reload ${i + 1}: parse ${t.parse.toFixed(1)} ms, plan ${t.plan.toFixed(1)} ms, applied ${t.applied.toFixed(1)} ms, writes ${ipvs.ops.length} (${ipvs.ops.map((o) => o.op).join(',')})`);
  await new Promise((r) => setTimeout(r, 200));
}
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`median: parse ${med(rows.map((r) => r.parse)).toFixed(1)} ms, plan ${med(rows.map((r) => r.plan)).toFixed(1)} ms, applied ${med(rows.map((r) => r.applied)).toFixed(1)} ms; rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
await d.stop('TERM');
rmSync(dir, { recursive: true, force: true });
clearInterval(keepAlive);
