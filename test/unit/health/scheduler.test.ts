// The health scheduler on a manual clock with fake checkers (the true boundary): periods, caps, hysteresis, reloads.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, staticResolver } from '../../../parsers/ldirectord-cf/index.js';
import { ManualClock } from '../../../src/clock.js';
import type { CheckName, CheckResult, Checker, CheckSpec } from '../../../src/checks/types.js';
import { HealthScheduler, type HealthSchedulerOptions, type HealthTransition, type SoftFailureEvent } from '../../../src/health/index.js';
import type { Config } from '../../../src/model/config.js';

async function configOf(text: string): Promise<Config> {
  const r = await parseConfig(text, { file: 'test.cf', resolver: staticResolver(), hostname: 'director' });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.config;
}

/** Per-host behaviour of the fake checkers: up, down, or hang until aborted. */
type Behaviour = 'up' | 'down' | 'hang';

interface Call {
  readonly name: CheckName;
  readonly host: string;
  readonly at: number;
  readonly signal: AbortSignal;
}

class FakeChecks {
  readonly calls: Call[] = [];
  readonly behaviour = new Map<string, Behaviour>();
  constructor(private readonly clock: ManualClock) {}
  readonly registry = (name: CheckName): Checker => (spec: CheckSpec, signal: AbortSignal): Promise<CheckResult> => {
    this.calls.push({ name, host: spec.host, at: this.clock.now(), signal });
    const b = this.behaviour.get(spec.host) ?? 'up';
    if (b === 'up') return Promise.resolve({ ok: true, message: `${name} ok` });
    if (b === 'down') return Promise.resolve({ ok: false, reason: `${name} ${spec.host}: refused` });
    return new Promise(() => undefined); // never settles, like a check that ignores its signal
  };
  callsFor(host: string): Call[] {
    return this.calls.filter((c) => c.host === host);
  }
}

/** Lets promise callbacks (and, with realMs, fs calls) run between clock steps. */
async function flush(realMs = 0): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  if (realMs > 0) await new Promise((r) => setTimeout(r, realMs));
}

/** Advances the manual clock by `ms` in `step`-ms steps, flushing after each. */
async function tick(clock: ManualClock, ms: number, step = 50, realMs = 0): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(Math.min(step, ms - t));
    await flush(realMs);
  }
}

function harness(extra: Partial<HealthSchedulerOptions> = {}) {
  const clock = new ManualClock();
  const fake = new FakeChecks(clock);
  const transitions: HealthTransition[] = [];
  const soft: SoftFailureEvent[] = [];
  const start = (config: Config) =>
    new HealthScheduler(config, {
      clock,
      checkers: fake.registry,
      onTransition: (t) => transitions.push(t),
      onSoftFailure: (e) => soft.push(e),
      staggerMs: 0,
      reverseLookup: () => Promise.resolve(undefined),
      ...extra,
    });
  return { clock, fake, transitions, soft, start };
}

const TWO_REALS = 'checkinterval=10\nnegotiatetimeout=4\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\treal=10.0.0.3:80 gate\n\tservice=http\n';

describe('HealthScheduler', () => {
  test('only transitions are emitted, each once, with the reason', async () => {
    const h = harness();
    h.fake.behaviour.set('10.0.0.3', 'down');
    const s = h.start(await configOf(TWO_REALS));
    await tick(h.clock, 45_000, 1000);
    expect(h.transitions).toEqual([
      { virtualKey: 'tcp:10.0.0.1:80', realKey: '10.0.0.2:80', virtualId: 'tcp:10.0.0.1:80', state: 'up', reason: 'http ok' },
      { virtualKey: 'tcp:10.0.0.1:80', realKey: '10.0.0.3:80', virtualId: 'tcp:10.0.0.1:80', state: 'down', reason: 'http 10.0.0.3: refused' },
    ]);
    await s.stop();
  });

  test('onCheck reports every completed check, for monitorfile lines', async () => {
    const h = harness();
    const checks: [string, boolean][] = [];
    const s2 = new HealthScheduler(await configOf(TWO_REALS), {
      clock: h.clock, checkers: h.fake.registry, onTransition: () => undefined, staggerMs: 0,
      onCheck: (e) => checks.push([e.members[0]!.realKey, e.ok]),
    });
    await tick(h.clock, 25_000, 1000);
    expect(checks.filter(([r]) => r === '10.0.0.2:80')).toEqual([['10.0.0.2:80', true], ['10.0.0.2:80', true], ['10.0.0.2:80', true]]);
    await s2.stop();
  });

  test('every real is checked once per checkinterval', async () => {
    const h = harness();
    const s = h.start(await configOf(TWO_REALS));
    await tick(h.clock, 35_000, 500);
    expect(h.fake.callsFor('10.0.0.2').map((c) => c.at)).toEqual([0, 10_000, 20_000, 30_000]);
    await s.stop();
  });

  test('first runs are staggered over min(staggerMs, checkinterval)', async () => {
    const h = harness({ staggerMs: 1000 });
    const s = h.start(await configOf('checkinterval=10\nvirtual=10.0.0.1:80\n\treal=10.0.0.2->10.0.0.5:80 gate\n\tservice=http\n'));
    await tick(h.clock, 2000, 50);
    expect(h.fake.calls.map((c) => [c.host, c.at])).toEqual([
      ['10.0.0.2', 0], ['10.0.0.3', 250], ['10.0.0.4', 500], ['10.0.0.5', 750],
    ]);
    await s.stop();
  });

  test('failurecount=3 takes an up real down on the third consecutive failure, with soft failures before', async () => {
    const h = harness();
    const s = h.start(await configOf(`failurecount=3\n${TWO_REALS}`));
    await tick(h.clock, 5_000, 1000);
    h.fake.behaviour.set('10.0.0.2', 'down');
    await tick(h.clock, 30_000, 1000); // failures at 10 s, 20 s, 30 s
    const downs = h.transitions.filter((t) => t.realKey === '10.0.0.2:80' && t.state === 'down');
    expect(downs).toHaveLength(1);
    expect(h.soft.filter((e) => e.realKey === '10.0.0.2:80').map((e) => [e.kind, e.count, e.limit])).toEqual([
      ['failure', 1, 3],
      ['failure', 2, 3],
    ]);
    await s.stop();
  });

  test('a real listed in two virtuals is checked once; its recovery resets the failure count in each (docs/compatibility.md P8)', async () => {
    const h = harness();
    const twice = `${TWO_REALS}virtual=10.0.0.9:80\n\treal=10.0.0.2:80 gate\n\tservice=http\n`;
    const s = h.start(await configOf(twice));
    await tick(h.clock, 5_000, 1000);
    h.fake.behaviour.set('10.0.0.2', 'down');
    await tick(h.clock, 10_000, 1000);
    h.fake.behaviour.set('10.0.0.2', 'up');
    await tick(h.clock, 10_000, 1000);
    expect(h.fake.callsFor('10.0.0.2')).toHaveLength(3); // one check per pass, not one per virtual
    const resets = h.soft.filter((e) => e.kind === 'reset' && e.realKey === '10.0.0.2:80').map((e) => e.virtualKey);
    expect(resets.sort()).toEqual(['tcp:10.0.0.1:80', 'tcp:10.0.0.9:80']);
    await s.stop();
  });

  test('loading a check module is not check time: the budget starts when the code is ready (parity under TCG)', async () => {
    let loaded = false;
    let done: () => void = () => undefined;
    const loading = new Promise<void>((r) => (done = r));
    const h = harness({ graceMs: 1000, ready: () => (loaded ? undefined : loading) });
    const s = h.start(await configOf(TWO_REALS));
    await tick(h.clock, 8_000, 100); // longer than negotiatetimeout 4 s + grace: a cold import on a starved CPU
    expect(h.fake.calls).toEqual([]);
    expect(h.transitions).toEqual([]);
    expect(s.running).toBe(2); // the slots are held while waiting
    loaded = true;
    done();
    await flush();
    expect(h.fake.calls.map((c) => c.at)).toEqual([8_000, 8_000]);
    expect(h.transitions.map((t) => t.state)).toEqual(['up', 'up']);
    await tick(h.clock, 10_000, 500);
    expect(h.fake.callsFor('10.0.0.2').map((c) => c.at)).toEqual([8_000, 18_000]);
    await s.stop();
    expect(s.running).toBe(0);
  });

  test('stop() while a check waits for its code releases the slot and runs nothing', async () => {
    const h = harness({ ready: () => new Promise<void>(() => undefined) });
    const s = h.start(await configOf(TWO_REALS));
    await tick(h.clock, 1_000, 100);
    expect(s.running).toBe(2);
    await s.stop();
    expect(s.running).toBe(0);
    await tick(h.clock, 20_000, 1_000);
    expect(h.fake.calls).toEqual([]);
  });

  test('a hung check is aborted at its budget plus grace and the real goes down, while others stay on schedule', async () => {
    const h = harness({ graceMs: 1000 });
    h.fake.behaviour.set('10.0.0.3', 'hang');
    const s = h.start(await configOf(TWO_REALS));
    await tick(h.clock, 4_900, 100);
    expect(h.transitions.filter((t) => t.realKey === '10.0.0.3:80')).toEqual([]);
    await tick(h.clock, 200, 100); // negotiatetimeout 4 s + grace 1 s
    const down = h.transitions.find((t) => t.realKey === '10.0.0.3:80');
    expect(down).toMatchObject({ state: 'down', reason: 'http check gave no verdict within 5000 ms' });
    expect(h.fake.callsFor('10.0.0.3')[0]?.signal.aborted).toBe(true);
    await tick(h.clock, 20_000, 500);
    expect(h.fake.callsFor('10.0.0.2').map((c) => c.at)).toEqual([0, 10_000, 20_000]);
    expect(h.fake.callsFor('10.0.0.3').map((c) => c.at)).toEqual([0, 10_000, 20_000]);
    await s.stop();
  });

  test('no more than maxInFlight checks run at once; the rest wait their turn', async () => {
    const h = harness({ maxInFlight: 2 });
    for (const a of ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5']) h.fake.behaviour.set(a, 'hang');
    const s = h.start(await configOf('checkinterval=10\nnegotiatetimeout=4\nvirtual=10.0.0.1:80\n\treal=10.0.0.2->10.0.0.5:80 gate\n\tservice=http\n'));
    await tick(h.clock, 1000, 100);
    expect(h.fake.calls).toHaveLength(2);
    expect(s.running).toBe(2);
    await tick(h.clock, 4500, 100); // the first two time out at 5 s; the next two start then
    expect(h.fake.calls.map((c) => [c.host, c.at])).toEqual([
      ['10.0.0.2', 0], ['10.0.0.3', 0], ['10.0.0.4', 5000], ['10.0.0.5', 5000],
    ]);
    await s.stop();
  });

  test('checktype=2 negotiates first, then connects twice, then negotiates again', async () => {
    const h = harness();
    const s = h.start(await configOf('checkinterval=1\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tservice=http\n\tchecktype=2\n'));
    await tick(h.clock, 4_500, 250);
    expect(h.fake.calls.map((c) => c.name)).toEqual(['http', 'connect', 'connect', 'http', 'connect']);
    await s.stop();
  });

  test('a maintenance file forces the real down without checking it; removing it brings the real back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ldng-maint-'));
    try {
      const h = harness();
      const s = h.start(await configOf(`maintenancedir=${dir}\n${TWO_REALS}`));
      // The maintenance lookup is real file I/O: wait (bounded) for the first verdict rather than a fixed real time.
      for (let i = 0; i < 200 && !h.transitions.some((t) => t.realKey === '10.0.0.2:80'); i++) await tick(h.clock, 500, 500, 5);
      writeFileSync(join(dir, '10.0.0.2:80'), '');
      await tick(h.clock, 10_000, 500, 5);
      const down = h.transitions.filter((t) => t.realKey === '10.0.0.2:80');
      expect(down.map((t) => t.state)).toEqual(['up', 'down']);
      expect(down[1]?.reason).toMatch(/^Server in maintenance/);
      expect(h.fake.callsFor('10.0.0.2')).toHaveLength(1);
      rmSync(join(dir, '10.0.0.2:80'));
      await tick(h.clock, 10_000, 500, 5);
      expect(h.transitions.filter((t) => t.realKey === '10.0.0.2:80').map((t) => t.state)).toEqual(['up', 'down', 'up']);
      await s.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('update() keeps the state of unchanged reals, checks new ones and drops removed ones', async () => {
    const h = harness();
    const s = h.start(await configOf(TWO_REALS));
    await tick(h.clock, 1000, 500);
    expect(h.transitions).toHaveLength(2);
    s.update(await configOf('checkinterval=10\nnegotiatetimeout=4\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\treal=10.0.0.4:80 gate\n\tservice=http\n'));
    await tick(h.clock, 1000, 500);
    // 10.0.0.2 kept its state (no new transition, no extra check); 10.0.0.4 is new and checked at once.
    expect(h.transitions.slice(2).map((t) => t.realKey)).toEqual(['10.0.0.4:80']);
    expect(h.fake.callsFor('10.0.0.2')).toHaveLength(1);
    expect(s.snapshot().map((e) => [e.realKey, e.state])).toEqual([['10.0.0.2:80', 'up'], ['10.0.0.4:80', 'up']]);
    expect(s.lookup('tcp:10.0.0.1:80', '10.0.0.3:80')).toBeUndefined();
    await tick(h.clock, 30_000, 1000);
    expect(h.fake.callsFor('10.0.0.3')).toHaveLength(1);
    await s.stop();
  });

  test('a virtual added on update that holds an already checked real learns its state at once', async () => {
    const h = harness();
    const s = h.start(await configOf(TWO_REALS));
    await tick(h.clock, 1000, 500);
    s.update(await configOf(`${TWO_REALS}\nvirtual=10.0.0.9:80\n\treal=10.0.0.2:80 gate\n\tservice=http\n`));
    expect(h.transitions.at(-1)).toMatchObject({ virtualKey: 'tcp:10.0.0.9:80', realKey: '10.0.0.2:80', state: 'up' });
    expect(s.lookup('tcp:10.0.0.9:80', '10.0.0.2:80')).toBe('up');
    await s.stop();
  });

  test('a one-line reload re-plans only that real: the others keep their schedule, the changed one is checked at once', async () => {
    const h = harness();
    const many = (w: number) =>
      `checkinterval=10\nnegotiatetimeout=4\n${Array.from({ length: 20 }, (_, v) =>
        `virtual=10.1.${v}.1:80\n${Array.from({ length: 5 }, (_, r) => `\treal=10.2.${v}.${r + 1}:80 masq ${v === 19 && r === 4 ? w : 1}\n`).join('')}\tservice=http\n`).join('')}`;
    const s = h.start(await configOf(many(1)));
    await tick(h.clock, 3000, 500);
    expect(h.fake.calls).toHaveLength(100);
    const before = h.transitions.length;
    s.update(await configOf(many(2)));
    await tick(h.clock, 500, 500);
    // Only the changed real (a new real id: weight is part of it) is checked now; its pair reports again.
    expect(h.fake.calls.slice(100).map((c) => c.host)).toEqual(['10.2.19.5']);
    expect(h.transitions.slice(before).map((t) => t.realKey)).toEqual(['10.2.19.5:80']);
    // The others keep their phase: checked again only at their interval (t = 10 s), once each.
    await tick(h.clock, 6000, 1000);
    expect(h.fake.calls).toHaveLength(101);
    await tick(h.clock, 1000, 500);
    expect(h.fake.calls).toHaveLength(200);
    await s.stop();
  });

  test('one clock timer for every job and every hard bound, however many reals (no timer per check)', async () => {
    const h = harness();
    const reals = Array.from({ length: 100 }, (_, i) => `\treal=10.3.0.${i + 1}:80 gate\n`).join('');
    for (let i = 1; i <= 50; i++) h.fake.behaviour.set(`10.3.0.${i}`, 'hang');
    const s = h.start(await configOf(`checkinterval=10\nnegotiatetimeout=4\nvirtual=10.0.0.1:80\n${reals}\tservice=http\n`));
    expect(h.clock.pending()).toBe(1);
    await tick(h.clock, 100, 50);
    expect(s.running).toBe(50); // 50 hung checks, each with a hard bound, 50 next runs: still one timer
    expect(h.clock.pending()).toBe(1);
    await tick(h.clock, 5000, 500); // the hung ones hit their bound (4 s + 1 s grace)
    expect(s.running).toBe(0);
    expect(h.transitions.filter((t) => t.state === 'down')).toHaveLength(50);
    expect(h.clock.pending()).toBe(1);
    await s.stop();
    expect(h.clock.pending()).toBe(0);
  });

  test('stop() aborts running checks and nothing runs afterwards', async () => {
    const h = harness();
    h.fake.behaviour.set('10.0.0.2', 'hang');
    const s = h.start(await configOf(TWO_REALS));
    await tick(h.clock, 100, 50);
    const hung = h.fake.callsFor('10.0.0.2')[0];
    await s.stop();
    expect(hung?.signal.aborted).toBe(true);
    const n = h.fake.calls.length;
    await tick(h.clock, 60_000, 5000);
    expect(h.fake.calls).toHaveLength(n);
    expect(h.clock.pending()).toBe(0);
  });
});
