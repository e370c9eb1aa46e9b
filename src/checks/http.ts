// service=http/https/http_proxy: one HTTP/1.1 request (≤7 redirects, as LWP); 2xx and body matching receive → up.
//
// A small client on the shared dial/Conn helpers rather than got or node:http: on the same loopback farm
// got cost ~1 ms CPU per check (≤1,000 checks/s per core), node:http 0.12–0.4 ms, this client much less;
// the 5,000 checks/s target rules got out (figures: bench/checks.ts and the issue-4 report).
import tls from 'node:tls';
import net, { isIP } from 'node:net';
import { CheckFailure, compileReceive, Deadline, describeError, down, quote, up } from './result.js';
import { dial } from './tcp.js';
import { matchReceive } from './match.js';
import { MAX_HEADERS, ReplyParser, type Reply } from './http-reply.js';
import type { PerlRegex } from '../model/perl-regex.js';
import { bracketed, hostPort } from '../model/keys.js';
import type { Checker, CheckResult, CheckSpec } from './types.js';

/** LWP's default redirect limit, which upstream inherits. */
const MAX_REDIRECTS = 7;
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

/**
 * What one spec asks, worked out once per spec object (the scheduler hands the same spec to every run):
 * the first URL, the request bytes, the compiled receive=. A spec that cannot be checked caches its verdict.
 */
interface Plan {
  readonly what: string;
  readonly first: Fetch;
  readonly request: Buffer;
  readonly lastSent: string;
  readonly re: PerlRegex;
}

/** Every plain-TCP check reads into this one buffer: each read is parsed (and what is kept copied) before the next. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** The request line target and the request bytes for one fetch. */
function request(method: 'GET' | 'HEAD', f: Fetch): { text: string; lastSent: string } {
  const tunnel = f.url.protocol === 'https:' && f.proxy !== undefined;
  // A proxy gets the absolute-form request line (RFC 9112 §3.2.2); through a CONNECT tunnel the origin form.
  const target = f.proxy !== undefined && !tunnel ? f.url.href : `${f.url.pathname}${f.url.search}`;
  return {
    text: `${method} ${target} HTTP/1.1\r\nHost: ${f.host}\r\nUser-Agent: ${USER_AGENT}\r\nConnection: close\r\n\r\n`,
    lastSent: `${method} ${target}`,
  };
}

function plan(spec: CheckSpec, first: Fetch): Plan | CheckResult {
  const what = `${spec.httpMethod} ${first.url.href}`;
  const re = compileReceive(spec.receive);
  if ('error' in re) return down(`${what}: ${re.error}`);
  const r = request(spec.httpMethod, first);
  return { what, first, request: Buffer.from(r.text, 'latin1'), lastSent: r.lastSent, re };
}

/** A plain TCP socket that knows its exchange, so its listeners are shared functions rather than closures per check. */
class PlainSocket extends net.Socket {
  ex: Exchange | undefined;
}
const PLAIN_OPTS: net.ConnectOpts = { onread: { buffer: READ_BUFFER, callback: plainRead as (n: number, buf: Uint8Array) => boolean } };
function plainConnect(this: PlainSocket): void {
  this.ex?.connected();
}
function plainRead(this: PlainSocket, n: number, buf: Buffer): boolean {
  this.ex?.data(buf, n);
  return true;
}
function plainEnd(this: PlainSocket): void {
  this.ex?.ended();
}
function plainError(this: PlainSocket, err: Error): void {
  this.ex?.failed(err);
}

/**
 * One HTTP/1.1 exchange with "Connection: close" on its own connection (as upstream: a pooled socket would
 * hide a server that stopped accepting). Settles once: the parser's reply, or a CheckFailure.
 */
class Exchange {
  socket: net.Socket | undefined;
  private isConnected = false;
  private settled = false;
  private readonly parser: ReplyParser;

  constructor(
    private readonly address: string,
    private readonly request: Buffer | string,
    private readonly lastSent: string,
    head: boolean,
    private readonly resolve: (r: Reply) => void,
    private readonly reject: (e: unknown) => void,
  ) {
    this.parser = new ReplyParser(head, (what) => this.context(what));
  }

  private context(what: string): string {
    return `${what} (after sending ${quote(this.lastSent, 60)})`;
  }

  connected(): void {
    if (this.settled) return;
    this.isConnected = true;
    this.socket!.write(this.request);
  }

  data(buf: Buffer, n: number): void {
    if (this.settled) return;
    try {
      this.parser.feed(buf, n);
    } catch (err) {
      return this.fail(err);
    }
    if (this.parser.reply !== undefined) this.done(this.parser.reply);
  }

  ended(): void {
    if (this.settled) return;
    if (!this.isConnected) return this.fail(new CheckFailure(`connect to ${this.address}: connection closed`));
    try {
      this.parser.end();
    } catch (err) {
      return this.fail(err);
    }
    this.done(this.parser.reply!);
  }

  failed(err: Error): void {
    if (this.settled) return;
    this.fail(
      this.isConnected
        ? new CheckFailure(this.context(describeError(err)), { cause: err })
        : new CheckFailure(`connect to ${this.address}: ${describeError(err)}`, { cause: err }),
    );
  }

  /** The deadline passed or the caller aborted (the caller reports that, not this failure). */
  abort(): void {
    if (!this.settled) this.fail(new CheckFailure('aborted'));
  }

  private done(reply: Reply): void {
    this.settled = true;
    this.release();
    this.resolve(reply);
  }

  private fail(err: unknown): void {
    this.settled = true;
    this.release();
    this.reject(err);
  }

  private release(): void {
    const s = this.socket;
    if (s === undefined) return;
    if (s instanceof PlainSocket) s.ex = undefined;
    else s.removeAllListeners('data');
    s.destroy();
  }
}

/** Opens the connection for `f` and runs one exchange on it; `track` learns the exchange (for the deadline). */
function exchange(method: 'GET' | 'HEAD', f: Fetch, req: Buffer | string, lastSent: string, d: Deadline, track: (ex: Exchange) => void): Promise<Reply> {
  const { url } = f;
  const https = url.protocol === 'https:';
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port !== '' ? Number(url.port) : https ? 443 : 80;
  const host = f.proxy?.host ?? hostname;
  const dialPort = f.proxy?.port ?? port;
  // No certificate verification (upstream: LWP with verify_hostname => 0); SNI = virtualhost, never an IP.
  const tlsOpts = { servername: f.tlsServerName ?? hostname, rejectUnauthorized: false };
  return new Promise<Reply>((resolve, reject) => {
    const ex = new Exchange(hostPort(host, dialPort), req, lastSent, method === 'HEAD', resolve, reject);
    track(ex);
    if (d.expired) return ex.abort();
    if (https && f.proxy !== undefined) {
      connectTunnel(f.proxy, hostname, port, tlsOpts, d.signal).then((secure) => {
        ex.socket = secure;
        listenTls(secure, ex);
        ex.connected();
      }, reject);
      return;
    }
    if (https) {
      const sni = tlsOpts.servername;
      // Node refuses IP literals as SNI; an empty string disables SNI.
      const socket = tls.connect({ host, port: dialPort, rejectUnauthorized: false, servername: isIP(sni) === 0 ? sni : '' });
      ex.socket = socket;
      socket.once('secureConnect', () => ex.connected());
      listenTls(socket, ex);
      return;
    }
    // onread is a constructor option (net.connect passes it there too); @types/node lists it for connect only.
    const socket = new PlainSocket(PLAIN_OPTS as net.SocketConstructorOpts);
    socket.ex = ex;
    ex.socket = socket;
    socket.on('connect', plainConnect);
    socket.on('end', plainEnd);
    socket.on('close', plainEnd);
    socket.on('error', plainError);
    socket.connect({ host, port: dialPort });
  });
}

function listenTls(socket: tls.TLSSocket, ex: Exchange): void {
  socket.on('data', (chunk: Buffer) => ex.data(chunk, chunk.length));
  socket.on('end', () => ex.ended());
  socket.on('close', () => ex.ended());
  socket.on('error', (err) => ex.failed(err));
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
): Promise<tls.TLSSocket> {
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
    secure.removeAllListeners('error');
    // raw stays as it is: its socket carries the tunnel, and it still closes that socket if the deadline passes.
    return secure;
  } catch (e) {
    raw.close();
    throw e;
  }
}

async function fetchAndMatch(p: Plan, spec: CheckSpec, signal: AbortSignal): Promise<CheckResult> {
  const { what } = p;
  let current: Exchange | undefined;
  const d = new Deadline(signal, spec.negotiateTimeoutMs, () => current?.abort());
  const track = (ex: Exchange): void => {
    current = ex;
  };
  let reply: Reply;
  try {
    let f = p.first;
    let req: Buffer | string = p.request;
    let lastSent = p.lastSent;
    for (let hops = 0; ; hops++) {
      reply = await exchange(spec.httpMethod, f, req, lastSent, d, track);
      if (reply.location === undefined) break;
      if (hops >= MAX_REDIRECTS) return down(`${what}: expected 2xx, got ${reply.status} ${reply.statusText} after ${MAX_REDIRECTS} redirects`);
      const next = new URL(reply.location, f.url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        return down(`${what}: ${reply.status} redirect to ${quote(next.href)}, which is not http or https`);
      }
      // The new URL's host names the server from now on: Host header and SNI (an IP literal sends no SNI).
      f = { url: next, host: next.host, ...(f.proxy !== undefined ? { proxy: f.proxy } : {}) };
      const r = request(spec.httpMethod, f);
      req = r.text;
      lastSent = r.lastSent;
    }
  } catch (err) {
    if (d.expired) return down(`${what}: ${d.text}`);
    return down(`${what}: ${describeError(err)}`);
  } finally {
    d.dispose();
  }
  const status = reply.statusText !== '' ? `${reply.status} ${reply.statusText}` : String(reply.status);
  if (reply.status < 200 || reply.status > 299) return down(`${what}: expected 2xx, got ${status}`);
  if (spec.receive === '') return up(status);
  let hit: boolean;
  try {
    hit = p.re.inline ? p.re.test(reply.body) : await matchReceive(p.re, reply.body, spec.negotiateTimeoutMs);
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
  const plans = new WeakMap<CheckSpec, Plan | CheckResult>();
  const planFor = (spec: CheckSpec): Plan | CheckResult => {
    let url: URL;
    try {
      url = new URL(spec.url ?? defaultUrl(spec, scheme));
    } catch {
      return down(`${scheme} ${hostPort(spec.host, spec.port)}: invalid URL ${quote(spec.url ?? '')}`);
    }
    // Host is virtualhost, else the real's address (bracketed IPv6), never taken from a per-real URL (spec §3.3).
    const host = spec.virtualHost ?? bracketed(spec.host);
    return plan(spec, { url, host, ...(spec.virtualHost !== undefined ? { tlsServerName: hostOnly(spec.virtualHost) } : {}) });
  };
  return (spec, signal) => {
    let p = plans.get(spec);
    if (p === undefined) plans.set(spec, (p = planFor(spec)));
    return 'what' in p ? fetchAndMatch(p, spec, signal) : Promise.resolve(p);
  };
}

/** service=http. */
export const check: Checker = direct('http');

/** service=https: as http, over TLS without certificate verification, SNI = virtualhost. */
export const checkHttps: Checker = direct('https');

const proxyPlans = new WeakMap<CheckSpec, Plan | CheckResult>();

/** service=http_proxy: fetch the absolute URL (request=) through the real as an HTTP proxy. */
export const checkProxy: Checker = async (spec, signal) => {
  let p = proxyPlans.get(spec);
  if (p === undefined) {
    const raw = spec.url ?? spec.request.replace(/^\//, '');
    let target: URL | undefined;
    try {
      target = new URL(raw);
    } catch {
      p = down(`http_proxy via ${hostPort(spec.host, spec.port)}: request ${quote(raw)} is not an absolute URL`);
    }
    p ??= plan(spec, { url: target!, host: target!.host, proxy: { host: spec.host, port: spec.port } });
    proxyPlans.set(spec, p);
    if (!('what' in p)) return p.ok ? p : down(`via proxy ${hostPort(spec.host, spec.port)}: ${p.reason}`);
  }
  if (!('what' in p)) return p.ok || p.reason.startsWith('http_proxy via ') ? p : down(`via proxy ${hostPort(spec.host, spec.port)}: ${p.reason}`);
  const r = await fetchAndMatch(p, spec, signal);
  return r.ok ? r : down(`via proxy ${hostPort(spec.host, spec.port)}: ${r.reason}`);
};
