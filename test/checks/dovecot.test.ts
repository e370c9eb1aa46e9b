// pop/pops and imap/imaps checks against a real Dovecot on loopback (IPv4 and IPv6) with a passwd-file user.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check as imap, checkImaps as imaps } from '../../src/checks/imap.js';
import { check as pop, checkPops as pops } from '../../src/checks/pop.js';
import type { Checker } from '../../src/checks/types.js';
import { freePort } from '../support/ports.js';
import { scriptedPeer, type TestPeer } from '../support/peers.js';
import { startServer, type RunningServer } from '../support/process.js';
import { makeSpec, never } from '../support/spec.js';
import { tempDir } from '../support/tmp.js';
import { selfSigned } from '../support/tls.js';

let dovecot: RunningServer;
const ports = { imap: 0, imaps: 0, pop: 0, pops: 0 };
let closed: number;
let wrongPop: TestPeer;
let wrongImap: TestPeer;
const tmp = tempDir('ldng-dovecot-');

beforeAll(async () => {
  const d = tmp.dir;
  chmodSync(d, 0o755); // login processes run as dovenull
  mkdirSync(join(d, 'mail'), { mode: 0o777 });
  chmodSync(join(d, 'mail'), 0o777);
  for (const k of Object.keys(ports) as Array<keyof typeof ports>) ports[k] = await freePort();
  closed = await freePort();
  const { cert, key } = selfSigned(d, 'mail', 'mail.test');
  writeFileSync(join(d, 'passwd'), 'alice:{PLAIN}secret\n');
  writeFileSync(join(d, 'dovecot.conf'), `
base_dir = ${d}/run
state_dir = ${d}/state
log_path = /dev/stderr
protocols = imap pop3
listen = 127.0.0.1, ::1
ssl = yes
ssl_cert = <${cert}
ssl_key = <${key}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:${d}/mail/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${d}/passwd
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=${d}/mail/%u
}
service imap-login {
  inet_listener imap {
    port = ${ports.imap}
  }
  inet_listener imaps {
    port = ${ports.imaps}
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = ${ports.pop}
  }
  inet_listener pop3s {
    port = ${ports.pops}
    ssl = yes
  }
}
service anvil {
  chroot =
  # no auth penalty: the wrong-password cases would otherwise delay later logins by seconds
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
`);
  dovecot = await startServer('/usr/sbin/dovecot', ['-F', '-c', join(d, 'dovecot.conf')], { tcp: { host: '::1', port: ports.pops } });
  wrongPop = await scriptedPeer('-ERR go away\r\n');
  wrongImap = await scriptedPeer('* BYE not today\r\n');
}, 30000);

afterAll(async () => {
  await dovecot?.stop();
  await wrongPop?.close();
  await wrongImap?.close();
  tmp.cleanup();
});

interface Case { name: string; check: Checker; port: keyof typeof ports; login?: string; passwd?: string; timeoutMs?: number; ok: boolean; reason?: RegExp }
const cases: Case[] = [
  { name: 'pop greeting alone is up without login', check: pop, port: 'pop', ok: true },
  { name: 'pop with the right login is up', check: pop, port: 'pop', login: 'alice', passwd: 'secret', ok: true },
  { name: 'pops over TLS with the right login is up', check: pops, port: 'pops', login: 'alice', passwd: 'secret', ok: true },
  { name: 'imap greeting alone is up without login', check: imap, port: 'imap', ok: true },
  { name: 'imap with the right login is up', check: imap, port: 'imap', login: 'alice', passwd: 'secret', ok: true },
  { name: 'imaps over TLS with the right login is up', check: imaps, port: 'imaps', login: 'alice', passwd: 'secret', ok: true },
  { name: 'pops with a wrong user is down', check: pops, port: 'pops', login: 'mallory', passwd: 'x', timeoutMs: 8000, ok: false, reason: /sent PASS <hidden>, got "-ERR/ },
  { name: 'pop with a wrong password is down and the password is not in the reason', check: pop, port: 'pop', login: 'alice', passwd: 'wrong', timeoutMs: 8000, ok: false, reason: /sent PASS <hidden>, got "-ERR/ },
  { name: 'imap with a wrong password is down', check: imap, port: 'imap', login: 'alice', passwd: 'nope', timeoutMs: 8000, ok: false, reason: /sent LOGIN alice, got "a1 NO/ },
  { name: 'plain pop spoken to the pops port is down', check: pop, port: 'pops', timeoutMs: 500, ok: false, reason: /timed out after 500 ms/ },
];

describe.each(['127.0.0.1', '::1'])('dovecot on %s', (host) => {
  test.each(cases)('$name', async (c) => {
    const spec = makeSpec(host, ports[c.port], { login: c.login ?? '', passwd: c.passwd ?? '', negotiateTimeoutMs: c.timeoutMs ?? 2000 });
    const r = await c.check(spec, never());
    expect(r.ok ? 'up' : r.reason).toEqual(c.ok ? 'up' : expect.stringMatching(c.reason ?? /./));
    if (!r.ok && c.passwd !== undefined) expect(r.reason).not.toContain(c.passwd);
  });
});

describe('POP and IMAP failures upstream got wrong', () => {
  test('pop without login on a closed port is down (upstream reports it up)', async () => {
    const r = await pop(makeSpec('127.0.0.1', closed), never());
    expect(r).toEqual({ ok: false, reason: `pop 127.0.0.1:${closed}: connect to 127.0.0.1:${closed}: connection refused` });
  });
  test('pop without login and an -ERR greeting is down', async () => {
    const r = await pop(makeSpec('127.0.0.1', wrongPop.port), never());
    expect(r).toEqual({ ok: false, reason: `pop 127.0.0.1:${wrongPop.port}: expected +OK greeting, got "-ERR go away"` });
  });
  test('imap with a BYE greeting is down', async () => {
    const r = await imap(makeSpec('127.0.0.1', wrongImap.port), never());
    expect(r).toEqual({ ok: false, reason: `imap 127.0.0.1:${wrongImap.port}: expected "* OK" greeting, got "* BYE not today"` });
  });
});
