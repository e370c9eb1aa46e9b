// The HTTP check's response framing (chunked, Content-Length, close-delimited, 1xx, garbage) against Node's own HTTP server and raw peers.
import http from 'node:http';
import net from 'node:net';
import { check } from '../../src/checks/http.js';
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
