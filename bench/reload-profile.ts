// Host measure of a one-line reload at N reals (issue 16 item 4): the bench's scenario, the same change
// (the last healthy real's weight 1 -> 2) and two views of it.
//
//  pieces   in this process, each `--reps` times, median CPU and wall ms: read + parse of the whole file;
//           the synchronous re-plan Daemon.reload() runs between parse and the pass (health update, targets,
//           setTargets); one reconcile pass writing the change.
//  daemon   bin/ldirectord on its in-memory IPVS (LDIRD_IPVS=fake, recorded as in the bench's
//           "ldirectord-ng-mem" run) checking the bench's loopback farm; SIGHUP -> the recorded write of the
//           change, the writes to other reals in the next check interval (must be 0), and the daemon's own
//           parse / plan / applied (status "perf"). `--interval 2` is the bench's check load (N / 2 checks
//           per second); `--interval 60` checks once at start and then leaves the event loop alone.
//
//   node dist/bench/reload-profile.js [--n 10000] [--reps 7] [--reloads 3] [--interval 2] [--only pieces|daemon] [--cpu-prof DIR] [--keep yes]
//
// `--cpu-prof DIR` profiles the daemon (NODE_OPTIONS=--cpu-prof) and prints the functions with the most
// self time between each SIGHUP and its applied write. Built by `npx tsc -p bench/tsconfig.json` (after
// `make build`); not a test: timings depend on the machine. Prefix with `nice` on a shared machine.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../src/clock.js';
import { makeParse } from '../src/config/load.js';
import { schedulerHealthFactory } from '../src/daemon/health.js';
import { FakeIpvs } from '../src/ipvs/index.js';
import { nullLogger } from '../src/log/index.js';
import type { Config } from '../src/model/config.js';
import { Reconciler, syncTargetsFromConfig, targetsFromConfig } from '../src/reconcile/index.js';
import { Farm } from './lib/farm-process.js';
import { ngInMemory } from './lib/peers.js';
import { destId, opsBetween, programmedAt } from './lib/record.js';
import { ldirectordCf, makeScenario, reloadTarget, TIMING, type Scenario } from './lib/scenario.js';

/** Not the bench's port (18480), bench-checks' (18580) nor the check-load script's (18680). */
const PROFILE_PORT = 18780;
const epochMs = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const med = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Args {
  n: number;
  reps: number;
  reloads: number;
  interval: number;
  only: 'pieces' | 'daemon' | undefined;
  cpuProf: string | undefined;
  /** Keep the work directory (config, the daemon's output) and print its path. */
  keep: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { n: 10_000, reps: 7, reloads: 3, interval: TIMING.checkInterval, only: undefined, cpuProf: undefined, keep: false };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i];
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${k}: missing value`);
    if (k === '--n') a.n = Number(v);
    else if (k === '--reps') a.reps = Number(v);
    else if (k === '--reloads') a.reloads = Number(v);
    else if (k === '--interval') a.interval = Number(v);
    else if (k === '--only' && (v === 'pieces' || v === 'daemon')) a.only = v;
    else if (k === '--cpu-prof') a.cpuProf = path.resolve(v);
    else if (k === '--keep') a.keep = v === 'yes';
    else throw new Error(`unknown argument ${k} ${v}`);
  }
  return a;
}

/** Times `f` (not `setup`, run before it) `reps` times. */
async function time(reps: number, what: string, f: (i: number) => unknown, setup: (i: number) => unknown = () => undefined): Promise<void> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    await setup(i);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await f(i);
    const c = process.cpuUsage(c0);
    wall.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  // CPU time is the steadier figure on a shared machine (wall time also counts other processes' turns).
  console.log(`  ${what.padEnd(44)} cpu median ${med(cpu).toFixed(1).padStart(6)} ms, wall median ${med(wall).toFixed(1).padStart(6)} ms (min ${Math.min(...wall).toFixed(1)})`);
}

/** The in-process pieces, no checks running (a manual clock never fires). */
async function pieces(a: Args, s: Scenario, dir: string): Promise<void> {
  const cfg = path.join(dir, 'pieces.cf');
  const text = (w: number): string => ldirectordCf(s, { logfile: path.join(dir, 'l.log'), supervised: true, weightOverride: { real: reloadTarget(s), weight: w } });
  const parse = makeParse();
  // Generated once: ldirectordCf is not what is measured.
  const texts = [text(1), text(2)];
  const configs: Config[] = [];
  for (const t of texts) {
    const r = await parse(t, cfg);
    if (!r.ok) throw new Error(r.errors.join('\n'));
    configs.push(r.config);
  }
  console.log(`pieces, N=${a.n} (${a.reps} reps):`);
  await time(a.reps, 'read + parse', async (i) => {
    writeFileSync(cfg, texts[i % 2]!);
    const r = await parse(readFileSync(cfg, 'utf8'), cfg);
    if (!r.ok) throw new Error(r.errors.join('\n'));
  });
  const clock = new ManualClock();
  const ok = async (): Promise<{ ok: true }> => ({ ok: true });
  const health = schedulerHealthFactory({ clock, logger: nullLogger, hostname: 'director', checkers: () => ok })(configs[0]!, () => undefined);
  const ipvs = new FakeIpvs();
  const rec = new Reconciler({ ipvs, logger: nullLogger, clock, health: () => 'up' });
  rec.setTargets(targetsFromConfig(configs[0]!));
  await rec.pass();
  // What Daemon.reload() runs synchronously after the parse (its "plan" figure).
  const replan = (c: Config): void => {
    health.update(c);
    rec.setTargets(targetsFromConfig(c));
    rec.setSyncTargets(syncTargetsFromConfig(c));
  };
  await time(a.reps, 're-plan (health.update + targets + setTargets)', (i) => replan(configs[(i + 1) % 2]!));
  await time(a.reps, '  of which health.update', (i) => health.update(configs[i % 2]!));
  await time(
    a.reps,
    'reconcile pass writing the change',
    async () => {
      await rec.pass();
      if (ipvs.ops.length !== 1) throw new Error(`expected one write, got ${ipvs.ops.length}`);
    },
    (i) => {
      // The table holds the first config's weight: odd reps change it back.
      replan(configs[(i + 1) % 2]!);
      ipvs.clearCalls();
    },
  );
  await health.stop();
}

/** The real daemon on its in-memory IPVS, checking the farm, reloaded with SIGHUP. */
async function daemon(a: Args, base: Scenario, dir: string): Promise<void> {
  const s: Scenario = { ...base, reals: base.reals.map((r) => ({ ...r, port: PROFILE_PORT })) };
  const id = (i: number): string => {
    const r = s.reals[i]!;
    const v = s.virtuals[r.vs]!;
    return destId(`${v.addr}:${v.port}`, `${r.addr}:${r.port}`);
  };
  const healthyIdx = s.reals.flatMap((r, i) => (r.role === 'closed' ? [] : [i]));
  const farm = new Farm(dir, healthyIdx.map((i) => s.reals[i]!.addr), PROFILE_PORT);
  await farm.ready();
  const env = a.cpuProf ? profilingNode(dir, a.cpuProf) : {};
  const timing = { checkInterval: a.interval, checkTimeout: TIMING.checkTimeout };
  const t0 = epochMs();
  const run = ngInMemory.start(s, dir, 'host', { timing, env });
  const windows: [number, number][] = [];
  try {
    const healthy = new Set(healthyIdx.map(id));
    for (;;) {
      await sleep(250);
      const p = programmedAt(run.events(), healthy);
      if (p.at !== undefined && epochMs() - p.at >= 500) break;
      if (!run.alive()) throw new Error(`daemon exited; see ${dir}/daemon.out`);
      if (epochMs() - t0 > 300_000) throw new Error(`start not done in 300 s (${p.upAtEnd}/${healthy.size}); see ${dir}/daemon.out`);
    }
    console.log(`daemon, N=${a.n}, checkinterval=${a.interval} s: every healthy real programmed ${((epochMs() - t0) / 1000).toFixed(1)} s after spawn`);
    // Into the steady state of the check load before the first reload.
    await sleep(Math.min(a.interval, 10) * 1000);
    const target = id(reloadTarget(s));
    for (let i = 0; i < a.reloads; i++) {
      const weight = i % 2 === 0 ? 2 : 1;
      const h0 = process.hrtime.bigint();
      const tR = epochMs();
      run.reload({ real: reloadTarget(s), weight });
      let applied: number | undefined;
      while (applied === undefined && epochMs() - tR < 30_000) {
        await sleep(5);
        applied = run.events().find((e) => e.t >= tR && e.kind === 'dest' && destId(e.svc, e.dest) === target && e.weight === weight)?.t;
      }
      windows.push([Number(h0 / 1000n), Number(h0 / 1000n) + ((applied ?? epochMs()) - tR) * 1000]);
      // Writes to other reals until one check interval after the change was applied (at most 5 s here).
      await sleep(Math.min(a.interval, 5) * 1000 + 500);
      const ops = opsBetween(run.events(), tR, epochMs(), target);
      const own = (await run.perf?.())?.perf;
      const r = own?.lastReloadMs;
      console.log(
        `  reload ${i + 1}: SIGHUP -> applied ${applied === undefined ? 'NOT within 30 s' : `${(applied - tR).toFixed(0)} ms`}; writes: ${ops.touched} to the real, ` +
          `${ops.untouchedDests} to untouched reals, ${ops.services} to services; daemon's own: ` +
          (r ? `parse ${r.parse} ms, plan ${r.plan} ms, applied ${r.applied} ms` : '–') +
          (own ? `; event-loop delay p99 ${own.eventLoopDelayMs.p99} ms` : ''),
      );
    }
  } finally {
    await run.stop();
    farm.stop();
  }
  if (a.cpuProf) topInWindows(a.cpuProf, windows);
}

/**
 * The environment that runs bin/ldirectord (`#!/usr/bin/env -S node ...`) under --cpu-prof: node 20 refuses
 * it in NODE_OPTIONS, so a `node` first in PATH adds it and runs this node.
 */
function profilingNode(dir: string, out: string): NodeJS.ProcessEnv {
  mkdirSync(out, { recursive: true });
  const bin = path.join(dir, 'profiling-bin');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'node'), `#!/bin/sh\nexec '${process.execPath}' --cpu-prof --cpu-prof-dir='${out}' "$@"\n`, { mode: 0o755 });
  return { PATH: `${bin}:${process.env['PATH'] ?? ''}` };
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

/** Self time per function over the samples of the newest profile in `dir` that fall inside `windows` (µs, monotonic). */
function topInWindows(dir: string, windows: readonly [number, number][]): void {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  const file = files[files.length - 1];
  if (!file) return void console.log(`no .cpuprofile in ${dir}`);
  const prof = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { nodes: ProfileNode[]; startTime: number; samples: number[]; timeDeltas: number[] };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let t = prof.startTime;
  let total = 0;
  prof.samples.forEach((sid, i) => {
    const dt = prof.timeDeltas[i] ?? 0;
    t += dt;
    if (!windows.some(([from, to]) => t >= from && t <= to)) return;
    const f = byId.get(sid)!.callFrame;
    const k = `${f.functionName || '(anonymous)'} ${path.basename(f.url)}:${f.lineNumber + 1}`;
    self.set(k, (self.get(k) ?? 0) + dt);
    total += dt;
  });
  console.log(`profile ${path.join(dir, file)}: ${(total / 1000).toFixed(0)} ms sampled inside the reload windows; top self time:`);
  for (const [k, us] of [...self].sort((x, y) => y[1] - x[1]).slice(0, 25)) console.log(`  ${(us / 1000).toFixed(1).padStart(7)} ms  ${k}`);
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const s = makeScenario(a.n);
  const dir = mkdtempSync(path.join(os.tmpdir(), `ldng-reload-${a.n}-`));
  if (a.only !== 'daemon') await pieces(a, s, dir);
  if (a.only !== 'pieces') await daemon(a, s, dir);
  // Kept when a run failed: the daemon's output is in it.
  if (a.keep) console.log(`work directory kept: ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

await main();
