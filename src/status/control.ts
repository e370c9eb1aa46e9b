// The control socket: a Unix socket only root can open (0600), one per config, read-only. A client
// writes one line ("status") and reads one JSON answer; nothing else is understood.
import { chmodSync, lstatSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import type { StatusSnapshot } from './snapshot.js';

/** Where control sockets live: LDIRD_CONTROL_DIR, else LDIRD_RUNDIR (tests), else /run. */
export function controlDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.LDIRD_CONTROL_DIR ?? env.LDIRD_RUNDIR ?? '/run';
}

/** "/run/ldirectord.<CFGNAME>.sock": named like the pid file, so the CLI finds it from the pid file it found. */
export function controlSocketPath(dir: string, cfgName: string): string {
  return join(dir, `ldirectord.${cfgName}.sock`);
}

/** Longest request line; anything longer is dropped unanswered. */
const MAX_REQUEST = 256;
/** A client that says nothing is dropped after this long. */
const IDLE_MS = 2000;
const MAX_CLIENTS = 16;

/** True when something accepts connections on `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A running control socket. */
export interface ControlServer {
  readonly path: string;
  close(): Promise<void>;
}

/**
 * Listens on `path`. A socket file left by a crash (nobody answers) is replaced; a live one is not
 * (another daemon serves this config): that throws, and the daemon runs on without a control socket.
 */
export async function startControl(path: string, answer: () => Promise<StatusSnapshot>): Promise<ControlServer> {
  let exists = false;
  try {
    exists = lstatSync(path).isSocket();
  } catch {
    exists = false;
  }
  if (exists) {
    if (await answers(path)) throw new Error(`control socket ${path} is in use by another process`);
    rmSync(path, { force: true });
  }
  const server: Server = createServer({ allowHalfOpen: false }, (sock: Socket) => serve(sock, answer));
  server.maxConnections = MAX_CLIENTS;
  // The umask covers the instant between bind() and chmod(): no one else can ever open it.
  const old = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(old);
  }
  chmodSync(path, 0o600);
  server.unref();
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        rmSync(path, { force: true });
      }),
  };
}

function serve(sock: Socket, answer: () => Promise<StatusSnapshot>): void {
  let buf = '';
  sock.setTimeout(IDLE_MS, () => sock.destroy());
  sock.setEncoding('utf8');
  sock.on('error', () => undefined);
  sock.on('data', (chunk: string) => {
    buf += chunk;
    if (buf.length > MAX_REQUEST) return void sock.destroy();
    const nl = buf.indexOf('\n');
    if (nl < 0) return;
    const cmd = buf.slice(0, nl).trim();
    sock.pause();
    if (cmd !== 'status') return void sock.end(`${JSON.stringify({ error: `unknown request "${cmd.slice(0, 40)}": this socket answers only "status"` })}\n`);
    answer().then(
      (s) => sock.end(`${JSON.stringify(s)}\n`),
      (err: unknown) => sock.end(`${JSON.stringify({ error: String(err) })}\n`),
    );
  });
}

/** Asks the daemon behind `path` for its status; undefined when nothing answers within `timeoutMs` (an old daemon). */
export function queryControl(path: string, timeoutMs = 2000): Promise<StatusSnapshot | undefined> {
  return new Promise((resolve) => {
    let data = '';
    let done = false;
    const finish = (v: StatusSnapshot | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    const s = connect(path);
    s.setEncoding('utf8');
    s.on('connect', () => s.write('status\n'));
    s.on('data', (c: string) => (data += c));
    s.on('end', () => {
      try {
        const v = JSON.parse(data) as StatusSnapshot | { error: string };
        finish('error' in v ? undefined : v);
      } catch {
        finish(undefined);
      }
    });
    s.on('error', () => finish(undefined));
  });
}
