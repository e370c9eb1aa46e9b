// Daemon paths beyond the happy loop: callback= on a changed file, execute= instances across a reload,
// and a clean stop that fails. In-process, FakeIpvs as the kernel, real shell commands.
import { chmodSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeIpvs } from '../../src/ipvs/index.js';
import type { Daemon, DaemonOptions } from '../../src/daemon/daemon.js';
import { startDaemon } from '../support/daemon.js';

let dir: string;
let cfgPath: string;
let logPath: string;
let daemon: Daemon | undefined;

const config = (lines: string[]) =>
  ['checktimeout=1', 'checkinterval=1', `logfile="${logPath}"`, 'quiescent=yes', ...lines, 'virtual=127.0.0.1:80', '\treal=127.0.0.2:1 masq', '\tchecktype=on', '\tscheduler=rr', ''].join('\n');
const logLines = () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '').trim().split('\n').map((l) => l.replace(/^\[[^\]]*\] /, ''));

function saveByRename(text: string): void {
  writeFileSync(`${cfgPath}.swp`, text);
  renameSync(`${cfgPath}.swp`, cfgPath);
}

async function until(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${what}\nlog:\n${logLines().join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A shell script that appends its arguments (and, with `lines`, the line count of the file named by its
 * first argument) to `out`, and exits with the number in `out.rc` (0 when absent).
 */
function recorder(name: string, lines = false): { path: string; out: string; calls: () => string[]; exitWith: (rc: number) => void } {
  const path = join(dir, name);
  const out = join(dir, `${name}.out`);
  writeFileSync(path, `#!/bin/sh\necho "$*"${lines ? ' $(wc -l <"$1")' : ''} >>'${out}'\nexit $(cat '${out}.rc' 2>/dev/null || echo 0)\n`);
  chmodSync(path, 0o755);
  return { path, out, calls: () => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n') : []), exitWith: (rc) => writeFileSync(`${out}.rc`, `${rc}\n`) };
}

async function start(ipvs: FakeIpvs, more: Partial<DaemonOptions> = {}): Promise<Daemon> {
  daemon = await startDaemon(cfgPath, logPath, ipvs, more);
  return daemon;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ldird-paths-'));
  cfgPath = join(dir, 'paths.cf');
  logPath = join(dir, 'ldirectord.log');
});
afterEach(async () => {
  await daemon?.stop('TERM');
  daemon = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('callback=', () => {
  it('runs with the config path when the file changes on disk, also with autoreload=no (which ignores the new file)', async () => {
    const cb = recorder('callback.sh');
    writeFileSync(cfgPath, config([`callback="${cb.path}"`]));
    const ipvs = new FakeIpvs();
    await start(ipvs);
    const before = ipvs.dump();
    saveByRename(config([`callback="${cb.path}"`]).replace('\tchecktype=on', '\treal=127.0.0.3:1 masq\n\tchecktype=on'));
    await until(() => cb.calls().length > 0, 'the callback');
    expect(cb.calls()).toEqual([cfgPath]);
    expect(logLines()).toEqual(expect.arrayContaining([`Configuration file '${cfgPath}' has changed on disk`, ' - ignore new configuration']));
    expect(ipvs.dump()).toBe(before);
    expect(daemon!.config.virtuals[0]!.reals).toHaveLength(1);
  });

  it('runs after the reload with autoreload=yes, and not on a save that changes nothing', async () => {
    const cb = recorder('callback.sh', true);
    const text = config(['autoreload=yes', `callback="${cb.path}"`]);
    const n = text.split('\n').length - 1;
    writeFileSync(cfgPath, text);
    const ipvs = new FakeIpvs();
    await start(ipvs);
    const three = text.replace('\tchecktype=on', '\treal=127.0.0.3:1 masq\n\tchecktype=on');
    saveByRename(three);
    await until(() => cb.calls().length > 0, 'the callback');
    // The callback ran after the reload: the new real was already in the table.
    expect(ipvs.dump()).toContain('-a -t 127.0.0.1:80 -r 127.0.0.3:1 -m -w 1');
    saveByRename(three); // same content: no change on disk, no callback
    await new Promise((r) => setTimeout(r, 500)); // past the debounce, so the next save is a separate event
    saveByRename(three.replace('\tchecktype=on', '\treal=127.0.0.4:1 masq\n\tchecktype=on'));
    await until(() => cb.calls().includes(`${cfgPath} ${n + 2}`), 'the callback for the second change');
    expect(cb.calls()).toEqual([`${cfgPath} ${n + 1}`, `${cfgPath} ${n + 2}`]);
  });
});

describe('execute= across a reload', () => {
  it('stops removed instances, reloads kept ones (starting them when reload fails) and starts new ones', async () => {
    const self = recorder('ldirectord.sh');
    writeFileSync(cfgPath, config(['execute=a.cf', 'execute=b.cf']));
    await start(new FakeIpvs(), { watch: false, selfCommand: self.path });
    expect(self.calls()).toEqual(['a.cf start', 'b.cf start']);

    writeFileSync(cfgPath, config(['execute=b.cf', 'execute=c.cf']));
    expect((await daemon!.reloadOnSignal()).kind).toBe('reloaded');
    expect(self.calls().slice(2)).toEqual(['a.cf stop', 'b.cf reload', 'c.cf start']);

    // An instance that is not running fails its reload (exit 1) and is started instead.
    self.exitWith(1);
    expect((await daemon!.reloadOnSignal()).kind).toBe('reloaded');
    expect(self.calls().slice(5)).toEqual(['b.cf reload', 'b.cf start', 'c.cf reload', 'c.cf start']);
    self.exitWith(0);

    await daemon!.stop('TERM');
    daemon = undefined;
    expect(self.calls().slice(9)).toEqual(['b.cf stop', 'c.cf stop']);
  });
});

describe('a clean stop that fails', () => {
  it('logs the failed removal, leaves the service in place and still terminates', async () => {
    writeFileSync(cfgPath, config([]));
    const ipvs = new FakeIpvs();
    await start(ipvs);
    await until(() => ipvs.dump().includes('-r 127.0.0.2:1'), 'the real added');
    ipvs.injectFault({ op: 'deleteService', errno: 'EBUSY' });
    await daemon!.stop('TERM');
    daemon = undefined;
    const lines = logLines();
    expect(lines).toContain('Purged real server (stop): 127.0.0.2:1 (127.0.0.1:80)');
    expect(lines.find((l) => l.startsWith('system(ipvsadm -D -t 127.0.0.1:80) failed: '))).toBeDefined();
    expect(lines).not.toContain('Purged virtual server (stop): 127.0.0.1:80');
    expect(lines.at(-1)).toBe('Linux Director Daemon terminated on signal: TERM');
    expect(ipvs.dump().trim()).toBe('-A -t 127.0.0.1:80 -s rr');
  });

  it('logs "cleanstop failed" when the table cannot even be read, and still terminates', async () => {
    writeFileSync(cfgPath, config([]));
    const ipvs = new FakeIpvs();
    await start(ipvs);
    await until(() => ipvs.dump().includes('-r 127.0.0.2:1'), 'the real added');
    ipvs.injectFault({ op: 'snapshot', errno: 'ENOMEM', times: 100 });
    await daemon!.stop('TERM');
    daemon = undefined;
    const lines = logLines();
    expect(lines.find((l) => l.startsWith('cleanstop failed: '))).toMatch(/injected fault on snapshot/);
    expect(lines.at(-1)).toBe('Linux Director Daemon terminated on signal: TERM');
    expect(ipvs.dump()).toContain('-a -t 127.0.0.1:80 -r 127.0.0.2:1 -m -w 1');
  });
});
