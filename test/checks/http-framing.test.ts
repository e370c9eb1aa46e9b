// The HTTP check's response framing (chunked, Content-Length, close-delimited, kept-open, 1xx, bounds, garbage) and request form, against Node's HTTP server and raw peers.
import http from 'node:http';
import net from 'node:net';
import { check, checkProxy } from '../../src/checks/http.js';
import { makeSpec, never } from '../support/spec.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
let server: http.Server;
const routes = new Map<string, Handler>([
  ['/chunked', (_q, r) => { r.write('first chunk '); setTimeout(() => r.end('and the needle\n'), 20); }],
  ['/length', (_q, r) => { r.setHeader('content-length', 12); r.end('needle here\n'); }],
  ['/processing', (_q, r) => { r.writeProcessing(); r.end('after 102 needle\n'); }],
  ['/big-chunked', (_q, r) => { const c = Buffer.alloc(256 * 1024, 'z'); for (let i = 0; i < 12; i++) r.write(c); r.end('needle'); }],
]);

beforeAll(async () => {
  server = http.createServer((req, res) => (routes.get(req.url ?? '') ?? ((_q, r) => { r.statusCode = 404; r.end(); }))(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const port = () => (server.address() as net.AddressInfo).port;

test.each([
  { name: 'a chunked body is decoded before matching', path: '/chunked', receive: 'chunk and the needle$', ok: true },
  { name: 'a Content-Length body is read exactly', path: '/length', receive: '^needle here$', ok: true },
  { name: 'a 102 interim response is skipped', path: '/processing', receive: 'after 102 needle', ok: true },
  { name: 'a 3 MB chunked body is cut at 1 MiB, so a needle at its end is not seen', path: '/big-chunked', receive: 'needle', ok: false },
])('$name', async (c) => {
  const r = await check(makeSpec('127.0.0.1', port(), { request: c.path, receive: c.receive }), never());
  expect(r.ok).toBe(c.ok);
});

test.each([
  { name: 'a reply that is not HTTP is down and quoted', reply: 'SSH-2.0-OpenSSH_9.2\r\n', reason: /expected an HTTP status line, got "SSH-2\.0-OpenSSH_9\.2"/ },
  { name: 'a close-delimited HTTP/1.0 body is read to the end', reply: 'HTTP/1.0 200 OK\r\n\r\nclose-delimited needle', reason: null },
  { name: 'a bad chunk size is down', reply: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', reason: /bad chunk size "zz"/ },
  { name: 'a connection closed before the headers end is down', reply: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n', reason: /connection closed without a reply/ },
])('$name', async (c) => {
  const raw = net.createServer((s) => {
    s.on('error', () => undefined);
    s.once('data', () => s.end(c.reply));
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', () => r()));
  try {
    const r = await check(makeSpec('127.0.0.1', (raw.address() as net.AddressInfo).port, { receive: 'needle' }), never());
    if (c.reason === null) expect(r).toEqual({ ok: true, message: '200 OK' });
    else expect(r.ok ? 'up' : r.reason).toMatch(c.reason);
  } finally {
    await new Promise((r) => raw.close(r));
  }
});

/** A peer that answers each request head with `reply(head)` and keeps the connection open, as a keep-alive server may. */
async function keepOpenPeer(host: string, reply: (head: string) => string): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let head = '';
    s.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      if (head.includes('\r\n\r\n')) s.write(reply(head));
    });
  });
  await new Promise<void>((r) => srv.listen(0, host, () => r()));
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

describe('replies on a connection the server keeps open', () => {
  test.each([
    { name: 'a Content-Length body is judged without waiting for the close', reply: 'HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nneedle', receive: '^needle$', up: '200 OK' },
    { name: 'a chunked body is judged at its last chunk', reply: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nnee\r\n3;ext=1\r\ndle\r\n0\r\n\r\n', receive: '^needle$', up: '200 OK' },
    { name: 'a HEAD reply is complete at its headers whatever Content-Length says', method: 'HEAD' as const, reply: 'HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n', receive: '', up: '200 OK' },
    { name: 'a 204 reply has no body', reply: 'HTTP/1.1 204 No Content\r\n\r\n', receive: '', up: null },
    { name: 'a 300 with a Location is not followed (LWP follows 301/302/303/307/308 only)', reply: 'HTTP/1.1 300 Multiple Choices\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n', receive: '', down: /expected 2xx, got 300 Multiple Choices$/ },
    { name: 'a redirect to another scheme is down', reply: 'HTTP/1.1 302 Found\r\nLocation: ftp://127.0.0.1/x\r\nContent-Length: 0\r\n\r\n', receive: '', down: /302 redirect to "ftp:\/\/127\.0\.0\.1\/x", which is not http or https/ },
    { name: 'endless response headers are cut off', reply: `HTTP/1.1 200 OK\r\n${'X-Junk: y\r\n'.repeat(1000)}`, receive: '', down: /more than 200 response headers/ },
    { name: 'a header line longer than 8 KiB is cut off', reply: `HTTP/1.1 200 OK\r\nX-Junk: ${'y'.repeat(20000)}\r\nContent-Length: 0\r\n\r\n`, receive: '', down: /line longer than 8192 bytes/ },
  ])('$name', async (c) => {
    const peer = await keepOpenPeer('127.0.0.1', () => c.reply);
    try {
      const t0 = Date.now();
      const spec = makeSpec('127.0.0.1', peer.port, { receive: c.receive, negotiateTimeoutMs: 3000, ...(c.method ? { httpMethod: c.method } : {}) });
      const r = await check(spec, never());
      if (c.down !== undefined) expect(r.ok ? 'up' : r.reason).toMatch(c.down);
      else expect(r).toEqual({ ok: true, message: c.up ?? '204 No Content' });
      expect(Date.now() - t0).toBeLessThan(2000); // judged from the framing, not by the timeout
    } finally {
      await peer.close();
    }
  });
});

describe('what the HTTP checks send', () => {
  const echo = (head: string): string => `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(head, 'latin1')}\r\n\r\n${head}`;

  test('a direct check to an IPv6 real sends the origin-form target and Host [addr] without the port', async () => {
    const peer = await keepOpenPeer('::1', echo);
    try {
      const url = `http://[::1]:${peer.port}/a/b.html?x=1`;
      const r = await check(makeSpec('::1', peer.port, { url, receive: '^GET /a/b\\.html\\?x=1 HTTP/1\\.1\\r\\nHost: \\[::1\\]\\r\\n' }), never());
      expect(r).toEqual({ ok: true, message: '200 OK' });
    } finally {
      await peer.close();
    }
  });

  test('http_proxy sends the absolute URL and the Host of that URL, IPv6 literal included', async () => {
    const peer = await keepOpenPeer('127.0.0.1', echo);
    try {
      const spec = makeSpec('127.0.0.1', peer.port, { request: '/http://[2001:db8::1]:8080/x?y=1', receive: '^GET http://\\[2001:db8::1\\]:8080/x\\?y=1 HTTP/1\\.1\\r\\nHost: \\[2001:db8::1\\]:8080\\r\\n' });
      const r = await checkProxy(spec, never());
      expect(r).toEqual({ ok: true, message: '200 OK' });
    } finally {
      await peer.close();
    }
  });
});
