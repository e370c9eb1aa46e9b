// LDAP/LDAPS checks against a real slapd (temp slapd.conf, self-signed cert) on 127.0.0.1 and ::1, plus hostile peers.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, checkLdaps } from '../../src/checks/ldap.js';
import type { CheckSpec } from '../../src/checks/types.js';
import { garbagePeer, silentPeer } from '../support/peers.js';
import { startServer, type RunningServer } from '../support/process.js';
import { tempDir } from '../support/tmp.js';
import { expectDownAndClosed, freePort, oversizedPeer, specFor } from './data-peers.js';

let peer: RunningServer;
let port: number;
let tlsPort: number;
const dir = tempDir('ldng-ldap-');
const ADMIN = 'cn=admin,dc=example,dc=com';

beforeAll(async () => {
  port = await freePort();
  tlsPort = await freePort();
  const d = dir.dir;
  mkdirSync(join(d, 'db'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=ldap.test', '-days', '1',
    '-keyout', join(d, 'key.pem'), '-out', join(d, 'cert.pem')], { stdio: 'ignore' });
  const conf = join(d, 'slapd.conf');
  writeFileSync(conf, [
    'include /etc/ldap/schema/core.schema', 'modulepath /usr/lib/ldap', 'moduleload back_mdb',
    `pidfile ${d}/slapd.pid`, `TLSCertificateFile ${d}/cert.pem`, `TLSCertificateKeyFile ${d}/key.pem`,
    'database mdb', 'maxsize 10485760', 'suffix "dc=example,dc=com"', `rootdn "${ADMIN}"`, 'rootpw secret',
    `directory ${d}/db`, '',
  ].join('\n'));
  writeFileSync(join(d, 'base.ldif'), 'dn: dc=example,dc=com\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n');
  execFileSync('/usr/sbin/slapadd', ['-f', conf, '-l', join(d, 'base.ldif')], { stdio: 'ignore' });
  peer = await startServer('/usr/sbin/slapd', ['-f', conf, '-d', '0', '-h',
    `ldap://127.0.0.1:${port}/ ldap://[::1]:${port}/ ldaps://127.0.0.1:${tlsPort}/ ldaps://[::1]:${tlsPort}/`],
  { tcp: { host: '127.0.0.1', port: tlsPort } });
});
afterAll(async () => {
  await peer.stop();
  dir.cleanup();
});

const signal = () => new AbortController().signal;

describe('ldap check against slapd', () => {
  test.each([
    ['an anonymous base search whose DN matches receive is up', { request: '/dc=example,dc=com', receive: 'dc=example' }],
    ['the root DSE (request "/") is one entry and up', { request: '/' }],
    ['a bind with the right login and password is up', { request: '/dc=example,dc=com', login: ADMIN, passwd: 'secret' }],
  ])('%s', async (_name, over: Partial<CheckSpec>) => {
    await expect(check(specFor({ host: '127.0.0.1', port, ...over }), signal())).resolves.toEqual({ ok: true, message: 'Success' });
  });

  test('ldap and ldaps work on ::1, ldaps without certificate verification', async () => {
    await expect(check(specFor({ host: '::1', port, request: '/dc=example,dc=com' }), signal())).resolves.toMatchObject({ ok: true });
    await expect(checkLdaps(specFor({ host: '127.0.0.1', port: tlsPort, request: '/dc=example,dc=com' }), signal())).resolves.toMatchObject({ ok: true });
    await expect(checkLdaps(specFor({ host: '::1', port: tlsPort, request: '/', virtualHost: 'ldap.test' }), signal())).resolves.toMatchObject({ ok: true });
  });

  test.each([
    ['a wrong password is down as Bind failed', { login: ADMIN, passwd: 'wrong' }, 'Bind failed'],
    ['a DN not matching receive is down as Response mismatch', { receive: 'dc=other' }, 'Response mismatch'],
    ['a missing base entry is down as Response mismatch', { request: '/dc=nosuch,dc=com' }, 'Response mismatch'],
  ])('%s, reported once', async (_name, over: Partial<CheckSpec>, step) => {
    const r = await check(specFor({ host: '127.0.0.1', port, request: '/dc=example,dc=com', ...over }), signal());
    expect(r.ok).toBe(false);
    const reason = r.ok ? '' : r.reason;
    expect(reason).toContain(step);
    // Upstream logs a failure twice (its own message, then "No answer received"): ours names one step.
    expect(reason.match(/Connection failed|Bind failed|No answer received|Response mismatch/g)).toHaveLength(1);
  });
});

describe('ldap check against broken peers', () => {
  test('a closed port is down as Connection failed', async () => {
    const closed = await freePort();
    const r = await check(specFor({ host: '127.0.0.1', port: closed }), signal());
    expect(!r.ok && r.reason).toMatch(/Connection failed: connection refused/);
  });

  test.each([
    ['ldap', check],
    ['ldaps', checkLdaps],
  ])('a silent %s server is down after checktimeout and the socket is closed', async (_n, checker) => {
    await expectDownAndClosed(await silentPeer('127.0.0.1'), (p) => checker(specFor({ host: '127.0.0.1', port: p, checkTimeoutMs: 400, negotiateTimeoutMs: 5000 }), signal()), {
      reason: /timed out after 400 ms/,
      notBeforeMs: 350,
      withinMs: 2000,
    });
  });

  test('10 MB of junk is down promptly and the socket is closed', async () => {
    await expectDownAndClosed(await garbagePeer('127.0.0.1'), (p) => check(specFor({ host: '127.0.0.1', port: p }), signal()), {
      reason: /reply larger than 1048576 bytes/,
      withinMs: 2500,
    });
  });

  test('an LDAP message announcing 2 GB is cut off at 1 MiB instead of being buffered', async () => {
    const big = await oversizedPeer(Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]));
    await expectDownAndClosed(big, (p) => check(specFor({ host: '127.0.0.1', port: p, negotiateTimeoutMs: 5000, checkTimeoutMs: 5000 }), signal()), {
      reason: /larger than 1048576 bytes/,
    });
  });
});
