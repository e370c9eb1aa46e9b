// Start a real server process for a test, wait until it is ready, and always kill it (process group) afterwards.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import net from 'node:net';

/** A running server started by startServer(). */
export interface RunningServer {
  readonly proc: ChildProcess;
  /** Everything it printed so far (capped), for failure messages. */
  output(): string;
  /** Kill the whole process group and wait for exit. */
  stop(): Promise<void>;
}

/** How to know a server is ready. */
export type Readiness =
  | { readonly tcp: { readonly host: string; readonly port: number } }
  | { readonly output: RegExp }
  /** Poll until this resolves true (for UDP servers, which cannot be probed with a connect). */
  | { readonly probe: () => Promise<boolean> };

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) killGroup(p, 'SIGKILL');
});

function killGroup(p: ChildProcess, sig: NodeJS.Signals): void {
  if (p.pid === undefined || p.exitCode !== null || p.signalCode !== null) return;
  try {
    process.kill(-p.pid, sig);
  } catch {
    try {
      p.kill(sig);
    } catch {
      // already gone
    }
  }
}

/** Throws (failing the test, never skipping) when a server binary is not installed. */
export function requireBinary(path: string): void {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`${path} is not installed (add its package to .ci/apt-packages)`);
  }
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Spawn `cmd args` in its own process group and wait for readiness (default 15 s). */
export async function startServer(
  cmd: string,
  args: readonly string[],
  ready: Readiness,
  opts: SpawnOptions & { readonly readyTimeoutMs?: number } = {},
): Promise<RunningServer> {
  requireBinary(cmd);
  const proc = spawn(cmd, [...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...opts });
  live.add(proc);
  let out = '';
  const keep = (b: Buffer): void => {
    if (out.length < 64 * 1024) out += b.toString('utf8');
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  // 'close' = exited and every stdio pipe closed, i.e. no helper child still holds them.
  const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()));
  const server: RunningServer = {
    proc,
    output: () => out,
    stop: async () => {
      killGroup(proc, 'SIGTERM');
      const t = setTimeout(() => killGroup(proc, 'SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
      // Helpers the server forked (squid's, dovecot's) share its group and its pipes.
      if (proc.pid !== undefined) {
        try {
          process.kill(-proc.pid, 'SIGKILL');
        } catch {
          // group already empty
        }
      }
      await closed;
      live.delete(proc);
    },
  };
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 15000);
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      live.delete(proc);
      throw new Error(`${cmd} exited (${proc.exitCode ?? proc.signalCode}) before it was ready:\n${out}`);
    }
    let ok = false;
    if ('tcp' in ready) ok = await tcpOpen(ready.tcp.host, ready.tcp.port);
    else if ('output' in ready) ok = ready.output.test(out);
    else ok = await ready.probe().catch(() => false);
    if (ok) return server;
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`${cmd} not ready after ${opts.readyTimeoutMs ?? 15000} ms:\n${out}`);
    }
    await sleep(50);
  }
}
