// A reload is applied at once, whatever the checks are doing (issue 16 item 1): the daemon in-process
// under a full check load, an IPVS fake that answers through the event loop like the kernel's netlink.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { systemClock } from '../../src/clock.js';
import type { CheckResult, Checker } from '../../src/checks/types.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { schedulerHealthFactory } from '../../src/daemon/health.js';
import { FakeIpvs } from '../../src/ipvs/index.js';
import type { Ipvs } from '../../src/ipvs/index.js';
import { MemoryLogger } from '../../src/log/index.js';
import { makeParse } from '../../src/config/load.js';
import { staticResolver } from '../../parsers/ldirectord-cf/index.js';

/**
 * The bound this test states: a one-line change reaches the IPVS fake within 2 s on the host (the bench holds
 * the 1 s goal on a quiet machine; jest runs suites side by side on 2 cores). The bug it pins never applied.
 */
const APPLY_BOUND_MS = 2000;
/** Start under the same load (the bug: it never finished). */
const START_BOUND_MS = 5000;
const VIRTUALS = 15;
const REALS_PER_VIRTUAL = 20;

/**
 * What one IPVS call costs: a netlink snapshot is 1 + V request/reply round trips, each a turn of a loaded
 * event loop; in the guest a pass takes tens to hundreds of ms, so verdicts keep arriving while it runs.
 */
const KERNEL_MS = 20;

const addr = (v: number, r: number) => `10.1.${v}.${r + 1}`;

function configText(weights: ReadonlyMap<string, number> = new Map()): string {
  const out = ['checkinterval=1', 'checktimeout=1', 'negotiatetimeout=1', 'failurecount=1', 'quiescent=no', 'autoreload=no', ''];
  for (let v = 0; v < VIRTUALS; v++) {
    out.push(`virtual=10.200.0.${v + 1}:80`);
    for (let r = 0; r < REALS_PER_VIRTUAL; r++) out.push(`\treal=${addr(v, r)}:80 masq ${weights.get(addr(v, r)) ?? 1}`);
    out.push('\tservice=http', '\tchecktype=negotiate', '\trequest="/health"', '\treceive="OK"', '\tscheduler=wrr', '');
  }
  return out.join('\n');
}

/**
 * The check load: every 5th real hangs until its timeout (holding its slot), the first two of each virtual
 * stay up (the reloads change those), the others flap (up, down, up, …); all answer after 0–900 ms, so verdicts, each one a transition, arrive all through the interval
 * and the reconciler is asked for a pass all the time (a loaded guest's checks drift apart the same way).
 * Not `busy`: every check answers up at once (a daemon that starts quietly, then gets loaded).
 */
function loadCheckers(mode: { busy: boolean }): () => Checker {
  const flips = new Map<string, boolean>();
  const checker: Checker = (spec, signal) =>
    new Promise<CheckResult>((resolve) => {
      if (!mode.busy) return resolve({ ok: true });
      const [, , v = 0, last = 0] = spec.host.split('.').map(Number);
      const hang = last % 5 === 0;
      const spread = ((v * REALS_PER_VIRTUAL + last) * 37) % 900;
      const ok = last <= 2 || !(flips.get(spec.host) ?? false);
      flips.set(spec.host, ok);
      const t = setTimeout(() => resolve(hang ? { ok: false, reason: 'timed out' } : ok ? { ok: true } : { ok: false, reason: 'flap' }), hang ? spec.negotiateTimeoutMs : spread);
      signal.addEventListener('abort', () => clearTimeout(t), { once: true });
    });
  return () => checker;
}

/** The fake table, but every call answers after a timer, as netlink's request/reply round trips do. */
function kernelLike(fake: FakeIpvs, ms: number): Ipvs {
  return new Proxy(fake, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function' || prop === 'dump') return v;
      return async (...args: unknown[]) => {
        await new Promise((r) => setTimeout(r, ms));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as Ipvs;
}

let dir: string;
let cfg: string;
let daemon: Daemon | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ldird-load-'));
  cfg = join(dir, 'load.cf');
  writeFileSync(cfg, configText());
});
afterEach(async () => {
  await daemon?.stop('TERM');
  daemon = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function start(mode: { busy: boolean }, fake: FakeIpvs): Promise<Daemon> {
  const logger = new MemoryLogger();
  return Daemon.start({
    configPath: cfg,
    ipvs: kernelLike(fake, KERNEL_MS),
    logger,
    clock: systemClock,
    parse: makeParse(staticResolver({ services: { http: 80 } })),
    runCommand: async () => 0,
    health: schedulerHealthFactory({ clock: systemClock, logger, hostname: 'director', checkers: loadCheckers(mode) }),
    watch: false,
  });
}

/** Resolves to how long it took until `line` is in the fake's table (rejects after `ms`). */
async function appliedWithin(fake: FakeIpvs, line: string, ms: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (fake.dump().split('\n').includes(line)) return Date.now() - t0;
    if (Date.now() - t0 > ms) throw new Error(`"${line}" not in the table after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const destLine = (v: number, r: number, w: number) => `-a -t 10.200.0.${v + 1}:80 -r ${addr(v, r)}:80 -m -w ${w}`;

describe(`a reload under a full check load (${VIRTUALS * REALS_PER_VIRTUAL} reals, flapping and hanging checks)`, () => {
  it(`is applied within ${APPLY_BOUND_MS} ms, and so is the next one`, async () => {
    const mode = { busy: false };
    const fake = new FakeIpvs();
    daemon = await start(mode, fake);
    await appliedWithin(fake, destLine(VIRTUALS - 1, 1, 1), 5000);
    mode.busy = true;
    await new Promise((r) => setTimeout(r, 1500)); // the load is in full swing: every check a transition
    const weights = new Map([[addr(VIRTUALS - 1, 1), 2]]);
    writeFileSync(cfg, configText(weights));
    const first = daemon.reloadOnSignal();
    expect(await appliedWithin(fake, destLine(VIRTUALS - 1, 1, 2), APPLY_BOUND_MS)).toBeLessThanOrEqual(APPLY_BOUND_MS);
    // A second SIGHUP right after must not wait for the reconciler to fall idle (it never does under this load).
    weights.set(addr(VIRTUALS - 1, 0), 3);
    writeFileSync(cfg, configText(weights));
    void daemon.reloadOnSignal();
    expect(await appliedWithin(fake, destLine(VIRTUALS - 1, 0, 3), APPLY_BOUND_MS)).toBeLessThanOrEqual(APPLY_BOUND_MS);
    expect((await first).kind).toBe('reloaded');
    // What status --json shows as perf.lastReloadMs: read + parse, re-plan, until IPVS had it.
    const t = daemon.lastReloadTiming!;
    expect(t.parse).toBeGreaterThan(0);
    expect(t.applied).toBeGreaterThanOrEqual(t.parse + t.plan);
    expect(t.applied).toBeLessThanOrEqual(APPLY_BOUND_MS);
    expect(daemon.reconcile.verdictToWrite.count).toBeGreaterThan(100); // every flap went out
  }, 20_000);

  it('does not keep the daemon from finishing its start (a SIGHUP before that would be lost)', async () => {
    const fake = new FakeIpvs();
    const t0 = Date.now();
    const started = start({ busy: true }, fake);
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([started.then(() => 'started'), new Promise((r) => (timer = setTimeout(() => r('still starting'), START_BOUND_MS)))]);
    clearTimeout(timer);
    if (outcome === 'started') daemon = await started;
    else void started.then((d) => d.stop('TERM'));
    expect({ outcome, ms: Math.min(Date.now() - t0, START_BOUND_MS) }).toEqual({ outcome: 'started', ms: expect.any(Number) });
  }, 20_000);
});
