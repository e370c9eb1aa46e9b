// The coalescing runner under a manual clock: no overlap, bursts coalesce, periodic resync, errors retried.
import { ManualClock } from '../../../src/clock.js';
import { Runner } from '../../../src/reconcile/runner.js';

function setup(passImpl?: () => Promise<void>) {
  const clock = new ManualClock();
  const starts: number[] = [];
  const errors: unknown[] = [];
  const runner = new Runner({
    clock,
    minIntervalMs: 100,
    resyncMs: 5000,
    pass: async () => {
      starts.push(clock.now());
      if (passImpl) await passImpl();
    },
    onError: (e) => errors.push(e),
  });
  return { clock, runner, starts, errors };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Runner', () => {
  it('runs the first pass at once when started', async () => {
    const { clock, runner, starts } = setup();
    runner.start();
    clock.advance(0);
    await tick();
    expect(starts).toEqual([0]);
    await runner.stop();
  });

  it('coalesces a burst of requests into one pass after the minimum interval', async () => {
    const { clock, runner, starts } = setup();
    runner.start();
    clock.advance(0);
    await tick();
    for (let i = 0; i < 10; i++) runner.request();
    clock.advance(50);
    await tick();
    expect(starts).toEqual([0]);
    clock.advance(50);
    await tick();
    expect(starts).toEqual([0, 100]);
    await runner.stop();
  });

  it('never overlaps passes and runs exactly one more after requests made during a pass', async () => {
    let release: () => void = () => undefined;
    let active = 0;
    let maxActive = 0;
    const { clock, runner, starts } = setup(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise<void>((r) => (release = r));
      active--;
    });
    runner.start();
    clock.advance(0);
    await tick();
    runner.request();
    runner.request();
    clock.advance(500);
    await tick();
    expect(starts).toHaveLength(1);
    release();
    await tick();
    clock.advance(0);
    await tick();
    expect(starts).toHaveLength(1);
    // The 500 ms pass stretches the gap between starts to 1000 ms (at most half the time in passes).
    clock.advance(500);
    await tick();
    expect(starts).toEqual([0, 1000]);
    expect(maxActive).toBe(1);
    release();
    await tick();
    await runner.stop();
  });

  it('resyncs periodically without any request', async () => {
    const { clock, runner, starts } = setup();
    runner.start();
    clock.advance(0);
    await tick();
    clock.advance(5000);
    await tick();
    clock.advance(5000);
    await tick();
    expect(starts).toEqual([0, 5000, 10000]);
    await runner.stop();
  });

  it('reports a failed pass and keeps running passes afterwards', async () => {
    let n = 0;
    const { clock, runner, starts, errors } = setup(async () => {
      if (n++ === 0) throw new Error('boom');
    });
    runner.start();
    clock.advance(0);
    await tick();
    expect(errors).toHaveLength(1);
    runner.request();
    clock.advance(100);
    await tick();
    expect(starts).toEqual([0, 100]);
    await runner.stop();
  });

  it('does nothing after stop', async () => {
    const { clock, runner, starts } = setup();
    runner.start();
    clock.advance(0);
    await tick();
    await runner.stop();
    runner.request();
    clock.advance(10000);
    await tick();
    expect(starts).toEqual([0]);
    expect(clock.pending()).toBe(0);
  });
  it('stretches the gap between pass starts to the last pass duration when that is longer than the minimum', async () => {
    let release: () => void = () => undefined;
    const { clock, runner, starts } = setup(() => new Promise<void>((r) => (release = r)));
    runner.start();
    clock.advance(0);
    await tick();
    clock.advance(300); // the first pass takes 300 ms
    release();
    await tick();
    runner.request();
    clock.advance(250); // the 100 ms minimum is long past, but a 300 ms pass asks for 600 ms between starts
    await tick();
    expect(starts).toEqual([0]);
    clock.advance(50);
    await tick();
    expect(starts).toEqual([0, 600]);
    release();
    await runner.stop();
  });

  it('does not count the time a pass waited for the kernel in the stretch (a slow read leaves the loop to the checks)', async () => {
    let release: (waited: number) => void = () => undefined;
    const clock = new ManualClock();
    const starts: number[] = [];
    const runner = new Runner({
      clock,
      minIntervalMs: 100,
      resyncMs: 5000,
      pass: () => {
        starts.push(clock.now());
        return new Promise<number>((r) => (release = r));
      },
    });
    runner.start();
    clock.advance(0);
    await tick();
    clock.advance(3000); // a 3 s pass, of which 2.95 s awaited the kernel: 50 ms busy
    release(2950);
    await tick();
    runner.request();
    clock.advance(0); // the 100 ms minimum since the last start is long past; 2 × 3 s would wait until 6000
    await tick();
    expect(starts).toEqual([0, 3000]);
    release(0);
    await runner.stop();
  });

  it('runs an urgent request (a config change) at once, not after the stretched gap, and right after a running pass', async () => {
    let release: () => void = () => undefined;
    const { clock, runner, starts } = setup(() => new Promise<void>((r) => (release = r)));
    runner.start();
    clock.advance(0);
    await tick();
    clock.advance(300);
    release();
    await tick();
    runner.request(); // health traffic: waits for 600 ms after the last start
    runner.request(true); // the reload: now
    clock.advance(0);
    await tick();
    expect(starts).toEqual([0, 300]);
    runner.request(true); // during the pass: the next starts as soon as it ends
    clock.advance(100);
    release();
    await tick();
    clock.advance(0);
    await tick();
    expect(starts).toEqual([0, 300, 400]);
    release();
    await runner.stop();
  });

  it('an urgent request starts on a microtask, before any timer or I/O of this turn (a reload does not queue behind checks)', async () => {
    const { clock, runner, starts } = setup();
    runner.start();
    clock.advance(0);
    await tick();
    clock.advance(10);
    const order: string[] = [];
    setImmediate(() => order.push('immediate'));
    runner.request(true);
    runner.request(true); // once
    runner.request(); // the queued pass covers it
    await Promise.resolve();
    order.push(`passes ${starts.length}`);
    await tick();
    expect(order).toEqual(['passes 2', 'immediate']);
    expect(starts).toEqual([0, 10]);
    clock.advance(1000); // no second pass for the coalesced requests (the resync is at 5010)
    await tick();
    expect(starts).toEqual([0, 10]);
    await runner.stop();
  });

  it('whenPassed waits for one pass, never for the runner to fall idle (requests during every pass cannot starve it)', async () => {
    let release: () => void = () => undefined;
    const box: { runner: Runner | undefined } = { runner: undefined };
    const { clock, runner } = setup(() => {
      box.runner?.request(); // a verdict arrives during every pass
      return new Promise<void>((r) => (release = r));
    });
    box.runner = runner;
    let idle = false;
    let passed = false;
    runner.start();
    clock.advance(0);
    await tick();
    const want = runner.nextPass; // pass 1 is running: the next one (2) must end
    expect(want).toBe(2);
    void runner.whenIdle().then(() => (idle = true));
    void runner.whenPassed(want).then(() => (passed = true));
    for (let i = 0; i < 5; i++) {
      clock.advance(50);
      release();
      await tick();
      clock.advance(100);
      await tick();
    }
    expect(passed).toBe(true);
    expect(idle).toBe(false);
    await expect(runner.whenPassed(1)).resolves.toBeUndefined(); // long done: at once
    box.runner = undefined;
    release();
    await runner.stop();
  });
});
