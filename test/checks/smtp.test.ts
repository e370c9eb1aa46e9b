// smtp/submission checks against a real OpenSMTPD on loopback (IPv4 and IPv6) and scripted wrong peers.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check as smtp } from '../../src/checks/smtp.js';
import { getChecker } from '../../src/checks/index.js';
import { scriptedPeer, type TestPeer } from '../support/peers.js';
import { freePort } from '../support/ports.js';
import { startServer, type RunningServer } from '../support/process.js';
import { makeSpec, never } from '../support/spec.js';
import { tempDir } from '../support/tmp.js';

let server: RunningServer;
let port: number;
let closed: number;
let rejecting: TestPeer;
let noEhlo: TestPeer;
const tmp = tempDir('ldng-smtp-');

beforeAll(async () => {
  port = await freePort();
  closed = await freePort();
  writeFileSync(join(tmp.dir, 'smtpd.conf'), [
    `listen on 127.0.0.1 port ${port} hostname mx.test`,
    `listen on ::1 port ${port} hostname mx.test`,
    'action "local" mbox',
    'match from any for local action "local"',
    '',
  ].join('\n'));
  server = await startServer('/usr/sbin/smtpd', ['-d', '-f', join(tmp.dir, 'smtpd.conf')], { tcp: { host: '127.0.0.1', port } }, { cwd: tmp.dir });
  rejecting = await scriptedPeer('554 mx.test no service for you\r\n');
  // Answers 502 to EHLO, 250 to HELO: an old server Net::SMTP falls back for.
  noEhlo = await scriptedPeer('220 old.test\r\n');
}, 30000);

afterAll(async () => {
  await server?.stop();
  await rejecting?.close();
  await noEhlo?.close();
  tmp.cleanup();
});

describe.each(['127.0.0.1', '::1'])('smtp against OpenSMTPD on %s', (host) => {
  test('a server that greets and accepts EHLO is up', async () => {
    const r = await smtp(makeSpec(host, port), never());
    expect(r).toEqual({ ok: true, message: '220 mx.test ESMTP OpenSMTPD' });
  });
  test('submission uses the same dialogue and is registered under its own name', async () => {
    const r = await getChecker('submission')(makeSpec(host, port), never());
    expect(r.ok).toBe(true);
  });
  test('a closed port is down with connection refused', async () => {
    const r = await smtp(makeSpec(host, closed), never());
    expect(r).toEqual({ ok: false, reason: `smtp ${host === '::1' ? '[::1]' : host}:${closed}: connect to ${host === '::1' ? '[::1]' : host}:${closed}: connection refused` });
  });
});

test('a 554 greeting is down and the reason quotes it', async () => {
  const r = await smtp(makeSpec('127.0.0.1', rejecting.port), never());
  expect(r).toEqual({ ok: false, reason: `smtp 127.0.0.1:${rejecting.port}: expected a 2xx greeting, got 554 "mx.test no service for you"` });
});

test('a server that never answers EHLO times out naming the command', async () => {
  const r = await smtp(makeSpec('127.0.0.1', noEhlo.port, { negotiateTimeoutMs: 300 }), never());
  expect(r).toEqual({ ok: false, reason: `smtp 127.0.0.1:${noEhlo.port}: timed out after 300 ms (after sending "EHLO director.test")` });
});
