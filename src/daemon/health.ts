// Builds the daemon's health side: src/health's HealthScheduler with the real check registry, the
// soft-failure log lines and the monitorfile= hook. The daemon only hears "something changed" and
// asks lookup() by the shared identity (src/model/keys.ts); no payload is renamed on the way.
import type { Clock } from '../clock.js';
import { checkerLoading, getChecker, preloadCheckers } from '../checks/index.js';
import type { CheckName, Checker } from '../checks/index.js';
import { HealthScheduler, jobKind } from '../health/index.js';
import type { CheckEvent, HealthTransition, ReverseLookup } from '../health/index.js';
import type { Logger } from '../log/types.js';
import { msg } from '../log/messages.js';
import type { Config } from '../model/config.js';
import type { HealthFactory } from './daemon.js';
import { monitorFileHook } from './hooks/monitorfile.js';

/** Options of the scheduler-backed health side. */
export interface SchedulerHealthOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly hostname: string;
  readonly reverseLookup?: ReverseLookup;
  /** The check registry (default src/checks getChecker). */
  readonly checkers?: (name: CheckName) => Checker;
  /** Sees every completed check and every transition (metrics). */
  readonly observe?: { onCheck(e: CheckEvent): void; onTransition(t: HealthTransition): void };
}

/** A HealthFactory over src/health's HealthScheduler. */
export function schedulerHealthFactory(o: SchedulerHealthOptions): HealthFactory {
  return (config, changed) => {
    const monitor = monitorFileHook({ clock: o.clock, logger: o.logger });
    monitor.update(config);
    if (!o.checkers) void preloadCheckers(checkNames(config));
    const scheduler = new HealthScheduler(config, {
      clock: o.clock,
      hostname: o.hostname,
      checkers: o.checkers ?? getChecker,
      ...(o.checkers ? {} : { ready: checkerLoading }),
      ...(o.reverseLookup ? { reverseLookup: o.reverseLookup } : {}),
      onTransition: (t) => {
        o.observe?.onTransition(t);
        // Why a real is taken out (issue 13 item 14); the Deleted/quiescent line follows from the reconciler.
        if (t.state === 'down') o.logger.log(msg.checkFailed(t.realKey, t.virtualId, t.reason));
        changed(t);
      },
      onCheck: (e) => {
        o.observe?.onCheck(e);
        if (e.log !== undefined) o.logger.log(e.log);
        if (!e.ok) for (const m of e.members) o.logger.debug(2, msg.checkFailed(m.realKey, m.virtualId, e.reason));
        monitor.onCheck(e);
      },
      onSoftFailure: (e) =>
        o.logger.log(e.kind === 'failure' ? msg.softFailure(e.realKey, e.virtualId, e.count, e.limit) : msg.resetSoftFailure(e.realKey, e.virtualId)),
    });
    return {
      lookup: scheduler.lookup,
      update: (c) => {
        monitor.update(c);
        if (!o.checkers) void preloadCheckers(checkNames(c));
        scheduler.update(c);
      },
      snapshot: () => scheduler.snapshot(),
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
