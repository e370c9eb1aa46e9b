// Pid files: upstream's naming and liveness rule, own-pid-only removal, one daemon per config however named.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_ENV, findDaemon, pidFilePath, readPidFile, removeOwnPidFile, writePidFile } from '../../../src/daemon/pidfile.js';

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
  child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 100000)', 'ldirectord'], { env: { ...process.env, [CONFIG_ENV]: config }, stdio: 'ignore' });
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

  it('find a running daemon through its own pid file', async () => {
    const pid = await fakeDaemon('/etc/ha.d/web.cf');
    writePidFile(pidFilePath(dir, 'web.cf'), pid);
    expect(findDaemon(dir, 'web.cf', '/etc/ha.d/web.cf')).toEqual({ state: 'running', pid, pidFile: pidFilePath(dir, 'web.cf') });
  });

  it('find a daemon started under another name for the same config, and not one for another config', async () => {
    const pid = await fakeDaemon('/etc/ha.d/ldirectord.cf');
    writePidFile(pidFilePath(dir, 'ldirectord'), pid);
    expect(findDaemon(dir, 'ldirectord.cf', '/etc/ha.d/ldirectord.cf')).toMatchObject({ state: 'running', pid });
    expect(findDaemon(dir, 'other.cf', '/etc/ha.d/other.cf').state).toBe('stopped');
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
