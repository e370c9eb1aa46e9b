// syncdaemon= through the whole daemon, FakeIpvs as the kernel: start, reload, stop, cleanstop, a
// daemon someone else runs, an unknown interface and a refusal; the table keeps working throughout.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Daemon } from '../../src/daemon/daemon.js';
import { FakeIpvs } from '../../src/ipvs/index.js';
import { MemoryLogger } from '../../src/log/types.js';
import type { SyncDaemon } from '../../src/model/ipvs.js';
import { startTestDaemon } from '../support/daemon.js';

const TABLE = '-A -t 10.0.0.1:80 -s wrr\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1\n';

function config(sync: string, extra = ''): string {
  return `${sync}${extra}checkinterval=60\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tchecktype=on\n`;
}

let dir: string;
let cfg: string;
let ipvs: FakeIpvs;
let logger: MemoryLogger;
let daemon: Daemon | undefined;

async function start(text: string): Promise<Daemon> {
  writeFileSync(cfg, text);
  daemon = await startTestDaemon({ configPath: cfg, ipvs, logger, resyncMs: 60_000 });
  return daemon;
}

async function reload(d: Daemon, text: string): Promise<void> {
  writeFileSync(cfg, text);
  const r = await d.reload(true);
  expect(r.kind).toBe('reloaded');
}

/** A few more passes, as the periodic resync would run them. */
async function passes(d: Daemon, n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await d.reconcile.pass();
}

const syncLines = (): string[] => logger.lines.filter((l) => /sync daemon/.test(l));
const daemons = async (): Promise<string[]> => (await ipvs.listDaemons()).map((d) => `${d.state} ${d.iface} ${d.syncid}`);
const starts = (): number => ipvs.daemonCalls.filter((c) => c.op.op === 'startDaemon').length;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ldird-sync-'));
  cfg = join(dir, 'sync.cf');
  ipvs = new FakeIpvs({ interfaces: ['eth1', 'eth2'] });
  logger = new MemoryLogger();
  daemon = undefined;
});

afterEach(async () => {
  await daemon?.stop('TERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('syncdaemon= in the daemon', () => {
  it('starts a master and a backup with syncdaemon=both, next to the table', async () => {
    await start(config('syncdaemon=both\nsyncinterface=eth1\nsyncid=7\n'));
    expect(await daemons()).toEqual(['master eth1 7', 'backup eth1 7']);
    expect(ipvs.dump()).toBe(TABLE);
    expect(syncLines()).toEqual(['Started master sync daemon (mcast=eth1, syncid=7)', 'Started backup sync daemon (mcast=eth1, syncid=7)']);
    await passes(daemon!);
    expect(starts()).toBe(2);
  });

  it('leaves the kernel\'s daemons alone and does not even ask without syncdaemon', async () => {
    await ipvs.startDaemon({ state: 'backup', iface: 'eth2', syncid: 1 });
    ipvs.clearCalls();
    const d = await start(config(''));
    await passes(d);
    await d.stop('TERM');
    expect(ipvs.daemonCalls).toEqual([]);
    expect(await daemons()).toEqual(['backup eth2 1']);
  });

  it('changes its daemons on reload and stops the ones no longer configured', async () => {
    const d = await start(config('syncdaemon=both\nsyncinterface=eth1\nsyncid=7\n'));
    logger.lines.length = 0;
    await reload(d, config('syncdaemon=both\nsyncinterface=eth2\nsyncid=9\nsyncttl=2\n'));
    expect(await daemons()).toEqual(['master eth2 9', 'backup eth2 9']);
    expect(syncLines()).toEqual([
      'Stopped master sync daemon (mcast=eth1, syncid=7, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)',
      'Started master sync daemon (mcast=eth2, syncid=9, ttl=2)',
      'Stopped backup sync daemon (mcast=eth1, syncid=7, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)',
      'Started backup sync daemon (mcast=eth2, syncid=9, ttl=2)',
    ]);
    await reload(d, config('syncdaemon=master\nsyncinterface=eth2\nsyncid=9\nsyncttl=2\n'));
    expect(await daemons()).toEqual(['master eth2 9']);
    await reload(d, config('syncdaemon=no\n'));
    expect(await daemons()).toEqual([]);
    expect(ipvs.dump()).toBe(TABLE);
  });

  it.each([
    ['cleanstop=yes (the default) stops them', '', []],
    ['cleanstop=no leaves them running', 'cleanstop=no\n', ['master eth1 0', 'backup eth1 0']],
  ])('%s at stop', async (_what, extra, left) => {
    const d = await start(config('syncdaemon=both\nsyncinterface=eth1\n', extra));
    await d.stop('TERM');
    expect(await daemons()).toEqual(left);
  });

  it('leaves a daemon someone else started with other parameters alone, says so once, and keeps it at stop', async () => {
    await ipvs.startDaemon({ state: 'master', iface: 'eth2', syncid: 3 });
    const d = await start(config('syncdaemon=both\nsyncinterface=eth1\nsyncid=7\n'));
    await passes(d);
    expect(syncLines()).toEqual([
      `Leaving master sync daemon (mcast=eth2, syncid=3, maxlen=1472, group=224.0.0.81, port=8848, ttl=1) alone: it was not started by ldirectord and is not what ${cfg}:1 asks for (mcast=eth1, syncid=7); stop it (ipvsadm --stop-daemon master) to let ldirectord start its own`,
      'Started backup sync daemon (mcast=eth1, syncid=7)',
    ]);
    expect(ipvs.dump()).toBe(TABLE);
    await d.stop('TERM');
    expect(await daemons()).toEqual(['master eth2 3']);
  });

  it('takes over a daemon already running as configured (an earlier instance) and stops it at stop', async () => {
    await ipvs.startDaemon({ state: 'master', iface: 'eth1', syncid: 7 });
    ipvs.clearCalls();
    const d = await start(config('syncdaemon=master\nsyncinterface=eth1\nsyncid=7\n'));
    expect(starts()).toBe(0);
    expect(syncLines()).toEqual([`Using running master sync daemon (mcast=eth1, syncid=7, maxlen=1472, group=224.0.0.81, port=8848, ttl=1): it is what ${cfg}:1 asks for`]);
    await d.stop('TERM');
    expect(await daemons()).toEqual([]);
  });

  it('logs an unknown syncinterface once with file:line, keeps the table, and starts when the interface appears', async () => {
    const d = await start(config('syncdaemon=master\nsyncid=7\nsyncinterface=eth9\n'));
    await passes(d);
    expect(syncLines()).toEqual([
      `Failed to start master sync daemon (mcast=eth9, syncid=7): ${cfg}:3: syncinterface eth9 is not a network interface of this host (unknown mcast interface: eth9 (ENODEV))`,
    ]);
    expect(ipvs.dump()).toBe(TABLE);
    expect(starts()).toBe(4);
    ipvs.addInterface({ name: 'eth9' });
    await passes(d, 1);
    expect(await daemons()).toEqual(['master eth9 7']);
    expect(syncLines().at(-1)).toBe('Started master sync daemon (mcast=eth9, syncid=7)');
  });

  it('logs the kernel\'s refusal while a service mixes address families, and tears nothing down', async () => {
    const foreign = { kind: 'addr', af: 'inet', protocol: 'tcp', addr: '10.9.9.9', port: 443 } as const;
    await ipvs.addService({ key: foreign, scheduler: 'rr', flags: 0, timeout: 0, netmask: 32 });
    await ipvs.addDest(foreign, { af: 'inet6', addr: '2001:db8::9', port: 443, fwd: 'tunnel', weight: 1, uThresh: 0, lThresh: 0 });
    const d = await start(config('syncdaemon=backup\nsyncinterface=eth1\n'));
    await passes(d);
    expect(syncLines()).toEqual([
      'Failed to start backup sync daemon (mcast=eth1, syncid=0): the kernel refuses connection sync while a virtual service has real servers of two address families (tcp:10.9.9.9:443 has [2001:db8::9]:443) (connection sync is not possible while a service has destinations of another family (EINVAL))',
    ]);
    expect(ipvs.dump()).toContain(TABLE.trim());
    expect(ipvs.dump()).toContain('-a -t 10.9.9.9:443 -r [2001:db8::9]:443 -i -w 1');
  });

  it('starts again a daemon of its own that someone stopped', async () => {
    const d = await start(config('syncdaemon=master\nsyncinterface=eth1\n'));
    await ipvs.stopDaemon('master');
    await passes(d, 1);
    expect(await daemons()).toEqual(['master eth1 0']);
    const want: SyncDaemon = { state: 'master', iface: 'eth1', syncid: 0 };
    expect(d.reconcile.syncDaemons.ours.get('master')).toEqual(want);
  });
});
