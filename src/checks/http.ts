// service=http/https/http_proxy: one request (≤7 redirects, as LWP) with node:http(s); 2xx and body matching receive → up.
//
// Node's own client rather than got: bench/checks.ts measured got at ~1 ms CPU per check (≈1,000 checks/s
// per core) against ~0.3–0.45 ms for node:http on the same loopback farm; the 5,000 checks/s target rules
// got out (figures in bench/checks.ts output and the issue-4 report).
import http from 'node:http';
import https from 'node:https';
import { isIP, isIPv6 } from 'node:net';
import { compileReceive, describeError, down, hostPort, MAX_REPLY_BYTES, perlMatch, quote, up, withTimeout } from './net.js';
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

type Reply = { status: number; statusText: string; body: string; location?: string };

/** One HTTP exchange; the response body is read up to MAX_REPLY_BYTES, then the socket is dropped. */
function exchange(method: 'GET' | 'HEAD', f: Fetch, signal: AbortSignal): Promise<Reply> {
  const { url } = f;
  const tls = url.protocol === 'https:' && f.proxy === undefined;
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const sni = f.tlsServerName ?? hostname;
  const options: https.RequestOptions = {
    method,
    host: f.proxy?.host ?? hostname,
    port: f.proxy?.port ?? (url.port !== '' ? Number(url.port) : tls ? 443 : 80),
    // A proxy gets the absolute-form request line (RFC 9112 §3.2.2).
    path: f.proxy !== undefined ? url.href : `${url.pathname}${url.search}`,
    headers: { host: f.host, 'user-agent': USER_AGENT, connection: 'close' },
    // A fresh connection per check, as upstream: a pooled socket would hide a server that stopped accepting.
    agent: false,
    signal,
    ...(tls ? {
      // Upstream (LWP with verify_hostname => 0) never verifies certificates.
      rejectUnauthorized: false,
      // IP literals may not be sent as SNI; virtualhost is (upstream sends none, spec §7.2 item 20).
      servername: isIP(sni) === 0 ? sni : '',
    } : {}),
  };
  return new Promise<Reply>((resolve, reject) => {
    const req = (tls ? https : http).request(options, (res) => {
      const status = res.statusCode ?? 0;
      const statusText = res.statusMessage ?? '';
      const location = res.headers.location;
      if (status >= 300 && status < 400 && location !== undefined) {
        res.destroy();
        resolve({ status, statusText, body: '', location });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = (): void => resolve({ status, statusText, body: Buffer.concat(chunks).toString('utf8') });
      res.on('data', (chunk: Buffer) => {
        if (size >= MAX_REPLY_BYTES) return;
        const room = MAX_REPLY_BYTES - size;
        chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
        size += Math.min(chunk.length, room);
        // The regex sees the first MAX_REPLY_BYTES; the rest is not worth reading.
        if (size >= MAX_REPLY_BYTES) {
          res.destroy();
          finish();
        }
      });
      res.on('end', finish);
      res.on('error', (err) => (size >= MAX_REPLY_BYTES ? finish() : reject(err)));
    });
    req.on('error', reject);
    req.end();
  });
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
      f = { ...f, url: next, host: next.host, ...(f.tlsServerName !== undefined ? { tlsServerName: next.hostname } : {}) };
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

function direct(scheme: 'http' | 'https'): Checker {
  return (spec, signal) => {
    let url: URL;
    try {
      url = new URL(spec.url ?? defaultUrl(spec, scheme));
    } catch {
      return Promise.resolve(down(`${scheme} ${hostPort(spec.host, spec.port)}: invalid URL ${quote(spec.url ?? '')}`));
    }
    // Host is virtualhost, else the real's address (bracketed IPv6), never taken from a per-real URL (spec §3.3).
    const host = spec.virtualHost ?? (isIPv6(spec.host) ? `[${spec.host}]` : spec.host);
    return fetchAndMatch(spec, { url, host, ...(spec.virtualHost !== undefined ? { tlsServerName: spec.virtualHost } : {}) }, signal);
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
