// One coalescing runner: many requests (health, reload, periodic resync) → at most one pass at a time.
import type { Clock, TimerHandle } from '../clock.js';

/** Options of the runner. */
export interface RunnerOptions {
  readonly clock: Clock;
  /** One reconcile pass; a rejection is reported to onError and retried by the next pass. */
  readonly pass: () => Promise<void>;
  /**
   * Minimum time between the starts of two passes (coalesces bursts of requests); stretched to twice the
   * last pass's duration, so passes over a huge table take at most half the event loop from the checks.
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
  private passes = 0;

  constructor(private readonly opts: RunnerOptions) {}

  /** Starts the periodic resync and requests the first pass at once. */
  start(): void {
    this.stopped = false;
    this.request();
  }

  /** Asks for a pass as soon as the minimum interval allows; cheap and idempotent. */
  request(): void {
    if (this.stopped) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    if (this.timer) return;
    const gap = Math.max(this.opts.minIntervalMs, 2 * this.lastDuration);
    const wait = Math.max(0, this.lastStart + gap - this.opts.clock.now());
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, wait);
  }

  /** Number of passes started so far. */
  get passCount(): number {
    return this.passes;
  }

  /** Resolves when no pass is running or scheduled (scheduled passes need the clock to move). */
  whenIdle(): Promise<void> {
    if (!this.running && !this.timer) return Promise.resolve();
    return new Promise((res) => this.idleWaiters.push(res));
  }

  /** Stops scheduling; resolves after an in-flight pass has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.resyncTimer?.cancel();
    this.resyncTimer = undefined;
    if (this.running) await new Promise<void>((res) => this.idleWaiters.push(res));
    this.flushIdle();
  }

  private async run(): Promise<void> {
    if (this.stopped || this.running) return;
    this.running = true;
    this.dirty = false;
    this.lastStart = this.opts.clock.now();
    this.passes++;
    this.resyncTimer?.cancel();
    try {
      await this.opts.pass();
    } catch (err) {
      this.opts.onError?.(err);
    } finally {
      this.running = false;
      this.lastDuration = this.opts.clock.now() - this.lastStart;
    }
    if (this.stopped) {
      this.flushIdle();
      return;
    }
    this.resyncTimer = this.opts.clock.setTimeout(() => this.request(), this.opts.resyncMs);
    if (this.dirty) this.request();
    if (!this.timer) this.flushIdle();
  }

  private flushIdle(): void {
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }
}
