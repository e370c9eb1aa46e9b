// Why a real goes down is logged: on each transition to down, and at -d for every failed check (issue 13 item 14).
import { systemClock } from '../../../src/clock.js';
import type { CheckResult } from '../../../src/checks/types.js';
import { makeParse } from '../../../src/config/load.js';
import { schedulerHealthFactory } from '../../../src/daemon/health.js';
import { MemoryLogger } from '../../../src/log/index.js';
import { staticResolver } from '../../../parsers/ldirectord-cf/index.js';

/** One real checked every second by `check` (call n gets n) until it has run twice; returns the log and the call count. */
async function runChecks(check: (n: number) => CheckResult): Promise<{ logger: MemoryLogger; calls: number }> {
  const parse = makeParse(staticResolver({ services: { http: 80 } }));
  const r = await parse('checkinterval=1\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tchecktype=connect\n', '/x.cf');
  if (!r.ok) throw new Error(r.errors.join('\n'));
  const logger = new MemoryLogger();
  let calls = 0;
  const health = schedulerHealthFactory({
    clock: systemClock, logger, hostname: 'director',
    checkers: () => async () => check(++calls),
  })(r.config, () => undefined);
  try {
    const t0 = Date.now();
    while (calls < 2 && Date.now() - t0 < 5000) await new Promise((res) => setTimeout(res, 50));
  } finally {
    health.stop();
  }
  return { logger, calls };
}

it('logs "Check failed: real server REAL (VIRTUAL): REASON" once at the transition and as DEBUG2 for every failure', async () => {
  const { logger } = await runChecks((n) => ({ ok: false, reason: `connect to 10.0.0.2:80: refused\n#${n}` }));
  expect(logger.lines.filter((l) => l.startsWith('Check failed'))).toEqual(['Check failed: real server 10.0.0.2:80 (tcp:10.0.0.1:80): connect to 10.0.0.2:80: refused #1']);
  expect(logger.debugLines.filter((l) => l.startsWith('DEBUG2: Check failed')).length).toBeGreaterThanOrEqual(2);
});

it("logs a check's own line (upstream's exec failure) at every check, not only at the transition", async () => {
  const line = 'Exiting with exit_status 127: exec(/opt/check.sh 10.0.0.1 80 10.0.0.2 80) failed: No such file or directory';
  const { logger, calls } = await runChecks(() => ({ ok: false, reason: 'could not run: ENOENT', log: line }));
  // One line per completed check (a check still in flight at stop() completes unlogged).
  const logged = logger.lines.filter((l) => l === line).length;
  expect(logged).toBeGreaterThanOrEqual(2);
  expect(logged).toBeLessThanOrEqual(calls);
});
