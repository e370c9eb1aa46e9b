// nntp checks against a small Node NNTP responder (no Debian NNTP server runs from a temp config) on 127.0.0.1 and ::1.
import net from 'node:net';
import { check as nntp } from '../../src/checks/nntp.js';
import { blackholePeer } from '../support/peers.js';
import { makeSpec, never } from '../support/spec.js';

/** An NNTP greeter: "200 …" (posting allowed) or any other fixed first line. */
async function greeter(host: string, greeting: string): Promise<{ port: number; close: () => Promise<void> }> {
  const srv = net.createServer((s) => {
    s.on('error', () => undefined);
    s.end(greeting);
  });
  await new Promise<void>((r) => srv.listen(0, host, () => r()));
  return { port: (srv.address() as net.AddressInfo).port, close: () => new Promise((r) => srv.close(() => r())) };
}

describe.each(['127.0.0.1', '::1'])('nntp on %s', (host) => {
  const cases = [
    { name: 'a 200 greeting is up', greeting: '200 news.test InterNetNews server ready (posting ok)\r\n', ok: true },
    { name: 'a 201 greeting (no posting) is up', greeting: '201 news.test ready (no posting)\r\n', ok: true },
    { name: 'a 502 greeting is down and quoted', greeting: '502 access denied\r\n', ok: false, reason: 'expected a 2xx greeting, got "502 access denied"' },
    { name: 'a server that closes without a word is down', greeting: '', ok: false, reason: 'connection closed without a greeting' },
  ];
  test.each(cases)('$name', async (c) => {
    const srv = await greeter(host, c.greeting);
    try {
      const r = await nntp(makeSpec(host, srv.port), never());
      expect(r.ok ? 'up' : r.reason).toBe(c.ok ? 'up' : `nntp ${host === '::1' ? '[::1]' : host}:${srv.port}: ${c.reason}`);
    } finally {
      await srv.close();
    }
  });
});

test('the connect itself honours negotiatetimeout (upstream misspelt TimeOut and waited for the OS)', async () => {
  const hole = await blackholePeer();
  try {
    const t0 = Date.now();
    const r = await nntp(makeSpec('127.0.0.1', hole.port, { negotiateTimeoutMs: 300 }), never());
    expect(r).toEqual({ ok: false, reason: `nntp 127.0.0.1:${hole.port}: connect to 127.0.0.1:${hole.port}: timed out after 300 ms` });
    expect(Date.now() - t0).toBeLessThan(3000);
  } finally {
    await hole.close();
  }
});
