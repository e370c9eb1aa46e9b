// The reconcile loop: each pass re-reads IPVS, computes desired state, plans, applies; plus stop cleanup.
import type { Clock } from '../clock.js';
import type { Ipvs } from '../ipvs/types.js';
import type { Logger } from '../log/types.js';
import type { IpvsOp, IpvsState, ServiceKey } from '../model/ipvs.js';
import { destKey, hostPort, kernelPort, serviceKey } from '../model/keys.js';
import { apply } from './apply.js';
import type { ApplyReport } from './apply.js';
import { desiredState, indexObserved, observedReals, programmedKey, svcKeyOf } from './desired.js';
import type { DesiredService, HealthLookup, VirtualTarget } from './desired.js';
import type { PlannedOp, ReconcileEvent } from './operations.js';
import { LatencyHistogram } from './latency.js';
import type { LatencySummary } from './latency.js';
import { plan } from './plan.js';
import type { RetiredService } from './plan.js';
import { Runner } from './runner.js';
import { TableModel } from './table-model.js';
import { SyncDaemons } from './sync.js';
import type { SyncTarget } from './sync-plan.js';

/** What the reconciler needs from the outside world. */
export interface ReconcilerDeps {
  readonly ipvs: Ipvs;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Current health of each real (the health scheduler's snapshot). */
  readonly health: HealthLookup;
  /** Runs a fallbackcommand line (shell); resolves when it finished. */
  readonly runCommand?: (command: string) => Promise<unknown>;
  /** Minimum time between pass starts (default 100 ms). */
  readonly minIntervalMs?: number;
  /** Periodic resync (default 10 s). */
  readonly resyncMs?: number;
  /**
   * How long a pass may plan against the last read carried forward by our own writes instead of reading
   * the kernel (default 0: every pass reads). Drift behind our back is repaired within this time.
   */
  readonly readMs?: number;
  /** Called with the events of every applied batch (e-mail alerts). */
  readonly onEvents?: (events: readonly ReconcileEvent[]) => void;
}

/** serviceKey() and the programmedKey() of every real of a target. */
interface TargetKeys {
  readonly svc: string;
  readonly reals: readonly string[];
}

// Targets are immutable and an unchanged virtual keeps its target object across reloads (targetsFromConfig),
// so its key texts are computed once, not at every setTargets (10,000 strings per reload at 10,000 reals).
const targetKeys = new WeakMap<VirtualTarget, TargetKeys>();

function keysOf(t: VirtualTarget): TargetKeys {
  let k = targetKeys.get(t);
  if (!k) {
    const svc = svcKeyOf(t);
    k = { svc, reals: t.reals.map((r) => programmedKey(svc, destKey({ af: r.af, addr: r.addr, port: kernelPort(t.svc.key, r.fwd, r.port) }))) };
    targetKeys.set(t, k);
  }
  return k;
}

/** The fallbackcommand's arguments: "<vip>:<vport> <protocol>", fwmark ":0 fwm" (spec §4.5). */
export function fallbackArgs(key: ServiceKey): string {
  if (key.kind === 'fwmark') return ':0 fwm';
  return `${key.addr}:${key.port} ${key.protocol}`;
}

/** Owns the virtual services of the current config and keeps IPVS equal to config + health. */
export class Reconciler {
  private targets: readonly VirtualTarget[] = [];
  private retired = new Map<string, RetiredService>();
  private fallbackState = new Map<string, boolean>();
  private readonly runner: Runner;
  private readonly sync: SyncDaemons;
  private lastReport: ApplyReport = { applied: 0, failed: 0, events: [], done: [] };
  /** The configured reals this daemon programmed or found in its services (see desiredState). */
  private readonly programmed = new Set<string>();
  private observed: IpvsState | undefined;
  private model: TableModel | undefined;
  /** The first pass that sees the current targets (whenApplied waits for its end). */
  private targetsPass = 1;
  /** Health verdicts not yet seen by a pass: "svcKey realKey" → clock time of the verdict. */
  private verdicts = new Map<string, number>();
  /** Milliseconds the running pass has spent awaiting the kernel (reads, writes, sync daemons, fallback commands). */
  private kernelWaitMs = 0;
  private readonly verdictLatency = new LatencyHistogram();

  constructor(private readonly deps: ReconcilerDeps) {
    this.sync = new SyncDaemons(deps.ipvs, deps.logger);
    this.runner = new Runner({
      clock: deps.clock,
      minIntervalMs: deps.minIntervalMs ?? 100,
      resyncMs: deps.resyncMs ?? 10_000,
      pass: () => this.pass().then(() => this.kernelWaitMs),
      onError: (err) => deps.logger.log(`Reconcile pass failed: ${err instanceof Error ? err.message : String(err)}`),
    });
  }

  /** Replaces the owned virtual services (start, reload); services that disappear are retired. */
  setTargets(targets: readonly VirtualTarget[]): void {
    const next = new Set(targets.map((t) => keysOf(t).svc));
    for (const old of this.targets) {
      const k = keysOf(old).svc;
      if (!next.has(k)) {
        this.retired.set(k, { key: old.svc.key, label: old.label });
        this.fallbackState.delete(k);
      }
    }
    for (const k of next) this.retired.delete(k);
    // A real that left the config and comes back later is new again (upstream adds it on reload). Only the
    // targets that changed are looked at: an unchanged virtual keeps its target object (targetsFromConfig),
    // and `programmed` holds only reals of the current targets (pass() adds none across a change).
    const now = new Set(targets);
    const left = this.targets.filter((t) => !now.has(t));
    if (left.length > 0) {
      const before = new Set(this.targets);
      const still = new Set<string>();
      for (const t of targets) if (!before.has(t)) for (const k of keysOf(t).reals) still.add(k);
      for (const t of left) for (const k of keysOf(t).reals) if (!still.has(k)) this.programmed.delete(k);
    }
    this.targets = targets;
    this.targetsPass = this.runner.nextPass;
    // A config change is not coalesced with health traffic: its pass runs now, or right after the running one.
    this.runner.request(true);
  }

  /** Replaces the configured sync daemons (syncdaemon=; start, reload). */
  setSyncTargets(targets: readonly SyncTarget[]): void {
    this.sync.setTargets(targets);
    this.targetsPass = this.runner.nextPass;
    this.runner.request(true);
  }

  /** The sync daemons this instance started or took over. */
  get syncDaemons(): SyncDaemons {
    return this.sync;
  }

  /** The owned targets. */
  get current(): readonly VirtualTarget[] {
    return this.targets;
  }

  /** Starts the runner: an immediate pass, then passes on request and on the resync period. */
  start(): void {
    this.runner.start();
  }

  /** Asks for a pass (after a health transition, a reload, …). */
  request(): void {
    this.runner.request();
  }

  /**
   * A real changed state now (svcKey = serviceKey text, realKey = "addr:port" as configured) and asks
   * for a pass: the time until the IPVS write that carries it is counted in verdictToWrite.
   */
  verdict(svcKey: string, realKey: string): void {
    this.verdicts.set(`${svcKey} ${realKey}`, this.deps.clock.now());
    this.runner.request();
  }

  /** From a verdict to the completion of the IPVS write carrying it (verdicts needing no write are not counted). */
  get verdictToWrite(): LatencySummary {
    return this.verdictLatency.summary();
  }

  /** Resolves when no pass is running or queued (tests; under steady health traffic this may never come). */
  whenIdle(): Promise<void> {
    return this.runner.whenIdle();
  }

  /**
   * Resolves when the current targets have been applied: the end of the first pass that started after
   * the last setTargets()/setSyncTargets(). One pass at most; health traffic cannot make it wait longer.
   */
  whenApplied(): Promise<void> {
    return this.runner.whenPassed(this.targetsPass);
  }

  /** Number of passes so far. */
  get passCount(): number {
    return this.runner.passCount;
  }

  /** The last pass's apply report. */
  get lastApply(): ApplyReport {
    return this.lastReport;
  }

  /** The table as the last pass read it (before its changes), for status: reading it costs no kernel call. */
  get lastObserved(): IpvsState | undefined {
    return this.observed;
  }

  /** Whether a virtual's fallback server is serving now (undefined: it has none, or no pass yet). */
  fallbackActive(key: ServiceKey): boolean | undefined {
    return this.fallbackState.get(serviceKey(key));
  }

  /** One pass: read the kernel, plan, apply, run fallbackcommands whose state changed. */
  async pass(): Promise<ApplyReport> {
    // Verdicts arriving during this pass are the next pass's: this one may have read health before them.
    const verdicts = this.verdicts;
    this.verdicts = new Map();
    this.kernelWaitMs = 0;
    const observed = await this.kernel(this.read(this.runner.passCount === this.targetsPass));
    this.observed = observed;
    const index = indexObserved(observed);
    const targets = this.targets;
    const desired = desiredState(targets, this.deps.health, observed, this.programmed, index);
    // Our reals already in the table (a restart over it, earlier passes) count as programmed; they
    // cannot change this pass's plan (only absent reals consult the memory).
    for (const k of observedReals(desired, observed, index)) this.programmed.add(k);
    const ops = plan(desired, observed, { retired: [...this.retired.values()], index });
    // Retired services already gone need no more attention.
    for (const k of [...this.retired.keys()]) if (!index.has(k)) this.retired.delete(k);
    this.lastReport = await this.kernel(apply(this.deps.ipvs, ops, this.deps.logger));
    if (this.model && (this.lastReport.failed > 0 || !(await this.model.apply(this.lastReport.done.map((p) => p.op))))) this.model = undefined;
    if (verdicts.size) this.countVerdicts(verdicts, desired.services, this.lastReport);
    if (this.lastReport.events.length) this.deps.onEvents?.(this.lastReport.events);
    // Targets replaced while the writes were out: the next pass records what is there (observedReals).
    if (this.targets === targets) {
      for (const p of this.lastReport.done) if (p.op.op === 'addDest' && p.event.kind !== 'addFallback') this.programmed.add(programmedKey(serviceKey(p.op.svc), destKey(p.op.dest)));
    }
    if (this.lastReport.failed === 0) for (const op of ops) if (op.op.op === 'deleteService') this.retired.delete(serviceKey(op.op.key));
    await this.kernel(this.runFallbackCommands(desired.services.map((s, i) => ({ t: targets[i], active: s.fallbackActive }))));
    // After the table, so a refusal is explained by the table the kernel has; it never fails the pass.
    await this.kernel(this.sync.pass());
    return this.lastReport;
  }

  /** Awaits `p`, adding the wait to this pass's kernelWaitMs (time the event loop had for the checks). */
  private async kernel<T>(p: Promise<T>): Promise<T> {
    const t = this.deps.clock.now();
    try {
      return await p;
    } finally {
      this.kernelWaitMs += this.deps.clock.now() - t;
    }
  }

  /**
   * The table for this pass: the carried-forward model while it is younger than readMs, else a kernel read.
   * The pass carrying a config change (`configPass`) uses the model even when it is due for a read: reading
   * and re-modelling 10,000 reals took longer than the whole reload (issue 16 item 4); the next pass reads.
   */
  private async read(configPass = false): Promise<IpvsState> {
    const readMs = this.deps.readMs ?? 0;
    const now = this.deps.clock.now();
    if (this.model && (configPass || now - this.model.readAt < readMs)) return this.model.snapshot();
    const observed = await this.deps.ipvs.snapshot();
    if (readMs <= 0) this.model = undefined;
    // An equal read keeps the model (and its objects, which the pass's plans are remembered by).
    else if (this.model && (await this.model.matches(observed, now))) return this.model.snapshot();
    else this.model = await TableModel.of(observed, now);
    return observed;
  }

  /** Records verdict → write for each verdict a done dest op carries; verdicts whose op failed wait for the retry. */
  private countVerdicts(verdicts: Map<string, number>, services: readonly DesiredService[], report: ApplyReport): void {
    const now = this.deps.clock.now();
    const bySvc = new Map(services.map((s) => [serviceKey(s.svc.key), s]));
    for (const p of report.done) {
      const op = p.op;
      if (op.op !== 'addDest' && op.op !== 'editDest' && op.op !== 'deleteDest') continue;
      const sk = serviceKey(op.svc);
      const real = bySvc.get(sk)?.known.get(destKey(op.dest));
      if (real?.role !== 'real') continue;
      const k = `${sk} ${real.configured}`;
      const at = verdicts.get(k);
      if (at === undefined) continue;
      this.verdictLatency.record(now - at);
      verdicts.delete(k);
    }
    if (report.failed > 0) for (const [k, at] of verdicts) if (!this.verdicts.has(k)) this.verdicts.set(k, at);
  }

  private async runFallbackCommands(list: { t: VirtualTarget | undefined; active: boolean | undefined }[]): Promise<void> {
    for (const { t, active } of list) {
      if (!t || active === undefined || !t.fallbackCommand) continue;
      const k = serviceKey(t.svc.key);
      if (this.fallbackState.get(k) === active) continue;
      this.fallbackState.set(k, active);
      await this.deps.runCommand?.(`${t.fallbackCommand} ${active ? 'start' : 'stop'} ${fallbackArgs(t.svc.key)}`);
    }
  }

  /** Stops the runner (waits for a pass in flight). */
  async stop(): Promise<void> {
    await this.runner.stop();
  }

  /** cleanstop=yes at stop: stops the sync daemons this instance started (others are left). */
  async stopSync(): Promise<void> {
    await this.sync.stopOwned();
  }

  /**
   * cleanstop: for every owned virtual with cleanStop, delete its serving reals (logged as upstream's
   * "Purged real server (stop)") and then the virtual itself; others are left as they are.
   */
  async cleanStop(): Promise<ApplyReport> {
    const observed = await this.deps.ipvs.snapshot();
    const byKey = new Map(observed.services.map((s) => [serviceKey(s.key), s]));
    const ops: PlannedOp[] = [];
    for (const t of this.targets) {
      if (t.cleanStop === false) continue;
      const obs = byKey.get(serviceKey(t.svc.key));
      if (!obs) continue;
      const configured = new Map(t.reals.map((r) => [destKey({ af: r.af, addr: r.addr, port: kernelPort(t.svc.key, r.fwd, r.port) }), r]));
      for (const d of obs.dests) {
        const r = configured.get(destKey(d));
        if (!r || d.weight === 0) continue;
        const op: IpvsOp = { op: 'deleteDest', svc: t.svc.key, dest: { af: d.af, addr: d.addr, port: d.port } };
        ops.push({ op, event: { kind: 'purgeRealStop', rs: hostPort(r.addr, r.port), v: t.label } });
      }
      ops.push({ op: { op: 'deleteService', key: t.svc.key }, event: { kind: 'purgeVirtualStop', v: t.label } });
    }
    const report = await apply(this.deps.ipvs, ops, this.deps.logger);
    if (report.events.length) this.deps.onEvents?.(report.events);
    return report;
  }
}
