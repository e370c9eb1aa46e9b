// The in-process daemon as the integration and kernel tests start it: real parser and health
// scheduler, system clock, no file watcher, commands succeed without running.
import { systemClock } from '../../src/clock.js';
import { Daemon } from '../../src/daemon/daemon.js';
import type { DaemonOptions } from '../../src/daemon/daemon.js';
import { schedulerHealthFactory } from '../../src/daemon/health.js';
import { makeParse } from '../../src/config/load.js';

/** Starts a Daemon for `configPath` on `ipvs`, logging to `logger`; `more` overrides any default. */
export function startTestDaemon(opts: Pick<DaemonOptions, 'configPath' | 'ipvs' | 'logger'> & Partial<DaemonOptions>): Promise<Daemon> {
  return Daemon.start({
    clock: systemClock,
    parse: makeParse(),
    runCommand: async () => 0,
    health: schedulerHealthFactory({ clock: systemClock, logger: opts.logger, hostname: 'director' }),
    watch: false,
    ...opts,
  });
}
