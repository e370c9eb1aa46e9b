// DNS check against a real dnsmasq on 127.0.0.1 and ::1, plus silent and garbage loopback peers.
import { check } from '../../src/checks/dns.js';
import type { CheckSpec } from '../../src/checks/types.js';
import { garbagePeer, silentPeer } from '../support/peers.js';
import { startServer, type RunningServer } from '../support/process.js';
import { expectDown, expectDownAndClosed, freePort, pause, specFor, udpPeer } from './data-peers.js';

let peer: RunningServer;
let port: number;

beforeAll(async () => {
  port = await freePort('127.0.0.1', true);
  peer = await startServer('/usr/sbin/dnsmasq', [
    '--keep-in-foreground', '--log-facility=-', '--conf-file=/dev/null', '--no-resolv', '--no-hosts',
    '--bind-interfaces', '--listen-address=127.0.0.1', '--listen-address=::1', `--port=${port}`,
    '--user=root', '--pid-file=', '--local=/example.com/', '--host-record=www.example.com,192.0.2.10,2001:db8::10',
  ], { tcp: { host: '127.0.0.1', port } });
});
afterAll(() => peer.stop());

const run = (over: Partial<CheckSpec>, host = '127.0.0.1') =>
  check(specFor({ host, port, protocol: 'udp', ...over }), new AbortController().signal);

describe('dns check against dnsmasq', () => {
  test.each([
    ['an A answer matching receive is up', { request: '/www.example.com', receive: '192\\.0\\.2\\.10' }],
    ['a query over TCP when the virtual is TCP is up', { request: '/www.example.com', receive: '192.0.2', protocol: 'tcp' as const }],
    ['an IP request asks for its PTR and matches the name', { request: '/192.0.2.10', receive: 'www\\.example' }],
    // Upstream is always down without receive (spec §7.2 item 19); any answer is enough here.
    ['an empty receive is up when an answer comes back', { request: '/www.example.com', receive: '' }],
  ])('%s', async (_name, over) => {
    await expect(run(over)).resolves.toEqual({ ok: true, message: 'Success' });
  });

  test('the check works against a nameserver on ::1', async () => {
    await expect(run({ request: '/www.example.com', receive: '192.0.2.10' }, '::1')).resolves.toMatchObject({ ok: true });
    await expect(run({ request: '/www.example.com', protocol: 'tcp' }, '::1')).resolves.toMatchObject({ ok: true });
  });

  test.each([
    ['an answer not matching receive is down and names what came back', { request: '/www.example.com', receive: '198\\.51' }, /expected \/198\\\.51\/, got A 192\.0\.2\.10/],
    ['an invalid receive regex is down, not an exception', { request: '/www.example.com', receive: '(' }, /invalid receive regex/],
    ['a name without records is down', { request: '/nosuch.example.com', receive: '' }, /DNS A nosuch\.example\.com .*got NXDOMAIN with no answer/],
  ])('%s', (_name, over, reason) => expectDown(run(over), reason));
});

describe('dns check against broken peers', () => {
  test('a closed UDP port is down with connection refused', async () => {
    const closed = await freePort('127.0.0.1', true);
    const r = await check(specFor({ host: '127.0.0.1', port: closed, protocol: 'udp' }), new AbortController().signal);
    expect(r).toMatchObject({ ok: false });
    expect(!r.ok && r.reason).toMatch(/: connection refused$/);
  });

  test('a closed TCP port is down', async () => {
    const closed = await freePort();
    const r = await check(specFor({ host: '127.0.0.1', port: closed, protocol: 'tcp' }), new AbortController().signal);
    expect(!r.ok && r.reason).toMatch(/: connection refused$/);
  });

  test('a UDP server that never answers times out within negotiatetimeout', async () => {
    const silent = await udpPeer('127.0.0.1', () => undefined);
    const t0 = Date.now();
    const r = await check(specFor({ host: '127.0.0.1', port: silent.port, protocol: 'udp', negotiateTimeoutMs: 300 }), new AbortController().signal);
    await silent.close();
    expect(!r.ok && r.reason).toMatch(/no reply within 300 ms/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  test('a TCP server that never answers times out and its socket is closed', async () => {
    const silent = await silentPeer('127.0.0.1');
    const r = await check(specFor({ host: '127.0.0.1', port: silent.port, protocol: 'tcp', negotiateTimeoutMs: 300 }), new AbortController().signal);
    await pause(100);
    expect(!r.ok && r.reason).toMatch(/no reply within 300 ms/);
    expect(silent.open()).toBe(0);
    await silent.close();
  });

  test('aborting the signal ends the check at once', async () => {
    const silent = await silentPeer('127.0.0.1');
    const ac = new AbortController();
    const p = check(specFor({ host: '127.0.0.1', port: silent.port, protocol: 'tcp', negotiateTimeoutMs: 30000 }), ac.signal);
    setTimeout(() => ac.abort(), 100);
    await expect(p).resolves.toMatchObject({ ok: false, reason: expect.stringMatching(/aborted/) });
    await pause(100);
    expect(silent.open()).toBe(0);
    await silent.close();
  });

  test('a UDP reply of garbage is down as malformed', async () => {
    const junk = await udpPeer('127.0.0.1', () => Buffer.from('HTTP/1.0 400 Bad Request\r\n\r\n'));
    const r = await check(specFor({ host: '127.0.0.1', port: junk.port, protocol: 'udp' }), new AbortController().signal);
    await junk.close();
    expect(!r.ok && r.reason).toMatch(/malformed|id .* does not match/);
  });

  test('10 MB of TCP junk is judged from at most one 64 KiB message and the socket is closed', async () => {
    const junk = await garbagePeer('127.0.0.1');
    await expectDownAndClosed(junk, (p) => check(specFor({ host: '127.0.0.1', port: p, protocol: 'tcp' }), new AbortController().signal), {
      reason: /malformed \d+-byte reply/,
      withinMs: 2000,
    });
  });
});
