// Pid files as upstream names them (/var/run/ldirectord.<CFGNAME>.pid), the per-config lock that makes
// one daemon per resolved config path, and finding our daemon by identity, not by a command-line substring.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, constants as fsc, ftruncateSync, lstatSync, openSync, readFileSync, realpathSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Environment variable carrying the daemon's resolved config path (read back from /proc/<pid>/environ). */
export const CONFIG_ENV = 'LDIRD_NG_CONFIG';

/** Upstream's pid-file directory; LDIRD_RUNDIR overrides it (tests, unprivileged runs). */
export function runDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.LDIRD_RUNDIR ?? '/var/run';
}

/** "/var/run/ldirectord.<CFGNAME>.pid". */
export function pidFilePath(dir: string, cfgName: string): string {
  return join(dir, `ldirectord.${cfgName}.pid`);
}

/** The config path with symlinks resolved (the path itself when it cannot be resolved, e.g. deleted). */
export function resolvedConfig(config: string): string {
  try {
    return realpathSync(config);
  } catch {
    return config;
  }
}

/** "/var/run/ldirectord-ng.<hash of the resolved config path>.lock": one per config however it is named or linked. */
export function lockFilePath(dir: string, config: string): string {
  return join(dir, `ldirectord-ng.${createHash('sha256').update(resolvedConfig(config)).digest('hex').slice(0, 16)}.lock`);
}

/** CFGNAME of a pid file path ("/run/ldirectord.X.pid" → "X"): the daemon found may have been started under another name. */
export function cfgNameOfPidFile(path: string): string | undefined {
  return /(?:^|\/)ldirectord\.(.+)\.pid$/.exec(path)?.[1];
}

/** The pid in a pid file (first line), or undefined when there is no readable pid. */
export function readPidFile(path: string): number | undefined {
  try {
    const first = readFileSync(path, 'utf8').split('\n')[0]?.trim() ?? '';
    return /^\d+$/.test(first) ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

/** A process's start time (field 22 of /proc/<pid>/stat, clock ticks since boot); undefined if gone or a zombie. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may hold spaces and parentheses: split after its last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z' || rest[0] === 'X') return undefined;
    return rest[19];
  } catch {
    return undefined;
  }
}

function argvOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/** Upstream's liveness test: /proc/<pid>/cmdline exists and mentions "ldirectord". */
export function isLdirectordProcess(pid: number): boolean {
  return processStartTime(pid) !== undefined && argvOf(pid).join(' ').includes('ldirectord');
}

/**
 * Stricter than upstream's substring test (issue 13 item 8): one argument of the process is the
 * ldirectord program itself (".../ldirectord", as Perl's `perl -w /usr/sbin/ldirectord start` or our
 * `node /usr/sbin/ldirectord`; a copy of the Perl script kept as `ldirectord.pl` counts too), so `tail -f /var/log/ldirectord.log` named in a pid file is never taken.
 */
export function runsLdirectord(pid: number): boolean {
  return processStartTime(pid) !== undefined && argvOf(pid).some((a) => /^ldirectord(\.(?:[cm]?js|pl))?$/.test(basename(a)));
}

/** The config path a running daemon of ours serves (from its environment), if readable. */
export function daemonConfigOf(pid: number): string | undefined {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const hit = env.find((e) => e.startsWith(`${CONFIG_ENV}=`));
    return hit?.slice(CONFIG_ENV.length + 1);
  } catch {
    return undefined;
  }
}

/**
 * Writes "<pid>\n" atomically with mode 0644 whatever the umask: a temp file created O_EXCL|O_NOFOLLOW
 * beside it, then rename(2), which replaces a symlink at `path` instead of writing through it (item 15).
 */
export function writePidFile(path: string, pid: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  const fd = openSync(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o644);
  try {
    writeSync(fd, `${pid}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Removes the pid file only if it still names `pid`: no other process's pid file is ever deleted (§7.2 item 11). */
export function removeOwnPidFile(path: string, pid: number): void {
  try {
    if (!lstatSync(path).isFile()) return;
  } catch {
    return;
  }
  if (readPidFile(path) === pid) rmSync(path, { force: true });
}

/** Who holds a config's lock, as it wrote itself into the lock file. */
interface LockIdentity {
  readonly pid: number;
  readonly startTime: string;
  readonly pidFile: string | undefined;
}

function readLock(path: string): LockIdentity | undefined {
  try {
    const [head, pidFile] = readFileSync(path, 'utf8').split('\n');
    const m = /^(\d+) (\d+)$/.exec(head ?? '');
    return m ? { pid: Number(m[1]), startTime: m[2]!, pidFile: pidFile || undefined } : undefined;
  } catch {
    return undefined;
  }
}

/** The live process a lock file names: same pid AND same start time (a reused pid never matches). */
function lockHolder(dir: string, config: string): LockIdentity | undefined {
  const id = readLock(lockFilePath(dir, config));
  if (id === undefined || processStartTime(id.pid) !== id.startTime) return undefined;
  return id;
}

/** A held config lock; release() (or the process's death) frees it. */
export interface ConfigLock {
  readonly path: string;
  release(): void;
}

/**
 * Takes the exclusive lock of `config` (its resolved path) for this process, or says who holds it.
 *
 * Why flock through util-linux's `flock` and not an O_EXCL lock file: Node has no flock(2), and an
 * O_EXCL file outlives a kill -9, so breaking a stale one races with a second starter. flock(2) locks
 * belong to the open file description: we open the lock file, hand that descriptor to `flock -n 3`,
 * and the lock it takes stays with our descriptor after the helper exits; the kernel drops it when
 * this process dies, however it dies. The identity (pid, start time, pid file) is written into the
 * locked file for `status`/`stop`, which check it against /proc/<pid>/stat.
 */
export function acquireConfigLock(dir: string, config: string, pidFile: string | undefined): { readonly ok: true; readonly lock: ConfigLock } | { readonly ok: false; readonly holder: number | undefined; readonly error?: string } {
  const path = lockFilePath(dir, config);
  let fd: number;
  try {
    fd = openSync(path, fsc.O_RDWR | fsc.O_CREAT | fsc.O_NOFOLLOW, 0o644);
  } catch (err) {
    return { ok: false, holder: undefined, error: `cannot open lock file ${path}: ${err instanceof Error ? err.message : String(err)}` };
  }
  const r = spawnSync('flock', ['--exclusive', '--wait', '2', '3'], { stdio: ['ignore', 'ignore', 'ignore', fd] });
  if (r.status !== 0) {
    closeSync(fd);
    if (r.error) return { ok: false, holder: undefined, error: `cannot lock ${path}: ${r.error.message}` };
    return { ok: false, holder: readLock(path)?.pid };
  }
  const text = `${process.pid} ${processStartTime(process.pid) ?? '0'}\n${pidFile ?? ''}\n${resolvedConfig(config)}\n`;
  ftruncateSync(fd, 0);
  writeSync(fd, text, 0);
  let held = true;
  return {
    ok: true,
    lock: {
      path,
      release: () => {
        if (!held) return;
        held = false;
        // Emptied first: a reader never sees our identity once we are done.
        ftruncateSync(fd, 0);
        closeSync(fd);
      },
    },
  };
}

/** What the pid files say about a config. */
export type DaemonStatus =
  | { readonly state: 'running'; readonly pid: number; readonly pidFile: string; readonly foreign?: true }
  | { readonly state: 'stale'; readonly pidFile: string }
  | { readonly state: 'stopped' };

/**
 * Finds the daemon serving `config`: the holder of its lock, verified by pid and start time (one
 * daemon per resolved config however it was named, §7.2 item 12); else the own pid file naming a live
 * ldirectord program that holds no lock of ours (Debian's Perl daemon, an older ldirectord-ng): `foreign`.
 */
export function findDaemon(dir: string, cfgName: string, config: string): DaemonStatus {
  const own = pidFilePath(dir, cfgName);
  const holder = lockHolder(dir, config);
  if (holder !== undefined) return { state: 'running', pid: holder.pid, pidFile: holder.pidFile ?? own };
  const pid = readPidFile(own);
  if (pid !== undefined && pid !== process.pid && runsLdirectord(pid)) return { state: 'running', pid, pidFile: own, foreign: true };
  try {
    lstatSync(own);
    return { state: 'stale', pidFile: own };
  } catch {
    return { state: 'stopped' };
  }
}
