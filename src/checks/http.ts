// service=http/https/http_proxy: one request with got; 2xx (after ≤7 redirects) and body matching receive → up.
import http from 'node:http';
import https from 'node:https';
import { isIPv6 } from 'node:net';
import got, { type Options, RequestError } from 'got';
import { compileReceive, describeError, down, hostPort, MAX_REPLY_BYTES, perlMatch, quote, up, withTimeout } from './net.js';
import type { Checker, CheckResult, CheckSpec } from './types.js';

/** LWP's default redirect limit, which upstream inherits. */
const MAX_REDIRECTS = 7;
const USER_AGENT = 'ldirectord-ng health check';
// A fresh connection per check, as upstream: a pooled keep-alive socket would hide a server that no
// longer accepts connections, and idle sockets would outlive the check.
const AGENTS = { http: new http.Agent({ keepAlive: false }), https: new https.Agent({ keepAlive: false }) };

/** The URL upstream would fetch when the spec has none (spec §3.4): scheme://rip:port/request. */
export function defaultUrl(spec: CheckSpec, scheme: 'http' | 'https'): string {
  return `${scheme}://${hostPort(spec.host, spec.port)}/${spec.request.replace(/^\//, '')}`;
}

interface Fetch {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly tlsServerName?: string;
  readonly request?: Options['request'];
}

async function fetchAndMatch(spec: CheckSpec, f: Fetch, signal: AbortSignal): Promise<CheckResult> {
  const what = `${spec.httpMethod} ${f.url}`;
  const re = compileReceive(spec.receive);
  if (!(re instanceof RegExp)) return down(`${what}: ${re.error}`);
  const t = withTimeout(signal, spec.negotiateTimeoutMs);
  let status = 0;
  let statusText = '';
  let body = '';
  try {
    const stream = got.stream(f.url, {
      method: spec.httpMethod,
      headers: { 'user-agent': USER_AGENT, ...f.headers },
      signal: t.signal,
      throwHttpErrors: false,
      followRedirect: true,
      maxRedirects: MAX_REDIRECTS,
      retry: { limit: 0 },
      agent: AGENTS,
      decompress: true,
      // Upstream (LWP with verify_hostname => 0) never verifies certificates.
      https: { rejectUnauthorized: false, ...(f.tlsServerName !== undefined ? { serverName: f.tlsServerName } : {}) },
      ...(f.request !== undefined ? { request: f.request } : {}),
    });
    stream.on('response', (res: http.IncomingMessage) => {
      status = res.statusCode ?? 0;
      statusText = res.statusMessage ?? '';
    });
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      // Keep at most MAX_REPLY_BYTES; the regex sees that prefix and the connection is dropped.
      if (size > MAX_REPLY_BYTES) {
        chunks.push(chunk.subarray(0, chunk.length - (size - MAX_REPLY_BYTES)));
        stream.destroy();
        break;
      }
      chunks.push(chunk);
    }
    body = Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    if (t.signal.aborted) return down(`${what}: ${t.signal.reason instanceof Error && t.signal.reason.name === 'CheckTimeout' ? t.signal.reason.message : 'aborted'}`);
    if (err instanceof RequestError || typeof (err as { code?: unknown }).code === 'string') return down(`${what}: ${describeError(err)}`);
    throw err;
  } finally {
    t.dispose();
  }
  const got_ = `${status}${statusText !== '' ? ` ${statusText}` : ''}`;
  if (status < 200 || status > 299) return down(`${what}: expected 2xx, got ${got_}`);
  if (spec.receive !== '' && !perlMatch(re, body)) return down(`${what}: expected /${spec.receive}/, got ${status} ${quote(body)}`);
  return up(`${got_}`);
}

function direct(scheme: 'http' | 'https'): Checker {
  return (spec, signal) => {
    const url = spec.url ?? defaultUrl(spec, scheme);
    // Host is virtualhost, else the real's address (bracketed IPv6), never taken from the URL (spec §3.3).
    const host = spec.virtualHost ?? (isIPv6(spec.host) ? `[${spec.host}]` : spec.host);
    return fetchAndMatch(
      spec,
      // SNI = virtualhost (upstream sends none; we fix that, spec §7.2 item 20).
      { url, headers: { host }, ...(spec.virtualHost !== undefined ? { tlsServerName: spec.virtualHost } : {}) },
      signal,
    );
  };
}

/** service=http. */
export const check: Checker = direct('http');

/** service=https: as http, over TLS without certificate verification, SNI = virtualhost. */
export const checkHttps: Checker = direct('https');

/** service=http_proxy: fetch the absolute URL (request=) through the real as an HTTP proxy. */
export const checkProxy: Checker = (spec, signal) => {
  const raw = spec.url ?? spec.request.replace(/^\//, '');
  let target: URL;
  try {
    target = new URL(raw);
  } catch {
    return Promise.resolve(down(`http_proxy via ${hostPort(spec.host, spec.port)}: request ${quote(raw)} is not an absolute URL`));
  }
  // got has no proxy support; its `request` hook sends the absolute-form request line to the proxy instead.
  const request: Options['request'] = (url, options, callback) =>
    http.request({ ...options, host: spec.host, hostname: spec.host, port: spec.port, path: url.href, agent: false }, callback);
  return fetchAndMatch(
    { ...spec, negotiateTimeoutMs: spec.negotiateTimeoutMs },
    { url: target.href, headers: { host: target.host }, request },
    signal,
  ).then((r) => (r.ok ? r : down(`via proxy ${hostPort(spec.host, spec.port)}: ${r.reason}`)));
};
