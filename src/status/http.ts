// The metrics= listener: GET /metrics (Prometheus), / (status page), /status.json. Read-only: no
// other method, no request body. Bounded: connection count, header size and slow clients all have a
// limit, so idle or hostile clients cost a socket each and never the health checks' time.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Metrics } from './metrics.js';
import { renderPage } from './page.js';
import type { StatusSnapshot } from './snapshot.js';

/** Limits of the listener (tests lower them). */
export interface HttpLimits {
  /** Open connections at once; more are closed on accept. */
  readonly maxConnections: number;
  /** Bytes of request line + headers. */
  readonly maxHeaderBytes: number;
  /** A client must finish its headers within this (ms). */
  readonly headersTimeoutMs: number;
  /** Keep-alive idle time (ms). */
  readonly keepAliveMs: number;
}

export const DEFAULT_LIMITS: HttpLimits = { maxConnections: 64, maxHeaderBytes: 8192, headersTimeoutMs: 5000, keepAliveMs: 5000 };

/** What the listener serves. */
export interface HttpSources {
  readonly snapshot: () => Promise<StatusSnapshot>;
  readonly metrics: Metrics;
}

const SECURITY_HEADERS = {
  // The page's own inline script and style only; fetch to this origin only.
  'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
} as const;

function send(res: ServerResponse, code: number, type: string, body: string, head: boolean): void {
  res.writeHead(code, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

async function handle(req: IncomingMessage, res: ServerResponse, src: HttpSources): Promise<void> {
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) {
    res.setHeader('allow', 'GET, HEAD');
    return send(res, 405, 'text/plain; charset=utf-8', 'read-only: GET and HEAD only\n', false);
  }
  const length = Number(req.headers['content-length'] ?? 0);
  if (length > 0 || req.headers['transfer-encoding'] !== undefined) {
    res.setHeader('connection', 'close');
    return send(res, 413, 'text/plain; charset=utf-8', 'no request body accepted\n', false);
  }
  const path = (req.url ?? '/').split('?')[0];
  switch (path) {
    case '/metrics':
      return send(res, 200, src.metrics.contentType, await src.metrics.text(), head);
    case '/status.json':
      return send(res, 200, 'application/json; charset=utf-8', JSON.stringify(await src.snapshot()), head);
    case '/':
      return send(res, 200, 'text/html; charset=utf-8', renderPage(await src.snapshot()), head);
    default:
      return send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
  }
}

/** A running listener. */
export interface HttpListener {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Binds address:port; rejects with the listen error (EADDRINUSE, EADDRNOTAVAIL, EACCES). */
export async function startHttp(address: string, port: number, src: HttpSources, limits: HttpLimits = DEFAULT_LIMITS): Promise<HttpListener> {
  const server: Server = createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.headersTimeoutMs * 2,
      keepAliveTimeout: limits.keepAliveMs,
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    },
    (req, res) => {
      handle(req, res, src).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `internal error: ${String(err)}\n`, false);
        else res.destroy();
      });
    },
  );
  server.maxConnections = limits.maxConnections;
  // A socket that never sends a byte is not covered by headersTimeout until its first byte: bound it here.
  server.on('connection', (sock) => sock.setTimeout(limits.headersTimeoutMs * 2, () => sock.destroy()));
  server.on('clientError', (_err, sock) => {
    if (sock.writable) sock.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else sock.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  const a = server.address();
  const bound = typeof a === 'object' && a !== null ? a.port : port;
  return {
    address,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
