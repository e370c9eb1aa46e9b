// Interim health monitor for the daemon (planChecks + registry + nextState), until src/health's scheduler lands.
import type { Clock, TimerHandle } from '../clock.js';
import { getChecker } from '../checks/index.js';
import { findMaintenanceFile } from '../health/maintenance.js';
import type { ReverseLookup } from '../health/maintenance.js';
import { INITIAL_HEALTH, nextState } from '../health/policy.js';
import type { RealHealth, Verdict } from '../health/policy.js';
import { checkBudgetMs, planChecks } from '../health/spec.js';
import type { CheckJob } from '../health/spec.js';
import type { Logger } from '../log/types.js';
import { msg } from '../log/messages.js';
import type { Config } from '../model/config.js';
import type { HealthFactory, HealthMonitor, HealthTransition } from './daemon.js';

interface JobState {
  job: CheckJob;
  health: RealHealth;
  timer: TimerHandle | undefined;
  abort: AbortController | undefined;
  stopped: boolean;
}

/** Options of the interim monitor. */
export interface SimpleHealthOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly hostname: string;
  readonly reverse?: ReverseLookup;
}

/** A HealthFactory running one loop per real id: check, apply failurecount, report transitions, sleep. */
export function simpleHealthFactory(o: SimpleHealthOptions): HealthFactory {
  return (config, onTransition) => new SimpleHealth(config, onTransition, o);
}

class SimpleHealth implements HealthMonitor {
  private jobs = new Map<string, JobState>();
  private state = new Map<string, 'up' | 'down'>();
  private maintenanceDir: string | undefined;

  constructor(
    config: Config,
    private readonly onTransition: (t: HealthTransition) => void,
    private readonly o: SimpleHealthOptions,
  ) {
    this.update(config);
  }

  readonly lookup = (svcKey: string, realId: string) => this.state.get(`${svcKey}|${realId}`);

  update(config: Config): void {
    this.maintenanceDir = config.global.maintenanceDir;
    const next = planChecks(config, { hostname: this.o.hostname });
    const ids = new Set(next.map((j) => j.id));
    for (const [id, s] of this.jobs) {
      if (ids.has(id)) continue;
      this.halt(s);
      this.jobs.delete(id);
    }
    const live = new Set<string>();
    for (const job of next) {
      for (const m of job.members) live.add(`${m.virtualKey}|${m.realKey}`);
      const old = this.jobs.get(job.id);
      if (old) {
        old.job = job; // same id ⇒ same check; members may have changed
        if (old.health.state !== 'unknown') for (const m of job.members) this.state.set(`${m.virtualKey}|${m.realKey}`, old.health.state);
        continue;
      }
      const s: JobState = { job, health: INITIAL_HEALTH, timer: undefined, abort: undefined, stopped: false };
      this.jobs.set(job.id, s);
      void this.run(s);
    }
    for (const k of [...this.state.keys()]) if (!live.has(k)) this.state.delete(k);
  }

  private halt(s: JobState): void {
    s.stopped = true;
    s.timer?.cancel();
    s.abort?.abort();
  }

  private async verdict(job: CheckJob): Promise<Verdict> {
    if (this.maintenanceDir) {
      const hit = await findMaintenanceFile(this.maintenanceDir, job.realAddress, job.realPort, this.o.reverse ?? (async () => undefined));
      if (hit) return { ok: false, reason: 'Server in maintenance', forced: true };
    }
    const name = job.kind.type === 'single' ? job.kind.name : job.kind.negotiate;
    const abort = new AbortController();
    const budget = checkBudgetMs(name, job.spec);
    const t = this.o.clock.setTimeout(() => abort.abort(), budget + 1000);
    try {
      const r = await getChecker(name)(job.spec, abort.signal);
      return r.ok ? { ok: true, reason: r.message ?? '' } : { ok: false, reason: r.reason };
    } catch (err) {
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    } finally {
      t.cancel();
    }
  }

  private async run(s: JobState): Promise<void> {
    if (s.stopped) return;
    const v = await this.verdict(s.job);
    if (s.stopped) return;
    const n = nextState(s.health, v, s.job.failureCount);
    s.health = n.health;
    for (const m of s.job.members) {
      if (n.softFailure) this.o.logger.log(msg.softFailure(m.realKey, m.virtualId, n.softFailure.count, n.softFailure.limit));
      if (n.resetFailCount) this.o.logger.log(msg.resetSoftFailure(m.realKey, m.virtualId));
    }
    if (n.transition) {
      for (const m of s.job.members) {
        this.state.set(`${m.virtualKey}|${m.realKey}`, n.transition);
        this.onTransition({ svcKey: m.virtualKey, realId: m.realKey, state: n.transition, reason: v.reason });
      }
    }
    s.timer = this.o.clock.setTimeout(() => void this.run(s), s.job.intervalMs);
  }

  async stop(): Promise<void> {
    for (const s of this.jobs.values()) this.halt(s);
    this.jobs.clear();
  }
}
