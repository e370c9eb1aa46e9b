// The daemon in-process as the integration tests run it: system clock, real shell, the scheduler's health checks.
import { systemClock } from '../../src/clock.js';
import { runShell } from '../../src/daemon/hooks/exec.js';
import type { Ipvs } from '../../src/ipvs/index.js';
import { LdLogger } from '../../src/log/index.js';
import { Daemon } from '../../src/daemon/daemon.js';
import type { DaemonOptions } from '../../src/daemon/daemon.js';
import { schedulerHealthFactory } from '../../src/daemon/health.js';
import { makeParse } from '../../src/config/load.js';

/** Starts a Daemon on `configPath` logging to `logPath` (100 ms watch debounce, 1 s resync); `more` overrides. */
export function startDaemon(configPath: string, logPath: string, ipvs: Ipvs, more: Partial<DaemonOptions> = {}): Promise<Daemon> {
  const logger = new LdLogger({ cfgName: configPath.replace(/^.*\//, ''), target: { kind: 'file', path: logPath } });
  return Daemon.start({
    configPath,
    ipvs,
    logger,
    clock: systemClock,
    parse: makeParse(),
    runCommand: (c) => runShell(c, logger),
    health: schedulerHealthFactory({ clock: systemClock, logger, hostname: 'director' }),
    watchDebounceMs: 100,
    resyncMs: 1000,
    ...more,
  });
}
