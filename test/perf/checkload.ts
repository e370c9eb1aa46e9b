// Check load on the host, for profiling (issue 16 item 3): the bench's scenario (N reals of
// `service=http checktype=negotiate request="/health" receive="OK"`, 5 % closed) against the bench's
// loopback farm, ldirectord-ng on its fake IPVS backend, supervised. Prints one JSON line:
//   startMs        spawn → the farm's first request (module loading + config + first check)
//   passMs         spawn → the farm has seen one request per served real (the first full pass)
//   cpuPer1000S    daemon user+system seconds per 1,000 farm requests over the steady window
//   peakRssMiB     VmHWM of the daemon at the end
//
//   node dist/test/perf/checkload.js [--n 1000] [--window 20] [--node-flag --cpu-prof]... [--bin path] [--signal SIG] [--ipvs fake|auto]
//
// `--node-flag` passes flags to the daemon's node (e.g. --cpu-prof --cpu-prof-dir=DIR, --heap-prof,
// --max-semi-space-size=1); the daemon stops with SIGTERM, so V8 writes its profiles on the way out.
// Built and run by `make perf-checks` (PERF_ARGS=...); not part of any gate.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GUEST_TIMING, ldirectordCf, makeScenario, type Scenario } from '../../bench/lib/scenario.js';
import { FarmProcess } from '../../bench/lib/farm-process.js';
import { cpuOfTree, peakRssMiB } from '../../bench/lib/procstat.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Not the bench's REAL_PORT (18480) nor bench-checks' (18580). */
const PERF_PORT = 18680;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Args {
  n: number;
  windowS: number;
  nodeFlags: string[];
  bin: string;
  /** Sent to the daemon at the end of the window (e.g. SIGUSR2 with --node-flag --heapsnapshot-signal=SIGUSR2). */
  signal?: NodeJS.Signals;
  /** The daemon's IPVS backend (LDIRD_IPVS): fake on the host; auto in the guest profiles the real kernel. */
  ipvs: string;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { n: 1000, windowS: 20, nodeFlags: [], bin: path.join(ROOT, 'bin', 'ldirectord'), ipvs: 'fake' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${k}: missing value`);
    i++;
    if (k === '--n') a.n = Number(v);
    else if (k === '--window') a.windowS = Number(v);
    else if (k === '--node-flag') a.nodeFlags.push(v);
    else if (k === '--bin') a.bin = path.resolve(v);
    else if (k === '--signal') a.signal = v as NodeJS.Signals;
    else if (k === '--ipvs') a.ipvs = v;
    else throw new Error(`unknown argument ${k}`);
  }
  return a;
}


/** The V8 flags the script's `#!/usr/bin/env -S node …` line gives (this runs it with this node instead). */
function shebangFlags(bin: string): string[] {
  const first = readFileSync(bin, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S node\s+(.*)$/.exec(first);
  return m ? m[1]!.trim().split(/\s+/) : [];
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // The bench's scenario on its own port, so a `make bench` running beside it cannot collide.
  const base = makeScenario(args.n);
  const s: Scenario = { ...base, reals: base.reals.map((r) => ({ ...r, port: PERF_PORT })) };
  const dir = mkdtempSync(path.join(os.tmpdir(), `ldng-perf-${args.n}-`));
  const served = s.reals.filter((r) => r.role !== 'closed');
  const spec = path.join(dir, 'farm.json');
  writeFileSync(spec, JSON.stringify({ addrs: served.map((r) => r.addr), port: s.reals[0]!.port }));
  const farm = new FarmProcess(spec);
  const ready = await farm.next();
  if (ready.ready !== true) throw new Error(`farm failed: ${JSON.stringify(ready)}`);
  const cfg = path.join(dir, 'ldirectord.cf');
  // In the guest (VM_GUEST=1, test/vm/run) the bench's guest timing, as `make bench` gives every peer there.
  writeFileSync(cfg, ldirectordCf(s, { logfile: path.join(dir, 'ldirectord.log'), supervised: true, ...(process.env.VM_GUEST ? { timing: GUEST_TIMING } : {}) }));

  const t0 = performance.now();
  const daemon = spawn(process.execPath, [...shebangFlags(args.bin), ...args.nodeFlags, args.bin, cfg, 'start'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, LDIRD_IPVS: args.ipvs, LDIRD_RUNDIR: dir },
  });
  const exited = new Promise<number | null>((r) => daemon.once('exit', (code) => r(code)));
  const pid = daemon.pid ?? -1;
  const out: Record<string, unknown> = { n: args.n, nodeFlags: args.nodeFlags, bin: path.relative(ROOT, args.bin) };
  try {
    // Start: the first request the farm sees; then one request per served real (the first full pass).
    let startMs: number | undefined;
    for (;;) {
      const r = await farm.requests();
      if (startMs === undefined && r > 0) startMs = performance.now() - t0;
      if (r >= served.length) break;
      if (performance.now() - t0 > 120_000) throw new Error(`no full pass within 120 s (${r} requests)`);
      await sleep(startMs === undefined ? 5 : 50);
    }
    out.startMs = Math.round(startMs ?? NaN);
    out.passMs = Math.round(performance.now() - t0);
    // Steady state: skip one interval, then measure the window.
    await sleep(2000);
    const c0 = cpuOfTree(pid);
    const r0 = await farm.requests();
    await sleep(args.windowS * 1000);
    const c1 = cpuOfTree(pid);
    const r1 = await farm.requests();
    const cpu = c1.self - c0.self;
    out.checks = r1 - r0;
    out.cpuS = Number(cpu.toFixed(2));
    out.cpuPer1000S = Number(((cpu * 1000) / (r1 - r0)).toFixed(3));
    out.peakRssMiB = Number(peakRssMiB(pid).toFixed(1));
    if (args.signal !== undefined) {
      daemon.kill(args.signal);
      await sleep(5000);
    }
  } finally {
    daemon.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(20_000).then(() => 'timeout')]);
    if (code === 'timeout') daemon.kill('SIGKILL');
    farm.stop();
  }
  out.workdir = dir;
  console.log(JSON.stringify(out));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
