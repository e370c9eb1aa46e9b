// The health scheduler: every real id checked every checkinterval, concurrently under a cap, with an injected clock.
import { hostname as osHostname } from 'node:os';
import type { Clock, TimerHandle } from '../clock.js';
import type { CheckName, CheckResult, Checker } from '../checks/types.js';
import type { Config } from '../model/config.js';
import { findMaintenanceFile, systemReverseLookup, type ReverseLookup } from './maintenance.js';
import { FORCE_NEGOTIATE, INITIAL_HEALTH, combinedChoice, nextConnects, nextState, type RealHealth } from './policy.js';
import { checkBudgetMs, planChecks, type CheckJob, type JobMember } from './spec.js';

/** A real changed state in a virtual (only changes are reported, never repeats). */
export interface HealthTransition {
  /** serviceKey() text of the virtual, as the reconciler keys it ("tcp:10.0.0.1:80", "fwm:inet:5"). */
  readonly virtualKey: string;
  /** "addr:port" of the real ("[v6]:port"), as the reconciler keys it. */
  readonly realKey: string;
  /** Upstream's virtual id ("tcp:10.0.0.1:80"), for log lines. */
  readonly virtualId: string;
  readonly state: 'up' | 'down';
  /** Why: the check's message when up, what was sent and what came back when down. */
  readonly reason: string;
}

/** A failure absorbed by failurecount, or a success that cleared earlier ones (upstream logs both). */
export interface SoftFailureEvent {
  readonly virtualKey: string;
  readonly realKey: string;
  readonly virtualId: string;
  /** 'failure': "failure count/limit"; 'reset': the counter went from `count` back to 0. */
  readonly kind: 'failure' | 'reset';
  readonly count: number;
  readonly limit: number;
  readonly reason: string;
}

/** Every completed check (not only transitions), for monitorfile= lines. */
export interface CheckEvent {
  /** Upstream's real id (spec §3.8), the monitor line's real field. */
  readonly checkId: string;
  /** Every (virtual, real) pair the verdict applies to. */
  readonly members: readonly JobMember[];
  /** The check that ran (for checktype=N: the negotiate service or connect). */
  readonly name: CheckName;
  readonly ok: boolean;
  readonly reason: string;
  /** What the check itself said: its message ('' when none) when up, its reason when down (monitorfile lines). */
  readonly said: string;
  /** True when maintenancedir forced the verdict without running a check. */
  readonly forced: boolean;
  /** How long the check took (clock ms, launch to verdict). */
  readonly durationMs: number;
}

/** The current state of one (virtual, real) pair. */
export interface HealthSnapshotEntry {
  readonly virtualKey: string;
  readonly realKey: string;
  readonly virtualId: string;
  readonly state: 'unknown' | 'up' | 'down';
  readonly failCount: number;
  readonly reason?: string;
  /** Clock time (Clock.now()) of the last completed check. */
  readonly lastCheckedAt?: number;
  /** How long the last completed check took (ms). */
  readonly lastDurationMs?: number;
  /** Clock time of the last up/down change (first verdict included). */
  readonly changedAt?: number;
  /** The last verdict was forced by a maintenancedir file. */
  readonly maintenance: boolean;
}

/** How the scheduler is built; only `clock`, `checkers` and `onTransition` are required. */
export interface HealthSchedulerOptions {
  readonly clock: Clock;
  /** The registry (src/checks getChecker). */
  readonly checkers: (name: CheckName) => Checker;
  readonly onTransition: (t: HealthTransition) => void;
  readonly onSoftFailure?: (e: SoftFailureEvent) => void;
  /** Called after every completed check, before transitions are emitted. */
  readonly onCheck?: (e: CheckEvent) => void;
  /** Most checks running at once (default 256); more wait their turn in due order. */
  readonly maxInFlight?: number;
  /**
   * First runs are spread over min(staggerMs, checkinterval) so they do not all start at once. Default: as
   * long as starting them at FIRST_RUNS_PER_SECOND takes, at most the checkinterval: small configs are all
   * checked at once, 10,000 reals are spread over the whole interval (bunched into one second they saturate
   * the event loop, and late timers then fail healthy reals). Later runs keep their phase.
   */
  readonly staggerMs?: number;
  /** Extra time past a check's own budget before the scheduler aborts it (default 1000 ms). */
  readonly graceMs?: number;
  /**
   * A promise while the code of check `name` is still loading (undefined once loaded): a run waits for
   * it holding its slot, and its budget starts only then. Loading a module is not the check's time (as
   * upstream's alarm starts after its `require`): on a starved CPU (a loaded host, an emulated guest)
   * cold imports took longer than checktimeout and failed healthy reals at start.
   */
  readonly ready?: (name: CheckName) => Promise<unknown> | undefined;
  /** This director's host name for CheckSpec (default $HOSTNAME, else os.hostname()). */
  readonly hostname?: string;
  /** Reverse lookup for maintenancedir names (default: system getnameinfo, bounded). */
  readonly reverseLookup?: ReverseLookup;
}

/** Dependencies of one check run. */
export interface RunDeps {
  readonly checkers: (name: CheckName) => Checker;
  readonly maintenanceDir?: string | undefined;
  readonly reverseLookup: ReverseLookup;
}

/** The outcome of one run: which check ran, its result, and whether maintenance forced it. */
export interface RunOutcome {
  readonly name: CheckName;
  readonly result: CheckResult;
  readonly forced: boolean;
}

/** Runs one check of a job once (maintenance file first, as upstream's _check_real). */
export async function runJobOnce(job: CheckJob, name: CheckName, deps: RunDeps, signal: AbortSignal): Promise<RunOutcome> {
  if (deps.maintenanceDir !== undefined) {
    const hit = await findMaintenanceFile(deps.maintenanceDir, job.realAddress, job.realPort, deps.reverseLookup);
    if (hit !== undefined) return { name, result: { ok: false, reason: `Server in maintenance (${hit})` }, forced: true };
  }
  try {
    return { name, result: await deps.checkers(name)(job.spec, signal), forced: false };
  } catch (err) {
    // Checks reject only on programmer error; the real is down and the reason says why.
    return { name, result: { ok: false, reason: `${name} check failed internally: ${String(err)}` }, forced: false };
  }
}

/** Which check a job runs next, given its combined counter. */
export function nextCheckName(job: CheckJob, numConnects: number): CheckName {
  const k = job.kind;
  if (k.type === 'single') return k.name;
  return combinedChoice(numConnects, k.n) === 'negotiate' ? k.negotiate : k.connect;
}

interface JobState {
  job: CheckJob;
  health: RealHealth;
  numConnects: number;
  reason?: string;
  lastCheckedAt?: number;
  lastDurationMs?: number;
  changedAt?: number;
  maintenance: boolean;
  lastStart: number;
  timer: TimerHandle | undefined;
  queued: boolean;
  /** The running check: cancel() aborts it and releases its slot at once. */
  running: { cancel: () => void } | undefined;
  removed: boolean;
}

const DEFAULT_MAX_IN_FLIGHT = 256;
/** Default pace of first runs (see staggerMs): about what one core sustains with room for the rest. */
const FIRST_RUNS_PER_SECOND = 2000;

// abort() without a reason builds a DOMException with a stack trace for every check; after the verdict
// nobody reads the reason, so one shared value is enough (it only tells the check's sockets to close).
const SETTLED = Object.freeze(Object.assign(new Error('check settled'), { name: 'AbortError' }));

/**
 * Checks every real of a config on its own period and reports up/down transitions.
 * Starts checking on construction; update() swaps the config keeping unchanged reals' state;
 * stop() cancels timers and aborts running checks.
 */
export class HealthScheduler {
  private readonly states = new Map<string, JobState>();
  /** (virtual, real) pair → the jobs checking it: lookup() runs once per real per reconcile pass, so it must not scan. */
  private byMember = new Map<string, JobState[]>();
  private readonly queue: JobState[] = [];
  private inFlight = 0;
  private stopped = false;
  private maintenanceDir: string | undefined;
  private readonly opts: HealthSchedulerOptions;
  private readonly reverseLookup: ReverseLookup;

  constructor(config: Config, opts: HealthSchedulerOptions) {
    this.opts = opts;
    this.reverseLookup = opts.reverseLookup ?? systemReverseLookup();
    this.install(config);
  }

  /** Checks now running (for tests and status). */
  get running(): number {
    return this.inFlight;
  }

  /** Swaps in a new config: reals with the same id (spec §3.8) keep their state and schedule. */
  update(config: Config): void {
    if (this.stopped) return;
    this.install(config);
  }

  /** Current state of every (virtual, real) pair, in config order. */
  snapshot(): HealthSnapshotEntry[] {
    const out: HealthSnapshotEntry[] = [];
    for (const s of this.states.values()) {
      for (const m of s.job.members) {
        out.push({
          ...m,
          state: s.health.state,
          failCount: s.health.failCount,
          ...(s.reason !== undefined ? { reason: s.reason } : {}),
          ...(s.lastCheckedAt !== undefined ? { lastCheckedAt: s.lastCheckedAt } : {}),
          ...(s.lastDurationMs !== undefined ? { lastDurationMs: s.lastDurationMs } : {}),
          ...(s.changedAt !== undefined ? { changedAt: s.changedAt } : {}),
          maintenance: s.maintenance,
        });
      }
    }
    return out;
  }

  /** Checked state of one real in one virtual; undefined while unchecked (a bound function, safe to pass around). */
  readonly lookup = (virtualKey: string, realKey: string): 'up' | 'down' | undefined => {
    const list = this.byMember.get(`${virtualKey} ${realKey}`);
    if (list === undefined) return undefined;
    for (const s of list) if (s.health.state !== 'unknown') return s.health.state;
    return undefined;
  };

  /** Stops all checking: cancels timers and aborts running checks (their sockets close on the abort). */
  stop(): Promise<void> {
    this.stopped = true;
    for (const s of this.states.values()) this.retire(s);
    this.queue.length = 0;
    return Promise.resolve();
  }

  private install(config: Config): void {
    this.maintenanceDir = config.global.maintenanceDir;
    // Same default as the config loader's (upstream: $HOSTNAME, else uname -n).
    const hostname = this.opts.hostname ?? (process.env['HOSTNAME'] || osHostname());
    const jobs = planChecks(config, { hostname });
    const fresh: JobState[] = [];
    const keep = new Set<string>();
    for (const job of jobs) {
      keep.add(job.id);
      const old = this.states.get(job.id);
      if (old) {
        const before = new Set(old.job.members.map(memberKey));
        old.job = job;
        // A pair that joins an already checked real learns its state at once.
        if (old.health.state !== 'unknown') {
          for (const m of job.members) {
            if (!before.has(memberKey(m))) this.emit(m, old.health.state, old.reason ?? 'state of the same real in another virtual');
          }
        }
        continue;
      }
      const s: JobState = {
        job, health: INITIAL_HEALTH, numConnects: FORCE_NEGOTIATE, lastStart: 0, maintenance: false, queued: false, removed: false, timer: undefined, running: undefined,
      };
      this.states.set(job.id, s);
      fresh.push(s);
    }
    for (const [id, s] of this.states) {
      if (!keep.has(id)) {
        this.retire(s);
        this.states.delete(id);
      }
    }
    const byMember = new Map<string, JobState[]>();
    for (const s of this.states.values()) {
      for (const m of s.job.members) {
        const k = memberKey(m);
        const list = byMember.get(k);
        if (list) list.push(s);
        else byMember.set(k, [s]);
      }
    }
    this.byMember = byMember;
    this.stagger(fresh);
  }

  /** Spreads first runs evenly over min(staggerMs, interval); later runs keep their phase (lastStart + interval). */
  private stagger(fresh: readonly JobState[]): void {
    const n = fresh.length;
    fresh.forEach((s, i) => {
      const spread = Math.min(this.opts.staggerMs ?? (n * 1000) / FIRST_RUNS_PER_SECOND, s.job.intervalMs);
      this.schedule(s, n > 1 ? Math.floor((i * spread) / n) : 0);
    });
  }

  private retire(s: JobState): void {
    s.removed = true;
    s.timer?.cancel();
    s.timer = undefined;
    if (s.queued) {
      const i = this.queue.indexOf(s);
      if (i >= 0) this.queue.splice(i, 1);
      s.queued = false;
    }
    s.running?.cancel();
  }

  private schedule(s: JobState, delayMs: number): void {
    s.timer = this.opts.clock.setTimeout(() => {
      s.timer = undefined;
      this.enqueue(s);
    }, Math.max(0, delayMs));
  }

  private enqueue(s: JobState): void {
    if (this.stopped || s.removed || s.queued || s.running) return;
    s.queued = true;
    this.queue.push(s);
    this.pump();
  }

  private pump(): void {
    const max = Math.max(1, this.opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
    while (!this.stopped && this.inFlight < max && this.queue.length > 0) this.launch(this.queue.shift()!);
  }

  private launch(s: JobState): void {
    s.queued = false;
    this.inFlight++;
    const name = nextCheckName(s.job, s.numConnects);
    const ready = this.opts.ready?.(name);
    if (ready === undefined) return this.run(s, name);
    let waiting = true;
    const release = (): void => {
      if (!waiting) return;
      waiting = false;
      s.running = undefined;
      this.inFlight--;
      this.pump();
    };
    s.running = { cancel: release };
    const go = (): void => {
      if (!waiting) return;
      if (this.stopped || s.removed) return release();
      waiting = false;
      this.run(s, name);
    };
    ready.then(go, go);
  }

  /** Runs one check of `s` in the slot launch() took. */
  private run(s: JobState, name: CheckName): void {
    const clock = this.opts.clock;
    s.lastStart = clock.now();
    const job = s.job;
    const budget = checkBudgetMs(name, job.spec) + (this.opts.graceMs ?? 1000);
    const abort = new AbortController();
    let settled = false;
    const finish = (outcome: RunOutcome | undefined): void => {
      if (settled) return;
      settled = true;
      hard.cancel();
      abort.abort(SETTLED);
      s.running = undefined;
      this.inFlight--;
      if (outcome !== undefined && !this.stopped && !s.removed) {
        this.apply(s, outcome);
        const now = clock.now();
        this.schedule(s, Math.max(s.lastStart + s.job.intervalMs, now) - now);
      }
      this.pump();
    };
    // The hard bound: a check that ignores its own timeout still cannot hold its slot or the real's verdict.
    const hard = clock.setTimeout(
      () => finish({ name, result: { ok: false, reason: `${name} check gave no verdict within ${budget} ms` }, forced: false }),
      budget,
    );
    s.running = { cancel: () => finish(undefined) };
    const deps: RunDeps = { checkers: this.opts.checkers, maintenanceDir: this.maintenanceDir, reverseLookup: this.reverseLookup };
    runJobOnce(job, name, deps, abort.signal).then(finish, (err: unknown) =>
      finish({ name, result: { ok: false, reason: String(err) }, forced: false }),
    );
  }

  private apply(s: JobState, outcome: RunOutcome): void {
    const { result, forced, name } = outcome;
    if (s.job.kind.type === 'combined') {
      // numConnects has not changed since launch, so this is the choice that ran.
      const ran = combinedChoice(s.numConnects, s.job.kind.n);
      s.numConnects = nextConnects(s.numConnects, ran, result.ok);
    }
    const reason = result.ok ? (result.message ?? `${name} check passed`) : result.reason;
    const next = nextState(s.health, { ok: result.ok, reason, forced }, s.job.failureCount);
    s.health = next.health;
    s.reason = reason;
    const now = this.opts.clock.now();
    s.lastCheckedAt = now;
    s.lastDurationMs = now - s.lastStart;
    s.maintenance = forced;
    if (next.transition) s.changedAt = now;
    this.opts.onCheck?.({
      checkId: s.job.id, members: s.job.members, name, ok: result.ok, reason, said: result.ok ? (result.message ?? '') : result.reason, forced, durationMs: s.lastDurationMs,
    });
    for (const m of s.job.members) {
      if (next.softFailure) this.opts.onSoftFailure?.({ ...m, kind: 'failure', ...next.softFailure, reason });
      if (next.resetFailCount !== undefined) {
        this.opts.onSoftFailure?.({ ...m, kind: 'reset', count: next.resetFailCount, limit: s.job.failureCount, reason });
      }
      if (next.transition) this.emit(m, next.transition, reason);
    }
  }

  private emit(m: JobMember, state: 'up' | 'down', reason: string): void {
    this.opts.onTransition({ virtualKey: m.virtualKey, realKey: m.realKey, virtualId: m.virtualId, state, reason });
  }
}

function memberKey(m: JobMember): string {
  return `${m.virtualKey} ${m.realKey}`;
}
