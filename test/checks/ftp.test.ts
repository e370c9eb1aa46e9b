// ftp checks against real vsftpd instances on 127.0.0.1 and ::1 (anonymous, passive RETR).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check as ftp } from '../../src/checks/ftp.js';
import { freePort } from '../support/ports.js';
import { startServer, type RunningServer } from '../support/process.js';
import { makeSpec, never } from '../support/spec.js';
import { tempDir } from '../support/tmp.js';

const servers: RunningServer[] = [];
const port: Record<string, number> = {};
let closed: number;
const tmp = tempDir('ldng-ftp-');

beforeAll(async () => {
  const d = tmp.dir;
  chmodSync(d, 0o755);
  mkdirSync(join(d, 'ftp'), { mode: 0o755 });
  mkdirSync(join(d, 'empty'), { mode: 0o755 });
  writeFileSync(join(d, 'ftp/check.txt'), 'ftp file content\n');
  closed = await freePort();
  for (const host of ['127.0.0.1', '::1']) {
    port[host] = await freePort(host);
    const v6 = host === '::1';
    const conf = join(d, `vsftpd-${v6 ? 6 : 4}.conf`);
    writeFileSync(conf, [
      v6 ? 'listen_ipv6=YES' : 'listen=YES',
      v6 ? 'listen_address6=::1' : 'listen_address=127.0.0.1',
      `listen_port=${port[host]}`,
      'background=NO',
      'anonymous_enable=YES',
      `anon_root=${d}/ftp`,
      'local_enable=NO',
      'write_enable=NO',
      `secure_chroot_dir=${d}/empty`,
      'xferlog_enable=NO',
      'seccomp_sandbox=NO',
      '',
    ].join('\n'));
    servers.push(await startServer('/usr/sbin/vsftpd', [conf], { tcp: { host, port: port[host] ?? 0 } }));
  }
}, 30000);

afterAll(async () => {
  for (const s of servers) await s.stop();
  tmp.cleanup();
});

describe.each(['127.0.0.1', '::1'])('ftp against vsftpd on %s', (host) => {
  const cases: Array<{ name: string; request?: string; receive?: string; login?: string; passwd?: string; ok: boolean; reason?: RegExp }> = [
    { name: 'an anonymous RETR whose content matches receive is up', request: '/check.txt', receive: 'file content', ok: true },
    { name: 'content that does not match receive is down and is quoted', request: '/check.txt', receive: 'other', ok: false, reason: /RETR \/check\.txt: expected \/other\/, got "ftp file content"/ },
    { name: 'a missing file is down with the 550 reply', request: '/missing.txt', ok: false, reason: /sent RETR \/missing\.txt, got 550/ },
    { name: 'empty receive means the transfer completed', request: '/check.txt', ok: true },
    { name: 'no request means login and CWD worked', ok: true },
    { name: 'a wrong login is down', login: 'bob', passwd: 'pw', request: '/check.txt', ok: false, reason: /530/ },
  ];
  test.each(cases)('$name', async (c) => {
    const r = await ftp(makeSpec(host, port[host] ?? 0, { request: c.request ?? '', receive: c.receive ?? '', login: c.login ?? '', passwd: c.passwd ?? '' }), never());
    expect(r.ok ? 'up' : r.reason).toEqual(c.ok ? 'up' : expect.stringMatching(c.reason ?? /./));
  });
});

test('an ftp check with empty receive on a closed port is down (upstream reports it up)', async () => {
  const r = await ftp(makeSpec('127.0.0.1', closed, { request: '/check.txt' }), never());
  expect(r).toEqual({ ok: false, reason: `ftp 127.0.0.1:${closed}: connect to 127.0.0.1:${closed}: connection refused` });
});
