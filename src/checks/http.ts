// service=http/https/http_proxy: one HTTP/1.1 request (≤7 redirects, as LWP); 2xx and body matching receive → up.
//
// A small client on the shared dial/Conn helpers rather than got or node:http: on the same loopback farm
// got cost ~1 ms CPU per check (≤1,000 checks/s per core), node:http 0.12–0.4 ms, this client much less;
// the 5,000 checks/s target rules got out (figures: bench/checks.ts and the issue-4 report).
import { isIP } from 'node:net';
import { CheckFailure, compileReceive, describeError, down, MAX_REPLY_BYTES, perlMatch, quote, up, withTimeout } from './result.js';
import { dial, type Conn } from './tcp.js';
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
  const tls = url.protocol === 'https:' && f.proxy === undefined;
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const conn = await dial({
    host: f.proxy?.host ?? hostname,
    port: f.proxy?.port ?? (url.port !== '' ? Number(url.port) : tls ? 443 : 80),
    signal,
    // No certificate verification (upstream: LWP with verify_hostname => 0); SNI = virtualhost, never an IP.
    ...(tls ? { tls: { servername: f.tlsServerName ?? hostname, rejectUnauthorized: false } } : {}),
  });
  try {
    // A proxy gets the absolute-form request line (RFC 9112 §3.2.2).
    const target = f.proxy !== undefined ? url.href : `${url.pathname}${url.search}`;
    conn.send(`${method} ${target} HTTP/1.1\r\nHost: ${f.host}\r\nUser-Agent: ${USER_AGENT}\r\nConnection: close\r\n\r\n`);
    conn.lastSent = `${method} ${target}`;
    let status: number;
    let statusText: string;
    let headers: Map<string, string>;
    for (;;) {
      const line = await conn.expectLine();
      const m = /^HTTP\/\d\.\d (\d{3})(?: (.*))?$/.exec(line);
      if (m === null) throw new CheckFailure(`expected an HTTP status line, got ${quote(line)}`);
      status = Number(m[1]);
      statusText = m[2] ?? '';
      headers = new Map();
      for (let n = 0; ; n++) {
        const h = await conn.expectLine();
        if (h === '') break;
        if (n >= MAX_HEADERS) throw new CheckFailure(`more than ${MAX_HEADERS} response headers`);
        const colon = h.indexOf(':');
        if (colon > 0) headers.set(h.slice(0, colon).trim().toLowerCase(), h.slice(colon + 1).trim());
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
  if (/\bchunked\b/i.test(headers.get('transfer-encoding') ?? '')) {
    for (;;) {
      const sizeLine = await conn.expectLine();
      const size = Number.parseInt(sizeLine.split(';')[0] ?? '', 16);
      if (!Number.isFinite(size) || size < 0) throw new CheckFailure(`bad chunk size ${quote(sizeLine)}`);
      if (size === 0 || !(await take(size))) break;
      await conn.expectLine(); // the CRLF after each chunk
    }
  } else {
    const length = headers.get('content-length');
    await take(length !== undefined && /^\d+$/.test(length) ? Number(length) : Number.POSITIVE_INFINITY);
  }
  return Buffer.concat(chunks);
}

async function fetchAndMatch(spec: CheckSpec, first: Fetch, signal: AbortSignal): Promise<CheckResult> {
  const what = `${spec.httpMethod} ${first.url.href}`;
  const re = compileReceive(spec.receive);
  if (!(re instanceof RegExp)) return down(`${what}: ${re.error}`);
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
  if (spec.receive !== '' && !perlMatch(re, reply.body)) return down(`${what}: expected /${spec.receive}/, got ${reply.status} ${quote(reply.body)}`);
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
