// The Debian package's shell helpers: has-virtuals (no daemon on a dummy config) and takeover (hand-over without a purge).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const HELPERS = resolve('debian/helpers');
const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ldird-deb-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('has-virtuals', () => {
  const cases: Array<[string, string | undefined, number]> = [
    ["Debian's dummy config starts no daemon", readFileSync('debian/ldirectord.cf', 'utf8'), 1],
    ['a config with a virtual service starts one', 'checktimeout=3\nvirtual=10.15.16.113:80\n    real=10.15.16.39:80 gate\n', 0],
    ['an IPv6 virtual service counts', 'virtual6=[2001:db8::1]:80\n    real6=[2001:db8::2]:80 gate\n', 0],
    ['spaces around = are accepted', '  virtual = 10.0.0.1:80\n', 0],
    ['a commented-out virtual service does not count', '#virtual=10.0.0.1:80\n# virtual=10.0.0.2:80\n', 1],
    ['a missing file starts no daemon', undefined, 1],
  ];
  test.each(cases)('%s', (_name, text, status) => {
    const file = join(dir, 'ldirectord.cf');
    if (text !== undefined) writeFileSync(file, text);
    expect(run(join(HELPERS, 'has-virtuals'), [file]).status).toBe(status);
  });
});

describe('takeover', () => {
  let olds: ChildProcess[] = [];
  afterEach(() => {
    for (const p of olds) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    olds = [];
  });

  /** A stand-in for a running ldirectord: its argv reads `... /usr/sbin/ldirectord ARGS`, in its own process group. */
  async function oldDaemon(cfgName: string, args: string[]): Promise<number> {
    const p = spawn('sh', ['-c', 'sleep 60; :', '/usr/sbin/ldirectord', ...args], { detached: true, stdio: 'ignore' });
    olds.push(p);
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(join(dir, `ldirectord.${cfgName}.pid`), `${p.pid}\n`);
    return p.pid!;
  }

  /** A stand-in for the new /usr/sbin/ldirectord: -t exits TEST_STATUS, anything else is recorded. */
  function fakeDaemon(testStatus: number): string {
    const f = join(dir, 'new-ldirectord');
    writeFileSync(f, `#!/bin/sh\n[ "$1" = -t ] && exit ${testStatus}\necho "$*" >>"${dir}/started"\n`);
    chmodSync(f, 0o755);
    return f;
  }
  const takeover = (args: string[], daemon: string) =>
    run(join(HELPERS, 'takeover'), args, { LDIRD_RUNDIR: dir, LDIRD_NG_DAEMON: daemon });

  test('-n lists each live daemon with the command that restarts it under the same pid file', async () => {
    const daemon = fakeDaemon(0);
    const web = await oldDaemon('web.cf', ['/etc/ha.d/web.cf', 'start']);
    const dflt = await oldDaemon('ldirectord', ['start']);
    const r = takeover(['-n'], daemon);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual(
      [`${dflt} ${dir}/ldirectord.ldirectord.pid ${daemon} start`, `${web} ${dir}/ldirectord.web.cf.pid ${daemon} /etc/ha.d/web.cf start`].sort(),
    );
  });

  test('a pid file whose process is not an ldirectord is ignored', () => {
    const p = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    olds.push(p);
    writeFileSync(join(dir, 'ldirectord.other.cf.pid'), `${p.pid}\n`);
    const r = takeover(['-n'], fakeDaemon(0));
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
  });

  test('a config the new parser rejects leaves the old daemon running and fails', async () => {
    const pid = await oldDaemon('web.cf', ['/etc/ha.d/web.cf', 'start']);
    const r = takeover([], fakeDaemon(2));
    expect(r.status).toBe(1);
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect(existsSync(join(dir, 'started'))).toBe(false);
  });

  test('the old daemon is killed without cleanup, its pid file removed and the new one started alike', async () => {
    const daemon = fakeDaemon(0);
    await oldDaemon('web.cf', ['/etc/ha.d/web.cf', 'start']);
    const old = olds[0]!;
    const exited = new Promise<NodeJS.Signals | null>((r) => old.once('exit', (_code, signal) => r(signal)));
    const r = takeover([], daemon);
    expect(r.status).toBe(0);
    await expect(exited).resolves.toBe('SIGKILL');
    expect(existsSync(join(dir, 'ldirectord.web.cf.pid'))).toBe(false);
    expect(readFileSync(join(dir, 'started'), 'utf8')).toBe('/etc/ha.d/web.cf start\n');
  });
});
