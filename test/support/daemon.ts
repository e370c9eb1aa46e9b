// The in-process daemon as the integration and kernel tests start it: real parser and health
// scheduler, system clock.
import { systemClock } from '../../src/clock.js';
import { runShell } from '../../src/daemon/hooks/exec.js';
import type { Ipvs } from '../../src/ipvs/index.js';
import { LdLogger } from '../../src/log/index.js';
import { Daemon } from '../../src/daemon/daemon.js';
import type { DaemonOptions } from '../../src/daemon/daemon.js';
import { schedulerHealthFactory } from '../../src/daemon/health.js';
import { makeParse } from '../../src/config/load.js';

/** Starts a Daemon for `configPath` on `ipvs`, logging to `logger`: no file watcher, commands succeed without running; `opts` overrides any default. */
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

/** Starts a Daemon on `configPath` logging to `logPath` with the real shell and file watcher (100 ms debounce, 1 s resync); `more` overrides. */
export function startDaemon(configPath: string, logPath: string, ipvs: Ipvs, more: Partial<DaemonOptions> = {}): Promise<Daemon> {
  const logger = new LdLogger({ cfgName: configPath.replace(/^.*\//, ''), target: { kind: 'file', path: logPath } });
  return startTestDaemon({
    configPath,
    ipvs,
    logger,
    runCommand: (c) => runShell(c, logger),
    watch: true,
    watchDebounceMs: 100,
    resyncMs: 1000,
    ...more,
  });
}
