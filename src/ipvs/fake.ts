// In-memory IPVS as strict as the kernel (ip_vs_ctl.c): same errnos in the same order of checks,
// HASHED on live services, IPv6 netmask as a prefix length; dumps and loads `ipvsadm -S -n` text.
import { formatSave, parseSave } from '../../parsers/ipvsadm/index.js';
import { compareDests, compareServices } from '../model/order.js';
import { parseIp } from '../net/ip.js';
import type { SaveFormatOptions } from '../../parsers/ipvsadm/index.js';
import type { DestKey, DestSpec, IpvsDest, IpvsOp, IpvsService, IpvsState, IpvsStats, ServiceKey, ServiceSpec } from '../model/ipvs.js';
import { destKey, serviceKey } from '../model/keys.js';
import { normalizeDestKey, normalizeDestSpec, normalizeServiceKey, normalizeServiceSpec, SVC_F_HASHED, SVC_F_PERSISTENT, wireServiceFlags } from './normalize.js';
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

/** One call the fake saw, with its outcome. */
export interface FakeCall {
  readonly op: IpvsOp | { readonly op: 'snapshot' };
  readonly error?: IpvsErrno;
}

/** A scripted failure: the next matching op fails with this errno instead of running. */
export interface FakeFault {
  readonly errno: IpvsErrno;
  readonly op?: IpvsOp['op'] | 'snapshot';
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
}

function destIdentity(d: DestKey): string {
  return `${d.af}/${destKey(d)}`;
}

function fail(errno: IpvsErrno, what: string): never {
  throw new IpvsError(errno, what);
}

// ip_vs_new_dest: IPv4 must be RTN_UNICAST or RTN_LOCAL; IPv6 unicast and not link-local.
function checkDestAddress(d: DestKey): void {
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

/** The kernel-faithful in-memory IPVS used by every test above this layer. */
export class FakeIpvs implements Ipvs {
  readonly name = 'fake';
  /** Every call in order, with the errno it failed with, if any. */
  readonly calls: FakeCall[] = [];
  private readonly services = new Map<string, FakeService>();
  private readonly schedulers: ReadonlySet<string>;
  private readonly pes: ReadonlySet<string>;
  private readonly faults: { errno: IpvsErrno; op?: string; left: number }[] = [];
  private readonly unavailable: boolean;
  private closed = false;
  private readonly onCall: ((call: FakeCall) => void) | undefined;

  constructor(opts: FakeIpvsOptions = {}) {
    this.onCall = opts.onCall;
    this.schedulers = new Set(opts.schedulers ?? KERNEL_SCHEDULERS);
    this.pes = new Set(opts.pes ?? KERNEL_PES);
    this.unavailable = opts.unavailable ?? false;
  }

  /** A fake preloaded from `ipvsadm -S -n` text. */
  static fromSave(text: string, opts: FakeIpvsOptions = {}): FakeIpvs {
    const f = new FakeIpvs(opts);
    f.load(text);
    return f;
  }

  /** Number of write operations attempted (successful or not). */
  get opCount(): number {
    return this.calls.filter((c) => c.op.op !== 'snapshot').length;
  }

  /** The write operations attempted, in order. */
  get ops(): IpvsOp[] {
    return this.calls.flatMap((c) => (c.op.op === 'snapshot' ? [] : [c.op]));
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
    });
  }

  async deleteDest(svc: ServiceKey, dest: DestKey): Promise<void> {
    this.record({ op: 'deleteDest', svc, dest }, () => {
      const s = this.serviceOrEsrch(svc);
      const d = normalizeDestKey(dest);
      if (!s.dests.delete(destIdentity(d))) fail('ENOENT', `no destination ${destKey(d)} in ${serviceKey(s.key)}`);
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

  async close(): Promise<void> {
    this.closed = true;
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
  }

  private doEditService(spec: ServiceSpec): void {
    const svc = normalizeServiceSpec(spec);
    const s = this.findService(svc.key);
    if (!s) fail('ESRCH', `no service ${serviceKey(svc.key)}`);
    this.checkServiceAttrs(svc);
    s.scheduler = svc.scheduler;
    s.rawFlags = wireServiceFlags(svc) | SVC_F_HASHED;
    s.timeout = svc.timeout;
    s.netmask = svc.netmask;
    s.pe = svc.pe ?? '';
  }

  // ip_vs_genl_set_cmd: mixed families only for tunnels; ip_vs_add/edit_dest: weight, thresholds.
  private checkDestAttrs(s: FakeService, d: DestSpec): void {
    if (d.af !== s.key.af && d.fwd !== 'tunnel') fail('EINVAL', `${d.af} destination in ${s.key.af} service needs tunnel forwarding`);
    if (d.weight < 0 || d.weight > 0x7fffffff) fail('ERANGE', `weight ${d.weight}`);
    if (d.lThresh > d.uThresh) fail('ERANGE', `lower threshold ${d.lThresh} above upper ${d.uThresh}`);
  }

  private doAddDest(svcKey: ServiceKey, dest: DestSpec): void {
    const s = this.serviceOrEsrch(svcKey);
    const d = normalizeDestSpec(s.key, dest);
    this.checkDestAttrs(s, d);
    if (s.dests.has(destIdentity(d))) fail('EEXIST', `destination ${destKey(d)} exists in ${serviceKey(s.key)}`);
    checkDestAddress(d);
    s.dests.set(destIdentity(d), { spec: d, active: 0, inact: 0, persist: 0 });
  }

  private state(): IpvsState {
    const services: IpvsService[] = [...this.services.values()]
      .sort((a, b) => compareServices(a.key, b.key))
      .map((s) => {
        const dests: IpvsDest[] = [...s.dests.values()]
          .map((d) => ({ ...d.spec, activeConns: d.active, inactConns: d.inact, persistConns: d.persist, ...(d.stats ? { stats: d.stats } : {}) }))
          .sort(compareDests);
        const persistent = (s.rawFlags & SVC_F_PERSISTENT) !== 0;
        return {
          key: s.key,
          scheduler: s.scheduler,
          flags: s.rawFlags & ~(SVC_F_HASHED | SVC_F_PERSISTENT),
          timeout: persistent ? s.timeout : 0,
          netmask: s.netmask,
          ...(s.pe ? { pe: s.pe } : {}),
          dests,
        };
      });
    return { services };
  }
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
