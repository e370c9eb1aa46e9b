// Adapts src/health's HealthScheduler to the daemon's HealthMonitor; adds soft-failure log lines and monitorfile.
import type { Clock } from '../clock.js';
import { getChecker, preloadCheckers } from '../checks/index.js';
import type { CheckName, Checker, CheckSpec } from '../checks/index.js';
import { HealthScheduler, jobKind, planChecks } from '../health/index.js';
import { virtualKey } from '../model/keys.js';
import type { CheckJob, ReverseLookup } from '../health/index.js';
import { appendMonitor, monitorLine } from '../alerts/monitor.js';
import type { Logger } from '../log/types.js';
import { msg } from '../log/messages.js';
import type { Config } from '../model/config.js';
import type { HealthFactory } from './daemon.js';

/** Options of the scheduler-backed health monitor. */
export interface HealthAdapterOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly hostname: string;
  readonly reverseLookup?: ReverseLookup;
  /** The check registry (default src/checks getChecker). */
  readonly checkers?: (name: CheckName) => Checker;
}

// Upstream does not monitor-log on, off, external-perl, or a failed ping (spec §5.3).
function monitored(name: CheckName, ok: boolean): boolean {
  return !(name === 'on' || name === 'off' || name === 'external-perl' || (name === 'ping' && !ok));
}

/**
 * Writes monitorfile= lines by watching check results on their way to the scheduler. A result is
 * matched to its job (real id, virtuals) by the CheckSpec's content, which planChecks builds
 * deterministically from the config.
 */
class MonitorTap {
  private bySpec = new Map<string, { job: CheckJob; files: string[] }>();

  constructor(private readonly o: HealthAdapterOptions) {}

  update(config: Config): void {
    const files = new Map(config.virtuals.flatMap((v) => (v.monitorFile ? [[virtualKey(v), v.monitorFile] as const] : [])));
    this.bySpec.clear();
    if (files.size === 0) return;
    for (const job of planChecks(config, { hostname: this.o.hostname })) {
      const f = [...new Set(job.members.flatMap((m) => files.get(m.virtualKey) ?? []))];
      if (f.length) this.bySpec.set(JSON.stringify(job.spec), { job, files: f });
    }
  }

  wrap(name: CheckName, checker: Checker): Checker {
    return async (spec: CheckSpec, signal: AbortSignal) => {
      const r = await checker(spec, signal);
      const hit = this.bySpec.size ? this.bySpec.get(JSON.stringify(spec)) : undefined;
      if (hit && monitored(name, r.ok)) {
        const line = monitorLine(this.o.clock.wallNow(), process.pid, hit.job.id, r.ok, r.ok ? (r.message ?? '') : r.reason);
        for (const f of hit.files) {
          const err = appendMonitor(f, line);
          if (err) this.o.logger.log(err);
        }
      }
      return r;
    };
  }
}

/** A HealthFactory over src/health's HealthScheduler. */
export function schedulerHealthFactory(o: HealthAdapterOptions): HealthFactory {
  return (config, onTransition) => {
    const tap = new MonitorTap(o);
    tap.update(config);
    if (!o.checkers) void preloadCheckers(checkNames(config));
    const registry = o.checkers ?? getChecker;
    const scheduler = new HealthScheduler(config, {
      clock: o.clock,
      hostname: o.hostname,
      checkers: (name) => tap.wrap(name, registry(name)),
      ...(o.reverseLookup ? { reverseLookup: o.reverseLookup } : {}),
      onTransition: (t) => onTransition({ svcKey: t.virtualKey, realId: t.realKey, state: t.state, reason: t.reason }),
      onSoftFailure: (e) =>
        o.logger.log(e.kind === 'failure' ? msg.softFailure(e.realKey, e.virtualId, e.count, e.limit) : msg.resetSoftFailure(e.realKey, e.virtualId)),
    });
    return {
      lookup: scheduler.lookup,
      update: (c) => {
        tap.update(c);
        if (!o.checkers) void preloadCheckers(checkNames(c));
        scheduler.update(c);
      },
      stop: () => scheduler.stop(),
    };
  };
}

/** The checks a config runs (their modules are imported before the first checks are due); one look per virtual. */
function checkNames(config: Config): Set<CheckName> {
  const names = new Set<CheckName>();
  for (const v of config.virtuals) {
    const k = jobKind(v);
    if (k.type === 'single') names.add(k.name);
    else names.add(k.negotiate).add(k.connect);
  }
  return names;
}
