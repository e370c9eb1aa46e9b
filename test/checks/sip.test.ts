// sip checks against real SIPp UAS instances (OPTIONS → 200 / 404) over UDP and TCP, IPv4 and IPv6.
import { fileURLToPath } from 'node:url';
import { check as sip } from '../../src/checks/sip.js';
import type { CheckSpec } from '../../src/checks/types.js';
import { freePort } from '../support/ports.js';
import { silentUdpPeer } from '../support/peers.js';
import { startServer, type RunningServer } from '../support/process.js';
import { makeSpec, never } from '../support/spec.js';
import { tempDir } from '../support/tmp.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/checks/${name}`, import.meta.url));
const servers: RunningServer[] = [];
const tmp = tempDir('ldng-sip-');
type Key = `${'ok' | 'notfound'}/${'udp' | 'tcp'}/${'127.0.0.1' | '::1'}`;
const ports = new Map<Key, number>();

async function sipp(scenario: string, proto: 'udp' | 'tcp', host: '127.0.0.1' | '::1'): Promise<number> {
  const port = await freePort(host);
  const spec = makeSpec(host, port, { protocol: proto, negotiateTimeoutMs: 300 });
  const args = ['-sf', fixture(scenario), '-i', host, '-p', String(port), '-nostdin', ...(proto === 'tcp' ? ['-t', 't1'] : [])];
  const ready = proto === 'tcp'
    ? { tcp: { host, port } }
    // UDP cannot be probed by connecting; any SIP answer (200 or 404) means SIPp is listening.
    : { probe: async () => { const r = await sip(spec, never()); return r.ok || /got "SIP\/2\.0/.test(r.reason); } };
  servers.push(await startServer('/usr/bin/sipp', args, ready, { cwd: tmp.dir }));
  return port;
}

beforeAll(async () => {
  for (const host of ['127.0.0.1', '::1'] as const) {
    for (const proto of ['udp', 'tcp'] as const) {
      ports.set(`ok/${proto}/${host}`, await sipp('sipp-options-uas.xml', proto, host));
      ports.set(`notfound/${proto}/${host}`, await sipp('sipp-options-404.xml', proto, host));
    }
  }
}, 60000);

afterAll(async () => {
  for (const s of servers) await s.stop();
  tmp.cleanup();
});

const matrix = (['127.0.0.1', '::1'] as const).flatMap((host) => (['udp', 'tcp'] as const).map((proto) => ({ host, proto })));

describe.each(matrix)('sip over $proto on $host', ({ host, proto }) => {
  const spec = (key: 'ok' | 'notfound', over: Partial<CheckSpec> = {}) =>
    makeSpec(host, ports.get(`${key}/${proto}/${host}`) ?? 0, { protocol: proto, ...over });
  test('an OPTIONS answered with 200 OK is up', async () => {
    expect(await sip(spec('ok'), never())).toEqual({ ok: true, message: 'SIP/2.0 200 OK' });
  });
  test('an OPTIONS answered with 404 is down and the reason quotes the status line', async () => {
    const r = await sip(spec('notfound'), never());
    expect(r.ok ? 'up' : r.reason).toMatch(/sent OPTIONS, expected "SIP\/2\.0 200 OK", got "SIP\/2\.0 404 Not Found"$/);
  });
  test('a custom login is used in the request URI', async () => {
    expect((await sip(spec('ok', { login: 'probe@example.test' }), never())).ok).toBe(true);
  });
});

test('a closed UDP port is down (ICMP port unreachable)', async () => {
  const port = await freePort();
  const r = await sip(makeSpec('127.0.0.1', port, { protocol: 'udp' }), never());
  expect(r).toEqual({ ok: false, reason: `sip udp 127.0.0.1:${port}: sent OPTIONS: connection refused` });
});

test('a UDP peer that never answers times out', async () => {
  const peer = await silentUdpPeer();
  try {
    const r = await sip(makeSpec('127.0.0.1', peer.port, { protocol: 'udp', negotiateTimeoutMs: 300 }), never());
    expect(r).toEqual({ ok: false, reason: `sip udp 127.0.0.1:${peer.port}: sent OPTIONS: timed out after 300 ms waiting for a UDP reply from 127.0.0.1:${peer.port}` });
    expect(peer.received()).toBe(1);
  } finally {
    await peer.close();
  }
});
