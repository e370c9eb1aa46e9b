// TCP/TLS for checks: dial, a connection with bounded line reading, and the dialogue wrapper.
import { hostPort } from '../model/keys.js';
import net from 'node:net';
import tls from 'node:tls';
import type { CheckResult, CheckSpec } from './types.js';
import { CheckFailure, MAX_LINE_BYTES, MAX_REPLY_BYTES, abortText, describeError, down, quote, withTimeout } from './result.js';

/** Options for dial(). */
export interface DialOptions {
  readonly host: string;
  readonly port: number;
  readonly signal: AbortSignal;
  /** TLS on connect; servername sets SNI (omitted for IP literals, which may not be sent as SNI). */
  readonly tls?: { readonly servername?: string | undefined; readonly rejectUnauthorized?: boolean };
  readonly localAddress?: string;
}

/**
 * A connected TCP/TLS socket with a bounded reader. Every pending read fails when the socket
 * errors, closes or the signal aborts; close() destroys the socket (idempotent).
 */
export class Conn {
  readonly socket: net.Socket;
  /** The dialogue's signal (caller abort + timeout), for secondary connections such as FTP data. */
  readonly signal: AbortSignal;
  private buf: Buffer = Buffer.alloc(0);
  private total = 0;
  private ended = false;
  private failure: unknown;
  private waiter: (() => void) | undefined;
  private readonly onAbort = (): void => {
    this.fail(new CheckFailure(abortText(this.signal)));
  };
  /** The last line or data sent, for reasons ("timed out waiting for reply to …"). */
  lastSent = '';

  constructor(socket: net.Socket, signal: AbortSignal) {
    this.socket = socket;
    this.signal = signal;
    socket.on('data', (chunk: Buffer) => {
      this.total += chunk.length;
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      if (this.buf.length > MAX_REPLY_BYTES) {
        this.fail(new CheckFailure(`reply larger than ${MAX_REPLY_BYTES} bytes`));
        return;
      }
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    if (signal.aborted) this.onAbort();
    else signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Local address and port of the socket (for protocols that quote it, e.g. SIP Via). */
  local(): { address: string; port: number } {
    return { address: this.socket.localAddress ?? '', port: this.socket.localPort ?? 0 };
  }

  /** Bytes received so far. */
  get bytesRead(): number {
    return this.total;
  }

  private fail(err: unknown): void {
    if (this.failure === undefined) this.failure = err;
    this.socket.destroy();
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private waitMore(): Promise<void> {
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  private context(what: string): string {
    return this.lastSent === '' ? what : `${what} (after sending ${quote(this.lastSent.trimEnd(), 60)})`;
  }

  /** Write text or bytes; remembered as lastSent. */
  send(data: string | Buffer): void {
    if (this.failure !== undefined) throw new CheckFailure(this.context(describeError(this.failure)));
    this.lastSent = typeof data === 'string' ? data : `<${data.length} bytes>`;
    this.socket.write(data);
  }

  /**
   * Next line without its CR/LF, or null at end of stream. Fails on a line longer than
   * MAX_LINE_BYTES, on socket errors and on abort/timeout.
   */
  async readLine(): Promise<string | null> {
    for (;;) {
      const nl = this.buf.indexOf(10);
      // Also when the newline came in the same chunk (Net::HTTP likewise refuses header lines over 8 KiB).
      if (nl >= 0 && nl <= MAX_LINE_BYTES) {
        const line = this.buf.subarray(0, nl).toString('latin1').replace(/\r$/, '');
        this.buf = this.buf.subarray(nl + 1);
        return line;
      }
      if (this.buf.length > MAX_LINE_BYTES) {
        this.fail(new CheckFailure(`line longer than ${MAX_LINE_BYTES} bytes: ${quote(this.buf.subarray(0, 40).toString('latin1'), 40)}`));
      }
      if (this.failure !== undefined) throw new CheckFailure(this.context(describeError(this.failure)), { cause: this.failure });
      if (this.ended) {
        if (this.buf.length === 0) return null;
        const rest = this.buf.toString('latin1');
        this.buf = Buffer.alloc(0);
        return rest;
      }
      await this.waitMore();
    }
  }

  /** Like readLine, but end of stream is a failure naming what we waited for. */
  async expectLine(): Promise<string> {
    const line = await this.readLine();
    if (line === null) throw new CheckFailure(this.context('connection closed without a reply'));
    return line;
  }

  /** Up to `max` bytes as soon as any arrive (or null at end of stream). */
  async readSome(max: number): Promise<Buffer | null> {
    for (;;) {
      if (this.buf.length > 0) {
        const out = this.buf.subarray(0, max);
        this.buf = this.buf.subarray(out.length);
        return out;
      }
      if (this.failure !== undefined) throw new CheckFailure(this.context(describeError(this.failure)), { cause: this.failure });
      if (this.ended) return null;
      await this.waitMore();
    }
  }

  /** Everything until the peer closes (bounded by MAX_REPLY_BYTES). */
  async readToEnd(): Promise<Buffer> {
    for (;;) {
      if (this.failure !== undefined) throw new CheckFailure(this.context(describeError(this.failure)), { cause: this.failure });
      if (this.ended) {
        const out = this.buf;
        this.buf = Buffer.alloc(0);
        return out;
      }
      await this.waitMore();
    }
  }

  /** Half-close our side (the peer sees EOF), as upstream's shutdown(SHUT_WR). */
  endWrite(): void {
    this.socket.end();
  }

  /** Destroy the socket and stop listening to the signal. Safe to call more than once. */
  close(): void {
    this.signal.removeEventListener('abort', this.onAbort);
    this.socket.destroy();
  }
}

/** Connect over TCP (or TLS). Rejects with a CheckFailure naming the address and cause; the socket never leaks. */
export function dial(opts: DialOptions): Promise<Conn> {
  const { host, port, signal } = opts;
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new CheckFailure(`connect to ${hostPort(host, port)}: ${abortText(signal)}`));
      return;
    }
    let socket: net.Socket;
    const base = { host, port, ...(opts.localAddress !== undefined ? { localAddress: opts.localAddress } : {}) };
    if (opts.tls !== undefined) {
      const sni = opts.tls.servername;
      socket = tls.connect({
        ...base,
        rejectUnauthorized: opts.tls.rejectUnauthorized ?? false,
        // Node refuses IP literals as SNI; an empty string disables SNI.
        servername: sni !== undefined && net.isIP(sni) === 0 ? sni : '',
      });
    } else {
      socket = net.connect(base);
    }
    const cleanup = (): void => {
      signal.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
    };
    const onAbort = (): void => {
      cleanup();
      socket.destroy();
      reject(new CheckFailure(`connect to ${hostPort(host, port)}: ${abortText(signal)}`));
    };
    const onError = (err: Error): void => {
      cleanup();
      socket.destroy();
      reject(new CheckFailure(`connect to ${hostPort(host, port)}: ${describeError(err)}`, { cause: err }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once(opts.tls !== undefined ? 'secureConnect' : 'connect', () => {
      cleanup();
      resolve(new Conn(socket, signal));
    });
  });
}

/**
 * Run a TCP/TLS dialogue: dial within `timeoutMs` (the whole dialogue shares the budget), run `body`,
 * turn any failure into `{ok:false}` prefixed with `label`, and always close the socket.
 */
export async function dialogue(
  label: string,
  opts: Omit<DialOptions, 'signal'> & { readonly timeoutMs: number },
  signal: AbortSignal,
  body: (conn: Conn) => Promise<CheckResult>,
): Promise<CheckResult> {
  const t = withTimeout(signal, opts.timeoutMs);
  let conn: Conn | undefined;
  try {
    conn = await dial({ ...opts, signal: t.signal });
    return await body(conn);
  } catch (err) {
    if (!(err instanceof CheckFailure) && !isSocketError(err)) throw err;
    return down(`${label}: ${describeError(err)}`);
  } finally {
    conn?.close();
    t.dispose();
  }
}

/**
 * The usual negotiate dialogue with the real: reasons prefixed "<service> host:port", bounded by
 * negotiatetimeout, over TLS (no certificate verification) when `tls`; `body` gets the label too.
 */
export function negotiateDialogue(
  service: string,
  spec: CheckSpec,
  signal: AbortSignal,
  body: (conn: Conn, label: string) => Promise<CheckResult>,
  tls = false,
): Promise<CheckResult> {
  const label = `${service} ${hostPort(spec.host, spec.port)}`;
  const opts = { host: spec.host, port: spec.port, timeoutMs: spec.negotiateTimeoutMs, ...(tls ? { tls: {} } : {}) };
  return dialogue(label, opts, signal, (c) => body(c, label));
}

function isSocketError(err: unknown): boolean {
  return typeof (err as { code?: unknown } | null)?.code === 'string';
}
