// The HTTP check's reply parser: synchronous and incremental, fed whatever bytes arrive (from a read
// buffer the caller reuses), so a check costs no promise per line and no Buffer.concat per chunk.
//
// Strict framing (RFC 9112), as strict as node:http's parser at least: a reply we cannot frame exactly is a
// server we cannot vouch for. Status line HTTP/1.0 or 1.1; header lines `token: value`, no control
// character but HTAB in a reason or value (RFC 9110 §5.5: NUL, bare CR, \x11… are not field-vchar), no
// obs-fold; one Content-Length (repeats must agree), never with Transfer-Encoding. The body is read by
// Content-Length, chunked coding or connection close, at most MAX_REPLY_BYTES of it.
import { CheckFailure, MAX_LINE_BYTES, MAX_REPLY_BYTES, quote } from './result.js';

/** A complete reply: the final status, the body (utf8) and a redirect's Location. */
export interface Reply {
  readonly status: number;
  readonly statusText: string;
  readonly body: string;
  readonly location?: string;
}

/** Headers we read before calling the reply garbage. */
export const MAX_HEADERS = 200;
/** The statuses LWP::UserAgent follows; any other 3xx (300, 304, 305) is the final answer, hence down. */
const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

// eslint-disable-next-line no-control-regex -- the control characters are what these classes exclude
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: ([^\0-\x08\x0a-\x1f\x7f]*))?$/;
// eslint-disable-next-line no-control-regex -- as above
export const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([^\0-\x08\x0a-\x1f\x7f]*?)[ \t]*$/;
const CONTENT_LENGTH = /^\d{1,15}$/;
const CHUNKED = /(?:^|,)[ \t]*chunked[ \t]*$/i;
// Chunk extensions (ignored) in visible ASCII only, as node:http: no control or 8-bit bytes.
const CHUNK_SIZE = /^([0-9a-fA-F]{1,12})[ \t]*(?:;[\t\x20-\x7e]*)?$/;

// Where the parser is: the line phases read CRLF-terminated lines, the others body bytes.
const STATUS = 0;
const HEADERS = 1;
const CHUNK_SIZE_LINE = 2;
const CHUNK_END = 3;
const TRAILERS = 4;
const CHUNK_DATA = 5;
const LENGTH = 6;
const TO_CLOSE = 7;
const DONE = 8;

/**
 * One reply on one connection. feed() each read as it arrives (the bytes are copied where kept), end()
 * at the peer's EOF; both throw a CheckFailure for a reply that is not strict HTTP/1.x. `reply` is set
 * once the framing says the reply is complete (the caller then drops the connection).
 */
export class ReplyParser {
  reply: Reply | undefined;
  private phase = STATUS;
  /** Bytes of a line split across reads (copied: the read buffer is reused). */
  private partial: Buffer | undefined;
  private status = 0;
  private statusText = '';
  private headers = new Map<string, string>();
  /** Header or trailer lines read in the current section. */
  private lines = 0;
  /** Body bytes kept, and the copies holding them when the body spans reads. */
  private have = 0;
  private parts: Buffer[] = [];
  /** Bytes left in the current chunk or Content-Length body (capped at MAX_REPLY_BYTES). */
  private left = 0;
  private chunkSize = 0;
  private chunkStart = 0;

  /**
   * @param head the request was HEAD: the reply ends at its headers.
   * @param context adds what was sent to a stream failure ("connection closed without a reply (after sending …)").
   */
  constructor(
    private readonly head: boolean,
    private readonly context: (what: string) => string,
  ) {}

  /** Consumes buf[0, n). */
  feed(buf: Buffer, n: number): void {
    let i = 0;
    while (i < n && this.phase !== DONE) {
      if (this.phase < CHUNK_DATA) {
        const nl = buf.indexOf(10, i);
        if (nl < 0 || nl >= n) {
          this.keepPartial(buf, i, n);
          return;
        }
        this.onLine(this.takeLine(buf, i, nl));
        i = nl + 1;
      } else {
        i = this.onBody(buf, i, n);
      }
    }
  }

  /** The peer closed its side: a close-delimited body ends here; anything else unfinished is a failure. */
  end(): void {
    if (this.phase === DONE) return;
    if (this.partial !== undefined && this.phase < CHUNK_DATA) {
      // An unterminated last line still counts as a line (as a line reader at end of stream returns it).
      const rest = this.partial.toString('latin1');
      this.partial = undefined;
      this.onLine(rest);
      if (this.phase === DONE) return;
    }
    if (this.phase < CHUNK_DATA) throw new CheckFailure(this.context('connection closed without a reply'));
    if (this.phase === CHUNK_DATA) {
      throw new CheckFailure(`connection closed ${this.have - this.chunkStart} bytes into a ${this.chunkSize}-byte chunk`);
    }
    if (this.phase === LENGTH) {
      const want = Number(this.headers.get('content-length'));
      throw new CheckFailure(`connection closed after ${this.have} of ${want} body bytes (Content-Length)`);
    }
    this.finish(undefined, 0, 0);
  }

  private keepPartial(buf: Buffer, from: number, to: number): void {
    const len = (this.partial?.length ?? 0) + (to - from);
    if (len > MAX_LINE_BYTES) this.tooLong(this.partial !== undefined ? Buffer.concat([this.partial, buf.subarray(from, to)]) : buf.subarray(from, to));
    const piece = Buffer.from(buf.subarray(from, to));
    this.partial = this.partial === undefined ? piece : Buffer.concat([this.partial, piece]);
  }

  /** The line buf[from, nl) (plus a carried partial), latin1, without its CR. */
  private takeLine(buf: Buffer, from: number, nl: number): string {
    let end = nl;
    let line: string;
    if (this.partial === undefined) {
      if (end - from > MAX_LINE_BYTES) this.tooLong(buf.subarray(from, end));
      if (end > from && buf[end - 1] === 13) end--;
      line = buf.toString('latin1', from, end);
    } else {
      const whole = Buffer.concat([this.partial, buf.subarray(from, nl)]);
      this.partial = undefined;
      if (whole.length > MAX_LINE_BYTES) this.tooLong(whole);
      end = whole.length;
      if (end > 0 && whole[end - 1] === 13) end--;
      line = whole.toString('latin1', 0, end);
    }
    return line;
  }

  private tooLong(start: Buffer): never {
    throw new CheckFailure(this.context(`line longer than ${MAX_LINE_BYTES} bytes: ${quote(start.subarray(0, 40).toString('latin1'), 40)}`));
  }

  private onLine(line: string): void {
    switch (this.phase) {
      case STATUS: {
        const m = STATUS_LINE.exec(line);
        if (m === null) throw new CheckFailure(`expected an HTTP status line, got ${quote(line)}`);
        this.status = Number(m[1]);
        this.statusText = m[2] ?? '';
        if (this.headers.size > 0) this.headers = new Map();
        this.lines = 0;
        this.phase = HEADERS;
        return;
      }
      case HEADERS:
        if (line === '') return this.endOfHeaders();
        if (this.lines >= MAX_HEADERS) throw new CheckFailure(`more than ${MAX_HEADERS} response headers`);
        this.lines++;
        return addHeader(this.headers, line);
      case CHUNK_SIZE_LINE: {
        const m = CHUNK_SIZE.exec(line);
        if (m === null) throw new CheckFailure(`bad chunk size ${quote(line)}`);
        const size = Number.parseInt(m[1]!, 16);
        if (size === 0) {
          // The trailer section (RFC 9112 §7.1.2): field lines, as strict as the header's, up to the empty
          // line that ends the message; a garbage trailer or a close before that line is a broken reply.
          this.lines = 0;
          this.phase = TRAILERS;
          return;
        }
        this.chunkSize = size;
        this.chunkStart = this.have;
        this.left = Math.min(size, MAX_REPLY_BYTES - this.have);
        this.phase = CHUNK_DATA;
        return;
      }
      case CHUNK_END:
        if (line !== '') throw new CheckFailure(`chunk of ${this.chunkSize} bytes not followed by CRLF, got ${quote(line)}`);
        this.phase = CHUNK_SIZE_LINE;
        return;
      case TRAILERS:
        if (line === '') return this.finish(undefined, 0, 0);
        if (this.lines >= MAX_HEADERS || !HEADER_LINE.test(line)) throw new CheckFailure(`malformed or too many trailer lines, at ${quote(line)}`);
        this.lines++;
        return;
    }
  }

  private endOfHeaders(): void {
    const status = this.status;
    if (status < 200 && status >= 100) {
      this.phase = STATUS; // skip 1xx interim responses
      return;
    }
    const headers = this.headers;
    const location = headers.get('location');
    if (location !== undefined && REDIRECTS.has(status)) {
      this.phase = DONE;
      this.reply = { status, statusText: this.statusText, body: '', location };
      return;
    }
    if (this.head || status === 204 || status === 304) return this.finish(undefined, 0, 0);
    const te = headers.get('transfer-encoding');
    const length = headers.get('content-length');
    if (te !== undefined) {
      if (length !== undefined) throw new CheckFailure('both Transfer-Encoding and Content-Length');
      if (!CHUNKED.test(te)) throw new CheckFailure(`unsupported Transfer-Encoding ${quote(te)}`);
      this.phase = CHUNK_SIZE_LINE;
    } else if (length !== undefined) {
      this.left = Math.min(Number(length), MAX_REPLY_BYTES);
      if (this.left === 0) return this.finish(undefined, 0, 0);
      this.phase = LENGTH;
    } else {
      this.phase = TO_CLOSE;
    }
  }

  /** Body bytes from buf[i, n) for the current body phase; returns where it stopped. */
  private onBody(buf: Buffer, i: number, n: number): number {
    const room = MAX_REPLY_BYTES - this.have;
    const k = Math.min(n - i, this.phase === TO_CLOSE ? room : this.left);
    const capped = k >= room;
    if (this.phase === TO_CLOSE ? capped : this.phase === LENGTH ? this.left === k : capped) {
      // The body is complete with these bytes (or reached the cap): decode without keeping a copy.
      this.finish(buf, i, i + k);
      return i + k;
    }
    this.parts.push(Buffer.from(buf.subarray(i, i + k)));
    this.have += k;
    this.left -= k;
    if (this.phase === CHUNK_DATA && this.left === 0) this.phase = CHUNK_END;
    return i + k;
  }

  /** The reply is complete; buf[from, to) are its last body bytes (not yet kept). */
  private finish(buf: Buffer | undefined, from: number, to: number): void {
    let body = '';
    const parts = this.parts;
    if (parts.length === 0) {
      if (buf !== undefined) body = buf.toString('utf8', from, to);
    } else {
      if (buf !== undefined && to > from) parts.push(buf.subarray(from, to));
      body = (parts.length === 1 ? parts[0]! : Buffer.concat(parts)).toString('utf8');
    }
    this.have += to - from;
    this.phase = DONE;
    this.reply = { status: this.status, statusText: this.statusText, body };
  }
}

function addHeader(headers: Map<string, string>, line: string): void {
  const m = HEADER_LINE.exec(line);
  if (m === null) throw new CheckFailure(`malformed header line ${quote(line)}`);
  const name = m[1]!.toLowerCase();
  const value = m[2]!;
  const had = headers.get(name);
  if (name === 'content-length') {
    // Exactly one plain length, as node:http's parser: a repeat or a list is a request-smuggling shape.
    if (had !== undefined || !CONTENT_LENGTH.test(value)) {
      throw new CheckFailure(`bad or conflicting Content-Length ${quote(had !== undefined ? `${had}, ${value}` : value)}`);
    }
    headers.set(name, value);
    return;
  }
  headers.set(name, had !== undefined ? `${had}, ${value}` : value);
}
