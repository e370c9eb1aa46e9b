// Pid files: upstream's naming and liveness rule, own-pid-only removal, one daemon per config however named.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_ENV, acquireConfigLock, findDaemon, lockFilePath, pidFilePath, processStartTime, readPidFile, removeOwnPidFile, writePidFile } from '../../../src/daemon/pidfile.js';

let dir: string;
let child: ChildProcess | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ldpid-'));
});
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** A live process whose command line mentions ldirectord, serving `config`. */
async function fakeDaemon(config: string): Promise<number> {
  child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 100000)', '/usr/sbin/ldirectord'], { env: { ...process.env, [CONFIG_ENV]: config }, stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 200));
  return child.pid!;
}

describe('pid files', () => {
  it('are named /var/run/ldirectord.<CFGNAME>.pid', () => {
    expect(pidFilePath('/var/run', 'ldirectord.cf')).toBe('/var/run/ldirectord.ldirectord.cf.pid');
  });

  it.each([
    ['no pid file', 'stopped', undefined],
    ['a pid that does not exist', 'stale', '999999999\n'],
    ['a live process that is not ldirectord', 'stale', `${process.pid}\n`],
    ['garbage', 'stale', 'hello\n'],
  ])('report %s as %s', (_what, want, content) => {
    if (content !== undefined) writeFileSync(pidFilePath(dir, 'web.cf'), content);
    expect(findDaemon(dir, 'web.cf', '/etc/ha.d/web.cf').state).toBe(want);
  });

  it('find a foreign ldirectord (Perl) through the own pid file, never a process that merely mentions ldirectord', async () => {
    const pid = await fakeDaemon('/etc/ha.d/web.cf');
    writePidFile(pidFilePath(dir, 'web.cf'), pid);
    expect(findDaemon(dir, 'web.cf', '/etc/ha.d/web.cf')).toEqual({ state: 'running', pid, pidFile: pidFilePath(dir, 'web.cf'), foreign: true });
    child?.kill('SIGKILL');
    child = spawn('tail', ['-f', '/dev/null', '/var/log/ldirectord.log'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 200));
    writePidFile(pidFilePath(dir, 'web.cf'), child.pid!);
    expect(findDaemon(dir, 'web.cf', '/etc/ha.d/web.cf').state).toBe('stale');
  });

  it('take one lock per resolved config: a second taker (or a symlinked name) sees the holder', () => {
    const cfg = join(dir, 'a.cf');
    writeFileSync(cfg, '');
    symlinkSync(cfg, join(dir, 'b.cf'));
    const first = acquireConfigLock(dir, cfg, pidFilePath(dir, 'a.cf'));
    expect(first.ok).toBe(true);
    // flock(2) locks belong to the open file description: a second open in this very process conflicts too.
    expect(acquireConfigLock(dir, join(dir, 'b.cf'), undefined)).toEqual({ ok: false, holder: process.pid });
    expect(findDaemon(dir, 'b.cf', join(dir, 'b.cf'))).toEqual({ state: 'running', pid: process.pid, pidFile: pidFilePath(dir, 'a.cf') });
    if (first.ok) first.lock.release();
    expect(findDaemon(dir, 'b.cf', join(dir, 'b.cf')).state).toBe('stopped');
    const again = acquireConfigLock(dir, join(dir, 'b.cf'), undefined);
    expect(again.ok).toBe(true);
    if (again.ok) again.lock.release();
  });

  it('a lock file naming a live pid with another start time (a reused pid) is not a daemon', () => {
    const cfg = join(dir, 'a.cf');
    writeFileSync(cfg, '');
    writeFileSync(lockFilePath(dir, cfg), `${process.pid} 1\n${pidFilePath(dir, 'a.cf')}\n`);
    expect(processStartTime(process.pid)).not.toBe('1');
    expect(findDaemon(dir, 'a.cf', cfg).state).toBe('stopped');
  });

  it('are written 0644 whatever the umask, replacing a symlink rather than following it', () => {
    const f = pidFilePath(dir, 'web.cf');
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'keep\n');
    symlinkSync(victim, f);
    const old = process.umask(0);
    try {
      writePidFile(f, 4242);
    } finally {
      process.umask(old);
    }
    expect(readFileSync(victim, 'utf8')).toBe('keep\n');
    expect(lstatSync(f).isFile()).toBe(true);
    expect(lstatSync(f).mode & 0o777).toBe(0o644);
    expect(readPidFile(f)).toBe(4242);
  });

  it('are removed only by the process they name', () => {
    const f = pidFilePath(dir, 'web.cf');
    writePidFile(f, 12345);
    removeOwnPidFile(f, 54321);
    expect(readPidFile(f)).toBe(12345);
    removeOwnPidFile(f, 12345);
    expect(existsSync(f)).toBe(false);
  });
});
