// In-memory IPVS as strict as the kernel (ip_vs_ctl.c): same errnos in the same order of checks,
// HASHED on live services, IPv6 netmask as a prefix length; dumps and loads `ipvsadm -S -n` text.
import { isDeepStrictEqual } from 'node:util';
import { formatOp, formatSave, parseSave, startDaemonArgs, stopDaemonArgs } from '../../parsers/ipvsadm/index.js';
import { compareDests, compareServices } from '../model/order.js';
import { parseIp } from '../net/ip.js';
import type { SaveFormatOptions } from '../../parsers/ipvsadm/index.js';
import type { DestKey, DestSpec, IpvsDest, IpvsOp, IpvsService, IpvsState, IpvsStats, ServiceKey, ServiceSpec, SyncDaemon, SyncState } from '../model/ipvs.js';
import { SYNC_DEFAULTS } from '../model/ipvs.js';
import { destKey, serviceKey } from '../model/keys.js';
import {
  isMulticast, kernelSyncMaxlen, normalizeDestKey, normalizeDestSpec, normalizeServiceKey, normalizeServiceSpec, normalizeSyncDaemon, SVC_F_HASHED,
  SVC_F_PERSISTENT, syncGroupAf, wireServiceFlags,
} from './normalize.js';
import { IpvsError } from './types.js';
import type { Ipvs, IpvsErrno, IpvsInfo, IpvsOpResult } from './types.js';

/** Schedulers Debian bookworm's 6.1 kernel ships as ip_vs_* modules (no twos there); "none" is accepted separately. */
export const KERNEL_SCHEDULERS: readonly string[] = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'];
/** Persistence engines Debian's kernel ships (ip_vs_pe_sip). */
export const KERNEL_PES: readonly string[] = ['sip'];

/** Connection counters a test may script on a destination (the kernel's would come from traffic). */
export interface FakeCounters {
  readonly activeConns?: number;
  readonly inactConns?: number;
  readonly persistConns?: number;
  /** Traffic counters (the kernel's IPVS_DEST_ATTR_STATS64); absent until a test scripts them. */
  readonly stats?: IpvsStats;
}

/** A sync daemon call the fake saw. */
export type FakeDaemonCall =
  | { readonly op: 'listDaemons' }
  | { readonly op: 'startDaemon'; readonly daemon: SyncDaemon }
  | { readonly op: 'stopDaemon'; readonly state: SyncState };

/** One call the fake saw, with its outcome. */
export interface FakeCall {
  readonly op: IpvsOp | { readonly op: 'snapshot' } | FakeDaemonCall;
  readonly error?: IpvsErrno;
}

/** A network interface of the fake's network namespace (for sync daemons). */
export interface FakeInterface {
  readonly name: string;
  /** Default 1500. */
  readonly mtu?: number;
}

/** A scripted failure: the next matching op fails with this errno instead of running. */
export interface FakeFault {
  readonly errno: IpvsErrno;
  readonly op?: FakeCall['op']['op'];
  /** How many times it fires (default 1). */
  readonly times?: number;
}

/** Options for FakeIpvs. */
export interface FakeIpvsOptions {
  readonly schedulers?: readonly string[];
  readonly pes?: readonly string[];
  /** Fake probe() failing as a kernel without IPVS would. */
  readonly unavailable?: boolean;
  /** Called with every call as it happens (recording for benchmarks: LDIRD_FAKE_RECORD). */
  readonly onCall?: (call: FakeCall) => void;
  /**
   * IPv4 addresses the local routing table marks broadcast (inet_addr_type() = RTN_BROADCAST), which
   * ip_vs_new_dest refuses; default: those of a host whose only interface is lo (127.0.0.1/8).
   */
  readonly broadcasts?: readonly string[];
  /**
   * Interfaces sync daemons may use, besides `lo` (mtu 65536), which every namespace has; any other
   * name is ENODEV, as on a kernel (the kernel test creates a dummy interface for the same purpose).
   */
  readonly interfaces?: readonly (string | FakeInterface)[];
}

const TABLE_OPS: ReadonlySet<string> = new Set<IpvsOp['op']>(['addService', 'editService', 'deleteService', 'addDest', 'editDest', 'deleteDest']);

function isTableOp(op: FakeCall['op']): op is IpvsOp {
  return TABLE_OPS.has(op.op);
}

interface FakeDest {
  spec: DestSpec;
  active: number;
  inact: number;
  persist: number;
  stats?: IpvsStats;
}

interface FakeService {
  key: ServiceKey;
  scheduler: string;
  /** Raw kernel flags, HASHED and PERSISTENT included. */
  rawFlags: number;
  timeout: number;
  netmask: number;
  pe: string;
  dests: Map<string, FakeDest>;
  /** This service as the last snapshot showed it; cleared by every change to it or its dests. */
  snap?: IpvsService | undefined;
}

function destIdentity(d: DestKey): string {
  return `${d.af}/${destKey(d)}`;
}

function fail(errno: IpvsErrno, what: string): never {
  throw new IpvsError(errno, what);
}

// ip_vs_new_dest: IPv4 must be RTN_UNICAST or RTN_LOCAL; IPv6 unicast and not link-local.
function checkDestAddress(d: DestKey, broadcasts: ReadonlySet<string>): void {
  if (broadcasts.has(d.addr)) fail('EINVAL', `destination ${d.addr} is a broadcast address in the routing table`);
  const ip = parseIp(d.addr);
  if (!ip) fail('EINVAL', `destination address ${d.addr}`);
  const b = ip.bytes;
  if (ip.af === 'inet') {
    const b0 = b[0] ?? 0;
    const broadcast = b.every((x) => x === 255);
    if (b0 === 0 || broadcast || (b0 >= 224 && b0 <= 239)) fail('EINVAL', `destination ${d.addr} is not unicast`);
    return;
  }
  const b0 = b[0] ?? 0;
  const b1 = b[1] ?? 0;
  const allZero = b.every((x) => x === 0);
  const v4mapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  if (allZero || b0 === 0xff || v4mapped || (b0 === 0xfe && (b1 & 0xc0) === 0x80)) fail('EINVAL', `destination ${d.addr} is not unicast`);
}

/** A call as the ipvsadm command line that would do the same ("-S -n", "-L --daemon", "-a -t …"). */
export function formatFakeCall(op: FakeCall['op']): string {
  switch (op.op) {
    case 'snapshot':
      return '-S -n';
    case 'listDaemons':
      return '-L --daemon';
    case 'startDaemon':
      return startDaemonArgs(op.daemon).join(' ');
    case 'stopDaemon':
      return stopDaemonArgs(op.state).join(' ');
    default:
      return formatOp(op);
  }
}

/** The kernel-faithful in-memory IPVS used by every test above this layer. */
export class FakeIpvs implements Ipvs {
  readonly name = 'fake';
  /** Every call in order, with the errno it failed with, if any. */
  readonly calls: FakeCall[] = [];
  private readonly services = new Map<string, FakeService>();
  // A reconcile pass reads the whole table: at 10,000 dests, rebuilding every object per read cost more than the
  // reconciler's own work. Unchanged services are returned as the same frozen objects (the kernel's dump is a copy
  // too: callers never see later changes), so a pass after one edit rebuilds one service.
  private sorted: FakeService[] | undefined;
  private readonly schedulers: ReadonlySet<string>;
  private readonly pes: ReadonlySet<string>;
  private readonly faults: { errno: IpvsErrno; op?: string; left: number }[] = [];
  private readonly unavailable: boolean;
  private readonly broadcasts: ReadonlySet<string>;
  private closed = false;
  private readonly onCall: ((call: FakeCall) => void) | undefined;
  private readonly interfaces = new Map<string, number>([['lo', 65536]]);
  private readonly daemons = new Map<SyncState, Required<SyncDaemon>>();

  constructor(opts: FakeIpvsOptions = {}) {
    this.onCall = opts.onCall;
    for (const i of opts.interfaces ?? []) this.addInterface(typeof i === 'string' ? { name: i } : i);
    this.schedulers = new Set(opts.schedulers ?? KERNEL_SCHEDULERS);
    this.pes = new Set(opts.pes ?? KERNEL_PES);
    this.unavailable = opts.unavailable ?? false;
    this.broadcasts = new Set(opts.broadcasts ?? ['127.255.255.255']);
  }

  /** A fake preloaded from `ipvsadm -S -n` text. */
  static fromSave(text: string, opts: FakeIpvsOptions = {}): FakeIpvs {
    const f = new FakeIpvs(opts);
    f.load(text);
    return f;
  }

  /** Number of table write operations attempted (successful or not). */
  get opCount(): number {
    return this.calls.filter((c) => isTableOp(c.op)).length;
  }

  /** The table write operations attempted, in order. */
  get ops(): IpvsOp[] {
    return this.calls.flatMap((c) => (isTableOp(c.op) ? [c.op] : []));
  }

  /** The sync daemon calls (start, stop, list), in order. */
  get daemonCalls(): FakeCall[] {
    return this.calls.filter((c) => c.op.op === 'listDaemons' || c.op.op === 'startDaemon' || c.op.op === 'stopDaemon');
  }

  /** Makes an interface exist (as `ip link add` would). */
  addInterface(iface: FakeInterface): void {
    this.interfaces.set(iface.name, iface.mtu ?? 1500);
  }

  /** Makes an interface disappear (a running daemon keeps its sockets, as in the kernel). */
  removeInterface(name: string): void {
    this.interfaces.delete(name);
  }

  /** Forgets recorded calls (state is kept). */
  clearCalls(): void {
    this.calls.length = 0;
  }

  /** Makes the next matching op(s) fail with an errno. */
  injectFault(fault: FakeFault): void {
    this.faults.push({ errno: fault.errno, ...(fault.op ? { op: fault.op } : {}), left: fault.times ?? 1 });
  }

  /** Scripts connection counters on an existing destination. */
  setCounters(svc: ServiceKey, dest: DestKey, counters: FakeCounters): void {
    const d = this.findService(normalizeServiceKey(svc))?.dests.get(destIdentity(normalizeDestKey(dest)));
    if (!d) fail('ENOENT', `no destination ${destKey(dest)} in ${serviceKey(svc)}`);
    this.touch(normalizeServiceKey(svc));
    d.active = counters.activeConns ?? d.active;
    d.inact = counters.inactConns ?? d.inact;
    d.persist = counters.persistConns ?? d.persist;
    if (counters.stats) d.stats = counters.stats;
  }

  /** The current table in `ipvsadm -S -n` format (optionally with thresholds). */
  dump(opts: SaveFormatOptions = {}): string {
    return formatSave(this.state(), opts);
  }

  /** Replaces the table with `ipvsadm -S -n` text; every line goes through the kernel's checks. */
  load(text: string): void {
    const parsed = parseSave(text);
    if (!parsed.ok) {
      const d = parsed.diagnostics[0];
      throw new IpvsError('EINVAL', `bad ipvsadm save text: line ${d?.line ?? 0}: ${d?.message ?? ''}`, { code: 'IPVS_PROTOCOL' });
    }
    this.services.clear();
    this.sorted = undefined;
    for (const svc of parsed.state.services) {
      this.doAddService(svc);
      for (const d of svc.dests) this.doAddDest(svc.key, d);
    }
  }

  async probe(): Promise<IpvsInfo> {
    if (this.unavailable) throw new IpvsError('ENOENT', 'generic netlink family "IPVS" not registered', { code: 'IPVS_UNAVAILABLE' });
    return { version: '1.2.1', connTableSize: 4096 };
  }

  async snapshot(): Promise<IpvsState> {
    this.record({ op: 'snapshot' }, () => undefined);
    return this.state();
  }

  async addService(svc: ServiceSpec): Promise<void> {
    this.record({ op: 'addService', svc }, () => this.doAddService(svc));
  }

  async editService(svc: ServiceSpec): Promise<void> {
    this.record({ op: 'editService', svc }, () => this.doEditService(svc));
  }

  async deleteService(key: ServiceKey): Promise<void> {
    this.record({ op: 'deleteService', key }, () => {
      const k = normalizeServiceKey(key);
      if (!this.findService(k)) fail('ESRCH', `no service ${serviceKey(k)}`);
      this.services.delete(serviceKey(k));
      this.sorted = undefined;
    });
  }

  async addDest(svc: ServiceKey, dest: DestSpec): Promise<void> {
    this.record({ op: 'addDest', svc, dest }, () => this.doAddDest(svc, dest));
  }

  async editDest(svc: ServiceKey, dest: DestSpec): Promise<void> {
    this.record({ op: 'editDest', svc, dest }, () => {
      const s = this.serviceOrEsrch(svc);
      const d = normalizeDestSpec(s.key, dest);
      this.checkDestAttrs(s, d);
      const cur = s.dests.get(destIdentity(d));
      if (!cur) fail('ENOENT', `no destination ${destKey(d)} in ${serviceKey(s.key)}`);
      cur.spec = d;
      s.snap = undefined;
    });
  }

  async deleteDest(svc: ServiceKey, dest: DestKey): Promise<void> {
    this.record({ op: 'deleteDest', svc, dest }, () => {
      const s = this.serviceOrEsrch(svc);
      const d = normalizeDestKey(dest);
      if (!s.dests.delete(destIdentity(d))) fail('ENOENT', `no destination ${destKey(d)} in ${serviceKey(s.key)}`);
      s.snap = undefined;
    });
  }

  async apply(ops: readonly IpvsOp[]): Promise<IpvsOpResult[]> {
    const results: IpvsOpResult[] = [];
    for (const op of ops) {
      try {
        await runOp(this, op);
        results.push({ ok: true });
      } catch (err) {
        if (!(err instanceof IpvsError)) throw err;
        results.push({ ok: false, error: err });
      }
    }
    return results;
  }

  async listDaemons(): Promise<SyncDaemon[]> {
    let out: SyncDaemon[] = [];
    this.record({ op: 'listDaemons' }, () => {
      out = (['master', 'backup'] as const).flatMap((s) => {
        const d = this.daemons.get(s);
        return d ? [{ ...d }] : [];
      });
    });
    return out;
  }

  async startDaemon(daemon: SyncDaemon): Promise<void> {
    this.record({ op: 'startDaemon', daemon }, () => this.doStartDaemon(daemon));
  }

  async stopDaemon(state: SyncState): Promise<void> {
    this.record({ op: 'stopDaemon', state }, () => {
      if (state !== 'master' && state !== 'backup') fail('EINVAL', `sync daemon state ${String(state)}`);
      if (!this.daemons.delete(state)) fail('ESRCH', `no ${state} sync daemon is running`);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  // ip_vs_genl_new_daemon, then start_sync_thread, in the kernel's order of checks.
  private doStartDaemon(daemon: SyncDaemon): void {
    const d = normalizeSyncDaemon(daemon);
    if (d.state === undefined || d.iface === undefined || d.syncid === undefined) fail('EINVAL', 'sync daemon needs state, interface and syncid');
    if (d.group !== undefined && !isMulticast(d.group)) fail('EINVAL', `sync group ${d.group} is not multicast`);
    if (this.mixedFamilyDests() > 0) fail('EINVAL', 'connection sync is not possible while a service has destinations of another family');
    const mtu = this.interfaces.get(d.iface);
    if (mtu === undefined) fail('ENODEV', `unknown mcast interface: ${d.iface}`);
    if (d.state !== 'master' && d.state !== 'backup') fail('EINVAL', `sync daemon state ${String(d.state)}`);
    if (this.daemons.has(d.state)) fail('EEXIST', `a ${d.state} sync daemon is already running`);
    const af = syncGroupAf(d);
    this.daemons.set(d.state, {
      state: d.state,
      iface: d.iface,
      syncid: d.syncid,
      maxlen: kernelSyncMaxlen(d.state, d.maxlen, af, mtu),
      group: d.group ?? SYNC_DEFAULTS.group,
      port: d.port || SYNC_DEFAULTS.port,
      ttl: d.ttl || SYNC_DEFAULTS.ttl,
    });
  }

  // netns_ipvs.mixed_address_family_dests: destinations whose family is not their service's.
  private mixedFamilyDests(): number {
    let n = 0;
    for (const s of this.services.values()) for (const d of s.dests.values()) if (d.spec.af !== s.key.af) n++;
    return n;
  }

  private record(op: FakeCall['op'], fn: () => void): void {
    if (this.closed) fail('EBADF', 'fake closed');
    const fault = this.faults.find((f) => f.left > 0 && (f.op === undefined || f.op === op.op));
    try {
      if (fault) {
        fault.left--;
        fail(fault.errno, `injected fault on ${op.op}`);
      }
      fn();
      this.calls.push({ op });
      this.onCall?.({ op });
    } catch (err) {
      if (err instanceof IpvsError) {
        this.calls.push({ op, error: err.errno });
        this.onCall?.({ op, error: err.errno });
      }
      throw err;
    }
  }

  private findService(key: ServiceKey): FakeService | undefined {
    return this.services.get(serviceKey(key));
  }

  private serviceOrEsrch(key: ServiceKey): FakeService {
    const k = normalizeServiceKey(key);
    const s = this.findService(k);
    if (!s) fail('ESRCH', `no service ${serviceKey(k)}`);
    return s;
  }

  // ip_vs_add_service / ip_vs_edit_service: scheduler, then PE, then the IPv6 prefix length.
  private checkServiceAttrs(svc: ServiceSpec): void {
    if (svc.scheduler !== 'none' && !this.schedulers.has(svc.scheduler)) fail('ENOENT', `scheduler module ip_vs_${svc.scheduler} not found`);
    if (svc.pe && !this.pes.has(svc.pe)) fail('ENOENT', `persistence engine ${svc.pe} not found`);
    if (svc.key.af === 'inet6' && (svc.netmask < 1 || svc.netmask > 128)) fail('EINVAL', `IPv6 netmask /${svc.netmask}`);
  }

  private doAddService(spec: ServiceSpec): void {
    const svc = normalizeServiceSpec(spec);
    if (this.findService(svc.key)) fail('EEXIST', `service ${serviceKey(svc.key)} exists`);
    this.checkServiceAttrs(svc);
    this.services.set(serviceKey(svc.key), {
      key: svc.key,
      scheduler: svc.scheduler,
      rawFlags: wireServiceFlags(svc) | SVC_F_HASHED,
      timeout: svc.timeout,
      netmask: svc.netmask,
      pe: svc.pe ?? '',
      dests: new Map(),
    });
    this.sorted = undefined;
  }

  private doEditService(spec: ServiceSpec): void {
    const svc = normalizeServiceSpec(spec);
    const s = this.findService(svc.key);
    if (!s) fail('ESRCH', `no service ${serviceKey(svc.key)}`);
    this.checkServiceAttrs(svc);
    s.snap = undefined;
    s.scheduler = svc.scheduler;
    s.rawFlags = wireServiceFlags(svc) | SVC_F_HASHED;
    s.timeout = svc.timeout;
    s.netmask = svc.netmask;
    s.pe = svc.pe ?? '';
  }

  // ip_vs_genl_set_cmd: mixed families only for tunnels and without a sync daemon; ip_vs_add/edit_dest: weight, thresholds.
  private checkDestAttrs(s: FakeService, d: DestSpec): void {
    if (d.af !== s.key.af && this.daemons.size > 0) fail('EINVAL', `${d.af} destination in ${s.key.af} service while a sync daemon runs`);
    if (d.af !== s.key.af && d.fwd !== 'tunnel') fail('EINVAL', `${d.af} destination in ${s.key.af} service needs tunnel forwarding`);
    if (d.weight < 0 || d.weight > 0x7fffffff) fail('ERANGE', `weight ${d.weight}`);
    if (d.lThresh > d.uThresh) fail('ERANGE', `lower threshold ${d.lThresh} above upper ${d.uThresh}`);
  }

  private doAddDest(svcKey: ServiceKey, dest: DestSpec): void {
    const s = this.serviceOrEsrch(svcKey);
    const d = normalizeDestSpec(s.key, dest);
    this.checkDestAttrs(s, d);
    if (s.dests.has(destIdentity(d))) fail('EEXIST', `destination ${destKey(d)} exists in ${serviceKey(s.key)}`);
    checkDestAddress(d, this.broadcasts);
    s.dests.set(destIdentity(d), { spec: d, active: 0, inact: 0, persist: 0 });
    s.snap = undefined;
  }

  private touch(key: ServiceKey): void {
    const s = this.findService(key);
    if (s) s.snap = undefined;
  }

  /**
   * Until it changes, each service of this table that equals one of `services` (frozen: another read of
   * the same content) is returned by snapshot() as that very object. The table model starts from the kernel
   * read it copies, so the pass after a resync sees unchanged services as unchanged (the same objects) and
   * reuses their plans instead of recomputing 10,000 reals (issue 16 item 4).
   */
  adopt(services: readonly IpvsService[]): void {
    const byKey = new Map(services.map((s) => [serviceKey(s.key), s]));
    this.state();
    for (const s of this.sorted ?? []) {
      const o = byKey.get(serviceKey(s.key));
      if (o !== undefined && Object.isFrozen(o) && Object.isFrozen(o.dests) && isDeepStrictEqual(o, s.snap)) s.snap = o;
    }
  }

  private state(): IpvsState {
    this.sorted ??= [...this.services.values()].sort((a, b) => compareServices(a.key, b.key));
    return { services: this.sorted.map((s) => (s.snap ??= snapService(s))) };
  }
}

function snapService(s: FakeService): IpvsService {
  const dests: IpvsDest[] = [...s.dests.values()]
    .map((d) => Object.freeze({ ...d.spec, activeConns: d.active, inactConns: d.inact, persistConns: d.persist, ...(d.stats ? { stats: d.stats } : {}) }))
    .sort(compareDests);
  const persistent = (s.rawFlags & SVC_F_PERSISTENT) !== 0;
  return Object.freeze({
    key: s.key,
    scheduler: s.scheduler,
    flags: s.rawFlags & ~(SVC_F_HASHED | SVC_F_PERSISTENT),
    timeout: persistent ? s.timeout : 0,
    netmask: s.netmask,
    ...(s.pe ? { pe: s.pe } : {}),
    dests: Object.freeze(dests),
  });
}

/** Runs one op through the matching Ipvs method (shared by every backend's sequential apply). */
export async function runOp(ipvs: Ipvs, op: IpvsOp): Promise<void> {
  switch (op.op) {
    case 'addService':
      return ipvs.addService(op.svc);
    case 'editService':
      return ipvs.editService(op.svc);
    case 'deleteService':
      return ipvs.deleteService(op.key);
    case 'addDest':
      return ipvs.addDest(op.svc, op.dest);
    case 'editDest':
      return ipvs.editDest(op.svc, op.dest);
    case 'deleteDest':
      return ipvs.deleteDest(op.svc, op.dest);
  }
}
