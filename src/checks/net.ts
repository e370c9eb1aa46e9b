// Shared socket helpers for checks: dial (TCP/TLS), bounded line reading, UDP exchange, timeouts, reasons.
import { createSocket, type RemoteInfo } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { hostPort } from '../model/keys.js';
import net from 'node:net';
import tls from 'node:tls';
import type { CheckResult, CheckSpec } from './types.js';

/** Most bytes a check buffers from one peer; more is a failed check, never unbounded memory. */
export const MAX_REPLY_BYTES = 1024 * 1024;
/** Longest protocol line we accept before calling the reply garbage. */
export const MAX_LINE_BYTES = 8192;

/** A dialogue failure whose message is already the human reason (what was sent, what came back). */
export class CheckFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CheckFailure';
  }
}

/** Raised (as a signal reason) when a check's own time budget runs out. */
export class CheckTimeout extends CheckFailure {
  readonly ms: number;
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = 'CheckTimeout';
    this.ms = ms;
  }
}

/** An up result. */
export function up(message?: string): CheckResult {
  return message === undefined ? { ok: true } : { ok: true, message };
}

/** A down result. */
export function down(reason: string): CheckResult {
  return { ok: false, reason };
}

/** Quote peer text for a reason: trimmed, control characters escaped, at most `max` characters. */
export function quote(text: string, max = 120): string {
  const flat = text.replace(/\r?\n$/, '');
  const cut = flat.length > max ? `${flat.slice(0, max)}…` : flat;
  return JSON.stringify(cut);
}

/** Human text for a socket/DNS/TLS error (ECONNREFUSED → "connection refused"), or a CheckFailure's message. */
export function describeError(err: unknown): string {
  if (err instanceof CheckFailure) return err.message;
  const e = err as { code?: unknown; message?: unknown; name?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset by peer',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ETIMEDOUT: 'connection timed out',
    EPIPE: 'broken pipe',
    EADDRNOTAVAIL: 'address not available',
  };
  if (code !== undefined && known[code] !== undefined) return known[code];
  if (e !== null && typeof e === 'object' && e.name === 'AbortError') return 'aborted';
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  return code !== undefined && !msg.includes(code) ? `${msg} (${code})` : msg;
}

/**
 * A signal that aborts when `parent` aborts or after `ms` (reason: CheckTimeout).
 * Call dispose() when done so the timer does not outlive the check.
 */
export function withTimeout(parent: AbortSignal, ms: number): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const onAbort = (): void => ac.abort(parent.reason);
  if (parent.aborted) ac.abort(parent.reason);
  else parent.addEventListener('abort', onAbort, { once: true });
  const timer = ms > 0 && Number.isFinite(ms) ? setTimeout(() => ac.abort(new CheckTimeout(ms)), ms) : undefined;
  return {
    signal: ac.signal,
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer);
      parent.removeEventListener('abort', onAbort);
    },
  };
}

/** Why a signal aborted, as reason text ("timed out after 5000 ms" or "aborted"). */
export function abortText(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (r instanceof CheckFailure) return r.message;
  return 'aborted';
}

/**
 * Compile ldirectord's `receive=` (a Perl regex, unanchored, case-sensitive) as a JS RegExp.
 * Returns a CheckFailure message when the pattern is not valid JS syntax.
 */
export function compileReceive(receive: string): RegExp | { error: string } {
  try {
    return new RegExp(receive);
  } catch (err) {
    return { error: `invalid receive regex ${quote(receive)}: ${(err as Error).message}` };
  }
}

/**
 * Test `text` against a compiled receive with Perl's `$` semantics: Perl's `$` also matches before a
 * final newline, so "^OK$" matches "OK\n" in ldirectord; JS needs a second try without that newline.
 */
export function perlMatch(re: RegExp, text: string): boolean {
  return re.test(text) || (text.endsWith('\n') && re.test(text.slice(0, -1)));
}

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

/** Options for udpExchange(). */
export interface UdpOptions {
  readonly host: string;
  readonly port: number;
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  /** Builds the datagram once the local address is known (SIP quotes it in Via). */
  readonly build: (local: { address: string; port: number }) => Buffer;
  /** Datagrams for which this returns false are ignored (e.g. wrong transaction id). */
  readonly accept?: (msg: Buffer) => boolean;
}

/**
 * Send one datagram to host:port and resolve with the first accepted reply from that peer.
 * ICMP port-unreachable surfaces as "connection refused". The socket is closed in every case.
 */
export function udpExchange(opts: UdpOptions): Promise<{ reply: Buffer; sent: Buffer }> {
  const { host, port } = opts;
  const t = withTimeout(opts.signal, opts.timeoutMs);
  const sock = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
  return new Promise<{ reply: Buffer; sent: Buffer }>((resolve, reject) => {
    let sent: Buffer = Buffer.alloc(0);
    let done = false;
    const finish = (err: unknown, reply?: Buffer): void => {
      if (done) return;
      done = true;
      t.signal.removeEventListener('abort', onAbort);
      t.dispose();
      try {
        sock.close();
      } catch {
        // already closed
      }
      if (reply !== undefined) resolve({ reply, sent });
      else reject(err instanceof CheckFailure ? err : new CheckFailure(describeError(err), { cause: err }));
    };
    const onAbort = (): void => finish(new CheckFailure(`${abortText(t.signal)} waiting for a UDP reply from ${hostPort(host, port)}`));
    if (t.signal.aborted) {
      onAbort();
      return;
    }
    t.signal.addEventListener('abort', onAbort, { once: true });
    sock.on('error', (err) => finish(err));
    sock.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
      if (rinfo.port !== port) return;
      if (opts.accept !== undefined && !opts.accept(msg)) return;
      finish(undefined, msg);
    });
    // connect() makes the kernel report ICMP unreachable as ECONNREFUSED and fixes the local address.
    sock.connect(port, host, () => {
      const a = sock.address();
      sent = opts.build({ address: a.address, port: a.port });
      sock.send(sent, (err) => {
        if (err) finish(err);
      });
    });
  });
}

/** The well-known default when spec.port is 0 (the caller normally resolved ld_checkport already). */
export function portOr(spec: CheckSpec, fallback: number): number {
  return spec.port > 0 ? spec.port : fallback;
}

/** A numeric-code reply (SMTP, FTP, NNTP): its code and text of every line. */
export interface CodedReply {
  readonly code: number;
  readonly text: string;
}

/**
 * Read an RFC 959/5321 reply: "NNN-text" continuation lines until "NNN text". A line that does not
 * start with three digits is garbage and fails the check.
 */
export async function readCodedReply(conn: Conn): Promise<CodedReply> {
  const lines: string[] = [];
  for (;;) {
    const line = await conn.expectLine();
    const m = /^(\d{3})([ -]?)(.*)$/.exec(line);
    if (m === null) {
      if (lines.length > 0) {
        lines.push(line); // FTP allows free text inside a multi-line reply
        if (lines.length > 1000) throw new CheckFailure(`reply has more than 1000 lines`);
        continue;
      }
      throw new CheckFailure(`expected a numeric reply, got ${quote(line)}`);
    }
    lines.push(m[3] ?? '');
    if (m[2] !== '-') return { code: Number(m[1]), text: lines.join(' | ') };
    if (lines.length > 1000) throw new CheckFailure(`reply has more than 1000 lines`);
  }
}

/** Send a command line (CRLF added) and read its coded reply. */
export async function command(conn: Conn, line: string): Promise<CodedReply> {
  conn.send(`${line}\r\n`);
  return readCodedReply(conn);
}

/** Text of a coded reply for reasons: `220 "text"`. */
export function showReply(r: CodedReply): string {
  return `${r.code} ${quote(r.text)}`;
}
