// The ldirectord log: exact line format, per-line open/append/close (survives logrotate), syslog, -d.
import { chmodSync, statSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/clock.js';
import { LdLogger, ctime, logTargetFor, msg } from '../../../src/log/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ldlog-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const flush = () => new Promise((r) => setTimeout(r, 20));

describe('ctime renders Perl scalar localtime', () => {
  it.each([
    [new Date(2026, 10, 25, 13, 29, 45), 'Wed Nov 25 13:29:45 2026'],
    [new Date(2026, 10, 5, 9, 3, 7), 'Thu Nov  5 09:03:07 2026'],
  ])('%s → %s', (d, want) => {
    expect(ctime(d.getTime())).toBe(want);
  });
});

describe('logTargetFor chooses the destination as upstream', () => {
  it.each([
    [{ logfile: '/var/log/ldirectord.log', debug: false, supervised: false }, { kind: 'file', path: '/var/log/ldirectord.log' }],
    [{ logfile: 'local0', debug: false, supervised: false }, { kind: 'syslog', facility: 'local0' }],
    [{ logfile: '/x.log', debug: true, supervised: false }, { kind: 'stderr' }],
    [{ logfile: '/x.log', debug: false, supervised: true }, { kind: 'stdout' }],
  ])('%j', (o, want) => expect(logTargetFor(o)).toEqual(want));
});

describe('LdLogger', () => {
  it('writes "[<ctime>|<CFGNAME>|<pid>] <message>" lines to the log file', async () => {
    const clock = new ManualClock(new Date(2026, 10, 25, 13, 29, 45).getTime());
    const path = join(dir, 'ldirectord.log');
    const log = new LdLogger({ cfgName: 'web.cf', target: { kind: 'file', path }, clock });
    log.log('Added virtual server: 10.0.0.1:80');
    log.log(msg.invoked('/usr/sbin/ldirectord', ['web.cf', 'start']));
    log.debug(2, 'not in files');
    await flush();
    expect(readFileSync(path, 'utf8')).toBe(
      `[Wed Nov 25 13:29:45 2026|web.cf|${process.pid}] Added virtual server: 10.0.0.1:80\n` +
        `[Wed Nov 25 13:29:45 2026|web.cf|${process.pid}] Invoking ldirectord invoked as: /usr/sbin/ldirectord web.cf start \n`,
    );
  });

  it('follows logrotate: after the file is moved away the next line creates a new file', async () => {
    const path = join(dir, 'ldirectord.log');
    const log = new LdLogger({ cfgName: 'ldirectord', target: { kind: 'file', path } });
    log.log('before');
    await flush();
    renameSync(path, `${path}.1`);
    log.log('after');
    await flush();
    expect(readFileSync(`${path}.1`, 'utf8')).toMatch(/\] before\n$/);
    expect(readFileSync(path, 'utf8')).toMatch(/^\[[^\]]+\|ldirectord\|\d+\] after\n$/);
  });

  it('sends 1,000 lines to syslog through ONE long-lived logger(1), in order, and stops fast (issue 13 item 4)', async () => {
    const rec = join(dir, 'argv');
    const lines = join(dir, 'lines');
    const fake = join(dir, 'logger');
    // Records each start (its argv) and every stdin line, as util-linux logger reads them.
    writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$@" >> ${rec}\necho --- >> ${rec}\ncat >> ${lines}\n`);
    chmodSync(fake, 0o755);
    const log = new LdLogger({ cfgName: 'x', target: { kind: 'syslog', facility: 'local0' }, syslogCommand: fake });
    const want = Array.from({ length: 1000 }, (_, i) => `Added real server: 10.0.${i >> 8}.${i % 256}:80 (10.0.0.1:80) line ${i}`);
    for (const l of want) log.log(l);
    await flush();
    const t0 = Date.now();
    await log.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(readFileSync(rec, 'utf8')).toBe(['--socket-errors=off', '-t', 'ldirectord', `--id=${process.pid}`, '-p', 'local0.info', '---', ''].join('\n'));
    expect(readFileSync(lines, 'utf8')).toBe(want.map((l) => `${l}\n`).join(''));
  });

  it('escapes control bytes of a message instead of writing them raw (issue 13 item 15)', async () => {
    const path = join(dir, 'esc.log');
    const log = new LdLogger({ cfgName: 'x', target: { kind: 'file', path } });
    log.log('Unknown command "a\x1b[2J\rb\x00"');
    await flush();
    expect(readFileSync(path, 'utf8')).toMatch(/\] Unknown command "a\\x1b\[2J\\x0db\\x00"\n$/);
  });

  it('creates a log file 0640 whatever the umask (issue 13 item 15)', async () => {
    const path = join(dir, 'new.log');
    const old = process.umask(0);
    try {
      const log = new LdLogger({ cfgName: 'x', target: { kind: 'file', path } });
      log.log('hello');
      await flush();
    } finally {
      process.umask(old);
    }
    expect(statSync(path).mode & 0o777).toBe(0o640);
  });

  it('in -d mode writes each line plain after a DEBUG2 copy, and debug lines up to the level', async () => {
    const out: string[] = [];
    const log = new LdLogger({ cfgName: 'x', target: { kind: 'stderr' }, debugLevel: 3, stderr: (s) => out.push(s) });
    log.log('Added virtual server: 10.0.0.1:80');
    log.debug(3, 'deep');
    log.debug(4, 'too deep');
    await flush();
    expect(out).toEqual(['DEBUG2: Added virtual server: 10.0.0.1:80\n', 'Added virtual server: 10.0.0.1:80\n', 'DEBUG3: deep\n']);
  });

  it('in supervised mode writes "[<ctime>] <message>" to stdout', async () => {
    const out: string[] = [];
    const clock = new ManualClock(new Date(2026, 10, 5, 9, 3, 7).getTime());
    const log = new LdLogger({ cfgName: 'x', target: { kind: 'stdout' }, clock, stdout: (s) => out.push(s) });
    log.log('hello');
    await flush();
    expect(out).toEqual(['[Thu Nov  5 09:03:07 2026] hello\n']);
  });

  it('falls back to stderr when the log file cannot be opened', async () => {
    const out: string[] = [];
    const log = new LdLogger({ cfgName: 'x', target: { kind: 'file', path: join(dir, 'no/such/dir/log') }, stderr: (s) => out.push(s) });
    log.log('lost?');
    await flush();
    expect(out).toEqual(['lost?\n']);
  });
});
