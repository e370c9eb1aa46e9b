// One coalescing runner: many requests (health, reload, periodic resync) → at most one pass at a time.
import type { Clock, TimerHandle } from '../clock.js';

/** Options of the runner. */
export interface RunnerOptions {
  readonly clock: Clock;
  /**
   * One reconcile pass; a rejection is reported to onError and retried by the next pass. It may resolve
   * to the milliseconds it spent waiting for the kernel: that time left the event loop to the checks, so
   * the stretch below does not count it (a kernel read under an emulated CPU took seconds, and counting
   * it held every verdict of the next 2× that long).
   */
  readonly pass: () => Promise<number | void>;
  /**
   * Minimum time between the starts of two passes (coalesces bursts of requests); stretched to twice the
   * last pass's busy time, so passes over a huge table take at most half the event loop from the checks.
   */
  readonly minIntervalMs: number;
  /** A pass runs at least this often even without requests (repairs drift behind our back). */
  readonly resyncMs: number;
  readonly onError?: (err: unknown) => void;
}

/**
 * Level-triggered runner: request() only marks work as wanted; passes never overlap, a request
 * during a pass causes exactly one more pass afterwards, and a periodic timer requests a pass.
 */
export class Runner {
  private running = false;
  private dirty = false;
  private stopped = true;
  private lastStart = -Infinity;
  private lastDuration = 0;
  private timer: TimerHandle | undefined;
  private resyncTimer: TimerHandle | undefined;
  private idleWaiters: Array<() => void> = [];
  /** Callers of whenPassed(), each with the number of the pass whose end it waits for. */
  private passWaiters: Array<{ readonly pass: number; readonly done: () => void }> = [];
  private passes = 0;
  /** Passes finished (passes never overlap: pass n ends before n + 1 starts). */
  private finished = 0;
  /** When the pending timer fires (clock ms). */
  private timerAt = Infinity;
  /** A request during the running pass was urgent: the next pass starts right after it. */
  private urgentAfter = false;
  /** An urgent pass is queued as a microtask (see request()). */
  private soon = false;

  constructor(private readonly opts: RunnerOptions) {}

  /** Starts the periodic resync and requests the first pass at once. */
  start(): void {
    this.stopped = false;
    this.request();
  }

  /**
   * Asks for a pass as soon as the minimum interval allows; cheap and idempotent. `urgent` (a config
   * change) skips the interval: the pass starts now, or right after the one running.
   */
  request(urgent = false): void {
    if (this.stopped || this.soon) return;
    if (this.running) {
      this.dirty = true;
      this.urgentAfter ||= urgent;
      return;
    }
    if (urgent) {
      // A microtask, not a zero-delay timer: that timer fires only after the rest of the event loop's turn,
      // which under a check load at 10,000 reals is hundreds of ms of socket callbacks (issue 16 item 4).
      this.timer?.cancel();
      this.timer = undefined;
      this.timerAt = Infinity;
      this.soon = true;
      queueMicrotask(() => {
        this.soon = false;
        void this.run();
      });
      return;
    }
    const now = this.opts.clock.now();
    const gap = urgent ? 0 : Math.max(this.opts.minIntervalMs, 2 * this.lastDuration);
    const at = Math.max(now, this.lastStart + gap);
    if (this.timer) {
      if (at >= this.timerAt) return;
      this.timer.cancel();
    }
    this.timerAt = at;
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      void this.run();
    }, at - now);
  }

  /** The number the next pass to start will have (passes count from 1). */
  get nextPass(): number {
    return this.passes + 1;
  }

  /**
   * Resolves when pass number `pass` (default: the next to start) has finished, at once if it has; the
   * caller has requested it. Unlike whenIdle() a steady stream of requests cannot starve it.
   */
  whenPassed(pass = this.nextPass): Promise<void> {
    if (this.stopped || pass <= this.finished) return Promise.resolve();
    return new Promise((done) => this.passWaiters.push({ pass, done }));
  }

  /** Number of passes started so far. */
  get passCount(): number {
    return this.passes;
  }

  /** Resolves when no pass is running or scheduled (scheduled passes need the clock to move). */
  whenIdle(): Promise<void> {
    if (!this.running && !this.timer && !this.soon) return Promise.resolve();
    return new Promise((res) => this.idleWaiters.push(res));
  }

  /** Stops scheduling; resolves after an in-flight pass has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAt = Infinity;
    this.resyncTimer?.cancel();
    this.resyncTimer = undefined;
    if (this.running) await new Promise<void>((res) => this.idleWaiters.push(res));
    this.flushIdle();
    this.flushPassed(Infinity);
  }

  private async run(): Promise<void> {
    if (this.stopped || this.running) return;
    this.running = true;
    this.dirty = false;
    this.lastStart = this.opts.clock.now();
    this.passes++;
    this.resyncTimer?.cancel();
    let waited = 0;
    try {
      waited = (await this.opts.pass()) ?? 0;
    } catch (err) {
      this.opts.onError?.(err);
    } finally {
      this.running = false;
      this.lastDuration = Math.max(0, this.opts.clock.now() - this.lastStart - waited);
    }
    this.finished = this.passes;
    this.flushPassed(this.finished);
    if (this.stopped) {
      this.flushIdle();
      return;
    }
    this.resyncTimer = this.opts.clock.setTimeout(() => this.request(), this.opts.resyncMs);
    const urgent = this.urgentAfter;
    this.urgentAfter = false;
    if (this.dirty) this.request(urgent);
    if (!this.timer && !this.soon) this.flushIdle();
  }

  /** Releases whenPassed() callers whose pass (or a later one) has finished. */
  private flushPassed(finished: number): void {
    if (this.passWaiters.length === 0) return;
    const still: typeof this.passWaiters = [];
    for (const w of this.passWaiters) {
      if (w.pass <= finished) w.done();
      else still.push(w);
    }
    this.passWaiters = still;
  }

  private flushIdle(): void {
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }
}
