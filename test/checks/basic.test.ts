// checktype connect, ping, external, external-perl, on, off and service none, against real peers and scripts.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { getChecker, hasChecker, SERVICE_NAMES, type CheckName } from '../../src/checks/index.js';
import { freePort } from '../support/ports.js';
import { makeSpec, never } from '../support/spec.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('ldng-basic-');
afterAll(() => tmp.cleanup());

describe('the registry', () => {
  test('every checktype and every service of part A has an implementation', () => {
    const names = ['connect', 'ping', 'external', 'external-perl', 'on', 'off', 'none', 'http', 'https', 'http_proxy', 'smtp',
      'submission', 'pop', 'pops', 'imap', 'imaps', 'nntp', 'ftp', 'sip', 'simpletcp'] as const;
    for (const n of names) expect(hasChecker(n)).toBe(true);
  });
  test('every negotiate service ldirectord knows is registered', () => {
    expect(SERVICE_NAMES.filter((n) => !hasChecker(n))).toEqual([]);
  });
  test('a name outside the registry resolves down instead of throwing', async () => {
    const r = await getChecker('gopher' as CheckName)(makeSpec('127.0.0.1', 1), never());
    expect(r).toEqual({ ok: false, reason: 'gopher: check not implemented' });
  });
  test.each([
    { name: 'on', ok: true },
    { name: 'none', ok: true },
    { name: 'off', ok: false },
  ] as const)('checktype/service $name is decided without touching the network', async ({ name, ok }) => {
    const r = await getChecker(name)(makeSpec('192.0.2.1', 9), never());
    expect(r.ok).toBe(ok);
  });
});

describe.each(['127.0.0.1', '::1'])('connect on %s', (host) => {
  test('a listening port is up', async () => {
    const srv = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => srv.listen(0, host, () => r()));
    try {
      const r = await getChecker('connect')(makeSpec(host, (srv.address() as net.AddressInfo).port), never());
      expect(r.ok).toBe(true);
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });
  test('a closed port is down with connection refused', async () => {
    const port = await freePort(host);
    const r = await getChecker('connect')(makeSpec(host, port), never());
    expect(r.ok ? 'up' : r.reason).toMatch(/connection refused$/);
  });
});

describe('ping', () => {
  // A veth pair into a namespace we create: .2 answers from inside it, .3 does not exist (ARP fails).
  const ns = `ldngping${process.pid}`;
  const hostIf = `lpa${process.pid % 100000}`;
  const net3 = `198.19.${process.pid % 250}`;
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  beforeAll(() => {
    ip('netns', 'add', ns);
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'lpb', 'netns', ns);
    ip('addr', 'add', `${net3}.1/24`, 'dev', hostIf);
    ip('link', 'set', hostIf, 'up');
    ip('-n', ns, 'addr', 'add', `${net3}.2/24`, 'dev', 'lpb');
    ip('-n', ns, 'link', 'set', 'lpb', 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  });
  afterAll(() => {
    try {
      ip('link', 'del', hostIf);
    } finally {
      ip('netns', 'del', ns);
    }
  });
  test.each(['127.0.0.1', '::1'])('%s answers echo requests', async (host) => {
    const r = await getChecker('ping')(makeSpec(host, 0, { checkTimeoutMs: 1000 }), never());
    expect(r).toEqual({ ok: true, message: `ping ${host}: echo reply` });
  });
  test('a host inside a network namespace answers', async () => {
    const r = await getChecker('ping')(makeSpec(`${net3}.2`, 0, { checkTimeoutMs: 2000 }), never());
    expect(r.ok).toBe(true);
  });
  test('an address nobody owns is down after checkcount attempts', async () => {
    const t0 = Date.now();
    const r = await getChecker('ping')(makeSpec(`${net3}.3`, 0, { checkTimeoutMs: 1000, attempts: 2 }), never());
    expect(r.ok ? 'up' : r.reason).toMatch(new RegExp(`^ping ${net3}\\.3: no echo reply to 2 request\\(s\\) of 1s`));
    expect(Date.now() - t0).toBeLessThan(6000);
  });
  test('an abort kills the ping child at once', async () => {
    const ac = new AbortController();
    const p = getChecker('ping')(makeSpec(`${net3}.3`, 0, { checkTimeoutMs: 5000 }), ac.signal);
    setTimeout(() => ac.abort(), 200);
    const t0 = Date.now();
    const r = await p;
    expect(r.ok).toBe(false);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe('external', () => {
  const script = (name: string, body: string): string => {
    const path = join(tmp.dir, name);
    writeFileSync(path, body);
    chmodSync(path, 0o755);
    return path;
  };
  test.each([
    { host: '10.0.0.2', vip: '10.0.0.1', want: '10.0.0.1 80 10.0.0.2 8080' },
    { host: '2001:db8::2', vip: '[2001:db8::1]', want: '[2001:db8::1] 80 [2001:db8::2] 8080' },
    { host: '10.0.0.2', vip: '7', want: '7 0 10.0.0.2 8080' },
  ])('checkcommand gets upstream argv "$want" and exit 0 is up', async ({ host, vip, want }) => {
    const out = join(tmp.dir, `argv-${vip}`);
    const cmd = script(`ok-${vip}.sh`, `#!/bin/sh\necho "$@" > '${out}'\nexit 0\n`);
    const r = await getChecker('external')(makeSpec(host, 8080, { vip, vport: vip === '7' ? 0 : 80, realPort: 8080, checkCommand: cmd }), never());
    expect(r.ok).toBe(true);
    expect(readFileSync(out, 'utf8').trim()).toBe(want);
  });
  test('a non-zero exit is down with the status and stderr', async () => {
    const cmd = script('fail.sh', '#!/bin/sh\necho "backend says no" >&2\nexit 3\n');
    const r = await getChecker('external')(makeSpec('10.0.0.2', 80, { checkCommand: cmd }), never());
    expect(r.ok ? 'up' : r.reason).toMatch(/exit status 3: "backend says no"$/);
  });
  test('a hung command is killed at checktimeout', async () => {
    const pidFile = join(tmp.dir, 'hung.pid');
    const cmd = script('hung.sh', `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 30\n`);
    const t0 = Date.now();
    const r = await getChecker('external')(makeSpec('10.0.0.2', 80, { checkCommand: cmd, checkTimeoutMs: 300 }), never());
    expect(r.ok ? 'up' : r.reason).toMatch(/timed out after 300 ms, killed$/);
    expect(Date.now() - t0).toBeLessThan(4000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  });
  test('a command that does not exist is down, not a crash', async () => {
    const r = await getChecker('external')(makeSpec('10.0.0.2', 80, { checkCommand: join(tmp.dir, 'nope') }), never());
    expect(r.ok ? 'up' : r.reason).toMatch(/could not run: ENOENT/);
    // Upstream's forked child logs this at every such check (parity: 007-wjesus374-ld-external.cf).
    expect(r.ok ? undefined : r.log).toBe(`Exiting with exit_status 127: exec(${join(tmp.dir, 'nope')} 192.0.2.10 80 10.0.0.2 80) failed: No such file or directory`);
  });
  test('a command that is not executable logs Permission denied, as Perl\'s exec', async () => {
    const cmd = join(tmp.dir, 'not-exec.sh');
    writeFileSync(cmd, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    const r = await getChecker('external')(makeSpec('10.0.0.2', 80, { checkCommand: cmd }), never());
    expect(r.ok ? undefined : r.log).toMatch(/^Exiting with exit_status 127: exec\(.*not-exec\.sh .*\) failed: Permission denied$/);
  });
  test('a command that runs and fails logs nothing extra', async () => {
    const r = await getChecker('external')(makeSpec('10.0.0.2', 80, { checkCommand: '/bin/false' }), never());
    expect(r.ok ? 'up' : r.log).toBeUndefined();
  });
  test('shell metacharacters are never interpreted (no shell)', async () => {
    const marker = join(tmp.dir, 'pwned');
    const r = await getChecker('external')(makeSpec('10.0.0.2', 80, { checkCommand: `/bin/true; touch ${marker}` }), never());
    expect(r.ok).toBe(false);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('external-perl', () => {
  const perl = (name: string, body: string): string => {
    const path = join(tmp.dir, name);
    writeFileSync(path, body);
    return path;
  };
  test.each([
    { name: 'falling off the end is up', body: 'my ($vip, $vport, $rip, $rport) = @ARGV; 1;', ok: true },
    { name: 'exit 0 is up', body: 'exit 0;', ok: true },
    { name: 'the four arguments arrive in @ARGV', body: 'exit(($ARGV[0] eq "10.0.0.1" && $ARGV[1] == 80 && $ARGV[2] eq "10.0.0.2" && $ARGV[3] == 8080) ? 0 : 1);', ok: true },
    { name: 'exit 2 is down', body: 'exit 2;', ok: false, reason: /exit status 2/ },
    { name: 'die is down with its message', body: 'die "backend broken\\n";', ok: false, reason: /exit status 255: "backend broken"/ },
    { name: 'a script that never ends is killed at checktimeout', body: 'sleep 30;', ok: false, reason: /timed out after 300 ms, killed/, timeoutMs: 300 },
  ])('$name', async (c) => {
    // Perl's own start-up can take longer than 300 ms on a loaded machine: only the case that
    // tests the timeout uses a short one.
    const file = perl(`${c.name.replace(/\W+/g, '-')}.pl`, c.body);
    const r = await getChecker('external-perl')(makeSpec('10.0.0.2', 8080, { vip: '10.0.0.1', vport: 80, realPort: 8080, checkCommand: file, checkTimeoutMs: c.timeoutMs ?? 10_000 }), never());
    expect(r.ok ? 'up' : r.reason).toEqual(c.ok ? 'up' : expect.stringMatching(c.reason ?? /./));
  });

  it('compiles the script once per daemon life (upstream caches it): one compile for many checks, edits unseen', async () => {
    const count = join(tmp.dir, 'compiles');
    const file = perl('once.pl', `BEGIN { open(my $f, '>>', '${count}') or die; print $f "c\n"; close $f } exit($ARGV[2] eq '10.0.0.9' ? 4 : 0);`);
    const spec = (host: string) => makeSpec(host, 80, { checkCommand: file, checkTimeoutMs: 5000 });
    const results = await Promise.all(['10.0.0.2', '10.0.0.3', '10.0.0.9', '10.0.0.2'].map((h) => getChecker('external-perl')(spec(h), never())));
    expect(results.map((r) => r.ok)).toEqual([true, true, false, true]);
    writeFileSync(file, 'exit 7;');
    expect((await getChecker('external-perl')(spec('10.0.0.2'), never())).ok).toBe(true);
    expect(readFileSync(count, 'utf8')).toBe('c\n');
  });

  it('a script that does not compile is down with perl\'s message', async () => {
    const file = perl('broken.pl', 'sub {');
    const r = await getChecker('external-perl')(makeSpec('10.0.0.2', 80, { checkCommand: file, checkTimeoutMs: 2000 }), never());
    expect(r.ok ? 'up' : r.reason).toMatch(/compiling .*broken\.pl: .*Missing right curly/);
  });
});
