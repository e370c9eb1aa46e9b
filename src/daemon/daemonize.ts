// Daemonizing without fork(): the CLI re-spawns itself detached, then waits until the child has written its pid file.
import { spawn } from 'node:child_process';
import { CONFIG_ENV, readPidFile } from './pidfile.js';

/** Set in the re-spawned child's environment: "you are the daemon". */
export const DAEMON_ENV = 'LDIRD_NG_DAEMON';

/** True in the detached daemon process. */
export function isDaemonChild(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[DAEMON_ENV] === '1';
}

/** Outcome of spawning the daemon. */
export type DaemonizeResult = { readonly ok: true; readonly pid: number } | { readonly ok: false; readonly exitCode: number; readonly pid?: number };

/**
 * Starts `node <script> <args>` in a new session (setsid) with stdio on /dev/null and cwd "/",
 * then waits (bounded) for the child to write its pid into `pidFile`; a child that exits first
 * reports its exit code (config error, pid file not writable, …).
 */
export function spawnDaemon(opts: {
  readonly script: string;
  readonly args: readonly string[];
  readonly configPath: string;
  readonly pidFile: string;
  readonly timeoutMs?: number;
}): Promise<DaemonizeResult> {
  const child = spawn(process.execPath, [...process.execArgv, opts.script, ...opts.args], {
    detached: true,
    stdio: 'ignore',
    cwd: '/',
    env: { ...process.env, [DAEMON_ENV]: '1', [CONFIG_ENV]: opts.configPath },
  });
  return new Promise((resolve) => {
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    let timer: NodeJS.Timeout | undefined;
    const finish = (r: DaemonizeResult) => {
      if (timer) clearInterval(timer);
      timer = undefined;
      child.removeAllListeners();
      child.unref();
      resolve(r);
    };
    child.once('exit', (code, signal) => finish({ ok: false, exitCode: code ?? (signal ? 1 : 0), ...(child.pid !== undefined ? { pid: child.pid } : {}) }));
    child.once('error', () => finish({ ok: false, exitCode: 1 }));
    timer = setInterval(() => {
      if (child.pid !== undefined && readPidFile(opts.pidFile) === child.pid) finish({ ok: true, pid: child.pid });
      else if (Date.now() > deadline) finish({ ok: true, pid: child.pid ?? 0 });
    }, 50);
  });
}
