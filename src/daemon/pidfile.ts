// Pid files as upstream names them (/var/run/ldirectord.<CFGNAME>.pid), plus finding our daemon however it was named.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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

/** Upstream's liveness test: /proc/<pid>/cmdline exists and mentions "ldirectord". */
export function isLdirectordProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('ldirectord');
  } catch {
    return false;
  }
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

/** Writes "<pid>\n". */
export function writePidFile(path: string, pid: number): void {
  writeFileSync(path, `${pid}\n`);
}

/** Removes the pid file only if it still names `pid`: no other process's pid file is ever deleted (§7.2 item 11). */
export function removeOwnPidFile(path: string, pid: number): void {
  if (readPidFile(path) === pid) rmSync(path, { force: true });
}

/** What the pid files say about a config. */
export type DaemonStatus =
  | { readonly state: 'running'; readonly pid: number; readonly pidFile: string }
  | { readonly state: 'stale'; readonly pidFile: string }
  | { readonly state: 'stopped' };

/**
 * Finds the daemon serving `config`: its own pid file first; otherwise any other
 * ldirectord.*.pid whose live process serves the same resolved config (one daemon per config
 * however it was named, §7.2 item 12).
 */
export function findDaemon(dir: string, cfgName: string, config: string): DaemonStatus {
  const own = pidFilePath(dir, cfgName);
  const pid = readPidFile(own);
  if (pid !== undefined && isLdirectordProcess(pid)) return { state: 'running', pid, pidFile: own };
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => /^ldirectord\..+\.pid$/.test(n));
  } catch {
    // no run directory: nothing else to look at
  }
  for (const n of names) {
    const f = join(dir, n);
    if (f === own) continue;
    const p = readPidFile(f);
    if (p !== undefined && isLdirectordProcess(p) && daemonConfigOf(p) === config) return { state: 'running', pid: p, pidFile: f };
  }
  let exists = false;
  try {
    readFileSync(own);
    exists = true;
  } catch {
    exists = false;
  }
  return exists ? { state: 'stale', pidFile: own } : { state: 'stopped' };
}
