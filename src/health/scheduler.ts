// The health scheduler: every real id checked every checkinterval, concurrently under a cap, with an injected clock.
import { hostname as osHostname } from 'node:os';
import type { Clock, TimerHandle } from '../clock.js';
import type { CheckName, CheckResult, Checker } from '../checks/types.js';
import type { Config } from '../model/config.js';
import { findMaintenanceFile, systemReverseLookup, type ReverseLookup } from './maintenance.js';
import { FORCE_NEGOTIATE, INITIAL_HEALTH, combinedChoice, nextConnects, nextState, type RealHealth } from './policy.js';
import { CheckPlanner, checkBudgetMs, type CheckJob, type JobMember } from './spec.js';
import { DueHeap } from './due-heap.js';

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
  /** A line the check asks to be logged as is (CheckResult.log), once per check. */
  readonly log?: string;
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
  /** When its next run is due (clock ms); a heap entry for another time is stale. */
  dueAt: number | undefined;
  queued: boolean;
  /** The running check (finish(s, running) aborts it and releases its slot). */
  running: Running | undefined;
  removed: boolean;
}

/** One running check: its abort, and what the hard bound reports. */
interface Running {
  readonly name: CheckName;
  readonly abort: AbortController;
  /** Set when the check starts (after its code has loaded). */
  budgetMs: number;
  settled: boolean;
}

/** A heap entry: a job's next run, or the hard bound of a running check (stale once that check settled). */
type Timed = { readonly s: JobState; readonly run?: Running };

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
  /**
   * virtualKey → realKey → the jobs checking that pair: lookup() runs once per real per reconcile pass, so it
   * must not scan, nor build a key text (10,000 strings per pass at 10,000 reals).
   */
  private readonly byMember = new Map<string, Map<string, JobState[]>>();
  private readonly planner = new CheckPlanner();
  /** Jobs due and waiting for a slot, in due order from `head` on (a retired job is skipped, not spliced out). */
  private queue: JobState[] = [];
  private head = 0;
  /** Every next run and every hard bound, behind one clock timer armed for the earliest. */
  private readonly heap = new DueHeap<Timed>();
  private armed: { at: number; timer: TimerHandle } | undefined;
  private inFlight = 0;
  private stopped = false;
  private maintenanceDir: string | undefined;
  private deps: RunDeps | undefined;
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
    const list = this.byMember.get(virtualKey)?.get(realKey);
    if (list === undefined) return undefined;
    for (const s of list) if (s.health.state !== 'unknown') return s.health.state;
    return undefined;
  };

  /** Stops all checking: cancels timers and aborts running checks (their sockets close on the abort). */
  stop(): Promise<void> {
    this.stopped = true;
    for (const s of this.states.values()) this.retire(s);
    this.queue = [];
    this.head = 0;
    this.heap.clear();
    this.armed?.timer.cancel();
    this.armed = undefined;
    return Promise.resolve();
  }

  private install(config: Config): void {
    this.maintenanceDir = config.global.maintenanceDir;
    this.deps = { checkers: this.opts.checkers, maintenanceDir: this.maintenanceDir, reverseLookup: this.reverseLookup };
    // Same default as the config loader's (upstream: $HOSTNAME, else uname -n).
    const hostname = this.opts.hostname ?? (process.env['HOSTNAME'] || osHostname());
    const fresh: JobState[] = [];
    // A reload that changed a few virtuals touches only their jobs (issue 16 item 4); else every job is looked at,
    // and unchanged virtuals still come back as the same job objects.
    const delta = this.states.size > 0 ? this.planner.replan(config, { hostname }) : undefined;
    if (delta) {
      for (const id of delta.removed) this.drop(id);
      for (const job of delta.added) this.upsert(job, fresh);
    } else {
      const jobs = this.planner.plan(config, { hostname });
      const keep = new Set<string>();
      for (const job of jobs) {
        keep.add(job.id);
        this.upsert(job, fresh);
      }
      if (keep.size !== this.states.size) for (const id of [...this.states.keys()]) if (!keep.has(id)) this.drop(id);
    }
    this.stagger(fresh);
  }

  /** Takes in a planned job: a known id keeps its state (and schedule) with the new job; a new id starts unchecked. */
  private upsert(job: CheckJob, fresh: JobState[]): void {
    const old = this.states.get(job.id);
    if (old) {
      if (old.job === job) return;
      const before = new Set(old.job.members.map(memberKey));
      this.unindex(old);
      old.job = job;
      this.index(old);
      // A pair that joins an already checked real learns its state at once.
      if (old.health.state !== 'unknown') {
        for (const m of job.members) {
          if (!before.has(memberKey(m))) this.emit(m, old.health.state, old.reason ?? 'state of the same real in another virtual');
        }
      }
      return;
    }
    const s: JobState = {
      job, health: INITIAL_HEALTH, numConnects: FORCE_NEGOTIATE, lastStart: 0, maintenance: false, queued: false, removed: false, dueAt: undefined, running: undefined,
    };
    this.states.set(job.id, s);
    this.index(s);
    fresh.push(s);
  }

  /** A job no longer planned: its checks stop. */
  private drop(id: string): void {
    const s = this.states.get(id);
    if (!s) return;
    this.retire(s);
    this.unindex(s);
    this.states.delete(id);
  }

  /** Adds a job's pairs to byMember (in job order: lookup takes the first checked job of a pair). */
  private index(s: JobState): void {
    for (const m of s.job.members) {
      let reals = this.byMember.get(m.virtualKey);
      if (!reals) this.byMember.set(m.virtualKey, (reals = new Map()));
      const list = reals.get(m.realKey);
      if (list) list.push(s);
      else reals.set(m.realKey, [s]);
    }
  }

  private unindex(s: JobState): void {
    for (const m of s.job.members) {
      const reals = this.byMember.get(m.virtualKey);
      const list = reals?.get(m.realKey);
      if (!reals || !list) continue;
      const rest = list.filter((x) => x !== s);
      if (rest.length) reals.set(m.realKey, rest);
      else if (reals.delete(m.realKey) && reals.size === 0) this.byMember.delete(m.virtualKey);
    }
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
    s.dueAt = undefined; // its heap entry goes stale; a queued entry is skipped by pump()
    s.queued = false;
    if (s.running) this.finish(s, s.running, undefined);
  }

  private schedule(s: JobState, delayMs: number): void {
    const at = this.opts.clock.now() + Math.max(0, delayMs);
    s.dueAt = at;
    this.heap.push({ at, item: { s } });
    this.arm();
  }

  /** Keeps the one clock timer set for the earliest heap entry. */
  private arm(): void {
    const top = this.heap.peek();
    if (top === undefined || this.stopped) return;
    if (this.armed && this.armed.at <= top.at) return;
    this.armed?.timer.cancel();
    const at = top.at;
    this.armed = { at, timer: this.opts.clock.setTimeout(() => this.fire(at), at - this.opts.clock.now()) };
  }

  /** The timer: every entry due by now runs (stale ones are dropped), then the timer is set for the next. */
  private fire(at: number): void {
    if (this.armed?.at === at) this.armed = undefined;
    const now = this.opts.clock.now();
    for (let top = this.heap.peek(); top !== undefined && top.at <= now; top = this.heap.peek()) {
      this.heap.pop();
      const { s, run } = top.item;
      if (run === undefined) {
        if (s.dueAt === top.at && !s.removed) {
          s.dueAt = undefined;
          this.enqueue(s);
        }
      } else if (s.running === run && !run.settled) {
        // The hard bound: a check that ignores its own timeout still cannot hold its slot or the real's verdict.
        this.finish(s, run, { name: run.name, result: { ok: false, reason: `${run.name} check gave no verdict within ${run.budgetMs} ms` }, forced: false });
      }
    }
    this.arm();
  }

  private enqueue(s: JobState): void {
    if (this.stopped || s.removed || s.queued || s.running) return;
    s.queued = true;
    this.queue.push(s);
    this.pump();
  }

  private pump(): void {
    const max = Math.max(1, this.opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
    while (!this.stopped && this.inFlight < max && this.head < this.queue.length) {
      const s = this.queue[this.head++]!;
      if (s.queued && !s.removed) this.launch(s);
    }
    // Drop the consumed front now and then (shift() per check would be O(n) at 10,000 queued).
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private launch(s: JobState): void {
    s.queued = false;
    this.inFlight++;
    const name = nextCheckName(s.job, s.numConnects);
    const run: Running = { name, abort: new AbortController(), budgetMs: 0, settled: false };
    s.running = run;
    const ready = this.opts.ready?.(name);
    if (ready === undefined) return this.start(s, run);
    // Waiting for the check's code holds the slot; a cancel meanwhile settles the run (finish), so go() is a no-op.
    const go = (): void => {
      if (!run.settled) this.start(s, run);
    };
    ready.then(go, go);
  }

  /** Starts the check of `run` in the slot launch() took: its budget and hard bound begin now. */
  private start(s: JobState, run: Running): void {
    const clock = this.opts.clock;
    s.lastStart = clock.now();
    const job = s.job;
    const name = run.name;
    const budgetMs = checkBudgetMs(name, job.spec) + (this.opts.graceMs ?? 1000);
    run.budgetMs = budgetMs;
    this.heap.push({ at: s.lastStart + budgetMs, item: { s, run } });
    this.arm();
    const deps = this.deps ?? { checkers: this.opts.checkers, maintenanceDir: this.maintenanceDir, reverseLookup: this.reverseLookup };
    runJobOnce(job, name, deps, run.abort.signal).then(
      (outcome) => this.finish(s, run, outcome),
      (err: unknown) => this.finish(s, run, { name, result: { ok: false, reason: String(err) }, forced: false }),
    );
  }

  /** A check settled (verdict, hard bound) or was cancelled (outcome undefined): its slot is free at once. */
  private finish(s: JobState, run: Running, outcome: RunOutcome | undefined): void {
    if (run.settled) return;
    run.settled = true;
    run.abort.abort(SETTLED);
    if (s.running === run) s.running = undefined;
    this.inFlight--;
    if (outcome !== undefined && !this.stopped && !s.removed) {
      this.apply(s, outcome);
      const now = this.opts.clock.now();
      this.schedule(s, Math.max(s.lastStart + s.job.intervalMs, now) - now);
    }
    this.pump();
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
      ...(!result.ok && result.log !== undefined ? { log: result.log } : {}),
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
