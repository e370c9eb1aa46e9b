// Pure mapping from the parsed Config to check jobs: CheckSpec per real (spec §2.7, §3.4-3.6), check kind, real id (§3.8).
import type { CheckName, CheckSpec } from '../checks/types.js';
import type { CheckType, Config, RealServer, VirtualService } from '../model/config.js';
import { bracketed, hostPort, realKey, serviceToPort, virtualKey } from '../model/keys.js';

/** ld_checkport (spec §3.6): checkport, else the real's port when > 0, else the service's well-known port (0 if none). */
export function checkPort(virtual: VirtualService, real: RealServer): number {
  if (virtual.checkPort !== undefined) return virtual.checkPort;
  if (real.port > 0) return real.port;
  return serviceToPort(virtual.service) ?? 0;
}

/** The HTTP URL upstream's ld_setup builds (spec §3.4); undefined for non-HTTP services. */
export function httpUrl(virtual: VirtualService, real: RealServer, port: number): string | undefined {
  const service = virtual.service;
  if (service !== 'http' && service !== 'https' && service !== 'http_proxy') return undefined;
  const schema = service === 'http_proxy' ? 'http' : service;
  const request = real.effectiveRequest;
  const uri = request.replace(/^\//, '');
  const direct = `${schema}://${hostPort(real.address, port)}/${uri}`;
  if (real.request !== undefined) return request.includes(`${schema}://`) ? uri : direct;
  return service === 'http_proxy' ? uri : direct;
}

/** Options of buildCheckSpec that are not in the config. */
export interface SpecOptions {
  /** This director's host name (FTP/SIP defaults); the config loader already applied it to login/passwd. */
  readonly hostname: string;
}

/** The CheckSpec for one real of one virtual: ports, URL, timeouts and credentials resolved as upstream. */
export function buildCheckSpec(config: Config, virtual: VirtualService, real: RealServer, opts: SpecOptions): CheckSpec {
  void config; // every value below is already resolved per virtual by the normaliser (spec §2.7)
  const port = checkPort(virtual, real);
  const url = httpUrl(virtual, real, port);
  const k = virtual.key;
  const vip = k.kind === 'fwmark' ? String(k.fwmark) : bracketed(k.address);
  return {
    host: real.address,
    port,
    protocol: virtual.protocol,
    vip,
    vport: virtual.key.kind === 'fwmark' ? 0 : virtual.port,
    realPort: real.port,
    request: real.effectiveRequest,
    receive: real.effectiveReceive,
    ...(url !== undefined ? { url } : {}),
    httpMethod: virtual.httpMethod,
    ...(virtual.virtualHost !== undefined ? { virtualHost: virtual.virtualHost } : {}),
    login: virtual.login,
    passwd: virtual.passwd,
    database: virtual.database,
    secret: virtual.secret,
    checkCommand: virtual.checkCommand,
    checkTimeoutMs: virtual.checkTimeout * 1000,
    negotiateTimeoutMs: virtual.negotiateTimeout * 1000,
    attempts: virtual.checkCount,
    hostname: opts.hostname,
  };
}

/** What a job runs each time: one check, or checktype=N's negotiate/connect alternation. */
export type JobKind =
  | { readonly type: 'single'; readonly name: CheckName }
  | { readonly type: 'combined'; readonly n: number; readonly negotiate: CheckName; readonly connect: CheckName };

/** The check that checktype=connect means for a protocol: upstream pings UDP reals instead (spec §3.2 item 3). */
function connectFor(virtual: VirtualService): CheckName {
  return virtual.protocol === 'udp' ? 'ping' : 'connect';
}

/** The check(s) a virtual's checktype runs (spec §3.2). */
export function jobKind(virtual: VirtualService): JobKind {
  switch (virtual.checkType) {
    case 'negotiate':
      return { type: 'single', name: virtual.service };
    case 'connect':
      return { type: 'single', name: connectFor(virtual) };
    case 'combined':
      return { type: 'combined', n: virtual.combinedCount ?? 0, negotiate: virtual.service, connect: connectFor(virtual) };
    default:
      return { type: 'single', name: virtual.checkType };
  }
}

/** The time budget (ms) of a check by name (spec §3.5): dialogues use negotiatetimeout, LDAP/RADIUS and basic checks checktimeout. */
export function checkBudgetMs(name: CheckName, spec: CheckSpec): number {
  switch (name) {
    case 'connect':
    case 'external':
    case 'external-perl':
    case 'ldap':
    case 'ldaps':
    case 'radius':
      return spec.checkTimeoutMs;
    case 'ping':
      return spec.checkTimeoutMs * Math.max(1, spec.attempts);
    case 'on':
    case 'off':
    case 'none':
      return 1000;
    default:
      return spec.negotiateTimeoutMs;
  }
}

/** Perl's quotemeta: every non-word character backslashed. */
function quotemeta(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, (c) => `\\${c}`);
}

/**
 * Upstream's real id (spec §3.8): reals with equal ids are checked once and the result
 * applies to every virtual holding one; reloads keep the state of ids that did not change.
 */
export function realCheckId(virtual: VirtualService, real: RealServer): string {
  const check =
    virtual.checkType === 'negotiate' || virtual.checkType === 'combined'
      ? `${virtual.checkType}:${virtual.service}`
      : virtual.checkType === 'external' || virtual.checkType === 'external-perl'
        ? `${virtual.checkType}:${virtual.checkCommand}`
        : virtual.checkType;
  return [
    check, virtual.protocol, real.address, real.port, virtual.virtualHost ?? '', virtual.checkPort ?? '', real.weight,
    real.forward, quotemeta(real.effectiveRequest), quotemeta(real.effectiveReceive),
  ].join(':');
}

/** One (virtual, real) pair a job's verdict applies to. */
export interface JobMember {
  readonly virtualKey: string;
  readonly realKey: string;
  /** Upstream's virtual id (tcp:1.2.3.4:80), for messages. */
  readonly virtualId: string;
}

/** Everything the scheduler needs to check one real id. */
export interface CheckJob {
  readonly id: string;
  /** The checktype= of the (first) virtual holding this real. */
  readonly checkType: CheckType;
  readonly kind: JobKind;
  readonly spec: CheckSpec;
  readonly members: readonly JobMember[];
  readonly failureCount: number;
  readonly intervalMs: number;
  /** For the maintenance directory: the real as configured. */
  readonly realAddress: string;
  readonly realPort: number;
}

/** What one virtual contributes: per real, its id, its member, and the job it starts when it is the first. */
interface VirtualPlan {
  readonly virtual: VirtualService;
  readonly entries: readonly { readonly id: string; readonly member: JobMember; readonly job: CheckJob }[];
}

function planVirtual(config: Config, v: VirtualService, opts: SpecOptions): VirtualPlan {
  const intervalS = config.global.fork ? (v.checkInterval ?? config.global.checkInterval) : config.global.checkInterval;
  const vkey = virtualKey(v);
  const kind = jobKind(v);
  const entries = v.reals.map((r) => {
    const id = realCheckId(v, r);
    const member: JobMember = { virtualKey: vkey, realKey: realKey(r), virtualId: v.id };
    const job: CheckJob = {
      id, checkType: v.checkType, kind, spec: buildCheckSpec(config, v, r, opts), members: [member],
      failureCount: v.failureCount, intervalMs: intervalS * 1000, realAddress: r.address, realPort: r.port,
    };
    return { id, member, job };
  });
  return { virtual: v, entries };
}

/** Deep equality of parsed config data, ignoring source positions (a line added above moves them, not the checks). */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  for (const k of ka) {
    if (k === 'line' || k === 'lines') continue;
    if (!(k in rb) || !sameData(ra[k], rb[k])) return false;
  }
  return true;
}

/** What a re-plan changed: jobs new or replaced (by id), and ids no longer planned. */
export interface PlanDelta {
  readonly added: readonly CheckJob[];
  readonly removed: readonly string[];
}

/** Merges the entries of `plans` into one job per id, in order (the first virtual's settings win, as upstream checks an id once). */
function mergeInto(jobs: Map<string, CheckJob>, plans: readonly VirtualPlan[]): void {
  for (const vp of plans) {
    for (const e of vp.entries) {
      const seen = jobs.get(e.id);
      if (!seen) {
        jobs.set(e.id, e.job);
      } else if (!seen.members.some((m) => m.virtualKey === e.member.virtualKey && m.realKey === e.member.realKey)) {
        // Cached jobs are never mutated.
        jobs.set(e.id, { ...seen, members: [...seen.members, e.member] });
      }
    }
  }
}

/**
 * planChecks with memory: a virtual equal to the one of the last plan (same key, same data) reuses its
 * jobs as they were (the same objects), so a reload re-plans only what changed (issue 16 item 4).
 */
export class CheckPlanner {
  private cache = new Map<string, VirtualPlan>();
  private globals = '';
  /** The last plan in config order and its jobs by id; `shared`: some id is checked for two virtuals. */
  private last: { readonly plans: readonly VirtualPlan[]; readonly jobs: Map<string, CheckJob>; readonly shared: boolean } | undefined;

  /** Every check job of `config`, as planChecks; unchanged virtuals cost one comparison. */
  plan(config: Config, opts: SpecOptions): CheckJob[] {
    const plans = this.plansOf(config, opts);
    const jobs = new Map<string, CheckJob>();
    mergeInto(jobs, plans);
    let entries = 0;
    for (const vp of plans) entries += vp.entries.length;
    this.last = { plans, jobs, shared: jobs.size !== entries };
    return [...jobs.values()];
  }

  /**
   * The change from the last plan to `config`'s, in time proportional to the virtuals that changed: an
   * unchanged virtual is the same object (ParseMemo) and costs one comparison. Undefined when the change
   * cannot be told that way (first plan, other globals, virtuals added, removed or moved, an id checked
   * for two virtuals): the caller then takes plan()'s whole list.
   */
  replan(config: Config, opts: SpecOptions): PlanDelta | undefined {
    const last = this.last;
    if (!last || last.shared || last.plans.length !== config.virtuals.length || this.globalsOf(config, opts) !== this.globals) return undefined;
    const changed: number[] = [];
    for (let i = 0; i < last.plans.length; i++) if (last.plans[i]!.virtual !== config.virtuals[i]) changed.push(i);
    if (changed.length === 0) return { added: [], removed: [] };
    if (changed.length * 4 > last.plans.length) return undefined; // a large change: the whole plan is as cheap
    const before = changed.map((i) => last.plans[i]!);
    const after = changed.map((i) => {
      const v = config.virtuals[i]!;
      const old = last.plans[i]!;
      return virtualKey(old.virtual) === virtualKey(v) && sameData(old.virtual, v) ? { ...old, virtual: v } : planVirtual(config, v, opts);
    });
    const gone = new Set(before.flatMap((vp) => vp.entries.map((e) => e.id)));
    const fresh = new Map<string, CheckJob>();
    mergeInto(fresh, after);
    let entries = 0;
    for (const vp of after) entries += vp.entries.length;
    // An id also checked for an unchanged virtual, or twice among the changed ones: members would merge.
    for (const id of fresh.keys()) if (last.jobs.has(id) && !gone.has(id)) return undefined;
    if (fresh.size !== entries) return undefined;
    const plans = [...last.plans];
    changed.forEach((i, k) => {
      plans[i] = after[k]!;
      this.cache.delete(virtualKey(before[k]!.virtual));
      this.cache.set(virtualKey(after[k]!.virtual), after[k]!);
    });
    const removed: string[] = [];
    for (const id of gone) {
      if (fresh.has(id)) continue;
      last.jobs.delete(id);
      removed.push(id);
    }
    const added: CheckJob[] = [];
    for (const [id, job] of fresh) {
      if (last.jobs.get(id) === job) continue;
      last.jobs.set(id, job);
      added.push(job);
    }
    this.last = { plans, jobs: last.jobs, shared: false };
    return { added, removed };
  }

  /** What every job depends on besides its virtual: the interval rule and the director's name. */
  private globalsOf(config: Config, opts: SpecOptions): string {
    return `${config.global.fork}:${config.global.checkInterval}:${opts.hostname}`;
  }

  /** The plan of each virtual: the last one's when its data is the same. */
  private plansOf(config: Config, opts: SpecOptions): VirtualPlan[] {
    const globals = this.globalsOf(config, opts);
    if (globals !== this.globals) this.cache.clear();
    this.globals = globals;
    const next = new Map<string, VirtualPlan>();
    const plans = config.virtuals.map((v) => {
      const vkey = virtualKey(v);
      let vp = this.cache.get(vkey);
      if (!vp || !sameData(vp.virtual, v)) vp = planVirtual(config, v, opts);
      next.set(vkey, vp);
      return vp;
    });
    this.cache = next;
    return plans;
  }
}

/**
 * Every check job of a config, in config order, one per real id (the first virtual's settings
 * win, as upstream's pass checks an id once). checkinterval is global unless fork=yes (spec §2.6).
 */
export function planChecks(config: Config, opts: SpecOptions): CheckJob[] {
  return new CheckPlanner().plan(config, opts);
}
