// The CLI's daemon commands (start|stop|restart|try-restart|reload|force-reload|status) as upstream, bugs fixed.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { CliRequest } from './request.js';
import { configName, locateConfig } from '../config/locate.js';
import { readConfigFile, type ParseFn } from '../config/load.js';
import type { InitialConfig } from '../config/reload.js';
import type { ForegroundRequest } from '../daemon/main.js';
import { LdLogger, logTargetFor, msg } from '../log/index.js';
import type { Logger } from '../log/index.js';
import { isDaemonChild, spawnDaemon } from '../daemon/daemonize.js';
import { cfgNameOfPidFile, daemonConfigOf, findDaemon, pidFilePath, processStartTime, runDir, type DaemonStatus } from '../daemon/pidfile.js';
import { controlDir, controlSocketPath, queryControl, renderTable } from '../status/index.js';

/** Default log file before a config names one (upstream's default; LDIRD_DEFAULT_LOGFILE overrides it for tests). */
export const DEFAULT_LOGFILE = process.env.LDIRD_DEFAULT_LOGFILE ?? '/var/log/ldirectord.log';

/** What the command layer may be given instead of the real world (tests). */
export interface CommandEnv {
  readonly parse?: ParseFn;
  readonly configDirs?: readonly string[];
  readonly runDir?: string;
  /** Path of the CLI script to re-spawn as the daemon (default process.argv[1]). */
  readonly script?: string;
  /** Runs the daemon in this process (foreground); resolves to the exit code. */
  readonly runForeground?: (o: ForegroundRequest) => Promise<number>;
  readonly stopTimeoutMs?: number;
  /** Directory of control sockets (default controlDir()). */
  readonly controlDir?: string;
  /** How long status waits for the daemon's table (default 2000 ms). */
  readonly statusTimeoutMs?: number;
  readonly stdout?: (s: string) => void;
  readonly stderr?: (s: string) => void;
}

type DaemonReq = Extract<CliRequest, { kind: 'daemon' }>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function parseFile(path: string, parse: ParseFn): Promise<{ readonly ok: false; readonly errors: readonly string[] } | ({ readonly ok: true } & InitialConfig)> {
  const read = await readConfigFile(path);
  if (!read.ok) return { ok: false, errors: [read.error] };
  const r = await parse(read.text, path);
  return r.ok ? { ok: true, config: r.config, text: read.text, warnings: r.warnings } : r;
}

/** Waits until `pid` is gone; false when `timeoutMs` passed first. */
async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const born = processStartTime(pid);
  while (born !== undefined && processStartTime(pid) === born) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/** Runs one daemon command; resolves to the process exit code (spec §1.6). */
export async function runDaemonCommand(req: DaemonReq, env: CommandEnv = {}): Promise<number> {
  const out = env.stdout ?? ((s: string) => void process.stdout.write(s));
  const err = env.stderr ?? ((s: string) => void process.stderr.write(s));
  const parse = env.parse ?? (await import('../config/load.js')).makeParse();
  const configArg = req.config ?? 'ldirectord.cf';
  const cfgName = configName(req.config);
  const dir = env.runDir ?? runDir();

  const dirs = env.configDirs ?? (process.env.LDIRD_CONFIG_DIRS ? process.env.LDIRD_CONFIG_DIRS.split(':') : undefined);
  const located = locateConfig(configArg, dirs);
  if (located === undefined) {
    const log = new LdLogger({ cfgName, target: req.debug ? { kind: 'stderr' } : { kind: 'file', path: DEFAULT_LOGFILE } });
    if (!req.debug) err(`${msg.configNotFound(configArg)}\n`);
    log.log(msg.configNotFound(configArg));
    log.log(msg.exitStatus(1, 'Initialisation Error'));
    return 1;
  }
  // A relative path found in the CWD is kept absolute, so it still works after chdir("/") (§7.2 item 13).
  const configPath = located;

  // Who runs this config is known from the lock and pid files alone: stop, status and restart never
  // depend on the file still parsing (issue 13 item 6).
  const status = findDaemon(dir, cfgName, configPath);
  // The table the daemon answers on its control socket; an old daemon without one: first line only.
  const table = async (pidFile: string): Promise<void> => {
    const snap = await queryControl(controlSocketPath(env.controlDir ?? controlDir(), cfgNameOfPidFile(pidFile) ?? cfgName), env.statusTimeoutMs ?? 2000);
    if (snap) out(req.json ? `${JSON.stringify(snap, null, 2)}\n` : renderTable(snap));
  };
  const parsed = await parseFile(configPath, parse);
  const defaultLog = (): Logger => new LdLogger({ cfgName, target: req.debug ? { kind: 'stderr' } : { kind: 'file', path: DEFAULT_LOGFILE } });
  if (!parsed.ok) {
    const log = defaultLog();
    for (const e of parsed.errors) log.log(e);
    if (req.command === 'stop' || req.command === 'status') {
      // The running daemon keeps its own parsed config; this command does not need one.
      if (req.command === 'stop') for (const e of parsed.errors) err(`${e}\n`);
      return req.command === 'stop' ? stopDaemon(status, configPath, env, err) : reportStatus(status, configPath, [], log, out, err, table);
    }
    for (const e of parsed.errors) err(`${e}\n`);
    if ((req.command === 'restart' || req.command === 'try-restart') && status.state === 'running') {
      err(`ldirectord: not restarting: ${configPath} has errors; the running daemon (pid ${status.pid}) keeps its configuration\n`);
    }
    log.log(msg.exitStatus(2, 'config_error: Configuration Error'));
    return 2;
  }
  const g = parsed.config.global;
  const initial: InitialConfig = { config: parsed.config, text: parsed.text, warnings: parsed.warnings };
  const log: Logger = new LdLogger({
    cfgName,
    target: logTargetFor({ logfile: g.logfile, debug: req.debug, supervised: g.supervised }),
    debugLevel: req.debug ? 3 : 0,
  });
  const argv0 = process.argv[1] ?? 'ldirectord';
  if (!isDaemonChild()) log.log(msg.invoked(argv0, [...(req.config !== undefined ? [req.config] : []), req.command]));

  const foreground = req.debug || g.supervised;
  const ownPidFile = pidFilePath(dir, cfgName);

  const start = async (): Promise<number> => {
    if (isDaemonChild()) {
      return runFg({ configPath, cfgName, debug: false, supervised: false, pidFile: ownPidFile, logfile: g.logfile, initial, parse, lockDir: dir });
    }
    const now = findDaemon(dir, cfgName, configPath);
    // A live ldirectord that is not ours (no LDIRD_NG_CONFIG: Debian's Perl one) holds the pid file:
    // refuse loudly rather than exit 0 as for our own daemon, so two daemons never share a table (issue 6).
    if (now.state === 'running' && now.foreign && daemonConfigOf(now.pid) === undefined) {
      err(`ldirectord: not starting: ${now.pidFile} is held by pid ${now.pid}, an ldirectord that is not ldirectord-ng (the Perl ldirectord?); hand it over without purging IPVS with /usr/lib/ldirectord-ng/takeover\n`);
      return 1;
    }
    if (now.state === 'running') return 0;
    // Upstream prints a config's warnings to stderr while starting, never to the log (__config_log).
    for (const w of initial.warnings) err(`${w}\n`);
    if (foreground) {
      log.log(msg.startingWithPid(process.pid));
      return runFg({ configPath, cfgName, debug: req.debug, supervised: g.supervised, pidFile: undefined, logfile: g.logfile, initial, parse, lockDir: dir });
    }
    log.log(msg.startingDaemon());
    const script = env.script ?? process.argv[1];
    if (!script) return 1;
    const args = [...(req.config !== undefined ? [configPath] : []), 'start'];
    const logFile = g.logfile.startsWith('/') ? g.logfile : undefined;
    const before = logFile !== undefined ? sizeOf(logFile) : 0;
    const r = await spawnDaemon({ script, args, configPath, pidFile: ownPidFile });
    // The daemon has no terminal: a start that failed shows the daemon's own lines here too (issue 13 item 17).
    if (!r.ok && r.exitCode !== 0) {
      const said = logFile !== undefined ? logLinesOf(logFile, before, r.pid) : [];
      err(said.length > 0 ? said.map((l) => `${l}\n`).join('') : `ldirectord: the daemon exited with status ${r.exitCode}${logFile ? `; see ${logFile}` : ' (see syslog)'}\n`);
    }
    return r.ok ? 0 : r.exitCode;
  };

  const runFg = async (o: ForegroundRequest): Promise<number> => {
    const run = env.runForeground ?? (await import('../daemon/main.js')).runForeground;
    return run(o);
  };

  const stop = (): Promise<number> => stopDaemon(status, configPath, env, err);

  switch (req.command) {
    case 'start':
      return start();
    case 'stop':
      return stop();
    case 'restart': {
      const s = await stop();
      return s === 0 ? start() : s;
    }
    case 'try-restart': {
      if (status.state !== 'running') return 0;
      const s = await stop();
      return s === 0 ? start() : s;
    }
    case 'reload':
    case 'force-reload':
      if (status.state === 'running') {
        process.kill(status.pid, 'SIGHUP');
        return 0;
      }
      log.log(msg.stopped(configPath));
      log.log(msg.exitStatus(1, `Exiting from ldirectord ${req.command}`));
      return 1;
    case 'status':
      return reportStatus(status, configPath, g.execute, log, out, err, table);
  }
}

/** Stops the daemon `status` names (SIGTERM), waiting (bounded) for its cleanup. */
async function stopDaemon(status: DaemonStatus, configPath: string, env: CommandEnv, err: (s: string) => void): Promise<number> {
  if (status.state !== 'running') return 0;
  try {
    process.kill(status.pid, 'SIGTERM');
  } catch {
    return 0;
  }
  // Unlike upstream, wait (bounded) for the daemon's cleanup, so `restart` and systemd see it finish.
  const gone = await waitGone(status.pid, env.stopTimeoutMs ?? 30_000);
  if (!gone) {
    err(`ldirectord for ${configPath} did not stop within ${(env.stopTimeoutMs ?? 30_000) / 1000}s (pid ${status.pid})\n`);
    return 1;
  }
  return 0;
}

/** `status`: upstream's first line and exit codes (0 running, 1 stale pid file, 3 stopped). */
async function reportStatus(
  status: DaemonStatus,
  configPath: string,
  execute: readonly string[],
  log: Logger,
  out: (s: string) => void,
  err: (s: string) => void,
  table: (pidFile: string) => Promise<void>,
): Promise<number> {
  if (status.state === 'running') {
    err(`${msg.running(configPath, status.pid)}\n`);
    log.log(msg.running(configPath, status.pid));
    await table(status.pidFile);
    // upstream also asks every execute= instance for its status
    for (const x of execute) spawnSync('/bin/sh', ['-c', `${process.execPath} ${process.argv[1] ?? 'ldirectord'} ${x} status`], { stdio: 'inherit' });
    log.log(msg.exitingFrom('status'));
    return 0;
  }
  if (status.state === 'stale') {
    err(`${msg.stalePid(status.pidFile, configPath)}\n`);
    log.log(msg.stalePid(status.pidFile, configPath));
    out(`${msg.stopped(configPath)}\n`);
    return 1;
  }
  out(`${msg.stopped(configPath)}\n`);
  return 3;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The messages process `pid` appended to log file `path` after byte `from` (without the "[time|cfg|pid] " prefix). */
function logLinesOf(path: string, from: number, pid: number | undefined): string[] {
  let text = '';
  try {
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(Math.min(Math.max(0, statSync(path).size - from), 64 * 1024));
      const n = readSync(fd, buf, 0, buf.length, from);
      text = buf.subarray(0, n).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\[[^|\]]*\|[^|\]]*\|(\d+)\] (.*)$/.exec(line);
    if (m && (pid === undefined || Number(m[1]) === pid)) out.push(m[2]!);
  }
  return out;
}
