// The one IPVS contract every backend must pass (fake always; netlink and ipvsadm on a real kernel).
// When the fake and the kernel disagree here, the fake is wrong.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatSave } from '../../parsers/ipvsadm/index.js';
import type { DestSpec, IpvsOp, ServiceKey, ServiceSpec, SyncDaemon } from '../../src/model/ipvs.js';
import { SVC_FLAG } from '../../src/model/ipvs.js';
import { IpvsError } from '../../src/ipvs/index.js';
import type { Ipvs } from '../../src/ipvs/index.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Path of the golden `ipvsadm -S -n` text for the feature set the contract programs. */
export const FEATURES_SAVE = join(here, '../../fixtures/ipvsadm/contract-features.save');

/** Extra hooks a backend may offer the suite. */
export interface ContractHooks {
  /** The kernel's own `ipvsadm -S -n` output, to compare with the golden text. */
  readonly rawSave?: () => Promise<string>;
  /** Per-test timeout in ms (the emulated guest is slow). */
  readonly timeoutMs?: number;
  /**
   * An up interface with MTU 1500 the sync daemon cases may use (makeIpvs must also leave no sync
   * daemon running); without it those cases are skipped.
   */
  readonly syncInterface?: string;
}

const tcp = (addr: string, port: number): ServiceKey => ({ kind: 'addr', af: addr.includes(':') ? 'inet6' : 'inet', protocol: 'tcp', addr, port });
const udp = (addr: string, port: number): ServiceKey => ({ kind: 'addr', af: 'inet', protocol: 'udp', addr, port });
const sctp = (addr: string, port: number): ServiceKey => ({ kind: 'addr', af: 'inet', protocol: 'sctp', addr, port });
const fwm = (fwmark: number, af: 'inet' | 'inet6' = 'inet'): ServiceKey => ({ kind: 'fwmark', af, fwmark });

function svc(key: ServiceKey, scheduler: string, more: Partial<Omit<ServiceSpec, 'key' | 'scheduler'>> = {}): ServiceSpec {
  return { key, scheduler, flags: 0, timeout: 0, netmask: key.af === 'inet6' ? 128 : 32, ...more };
}

function dest(addr: string, port: number, more: Partial<Omit<DestSpec, 'addr' | 'port'>> = {}): DestSpec {
  return { af: addr.includes(':') ? 'inet6' : 'inet', addr, port, fwd: 'route', weight: 1, uThresh: 0, lThresh: 0, ...more };
}

/** The ops that program one service per feature (all protocols, families, fwmarks, flags, methods). */
export const FEATURE_OPS: readonly IpvsOp[] = [
  { op: 'addService', svc: svc(tcp('10.0.0.1', 80), 'wlc') },
  { op: 'addDest', svc: tcp('10.0.0.1', 80), dest: dest('10.0.1.1', 80) },
  { op: 'addDest', svc: tcp('10.0.0.1', 80), dest: dest('10.0.1.2', 8080, { fwd: 'masq', weight: 5, uThresh: 100, lThresh: 10 }) },
  // ipip on an address service: the port is rewritten to the service port.
  { op: 'addDest', svc: tcp('10.0.0.1', 80), dest: dest('10.0.1.3', 9999, { fwd: 'tunnel', weight: 0 }) },
  { op: 'addService', svc: svc(udp('10.0.0.2', 53), 'rr', { flags: SVC_FLAG.ONEPACKET }) },
  { op: 'addDest', svc: udp('10.0.0.2', 53), dest: dest('10.0.1.4', 53, { fwd: 'masq', weight: 2 }) },
  { op: 'addService', svc: svc(sctp('10.0.0.3', 3868), 'lc') },
  { op: 'addDest', svc: sctp('10.0.0.3', 3868), dest: dest('10.0.1.5', 3868) },
  { op: 'addService', svc: svc(tcp('10.0.0.4', 443), 'sh', { flags: SVC_FLAG.SCHED1 | SVC_FLAG.SCHED2, timeout: 300, netmask: 24 }) },
  { op: 'addDest', svc: tcp('10.0.0.4', 443), dest: dest('10.0.1.8', 443, { weight: 65535 }) },
  { op: 'addService', svc: svc(udp('10.0.0.5', 5060), 'rr', { timeout: 60, pe: 'sip' }) },
  { op: 'addDest', svc: udp('10.0.0.5', 5060), dest: dest('10.0.1.9', 5060, { fwd: 'masq' }) },
  { op: 'addService', svc: svc(tcp('2001:db8::1', 80), 'wrr', { timeout: 600, netmask: 64 }) },
  { op: 'addDest', svc: tcp('2001:db8::1', 80), dest: dest('2001:db8::10', 80, { fwd: 'masq', weight: 3 }) },
  { op: 'addDest', svc: tcp('2001:db8::1', 80), dest: dest('2001:db8::11', 8080) },
  { op: 'addService', svc: svc(fwm(5), 'mh', { flags: SVC_FLAG.SCHED2 }) },
  // Fwmark services keep the destination port whatever the forwarding method.
  { op: 'addDest', svc: fwm(5), dest: dest('10.0.1.6', 0) },
  { op: 'addDest', svc: fwm(5), dest: dest('10.0.1.7', 8080, { fwd: 'masq' }) },
  { op: 'addService', svc: svc(fwm(6, 'inet6'), 'rr') },
  { op: 'addDest', svc: fwm(6, 'inet6'), dest: dest('2001:db8::20', 0) },
];

/** Every scheduler Debian bookworm's 6.1 kernel ships, plus "none" (twos is not in 6.1). */
export const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'none'];

async function errnoOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof IpvsError) return err.errno;
    throw err;
  }
  return 'ok';
}

/** Registers the contract as a jest describe block for one backend; makeIpvs must give an empty table. */
export function runIpvsContract(name: string, makeIpvs: () => Promise<Ipvs>, hooks: ContractHooks = {}): void {
  describe(`IPVS contract: ${name}`, () => {
    let ipvs: Ipvs;
    const t = hooks.timeoutMs;

    beforeEach(async () => {
      ipvs = await makeIpvs();
    }, t);

    afterEach(async () => {
      await ipvs.close();
    }, t);

    it('probes the IPVS version', async () => {
      const info = await ipvs.probe();
      expect(info.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(info.connTableSize).toBeGreaterThan(0);
    }, t);

    it('starts from an empty table', async () => {
      expect(await ipvs.snapshot()).toEqual({ services: [] });
    }, t);

    it('programs a service with each feature and reads back the golden ipvsadm -S -n text', async () => {
      const results = await ipvs.apply(FEATURE_OPS);
      expect(results.filter((r) => !r.ok)).toEqual([]);
      const want = readFileSync(FEATURES_SAVE, 'utf8');
      const snap = await ipvs.snapshot();
      expect(formatSave(snap)).toBe(want);
      if (hooks.rawSave) expect(await hooks.rawSave()).toBe(want);
    }, t);

    it('reads back thresholds, weights and flags without HASHED or PERSISTENT', async () => {
      await ipvs.apply(FEATURE_OPS);
      const snap = await ipvs.snapshot();
      const web = snap.services.find((s) => s.key.kind === 'addr' && s.key.addr === '10.0.0.1');
      expect(web?.dests.map((d) => [d.addr, d.port, d.fwd, d.weight, d.uThresh, d.lThresh])).toEqual([
        ['10.0.1.1', 80, 'route', 1, 0, 0],
        ['10.0.1.2', 8080, 'masq', 5, 100, 10],
        ['10.0.1.3', 80, 'tunnel', 0, 0, 0],
      ]);
      const sh = snap.services.find((s) => s.scheduler === 'sh');
      expect(sh && { flags: sh.flags, timeout: sh.timeout, netmask: sh.netmask }).toEqual({ flags: SVC_FLAG.SCHED1 | SVC_FLAG.SCHED2, timeout: 300, netmask: 24 });
      const v6 = snap.services.find((s) => s.key.af === 'inet6' && s.key.kind === 'addr');
      expect(v6 && { timeout: v6.timeout, netmask: v6.netmask }).toEqual({ timeout: 600, netmask: 64 });
      for (const s of snap.services) expect(s.flags & 0x3).toBe(0);
      const sip = snap.services.find((s) => s.pe !== undefined);
      expect(sip?.pe).toBe('sip');
    }, t);

    it('takes the same snapshot twice in a row', async () => {
      await ipvs.apply(FEATURE_OPS);
      const a = await ipvs.snapshot();
      const b = await ipvs.snapshot();
      expect(formatSave(b)).toBe(formatSave(a));
    }, t);

    it.each(SCHEDULERS)('accepts the scheduler %s', async (scheduler) => {
      await ipvs.addService(svc(tcp('10.0.0.9', 80), scheduler));
      const snap = await ipvs.snapshot();
      expect(snap.services.map((s) => s.scheduler)).toEqual([scheduler]);
    }, t);

    it.each([
      ['adding an existing service', 'EEXIST', async (x: Ipvs) => { await x.addService(svc(tcp('10.0.0.1', 80), 'rr')); await x.addService(svc(tcp('10.0.0.1', 80), 'wlc')); }],
      ['adding an existing fwmark service', 'EEXIST', async (x: Ipvs) => { await x.addService(svc(fwm(9), 'rr')); await x.addService(svc(fwm(9), 'rr')); }],
      ['adding a service with an unknown scheduler', 'ENOENT', (x: Ipvs) => x.addService(svc(tcp('10.0.0.1', 80), 'nosuch'))],
      ['adding a service with an unknown persistence engine', 'ENOENT', (x: Ipvs) => x.addService(svc(udp('10.0.0.1', 80), 'rr', { timeout: 60, pe: 'nosuch' }))],
      ['adding a persistent IPv6 service with prefix length 0', 'EINVAL', (x: Ipvs) => x.addService(svc(tcp('2001:db8::1', 80), 'rr', { timeout: 60, netmask: 0 }))],
      ['adding a persistent IPv6 service with prefix length 129', 'EINVAL', (x: Ipvs) => x.addService(svc(tcp('2001:db8::1', 80), 'rr', { timeout: 60, netmask: 129 }))],
      ['editing a missing service', 'ESRCH', (x: Ipvs) => x.editService(svc(tcp('10.0.0.1', 80), 'rr'))],
      ['deleting a missing service', 'ESRCH', (x: Ipvs) => x.deleteService(tcp('10.0.0.1', 80))],
      ['deleting a missing fwmark service', 'ESRCH', (x: Ipvs) => x.deleteService(fwm(77, 'inet6'))],
      ['editing a service to an unknown scheduler', 'ENOENT', async (x: Ipvs) => { await x.addService(svc(tcp('10.0.0.1', 80), 'rr')); await x.editService(svc(tcp('10.0.0.1', 80), 'nosuch')); }],
      ['adding a destination to a missing service', 'ESRCH', (x: Ipvs) => x.addDest(tcp('10.0.0.1', 80), dest('10.0.1.1', 80))],
      ['editing a destination of a missing service', 'ESRCH', (x: Ipvs) => x.editDest(tcp('10.0.0.1', 80), dest('10.0.1.1', 80))],
      ['deleting a destination of a missing service', 'ESRCH', (x: Ipvs) => x.deleteDest(tcp('10.0.0.1', 80), dest('10.0.1.1', 80))],
      ['adding an existing destination', 'EEXIST', async (x: Ipvs) => { await x.addService(svc(tcp('10.0.0.1', 80), 'rr')); await x.addDest(tcp('10.0.0.1', 80), dest('10.0.1.1', 80)); await x.addDest(tcp('10.0.0.1', 80), dest('10.0.1.1', 80, { weight: 3 })); }],
      ['editing a missing destination', 'ENOENT', async (x: Ipvs) => { await x.addService(svc(tcp('10.0.0.1', 80), 'rr')); await x.editDest(tcp('10.0.0.1', 80), dest('10.0.1.1', 80)); }],
      ['deleting a missing destination', 'ENOENT', async (x: Ipvs) => { await x.addService(svc(tcp('10.0.0.1', 80), 'rr')); await x.deleteDest(tcp('10.0.0.1', 80), dest('10.0.1.1', 80)); }],
      ['deleting a gatewayed destination by its original port', 'ENOENT', async (x: Ipvs) => { await x.addService(svc(tcp('10.0.0.1', 80), 'rr')); await x.addDest(tcp('10.0.0.1', 80), dest('10.0.1.1', 8080)); await x.deleteDest(tcp('10.0.0.1', 80), dest('10.0.1.1', 8080)); }],
      ['adding a destination with a negative weight', 'ERANGE', async (x: Ipvs) => { await x.addService(svc(tcp('10.0.0.1', 80), 'rr')); await x.addDest(tcp('10.0.0.1', 80), dest('10.0.1.1', 80, { weight: -1 })); }],
      ['adding a destination with its lower threshold above the upper', 'ERANGE', async (x: Ipvs) => { await x.addService(svc(tcp('10.0.0.1', 80), 'rr')); await x.addDest(tcp('10.0.0.1', 80), dest('10.0.1.1', 80, { uThresh: 10, lThresh: 20 })); }],
      ['editing a destination to its lower threshold above the upper', 'ERANGE', async (x: Ipvs) => { await x.addService(svc(tcp('10.0.0.1', 80), 'rr')); await x.addDest(tcp('10.0.0.1', 80), dest('10.0.1.1', 80)); await x.editDest(tcp('10.0.0.1', 80), dest('10.0.1.1', 80, { uThresh: 1, lThresh: 2 })); }],
      ['adding a multicast destination', 'EINVAL', async (x: Ipvs) => { await x.addService(svc(tcp('10.0.0.1', 80), 'rr')); await x.addDest(tcp('10.0.0.1', 80), dest('224.0.0.5', 80, { fwd: 'masq' })); }],
      ['adding a link-local IPv6 destination', 'EINVAL', async (x: Ipvs) => { await x.addService(svc(tcp('2001:db8::1', 80), 'rr')); await x.addDest(tcp('2001:db8::1', 80), dest('fe80::1', 80, { fwd: 'masq' })); }],
      ['adding an IPv6 destination to an IPv4 service by NAT', 'EINVAL', async (x: Ipvs) => { await x.addService(svc(tcp('10.0.0.1', 80), 'rr')); await x.addDest(tcp('10.0.0.1', 80), dest('2001:db8::2', 80, { fwd: 'masq' })); }],
    ])('fails %s with %s', async (_what, errno, run) => {
      expect(await errnoOf(run(ipvs))).toBe(errno);
    }, t);

    it('rewrites the destination port to the service port for gate and ipip, not for masq', async () => {
      const k = tcp('10.0.0.1', 80);
      await ipvs.addService(svc(k, 'rr'));
      await ipvs.addDest(k, dest('10.0.1.1', 8080, { fwd: 'route' }));
      await ipvs.addDest(k, dest('10.0.1.2', 8080, { fwd: 'tunnel' }));
      await ipvs.addDest(k, dest('10.0.1.3', 8080, { fwd: 'masq' }));
      const snap = await ipvs.snapshot();
      expect(snap.services[0]?.dests.map((d) => `${d.addr}:${d.port}`)).toEqual(['10.0.1.1:80', '10.0.1.2:80', '10.0.1.3:8080']);
    }, t);

    it('allows an IPv6 destination in an IPv4 service through a tunnel', async () => {
      const k = tcp('10.0.0.1', 80);
      await ipvs.addService(svc(k, 'rr'));
      await ipvs.addDest(k, dest('2001:db8::2', 80, { fwd: 'tunnel' }));
      const snap = await ipvs.snapshot();
      expect(snap.services[0]?.dests.map((d) => [d.af, d.addr, d.port, d.fwd])).toEqual([['inet6', '2001:db8::2', 80, 'tunnel']]);
    }, t);

    it('edits a service in place, keeping its destinations', async () => {
      const k = tcp('10.0.0.1', 80);
      await ipvs.addService(svc(k, 'wlc'));
      await ipvs.addDest(k, dest('10.0.1.1', 80));
      await ipvs.editService(svc(k, 'rr', { timeout: 120, netmask: 16 }));
      const snap = await ipvs.snapshot();
      expect(snap.services.map((s) => [s.scheduler, s.timeout, s.netmask, s.dests.length])).toEqual([['rr', 120, 16, 1]]);
      await ipvs.editService(svc(k, 'rr'));
      const again = await ipvs.snapshot();
      expect(again.services.map((s) => [s.timeout, s.netmask])).toEqual([[0, 32]]);
    }, t);

    it('edits a destination with the full spec (forwarding, weight, thresholds)', async () => {
      const k = tcp('10.0.0.1', 80);
      await ipvs.addService(svc(k, 'wlc'));
      await ipvs.addDest(k, dest('10.0.1.1', 8080, { fwd: 'masq' }));
      await ipvs.editDest(k, dest('10.0.1.1', 8080, { fwd: 'masq', weight: 0, uThresh: 50, lThresh: 5 }));
      const snap = await ipvs.snapshot();
      expect(snap.services[0]?.dests.map((d) => [d.fwd, d.weight, d.uThresh, d.lThresh])).toEqual([['masq', 0, 50, 5]]);
    }, t);

    it('deletes a service together with its destinations', async () => {
      await ipvs.apply(FEATURE_OPS);
      await ipvs.deleteService(tcp('10.0.0.1', 80));
      await ipvs.deleteDest(fwm(5), dest('10.0.1.7', 8080));
      const snap = await ipvs.snapshot();
      expect(snap.services.some((s) => s.key.kind === 'addr' && s.key.addr === '10.0.0.1')).toBe(false);
      expect(snap.services.find((s) => s.key.kind === 'fwmark' && s.key.fwmark === 5)?.dests.map((d) => d.addr)).toEqual(['10.0.1.6']);
      await ipvs.addService(svc(tcp('10.0.0.1', 80), 'rr'));
      expect((await ipvs.snapshot()).services.find((s) => s.key.kind === 'addr' && s.key.addr === '10.0.0.1')?.dests).toEqual([]);
    }, t);

    it('applies a batch in order, reporting each failure and carrying on', async () => {
      const k = tcp('10.0.0.1', 80);
      const results = await ipvs.apply([
        { op: 'addService', svc: svc(k, 'rr') },
        { op: 'addService', svc: svc(k, 'rr') },
        { op: 'addDest', svc: k, dest: dest('10.0.1.1', 80) },
        { op: 'deleteDest', svc: k, dest: dest('10.0.1.2', 80) },
        { op: 'editDest', svc: k, dest: dest('10.0.1.1', 80, { weight: 7 }) },
        { op: 'editService', svc: svc(tcp('10.0.0.2', 80), 'rr') },
        { op: 'addDest', svc: tcp('10.0.0.2', 80), dest: dest('10.0.1.1', 80) },
        { op: 'addService', svc: svc(udp('10.0.0.3', 53), 'nosuch') },
        { op: 'addDest', svc: k, dest: dest('10.0.1.3', 80, { weight: -4 }) },
        { op: 'addService', svc: svc(udp('10.0.0.3', 53), 'rr') },
      ]);
      expect(results.map((r) => (r.ok ? 'ok' : r.error.errno))).toEqual(['ok', 'EEXIST', 'ok', 'ENOENT', 'ok', 'ESRCH', 'ESRCH', 'ENOENT', 'ERANGE', 'ok']);
      const snap = await ipvs.snapshot();
      expect(formatSave(snap)).toBe('-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -g -w 7\n-A -u 10.0.0.3:53 -s rr\n');
    }, t);

    describe('sync daemons', () => {
      const run = hooks.syncInterface !== undefined ? it : it.skip;
      const runEach = hooks.syncInterface !== undefined ? it.each : it.skip.each;
      const iface = hooks.syncInterface ?? 'none';
      const master = (more: Partial<SyncDaemon> = {}): SyncDaemon => ({ state: 'master', iface, syncid: 7, ...more });
      const backup = (more: Partial<SyncDaemon> = {}): SyncDaemon => ({ state: 'backup', iface, syncid: 7, ...more });
      // Requests the typed API cannot express, to see the kernel refuse them.
      const without = (d: SyncDaemon, field: 'state' | 'iface' | 'syncid'): SyncDaemon => {
        const copy: Record<string, unknown> = { ...d };
        delete copy[field];
        return copy as unknown as SyncDaemon;
      };
      const mixed = async (x: Ipvs): Promise<void> => {
        await x.addService(svc(tcp('10.0.0.1', 80), 'rr'));
        await x.addDest(tcp('10.0.0.1', 80), dest('2001:db8::2', 80, { fwd: 'tunnel' }));
      };

      run('lists none at first', async () => {
        expect(await ipvs.listDaemons()).toEqual([]);
      }, t);

      run('starts a master with the kernel defaults and lists every value', async () => {
        await ipvs.startDaemon(master());
        expect(await ipvs.listDaemons()).toEqual([{ state: 'master', iface, syncid: 7, maxlen: 1472, group: '224.0.0.81', port: 8848, ttl: 1 }]);
      }, t);

      run('runs a master and a backup together, listed master first, with the values given', async () => {
        await ipvs.startDaemon(backup({ syncid: 9, maxlen: 1400, group: '239.1.2.3', port: 9000, ttl: 3 }));
        await ipvs.startDaemon(master({ syncid: 9, group: '239.1.2.3', port: 9000 }));
        expect(await ipvs.listDaemons()).toEqual([
          { state: 'master', iface, syncid: 9, maxlen: 1472, group: '239.1.2.3', port: 9000, ttl: 1 },
          { state: 'backup', iface, syncid: 9, maxlen: 1400, group: '239.1.2.3', port: 9000, ttl: 3 },
        ]);
      }, t);

      run('takes an IPv6 group (headers of 48 bytes off the default length)', async () => {
        await ipvs.startDaemon(backup({ group: 'ff02::1:7' }));
        expect(await ipvs.listDaemons()).toEqual([{ state: 'backup', iface, syncid: 7, maxlen: 1452, group: 'ff02::1:7', port: 8848, ttl: 1 }]);
      }, t);

      run('raises a backup maxlen below 1024 to 1024, keeps a master one', async () => {
        await ipvs.startDaemon(backup({ maxlen: 600 }));
        await ipvs.startDaemon(master({ maxlen: 600 }));
        expect((await ipvs.listDaemons()).map((d) => [d.state, d.maxlen])).toEqual([['master', 600], ['backup', 1024]]);
      }, t);

      run('stops one daemon and leaves the other', async () => {
        await ipvs.startDaemon(master());
        await ipvs.startDaemon(backup());
        await ipvs.stopDaemon('master');
        expect((await ipvs.listDaemons()).map((d) => d.state)).toEqual(['backup']);
        await ipvs.stopDaemon('backup');
        expect(await ipvs.listDaemons()).toEqual([]);
      }, t);

      runEach([
        ['starting a second master', 'EEXIST', async (x: Ipvs) => { await x.startDaemon(master()); await x.startDaemon(master({ syncid: 8 })); }],
        ['starting a second backup', 'EEXIST', async (x: Ipvs) => { await x.startDaemon(backup()); await x.startDaemon(backup()); }],
        ['starting without a state', 'EINVAL', (x: Ipvs) => x.startDaemon(without(master(), 'state'))],
        ['starting without an interface', 'EINVAL', (x: Ipvs) => x.startDaemon(without(master(), 'iface'))],
        ['starting without a syncid', 'EINVAL', (x: Ipvs) => x.startDaemon(without(backup(), 'syncid'))],
        ['starting on an unknown interface', 'ENODEV', (x: Ipvs) => x.startDaemon(master({ iface: 'ldnosuch0' }))],
        ['starting a second master on an unknown interface (checked first)', 'ENODEV', async (x: Ipvs) => { await x.startDaemon(master()); await x.startDaemon(master({ iface: 'ldnosuch0' })); }],
        ['starting with a unicast IPv4 group', 'EINVAL', (x: Ipvs) => x.startDaemon(master({ group: '10.1.2.3' }))],
        ['starting with a unicast IPv6 group', 'EINVAL', (x: Ipvs) => x.startDaemon(backup({ group: '2001:db8::5' }))],
        ['starting while a service mixes IPv4 and IPv6 destinations', 'EINVAL', async (x: Ipvs) => { await mixed(x); await x.startDaemon(master()); }],
        ['adding an IPv6 tunnel destination to an IPv4 service while a daemon runs', 'EINVAL', async (x: Ipvs) => { await x.startDaemon(backup()); await mixed(x); }],
        ['stopping a master that is not running', 'ESRCH', (x: Ipvs) => x.stopDaemon('master')],
        ['stopping a backup that is not running', 'ESRCH', async (x: Ipvs) => { await x.startDaemon(master()); await x.stopDaemon('backup'); }],
      ])('fails %s with %s', async (_what, errno, go) => {
        expect(await errnoOf(go(ipvs))).toBe(errno);
      }, t);
    });

    it('keeps fwmark services of the two families apart', async () => {
      await ipvs.addService(svc(fwm(3), 'rr'));
      await ipvs.addService(svc(fwm(3, 'inet6'), 'wlc'));
      await ipvs.deleteService(fwm(3));
      const snap = await ipvs.snapshot();
      expect(snap.services.map((s) => [s.key, s.scheduler])).toEqual([[fwm(3, 'inet6'), 'wlc']]);
    }, t);
  });
}
