// simpletcp checks against loopback line servers over TCP and UDP (the service is "any line protocol", so a Node peer is the real thing).
import dgram from 'node:dgram';
import net from 'node:net';
import { check as simpletcp, simpleRequest } from '../../src/checks/simpletcp.js';
import { freePort } from '../support/ports.js';
import { makeSpec, never } from '../support/spec.js';

/** Answers "STATUS\n" with two lines, anything else with "ERR". Records what it was sent. */
function answer(req: string): string {
  return req === 'STATUS\nverbose\n' ? 'hello\nstatus: running\n' : 'ERR unknown\n';
}

let tcp: net.Server;
let udp: dgram.Socket;
let tcp6: net.Server;
const received: string[] = [];

beforeAll(async () => {
  const mk = (host: string) => {
    const srv = net.createServer({ allowHalfOpen: true }, (s) => {
      let req = '';
      s.on('data', (d) => (req += d.toString()));
      // upstream half-closes after the request; answer on EOF like a request/response line server
      s.on('end', () => {
        received.push(req);
        s.end(answer(req));
      });
      s.on('error', () => undefined);
    });
    return new Promise<net.Server>((r) => srv.listen(0, host, () => r(srv)));
  };
  tcp = await mk('127.0.0.1');
  tcp6 = await mk('::1');
  udp = dgram.createSocket('udp4');
  udp.on('message', (m, rinfo) => udp.send(answer(m.toString()), rinfo.port, rinfo.address));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
});

afterAll(async () => {
  await new Promise((r) => tcp.close(r));
  await new Promise((r) => tcp6.close(r));
  await new Promise((r) => udp.close(() => r(undefined)));
});

const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;

test('the request drops its leading slash and turns literal \\n into line feeds, as upstream', () => {
  expect(simpleRequest(makeSpec('h', 1, { request: '/STATUS\\nverbose\\n' }))).toBe('STATUS\nverbose\n');
});

describe.each([
  { proto: 'tcp' as const, host: '127.0.0.1', port: () => portOf(tcp) },
  { proto: 'tcp' as const, host: '::1', port: () => portOf(tcp6) },
  { proto: 'udp' as const, host: '127.0.0.1', port: () => udp.address().port },
])('simpletcp over $proto on $host', ({ proto, host, port }) => {
  const cases = [
    { name: 'a reply line matching receive is up', request: '/STATUS\\nverbose\\n', receive: 'status: run', ok: true },
    { name: 'no matching line is down and the reply is quoted', request: '/STATUS\\nverbose\\n', receive: 'stopped', ok: false, reason: /expected \/stopped\/, got "hello/ },
    { name: 'a wrong request gets an error line, which does not match', request: '/HELP', receive: '^status', ok: false, reason: /got "ERR unknown/ },
    { name: 'empty receive is up when a reply line comes back', request: '/STATUS\\nverbose\\n', receive: '', ok: true },
  ];
  test.each(cases)('$name', async (c) => {
    const r = await simpletcp(makeSpec(host, port(), { protocol: proto, request: c.request, receive: c.receive }), never());
    expect(r.ok ? 'up' : r.reason).toEqual(c.ok ? 'up' : expect.stringMatching(c.reason ?? /./));
  });
});

test('the server sees exactly the translated request', async () => {
  received.length = 0;
  await simpletcp(makeSpec('127.0.0.1', portOf(tcp), { request: '/STATUS\\nverbose\\n', receive: 'x' }), never());
  expect(received).toEqual(['STATUS\nverbose\n']);
});

test('simpletcp with empty receive on a closed port is down (upstream matched blindly)', async () => {
  const port = await freePort();
  const r = await simpletcp(makeSpec('127.0.0.1', port, { request: '/STATUS' }), never());
  expect(r).toEqual({ ok: false, reason: `simpletcp tcp 127.0.0.1:${port}: connect to 127.0.0.1:${port}: connection refused` });
});

test('simpletcp with empty receive and a server that closes silently is down', async () => {
  const srv = net.createServer((s) => {
    s.on('error', () => undefined);
    s.resume(); // flowing, so it sees the check's FIN and the server can close
    s.end();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  try {
    const r = await simpletcp(makeSpec('127.0.0.1', portOf(srv), { request: '/STATUS' }), never());
    expect(r).toEqual({ ok: false, reason: `simpletcp tcp 127.0.0.1:${portOf(srv)}: sent "STATUS", expected a reply line, got nothing` });
  } finally {
    await new Promise((r) => srv.close(r));
  }
});
