// Composition root: the only place real adapters (netlink/ipvsadm, winston, chokidar, clock) are built.
import { openSync, writeSync } from 'node:fs';
import v8 from 'node:v8';
import { systemClock } from '../clock.js';
import { runShell } from './hooks/exec.js';
import { FakeIpvs, createIpvs, formatFakeCall } from '../ipvs/index.js';
import type { FakeCall, Ipvs } from '../ipvs/index.js';
import { LdLogger, logTargetFor, msg } from '../log/index.js';
import type { InitialConfig, ParseFn } from '../config/reload.js';
import { Daemon } from './daemon.js';
import { schedulerHealthFactory } from './health.js';
import { directorHostname, makeParse } from '../config/load.js';
import { CONFIG_ENV, type ConfigLock, acquireConfigLock, removeOwnPidFile, runDir, writePidFile } from './pidfile.js';
import { DAEMON_ENV } from './daemonize.js';
import { LdirdError, isLdirdError } from '../errors.js';
import { AlertSender } from './hooks/email.js';
import { EventLoopMonitor, StatusService, controlDir } from '../status/index.js';
import type { StatusSource } from '../status/index.js';
import type { IpvsState } from '../model/ipvs.js';

/** What the foreground daemon needs to know. */
export interface ForegroundRequest {
  readonly configPath: string;
  readonly cfgName: string;
  readonly debug: boolean;
  readonly supervised: boolean;
  /** Pid file to write and remove (undefined with -d / supervised, as upstream). */
  readonly pidFile: string | undefined;
  /** logfile= of the config (the daemon logs there from its first line). */
  readonly logfile: string;
  /** The config as parsed by the command: the daemon starts from it instead of reading the file again. */
  readonly initial?: InitialConfig;
  /** The ParseFn that parsed `initial`: it remembers that parse, so the first reload re-reads only what changed. */
  readonly parse?: ParseFn;
  /** Where the per-config lock lives (default runDir()). */
  readonly lockDir?: string;
}

/**
 * The IPVS backend: LDIRD_IPVS=auto (default: netlink, else ipvsadm) | netlink | ipvsadm | fake
 * (in-memory, for lifecycle tests on machines without IPVS). Throws IPVS_UNAVAILABLE when none works.
 */
export async function chooseIpvs(env: NodeJS.ProcessEnv = process.env): Promise<Ipvs> {
  const kind = env.LDIRD_IPVS ?? 'auto';
  if (kind === 'fake') {
    const file = env.LDIRD_FAKE_RECORD;
    return file ? recordingFake(file) : new FakeIpvs();
  }
  if (kind !== 'netlink' && kind !== 'ipvsadm' && kind !== 'auto') throw new LdirdError('USAGE', `LDIRD_IPVS=${kind}: want auto, netlink, ipvsadm or fake`);
  return createIpvs(kind);
}

/**
 * A fake that appends every successful call to `file` as the benchmark's recording ipvsadm does
 * ("<epoch seconds> <ipvsadm argv>", reads as "-S -n"), so the bench measures the daemon, not a stand-in.
 */
export function recordingFake(file: string): FakeIpvs {
  const fd = openSync(file, 'a');
  const onCall = (c: FakeCall): void => {
    if (c.error !== undefined) return;
    const t = (performance.timeOrigin + performance.now()) / 1000;
    // Synchronous so the stamp is the instant of the write and nothing is lost on exit.
    writeSync(fd, `${t.toFixed(6)} ${formatFakeCall(c.op)}\n`);
  };
  // The descriptor lives as long as the process: the daemon uses one backend for its whole life.
  return new FakeIpvs({ onCall });
}

/** How long a fresh IPVS read serves status queries (a page polling every second costs one dump). */
const IPVS_READ_CACHE_MS = 250;

/** The daemon seen by src/status: memory reads, plus one cached IPVS read (the reconciler's last on error). */
function statusSource(d: Daemon, ipvs: Ipvs, configPath: string, clock: typeof systemClock, loop: EventLoopMonitor): StatusSource {
  let cached: { at: number; read: Promise<IpvsState | undefined> } | undefined;
  return {
    configPath,
    pid: process.pid,
    startedAt: d.startedAt,
    config: () => d.config,
    lastReload: () => d.lastReload,
    health: () => d.healthSnapshot(),
    fallbackActive: (k) => d.reconcile.fallbackActive(k),
    ipvs: () => {
      const now = clock.now();
      if (!cached || now - cached.at > IPVS_READ_CACHE_MS) {
        cached = { at: now, read: ipvs.snapshot().catch(() => d.reconcile.lastObserved) };
      }
      return cached.read;
    },
    perf: () => ({ eventLoopDelayMs: loop.summary(), verdictToWriteMs: d.reconcile.verdictToWrite, lastReloadMs: d.lastReloadTiming }),
    // Read-only; only when this config manages sync (syncdaemon=no leaves the kernel's daemons unasked).
    syncDaemons: async () =>
      d.config.global.sync === undefined
        ? []
        : (await ipvs.listDaemons().catch(() => [])).map((x) => ({ state: x.state, mcastInterface: x.iface, syncId: x.syncid })),
  };
}

const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const;
// How long stop waits for queued alert mails (well inside systemd's 90 s stop timeout).
const STOP_MAIL_WAIT_MS = 15_000;

/**
 * Runs the daemon in this process until a terminating signal: writes the pid file (daemon mode),
 * HUP reloads, TERM/INT/QUIT stop gracefully (cleanstop), then the pid file is removed.
 */
export async function runForeground(req: ForegroundRequest): Promise<number> {
  // Every check leaves short-lived garbage; V8's default lets the old space grow to 2-4x the live set
  // before collecting (300 MB at 10,000 reals for ~40 MB live). 20 % headroom keeps RSS near the live set
  // for ~10 % more CPU. Read by V8 at each GC, so setting it here, before the config loads, is in time.
  v8.setFlagsFromString(`--heap-growing-percent=${process.env.LDIRD_HEAP_GROWING_PERCENT ?? '20'}`);
  const clock = systemClock;
  // From the first moment: start-up's delays count too (issue 16: the bench reads them from status --json).
  const loop = new EventLoopMonitor();
  const logger = new LdLogger({
    cfgName: req.cfgName,
    target: logTargetFor({ logfile: req.logfile, debug: req.debug, supervised: req.supervised }),
    debugLevel: req.debug ? 3 : 0,
  });
  // Status before IPVS: with metrics= it counts every IPVS operation and every check.
  const status = new StatusService({
    cfgName: req.cfgName,
    controlDir: controlDir(),
    listen: req.initial?.config.global.metrics,
    logger,
    clock,
  });
  // IPVS first: a daemon that cannot program it fails before its pid file, so `start` reports it.
  let ipvs: Ipvs;
  try {
    ipvs = status.wrapIpvs(await chooseIpvs());
  } catch (err) {
    logger.log(msg.exitStatus(1, `Could not use IPVS: ${err instanceof Error ? err.message : String(err)}`));
    return 1;
  }
  // One daemon per resolved config path, taken before the pid file is written (issue 13 item 3):
  // of two starts racing, the loser sees the winner and leaves without touching its pid file.
  const locked = acquireConfigLock(req.lockDir ?? runDir(), req.configPath, req.pidFile);
  let lock: ConfigLock = { path: '', release: () => undefined };
  if (locked.ok) lock = locked.lock;
  else if (locked.holder !== undefined) {
    await ipvs.close().catch(() => undefined);
    logger.log(msg.running(req.configPath, locked.holder));
    return 0;
  } else if (req.pidFile) {
    await ipvs.close().catch(() => undefined);
    logger.log(msg.exitStatus(1, `Initialisation Error: ${locked.error ?? 'config lock not available'}`));
    return 1;
  } else {
    // -d / supervised without a writable run directory (a developer's try-out): run unlocked, as upstream.
    logger.log(`${locked.error ?? 'config lock not available'}: running without the one-daemon-per-config lock`);
  }
  if (req.pidFile) {
    try {
      writePidFile(req.pidFile, process.pid);
    } catch {
      lock.release();
      logger.log(msg.cannotOpenPid(req.pidFile));
      logger.log(msg.exitStatus(1, 'Initialisation Error'));
      await ipvs.close().catch(() => undefined);
      return 1;
    }
  }
  // Signals are caught from here on: a TERM during a slow start-up still gets a clean stop.
  const current: { daemon?: Daemon } = {};
  let pendingStop: string | undefined;
  let onStop: (sig: string) => void = (sig) => void (pendingStop ??= sig);
  for (const sig of STOP_SIGNALS) process.on(sig, () => onStop(sig));
  // A HUP while the daemon is still starting is not lost: it reloads as soon as the start is done.
  let pendingHup = false;
  process.on('SIGHUP', () => {
    logger.reopen();
    if (current.daemon) void current.daemon.reloadOnSignal();
    else pendingHup = true;
  });
  process.on('SIGPIPE', () => undefined);
  // A bug must not leave a pid file that names a dead process; IPVS is left as it is (like a kill -9).
  process.on('uncaughtException', (err) => {
    logger.log(msg.exitStatus(1, `uncaught exception: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
    if (req.pidFile) removeOwnPidFile(req.pidFile, process.pid);
    lock.release();
    process.exit(1);
  });

  const parse = req.parse ?? makeParse();
  const host = directorHostname();
  // Hooks and execute= instances must not inherit the "you are the daemon" markers.
  const hookEnv = { ...process.env };
  delete hookEnv[DAEMON_ENV];
  delete hookEnv[CONFIG_ENV];
  const runCommand = (c: string) => runShell(c, logger, { env: hookEnv });
  const alerts = new AlertSender({ logger, clock, hostname: host });
  let started: Daemon;
  try {
    started = await Daemon.start({
      configPath: req.configPath,
      ipvs,
      logger,
      clock,
      parse,
      ...(req.initial ? { initial: req.initial } : {}),
      runCommand,
      health: schedulerHealthFactory({ clock, logger, hostname: host, observe: status.observe }),
      onReload: (r) => status.onReload(r.result),
      watchPolling: process.env.LDIRD_WATCH_POLLING === '1',
      onConfig: (c) => logger.setTarget(logTargetFor({ logfile: c.global.logfile, debug: req.debug, supervised: req.supervised })),
      onEvents: (events, phase, config) => alerts.onEvents(events, phase, config),
    });
  } catch (err) {
    logger.log(isLdirdError(err, 'CONFIG_INVALID') ? msg.exitStatus(2, 'config_error: Configuration Error') : `Start failed: ${String(err)}`);
    if (req.pidFile) removeOwnPidFile(req.pidFile, process.pid);
    lock.release();
    await ipvs.close().catch(() => undefined);
    return isLdirdError(err, 'CONFIG_INVALID') ? 2 : 1;
  }
  current.daemon = started;
  if (pendingHup) void started.reloadOnSignal();
  await status.attach(statusSource(started, ipvs, req.configPath, clock, loop));
  const done = new Promise<number>((resolve) => {
    let stopping = false;
    onStop = (sig: string) => {
      if (stopping) return; // a second signal while cleaning up is ignored (upstream died half-way)
      stopping = true;
      void (async () => {
        await status.close();
        await started.stop(sig.replace(/^SIG/, ''));
        alerts.stop();
        // The stopping phase's mails (cleanstop's "Deleted real server …") go out before we exit, within a bound.
        await alerts.settle(STOP_MAIL_WAIT_MS);
        await ipvs.close().catch(() => undefined);
        if (req.pidFile) removeOwnPidFile(req.pidFile, process.pid);
        lock.release();
        resolve(0);
      })();
    };
    if (pendingStop !== undefined) onStop(pendingStop);
  });
  // Keep the process alive: every timer is unref'd so that stop can exit promptly.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const code = await done;
  await logger.close(); // the syslog writer passes on its last lines
  clearInterval(keepAlive);
  loop.close();
  return code;
}
