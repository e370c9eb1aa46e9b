// service=http/https/http_proxy: one HTTP/1.1 request (≤7 redirects, as LWP); 2xx and body matching receive → up.
//
// A small client on the shared dial/Conn helpers rather than got or node:http: on the same loopback farm
// got cost ~1 ms CPU per check (≤1,000 checks/s per core), node:http 0.12–0.4 ms, this client much less;
// the 5,000 checks/s target rules got out (figures: bench/checks.ts and the issue-4 report).
import { isIP } from 'node:net';
import tls from 'node:tls';
import { CheckFailure, compileReceive, describeError, down, MAX_REPLY_BYTES, quote, up, withTimeout } from './result.js';
import { Conn, dial } from './tcp.js';
import { matchReceive } from './match.js';
import { bracketed, hostPort } from '../model/keys.js';
import type { Checker, CheckResult, CheckSpec } from './types.js';

/** LWP's default redirect limit, which upstream inherits. */
const MAX_REDIRECTS = 7;
/** The statuses LWP::UserAgent follows; any other 3xx (300, 304, 305) is the final answer, hence down. */
const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
const USER_AGENT = 'ldirectord-ng health check';

/** The URL upstream would fetch when the spec has none (spec §3.4): scheme://rip:port/request. */
export function defaultUrl(spec: CheckSpec, scheme: 'http' | 'https'): string {
  return `${scheme}://${hostPort(spec.host, spec.port)}/${spec.request.replace(/^\//, '')}`;
}

/** How to send the first request; redirects keep the proxy but take Host from the new URL (as LWP). */
interface Fetch {
  readonly url: URL;
  readonly host: string;
  readonly tlsServerName?: string;
  readonly proxy?: { readonly host: string; readonly port: number };
}

type Reply = { status: number; statusText: string; body: string; location?: string };

/** Headers we read before calling the reply garbage. */
const MAX_HEADERS = 200;

/**
 * One HTTP/1.1 exchange with "Connection: close" on its own connection (as upstream: a pooled socket would
 * hide a server that stopped accepting). The body is read up to MAX_REPLY_BYTES, then the socket is dropped.
 */
async function exchange(method: 'GET' | 'HEAD', f: Fetch, signal: AbortSignal): Promise<Reply> {
  const { url } = f;
  const https = url.protocol === 'https:';
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port !== '' ? Number(url.port) : https ? 443 : 80;
  // No certificate verification (upstream: LWP with verify_hostname => 0); SNI = virtualhost, never an IP.
  const tlsOpts = { servername: f.tlsServerName ?? hostname, rejectUnauthorized: false };
  const tunnel = https && f.proxy !== undefined;
  const conn = tunnel
    ? await connectTunnel(f.proxy!, hostname, port, tlsOpts, signal)
    : await dial({ host: f.proxy?.host ?? hostname, port: f.proxy?.port ?? port, signal, ...(https ? { tls: tlsOpts } : {}) });
  try {
    // A proxy gets the absolute-form request line (RFC 9112 §3.2.2); through a CONNECT tunnel the origin form.
    const target = f.proxy !== undefined && !tunnel ? url.href : `${url.pathname}${url.search}`;
    conn.send(`${method} ${target} HTTP/1.1\r\nHost: ${f.host}\r\nUser-Agent: ${USER_AGENT}\r\nConnection: close\r\n\r\n`);
    conn.lastSent = `${method} ${target}`;
    let status: number;
    let statusText: string;
    let headers: Map<string, string>;
    for (;;) {
      const line = await conn.expectLine();
      const m = STATUS_LINE.exec(line);
      if (m === null) throw new CheckFailure(`expected an HTTP status line, got ${quote(line)}`);
      status = Number(m[1]);
      statusText = m[2] ?? '';
      headers = new Map();
      for (let n = 0; ; n++) {
        const h = await conn.expectLine();
        if (h === '') break;
        if (n >= MAX_HEADERS) throw new CheckFailure(`more than ${MAX_HEADERS} response headers`);
        addHeader(headers, h);
      }
      if (status >= 200 || status < 100) break; // skip 1xx interim responses
    }
    const location = headers.get('location');
    if (REDIRECTS.has(status) && location !== undefined) return { status, statusText, body: '', location };
    if (method === 'HEAD' || status === 204 || status === 304) return { status, statusText, body: '' };
    return { status, statusText, body: (await readBody(conn, headers)).toString('utf8') };
  } finally {
    conn.close();
  }
}

/**
 * https through a proxy, as LWP does: `CONNECT host:port` to the proxy, a 2xx reply, then TLS to the
 * origin inside that tunnel (the proxy never sees the request).
 */
async function connectTunnel(
  proxy: { readonly host: string; readonly port: number },
  hostname: string,
  port: number,
  tlsOpts: { servername: string; rejectUnauthorized: boolean },
  signal: AbortSignal,
): Promise<Conn> {
  const raw = await dial({ host: proxy.host, port: proxy.port, signal });
  try {
    const authority = `${bracketed(hostname)}:${port}`;
    raw.send(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\nUser-Agent: ${USER_AGENT}\r\n\r\n`);
    raw.lastSent = `CONNECT ${authority}`;
    const line = await raw.expectLine();
    const code = Number(/^HTTP\/\d\.\d (\d{3})/.exec(line)?.[1] ?? NaN);
    if (!(code >= 200 && code < 300)) throw new CheckFailure(`proxy ${hostPort(proxy.host, proxy.port)} refused CONNECT ${authority}: ${quote(line)}`);
    for (let n = 0; (await raw.expectLine()) !== ''; n++) if (n >= MAX_HEADERS) throw new CheckFailure(`more than ${MAX_HEADERS} CONNECT reply headers`);
    raw.socket.removeAllListeners('data'); // the TLS layer reads the tunnel from here on
    const servername = isIP(tlsOpts.servername) ? undefined : tlsOpts.servername;
    const secure = tls.connect({ socket: raw.socket, rejectUnauthorized: tlsOpts.rejectUnauthorized, servername: servername ?? '' });
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(new CheckFailure('TLS handshake in the CONNECT tunnel aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      secure.once('secureConnect', () => (signal.removeEventListener('abort', onAbort), resolve()));
      secure.once('error', (e) => (signal.removeEventListener('abort', onAbort), reject(new CheckFailure(`TLS in the CONNECT tunnel to ${authority}: ${e.message}`))));
    });
    return new Conn(secure, signal);
  } catch (e) {
    raw.close();
    throw e;
  }
}

/**
 * Strict framing (RFC 9112), as strict as node:http's parser at least: a reply we cannot frame exactly is a
 * server we cannot vouch for. Status line HTTP/1.0 or 1.1; header lines `token: value`, no control
 * character but HTAB in a reason or value (RFC 9110 §5.5: NUL, bare CR, \x11… are not field-vchar), no
 * obs-fold; one Content-Length (repeats must agree), never with Transfer-Encoding.
 */
// eslint-disable-next-line no-control-regex -- the control characters are what these classes exclude
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: ([^\0-\x08\x0a-\x1f\x7f]*))?$/;
// eslint-disable-next-line no-control-regex -- as above
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([^\0-\x08\x0a-\x1f\x7f]*?)[ \t]*$/;

function addHeader(headers: Map<string, string>, line: string): void {
  const m = HEADER_LINE.exec(line);
  if (m === null) throw new CheckFailure(`malformed header line ${quote(line)}`);
  const name = m[1]!.toLowerCase();
  const value = m[2]!;
  const had = headers.get(name);
  if (name === 'content-length') {
    // Exactly one plain length, as node:http's parser: a repeat or a list is a request-smuggling shape.
    if (had !== undefined || !/^\d{1,15}$/.test(value)) {
      throw new CheckFailure(`bad or conflicting Content-Length ${quote(had !== undefined ? `${had}, ${value}` : value)}`);
    }
    headers.set(name, value);
    return;
  }
  headers.set(name, had !== undefined ? `${had}, ${value}` : value);
}

/** The body by Content-Length, chunked coding or connection close, at most MAX_REPLY_BYTES of it. */
async function readBody(conn: Conn, headers: Map<string, string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let have = 0;
  const take = async (n: number): Promise<boolean> => {
    let left = Math.min(n, MAX_REPLY_BYTES - have);
    while (left > 0) {
      const b = await conn.readSome(left);
      if (b === null) return false;
      chunks.push(b);
      have += b.length;
      left -= b.length;
    }
    return have < MAX_REPLY_BYTES;
  };
  const te = headers.get('transfer-encoding');
  const length = headers.get('content-length');
  if (te !== undefined) {
    if (length !== undefined) throw new CheckFailure('both Transfer-Encoding and Content-Length');
    if (!/(?:^|,)[ \t]*chunked[ \t]*$/i.test(te)) throw new CheckFailure(`unsupported Transfer-Encoding ${quote(te)}`);
    for (;;) {
      const sizeLine = await conn.expectLine();
      // Chunk extensions (ignored) in visible ASCII only, as node:http: no control or 8-bit bytes.
      const m = /^([0-9a-fA-F]{1,12})[ \t]*(?:;[\t\x20-\x7e]*)?$/.exec(sizeLine);
      if (m === null) throw new CheckFailure(`bad chunk size ${quote(sizeLine)}`);
      const size = Number.parseInt(m[1]!, 16);
      if (size === 0) {
        // The trailer section (RFC 9112 §7.1.2): field lines, as strict as the header's, up to the empty
        // line that ends the message; a garbage trailer or a close before that line is a broken reply.
        for (let n = 0; ; n++) {
          const trailer = await conn.expectLine();
          if (trailer === '') break;
          if (n >= MAX_HEADERS || !HEADER_LINE.test(trailer)) throw new CheckFailure(`malformed or too many trailer lines, at ${quote(trailer)}`);
        }
        break;
      }
      const before = have;
      if (!(await take(size))) {
        if (have >= MAX_REPLY_BYTES) break;
        throw new CheckFailure(`connection closed ${have - before} bytes into a ${size}-byte chunk`);
      }
      const end = await conn.expectLine(); // the CRLF after each chunk
      if (end !== '') throw new CheckFailure(`chunk of ${size} bytes not followed by CRLF, got ${quote(end)}`);
    }
  } else if (length !== undefined) {
    const want = Number(length);
    if (!(await take(want)) && have < Math.min(want, MAX_REPLY_BYTES)) {
      throw new CheckFailure(`connection closed after ${have} of ${want} body bytes (Content-Length)`);
    }
  } else {
    await take(Number.POSITIVE_INFINITY);
  }
  return Buffer.concat(chunks);
}

async function fetchAndMatch(spec: CheckSpec, first: Fetch, signal: AbortSignal): Promise<CheckResult> {
  const what = `${spec.httpMethod} ${first.url.href}`;
  const re = compileReceive(spec.receive);
  if ('error' in re) return down(`${what}: ${re.error}`);
  const t = withTimeout(signal, spec.negotiateTimeoutMs);
  let reply: Reply;
  try {
    let f = first;
    for (let hops = 0; ; hops++) {
      reply = await exchange(spec.httpMethod, f, t.signal);
      if (reply.location === undefined) break;
      if (hops >= MAX_REDIRECTS) return down(`${what}: expected 2xx, got ${reply.status} ${reply.statusText} after ${MAX_REDIRECTS} redirects`);
      const next = new URL(reply.location, f.url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        return down(`${what}: ${reply.status} redirect to ${quote(next.href)}, which is not http or https`);
      }
      // The new URL's host names the server from now on: Host header and SNI (an IP literal sends no SNI).
      f = { url: next, host: next.host, ...(f.proxy !== undefined ? { proxy: f.proxy } : {}) };
    }
  } catch (err) {
    if (t.signal.aborted) {
      const r: unknown = t.signal.reason;
      return down(`${what}: ${r instanceof Error && r.name === 'CheckTimeout' ? r.message : 'aborted'}`);
    }
    return down(`${what}: ${describeError(err)}`);
  } finally {
    t.dispose();
  }
  const status = `${reply.status}${reply.statusText !== '' ? ` ${reply.statusText}` : ''}`;
  if (reply.status < 200 || reply.status > 299) return down(`${what}: expected 2xx, got ${status}`);
  let hit: boolean;
  try {
    hit = spec.receive === '' || (await matchReceive(re, reply.body, spec.negotiateTimeoutMs));
  } catch (err) {
    return down(`${what}: ${describeError(err)}`);
  }
  if (!hit) return down(`${what}: expected /${spec.receive}/, got ${reply.status} ${quote(reply.body)}`);
  return up(status);
}

/** The host name in a Host header value ("name:port", "[v6]:port", a bare address), for SNI. */
function hostOnly(host: string): string {
  if (isIP(host) !== 0) return host;
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']') > 0 ? host.indexOf(']') : undefined);
  return host.replace(/:\d*$/, '');
}

function direct(scheme: 'http' | 'https'): Checker {
  return (spec, signal) => {
    let url: URL;
    try {
      url = new URL(spec.url ?? defaultUrl(spec, scheme));
    } catch {
      return Promise.resolve(down(`${scheme} ${hostPort(spec.host, spec.port)}: invalid URL ${quote(spec.url ?? '')}`));
    }
    // Host is virtualhost, else the real's address (bracketed IPv6), never taken from a per-real URL (spec §3.3).
    const host = spec.virtualHost ?? bracketed(spec.host);
    return fetchAndMatch(spec, { url, host, ...(spec.virtualHost !== undefined ? { tlsServerName: hostOnly(spec.virtualHost) } : {}) }, signal);
  };
}

/** service=http. */
export const check: Checker = direct('http');

/** service=https: as http, over TLS without certificate verification, SNI = virtualhost. */
export const checkHttps: Checker = direct('https');

/** service=http_proxy: fetch the absolute URL (request=) through the real as an HTTP proxy. */
export const checkProxy: Checker = async (spec, signal) => {
  const raw = spec.url ?? spec.request.replace(/^\//, '');
  let target: URL;
  try {
    target = new URL(raw);
  } catch {
    return down(`http_proxy via ${hostPort(spec.host, spec.port)}: request ${quote(raw)} is not an absolute URL`);
  }
  const r = await fetchAndMatch(spec, { url: target, host: target.host, proxy: { host: spec.host, port: spec.port } }, signal);
  return r.ok ? r : down(`via proxy ${hostPort(spec.host, spec.port)}: ${r.reason}`);
};
