// IpvsadmIpvs against a stand-in ipvsadm executable (the process boundary is the fake): argv,
// listing merge, error-text -> errno mapping and -R error attribution.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IpvsadmIpvs, IpvsError } from '../../../src/ipvs/index.js';
import type { IpvsadmIpvsOptions } from '../../../src/ipvs/index.js';
import { alignMessages, errnoFromMessage } from '../../../src/ipvs/ipvsadm.js';
import type { IpvsOp } from '../../../src/model/ipvs.js';

const bin = join(dirname(fileURLToPath(import.meta.url)), 'fake-ipvsadm');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fake-ipvsadm-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

// The stand-in finds its canned answers through this variable.
const opts = (more: Partial<IpvsadmIpvsOptions> = {}): IpvsadmIpvsOptions => ({ bin, env: { FAKE_IPVSADM_DIR: dir }, ...more });

const put = (name: string, text: string): void => writeFileSync(join(dir, name), text);
const calls = (): string[] => readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n');

async function errOf(p: Promise<unknown>): Promise<[string, string]> {
  try {
    await p;
  } catch (e) {
    if (e instanceof IpvsError) return [e.code, e.errno];
    throw e;
  }
  return ['none', 'none'];
}

const web = { kind: 'addr', af: 'inet', protocol: 'tcp', addr: '10.0.0.1', port: 80 } as const;
const rs = { af: 'inet', addr: '10.0.0.2', port: 8080, fwd: 'masq', weight: 2, uThresh: 10, lThresh: 1 } as const;

describe('IpvsadmIpvs runs ipvsadm without a shell', () => {
  it('passes each op as a full-spec argv', async () => {
    const ipvs = new IpvsadmIpvs(opts());
    await ipvs.addService({ key: web, scheduler: 'wlc', flags: 0, timeout: 0, netmask: 32 });
    await ipvs.editDest(web, rs);
    await ipvs.deleteDest(web, rs);
    expect(calls()).toEqual(['-A -t 10.0.0.1:80 -s wlc', '-e -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 2 -x 10 -y 1', '-d -t 10.0.0.1:80 -r 10.0.0.2:8080']);
  });

  it('merges -S -n with the thresholds listing into one snapshot', async () => {
    put('save.txt', '-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 2\n');
    put('list.txt', 'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn\n  -> RemoteAddress:Port\nTCP  10.0.0.1:80 wlc\n  -> 10.0.0.2:8080                10         1          4          5\n');
    const snap = await new IpvsadmIpvs(opts()).snapshot();
    expect(snap.services[0]?.dests).toEqual([{ ...rs, activeConns: 4, inactConns: 5, persistConns: 0 }]);
  });

  it('retries when the two listings disagree, then gives up with IPVS_DUMP_INTERRUPTED', async () => {
    put('save.txt', '-A -t 10.0.0.1:80 -s wlc\n');
    put('list.txt', 'TCP  10.0.0.1:80 wlc\n  -> 10.0.0.2:8080                10         1          4          5\n');
    expect(await errOf(new IpvsadmIpvs(opts({ snapshotRetries: 2 })).snapshot())).toEqual(['IPVS_DUMP_INTERRUPTED', 'EINTR']);
    expect(calls().filter((c) => c === '-S -n').length).toBe(3);
  });

  it.each([
    ['Service already exists', 255, ['IPVS_KERNEL', 'EEXIST']],
    ['Scheduler or persistence engine not found', 255, ['IPVS_KERNEL', 'ENOENT']],
    ['Permission denied (you must be root)', 255, ['IPVS_KERNEL', 'EPERM']],
    ['Memory allocation problem', 255, ['IPVS_KERNEL', 'ENOMEM']],
    ['something new', 255, ['IPVS_KERNEL', 'EIO']],
    ['illegal virtual server address[:port] specified', 2, ['IPVS_KERNEL', 'EINVAL']],
  ])('maps "%s" (exit %d) to %j', async (text, code, want) => {
    put('err.txt', `${text}\n`);
    put('code.txt', String(code));
    expect(await errOf(new IpvsadmIpvs(opts()).addService({ key: web, scheduler: 'wlc', flags: 0, timeout: 0, netmask: 32 }))).toEqual(want);
  });

  it('rejects a weight ipvsadm cannot pass with ERANGE without running it', async () => {
    expect(await errOf(new IpvsadmIpvs(opts()).addDest(web, { ...rs, weight: 70000 }))).toEqual(['IPVS_KERNEL', 'ERANGE']);
  });

  it.each([
    ['a missing binary', '/nonexistent/ipvsadm', ['IPVS_UNAVAILABLE', 'ENOENT']],
    ['a kernel without IPVS', bin, ['IPVS_UNAVAILABLE', 'ENOPROTOOPT']],
  ])('reports %s from probe() as IPVS_UNAVAILABLE', async (_what, path, want) => {
    put('err.txt', "Can't initialize ipvs: Protocol not available\nAre you sure that IP Virtual Server is built in the kernel or as module?\n");
    put('code.txt', '2');
    expect(await errOf(new IpvsadmIpvs(opts({ bin: path })).probe())).toEqual(want);
  });

  it('sends apply() as one -R batch and matches its anonymous errors to ops', async () => {
    put('save.txt', '-A -t 10.0.0.1:80 -s wlc\n');
    put('list.txt', 'TCP  10.0.0.1:80 wlc\n');
    put('err.txt', 'Service already exists\nNo such destination\n');
    const ops: IpvsOp[] = [
      { op: 'addService', svc: { key: web, scheduler: 'wlc', flags: 0, timeout: 0, netmask: 32 } },
      { op: 'addDest', svc: web, dest: rs },
      { op: 'deleteDest', svc: web, dest: { ...rs, addr: '10.0.0.9' } },
      { op: 'addDest', svc: web, dest: { ...rs, weight: -1 } },
    ];
    const results = await new IpvsadmIpvs(opts()).apply(ops);
    expect(results.map((r) => (r.ok ? 'ok' : r.error.errno))).toEqual(['EEXIST', 'ok', 'ENOENT', 'ERANGE']);
    expect(readFileSync(join(dir, 'stdin.log'), 'utf8')).toBe('-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 2 -x 10 -y 1\n-d -t 10.0.0.1:80 -r 10.0.0.9:8080\n');
  });
});

describe('-R error lines are matched to ops', () => {
  it.each([
    ['the first op that can print a message without a replay', ['addService', 'addService'], ['Service already exists'], undefined, [0]],
    ['the op the replay says fails', ['addService', 'addService'], ['Service already exists'], [undefined, 'EEXIST'], [1]],
    ['messages in order across op kinds', ['deleteDest', 'addService', 'editDest'], ['Service already exists', 'No such destination'], undefined, [1, 2]],
  ] as const)('to %s', (_what, kinds, messages, expected, want) => {
    const a = alignMessages(kinds, messages, expected);
    expect(a.perOp.flatMap((p, i) => (p ? [i] : []))).toEqual(want);
    expect(a.unmatched).toEqual([]);
  });

  it('knows which errno each ipvsadm message stands for', () => {
    expect(errnoFromMessage('No such service')?.errno).toBe('ESRCH');
    expect(errnoFromMessage('Service not defined')?.errno).toBe('ESRCH');
    expect(errnoFromMessage('Numerical result out of range')?.errno).toBe('ERANGE');
    expect(errnoFromMessage('hello')).toBeUndefined();
  });
});

describe('IpvsadmIpvs sync daemons', () => {
  const master = { state: 'master', iface: 'eth1', syncid: 7 } as const;

  it('starts and stops them with --start-daemon / --stop-daemon, optional values only when given', async () => {
    const ipvs = new IpvsadmIpvs(opts());
    await ipvs.startDaemon(master);
    await ipvs.startDaemon({ state: 'backup', iface: 'eth1', syncid: 0, maxlen: 1400, group: 'FF02::81', port: 9000, ttl: 2 });
    await ipvs.stopDaemon('backup');
    expect(calls()).toEqual([
      '--start-daemon master --mcast-interface eth1 --syncid 7',
      '--start-daemon backup --mcast-interface eth1 --syncid 0 --sync-maxlen 1400 --mcast-group ff02::81 --mcast-port 9000 --mcast-ttl 2',
      '--stop-daemon backup',
    ]);
  });

  it('lists them from -L --daemon', async () => {
    put('daemon.txt', 'master sync daemon (mcast=eth1, syncid=7, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\nbackup sync daemon (mcast=eth1, syncid=7, maxlen=1452, group=ff02::81, port=8848, ttl=1)\n');
    expect(await new IpvsadmIpvs(opts()).listDaemons()).toEqual([
      { state: 'master', iface: 'eth1', syncid: 7, maxlen: 1472, group: '224.0.0.81', port: 8848, ttl: 1 },
      { state: 'backup', iface: 'eth1', syncid: 7, maxlen: 1452, group: 'ff02::81', port: 8848, ttl: 1 },
    ]);
    put('daemon.txt', 'something else\n');
    expect(await errOf(new IpvsadmIpvs(opts()).listDaemons())).toEqual(['IPVS_PROTOCOL', 'EPROTO']);
  });

  it.each([
    ['Daemon has already run', 'EEXIST'],
    ['No daemon is running', 'ESRCH'],
    ['No such device', 'ENODEV'],
    ['Invalid argument', 'EINVAL'],
    ["invalid IPv4 mcast-group `10.0.0.1'", 'EINVAL'],
  ])('maps "%s" to %s', async (text, errno) => {
    put('err.txt', `${text}\n`);
    put('code.txt', '1');
    expect(await errOf(new IpvsadmIpvs(opts()).startDaemon(master))).toEqual(['IPVS_KERNEL', errno]);
  });

  it('refuses a request without an interface itself (ipvsadm would use eth0), as the kernel does', async () => {
    const bad = { state: 'master', syncid: 7 } as unknown as typeof master;
    expect(await errOf(new IpvsadmIpvs(opts()).startDaemon(bad))).toEqual(['IPVS_KERNEL', 'EINVAL']);
    expect(() => calls()).toThrow();
  });
});
