// The daemons under test and how each one's IPVS writes are observed (recording stand-in or /proc/net/ip_vs).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { controlSocketPath, queryControl } from '../../src/status/index.js';
import { parsePerf, type PerfSample } from './perf.js';
import { diffSnapshots, parseIpvsadmLog, type IpvsEvent } from './record.js';
import { GUEST_TIMING, keepalivedConf, ldirectordCf, TIMING, type Scenario, type Timing } from './scenario.js';

/** The check timing a place uses. */
export const timingFor = (where: Where): Timing => (where === 'guest' ? GUEST_TIMING : TIMING);

/** Repository root (this file is dist/bench/lib/peers.js or bench/lib/peers.ts). */
export const ROOT = (() => {
  let d = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(d, 'package.json'))) d = path.dirname(d);
  return d;
})();

/** Where a measurement runs: host (recording stand-ins) or guest (real IPVS in the QEMU rig). */
export type Where = 'host' | 'guest';

/** A started daemon. */
export interface PeerRun {
  readonly pid: number;
  /** Every IPVS write observed so far, in time order (ms since epoch). */
  events(): IpvsEvent[];
  /** Rewrites the config with one real's weight changed, then asks the daemon to reload. */
  reload(change: { real: number; weight: number }): void;
  /** True while the daemon process lives. */
  alive(): boolean;
  stop(): Promise<void>;
  /** The daemon's own timing figures (ldirectord-ng's status "perf" object): whether its status answered, and the figures if it has them. */
  perf?(): Promise<{ answered: boolean; perf: PerfSample | undefined }>;
  readonly notes: string[];
}

/** What a caller other than the bench may change in a start (bench/reload-profile.ts). */
export interface StartOptions {
  /** Check timing of the config (default: the place's, timingFor(where)). */
  readonly timing?: Timing;
  /** Extra environment of the daemon (e.g. NODE_OPTIONS=--cpu-prof). */
  readonly env?: NodeJS.ProcessEnv;
}

/** A daemon this benchmark can start. */
export interface Peer {
  readonly name: 'ldirectord-ng' | 'ldirectord-ng-mem' | 'ldirectord' | 'keepalived';
  start(s: Scenario, dir: string, where: Where, opts?: StartOptions): PeerRun;
}

const epochMs = (): number => performance.timeOrigin + performance.now();

/** Parses /proc/net/ip_vs (hex addresses) into "vip:vport|rip:rport" -> weight. */
export function parseProcIpvs(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const hexAddr = (h: string): string => {
    const [a = '', p = '0'] = h.split(':');
    if (a.length !== 8) return h; // IPv6 does not occur in this benchmark
    const ip = [0, 2, 4, 6].map((i) => parseInt(a.slice(i, i + 2), 16)).join('.');
    return `${ip}:${parseInt(p, 16)}`;
  };
  let svc = '';
  for (const line of text.split('\n')) {
    const s = /^(TCP|UDP|SCTP)\s+([0-9A-F]+:[0-9A-F]+)\s/.exec(line);
    if (s) {
      svc = hexAddr(s[2]!);
      continue;
    }
    const d = /^\s+->\s+([0-9A-F]+:[0-9A-F]+)\s+\w+\s+(\d+)/.exec(line);
    if (d && svc) out.set(`${svc}|${hexAddr(d[1]!)}`, Number(d[2]));
  }
  return out;
}

/** Polls /proc/net/ip_vs every `ms` and turns differences into events (kernel-side observation). */
export class ProcIpvsPoller {
  private prev = new Map<string, number>();
  private readonly evs: IpvsEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly ms = 100) {}
  start(): void {
    const tick = (): void => {
      const t = epochMs();
      const next = parseProcIpvs(readFileSync('/proc/net/ip_vs', 'utf8'));
      this.evs.push(...diffSnapshots(this.prev, next, t));
      this.prev = next;
      this.timer = setTimeout(tick, this.ms);
    };
    tick();
  }
  events(): IpvsEvent[] {
    return this.evs;
  }
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

/** Re-reads the fake ipvsadm's append-only log, parsing only what was appended since the last call. */
class IpvsadmLogReader {
  private offset = 0;
  private rest = '';
  private readonly evs: IpvsEvent[] = [];
  constructor(private readonly file: string) {}
  events(): IpvsEvent[] {
    if (!existsSync(this.file)) return this.evs;
    const buf = readFileSync(this.file);
    const chunk = this.rest + buf.subarray(this.offset).toString('utf8');
    this.offset = buf.length;
    const cut = chunk.lastIndexOf('\n') + 1;
    this.rest = chunk.slice(cut);
    this.evs.push(...parseIpvsadmLog(chunk.slice(0, cut)).events);
    return this.evs;
  }
}

function waitExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

function startProcess(cmd: string, args: string[], dir: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const out = openSync(path.join(dir, 'daemon.out'), 'a');
  const child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', out, out], env: { ...process.env, ...env } });
  child.on('error', () => undefined);
  return child;
}

/** Common shape of a run whose config is an ldirectord.cf reloaded with SIGHUP. */
function ldirectordLikeRun(child: ChildProcess, cfg: string, s: Scenario, dir: string, timing: Timing, events: () => IpvsEvent[], stopExtra: () => void = () => undefined, perf?: PeerRun['perf']): PeerRun {
  return {
    ...(perf ? { perf } : {}),
    pid: child.pid ?? -1,
    events,
    reload(change) {
      writeFileSync(cfg, ldirectordCf(s, { logfile: path.join(dir, 'ldirectord.log'), weightOverride: change, supervised: true, timing }));
      child.kill('SIGHUP');
    },
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      child.kill('SIGTERM');
      await waitExit(child, 60_000);
      stopExtra();
    },
    notes: [],
  };
}

/**
 * Starts `argv` with /usr/sbin/ipvsadm replaced by the recording fake inside a private mount namespace
 * (/sbin is a symlink to /usr/sbin on Debian, so both names see it); returns the child and a log reader.
 */
function startRecorded(argv: string[], dir: string, env: NodeJS.ProcessEnv = {}): { child: ChildProcess; reader: IpvsadmLogReader } {
  const state = path.join(dir, 'ipvsadm');
  mkdirSync(state, { recursive: true });
  // The fake also finds its directory through this file when a daemon scrubs its environment.
  writeFileSync('/tmp/ldng-bench-ipvsadm.dir', `${state}\n`);
  const fake = path.join(ROOT, 'bench', 'fake-ipvsadm');
  const child = startProcess(
    'unshare',
    ['-m', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /usr/sbin/ipvsadm && exec "$@"', fake, ...argv],
    dir,
    { LDNG_BENCH_IPVSADM_DIR: state, ...env },
  );
  return { child, reader: new IpvsadmLogReader(path.join(state, 'calls.log')) };
}

/** Debian's Perl ldirectord; on the host its ipvsadm is the recording fake. */
export const perlLdirectord: Peer = {
  name: 'ldirectord',
  start(s, dir, where, opts = {}) {
    const cfg = path.join(dir, 'bench.cf');
    const timing = opts.timing ?? timingFor(where);
    writeFileSync(cfg, ldirectordCf(s, { logfile: path.join(dir, 'ldirectord.log'), supervised: true, timing }));
    if (where === 'host') {
      const { child, reader } = startRecorded(['/usr/sbin/ldirectord', cfg, 'start'], dir, opts.env);
      return ldirectordLikeRun(child, cfg, s, dir, timing, () => reader.events());
    }
    const poller = new ProcIpvsPoller();
    poller.start();
    const child = startProcess('/usr/sbin/ldirectord', [cfg, 'start'], dir, opts.env);
    return ldirectordLikeRun(child, cfg, s, dir, timing, () => poller.events(), () => poller.stop());
  },
};

/** How ldirectord-ng is started: its pid file and control socket in a private directory, and how to read its "perf" figures. */
function ngCommon(dir: string, timing: Timing, s: Scenario, extraEnv: NodeJS.ProcessEnv = {}): { cfg: string; bin: string; env: NodeJS.ProcessEnv; perf: NonNullable<PeerRun['perf']>; cleanup: () => void } {
  const cfg = path.join(dir, 'bench.cf');
  writeFileSync(cfg, ldirectordCf(s, { logfile: path.join(dir, 'ldirectord.log'), supervised: true, timing }));
  // Not in the work directory: in the guest that is a 9p mount, where a Unix socket cannot be bound.
  const rundir = mkdtempSync(path.join(os.tmpdir(), 'ldng-bench-'));
  const sock = controlSocketPath(rundir, path.basename(cfg));
  return {
    cfg,
    bin: path.join(ROOT, 'bin', 'ldirectord'),
    env: { ...extraEnv, LDIRD_RUNDIR: rundir, LDIRD_CONTROL_DIR: rundir },
    perf: async () => {
      const snap = await queryControl(sock, 5000);
      return { answered: snap !== undefined, perf: parsePerf(snap) };
    },
    cleanup: () => rmSync(rundir, { recursive: true, force: true }),
  };
}

/**
 * ldirectord-ng from this checkout (bin/ldirectord on dist/). On the host (no IPVS) it runs its ipvsadm
 * backend against the same recording stand-in Perl ldirectord gets, bind-mounted the same way, so both
 * pay the same per-call cost and their ratios compare like with like (issue 17 item 6); in the guest it
 * writes the kernel (netlink).
 */
export const ngLdirectord: Peer = {
  name: 'ldirectord-ng',
  start(s, dir, where, opts = {}) {
    const timing = opts.timing ?? timingFor(where);
    const { cfg, bin, env, perf, cleanup } = ngCommon(dir, timing, s, opts.env);
    if (where === 'host') {
      const { child, reader } = startRecorded([bin, cfg, 'start'], dir, { ...env, LDIRD_IPVS: 'ipvsadm' });
      return ldirectordLikeRun(child, cfg, s, dir, timing, () => reader.events(), cleanup, perf);
    }
    const poller = new ProcIpvsPoller();
    poller.start();
    const child = startProcess(bin, [cfg, 'start'], dir, env);
    return ldirectordLikeRun(child, cfg, s, dir, timing, () => poller.events(), () => (poller.stop(), cleanup()), perf);
  },
};

/**
 * ldirectord-ng on its in-memory IPVS (host only): writes cost nothing, so its figures are the daemon's
 * own (checks, scheduler, reconciler, reload). They are never divided by another peer's (no other peer can
 * run on it); the host goals of issue 16 (reload < 200 ms, RSS, detection at 10,000) and the growth curve
 * to 30,000 are read from it. The fake appends every call in the stand-in's log format (LDIRD_FAKE_RECORD).
 */
export const ngInMemory: Peer = {
  name: 'ldirectord-ng-mem',
  start(s, dir, where, opts = {}) {
    if (where !== 'host') throw new Error('the in-memory IPVS run is for the host only (the guest has a kernel)');
    const timing = opts.timing ?? timingFor(where);
    const { cfg, bin, env, perf, cleanup } = ngCommon(dir, timing, s, opts.env);
    const log = path.join(dir, 'fake-calls.log');
    const child = startProcess(bin, [cfg, 'start'], dir, { ...env, LDIRD_IPVS: 'fake', LDIRD_FAKE_RECORD: log });
    const reader = new IpvsadmLogReader(log);
    return ldirectordLikeRun(child, cfg, s, dir, timing, () => reader.events(), cleanup, perf);
  },
};

/** Debian's keepalived, checker only; it refuses to run without kernel IPVS, so guest only. */
export const keepalived: Peer = {
  name: 'keepalived',
  start(s, dir, where, opts = {}) {
    if (where === 'host') throw new Error('keepalived needs kernel IPVS ("IPVS: Can\'t initialize ipvs"): guest only');
    const conf = path.join(dir, 'keepalived.conf');
    const timing = opts.timing ?? timingFor(where);
    writeFileSync(conf, keepalivedConf(s, { timing }));
    // keepalived ignores an unknown or invalid keyword with a message and runs on: a config it did not take
    // in full would measure other work than ours, so its own config test must be silent.
    const test = spawnSync('/usr/sbin/keepalived', ['-t', '-l', '-f', conf], { encoding: 'utf8' });
    const complaints = `${test.stdout}${test.stderr}`.trim();
    if (test.status !== 0 || complaints !== '') throw new Error(`keepalived -t rejects part of the bench config: ${complaints.split('\n').slice(0, 3).join(' | ')}`);
    const poller = new ProcIpvsPoller();
    poller.start();
    const child = startProcess('/usr/sbin/keepalived', ['-n', '-l', '-C', '-f', conf, '-p', path.join(dir, 'k.pid'), '-c', path.join(dir, 'c.pid')], dir, opts.env);
    return {
      pid: child.pid ?? -1,
      events: () => poller.events(),
      reload(change) {
        writeFileSync(conf, keepalivedConf(s, { weightOverride: change, timing }));
        child.kill('SIGHUP');
      },
      alive: () => child.exitCode === null && child.signalCode === null,
      async stop() {
        child.kill('SIGTERM');
        await waitExit(child, 60_000);
        poller.stop();
      },
      notes: [],
    };
  },
};

/** Peers by name. */
export const PEERS: Record<Peer['name'], Peer> = { 'ldirectord-ng': ngLdirectord, 'ldirectord-ng-mem': ngInMemory, ldirectord: perlLdirectord, keepalived };
