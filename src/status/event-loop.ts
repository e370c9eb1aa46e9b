// Event-loop delay since start (perf_hooks.monitorEventLoopDelay): how late timers and I/O callbacks run.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { IntervalHistogram } from 'node:perf_hooks';

/** Sampling period (ms): a 20 ms timer costs 50 wake-ups a second, and a lag below that is noise here. */
const RESOLUTION_MS = 20;

/** Event-loop delay as status shows it (ms). */
export interface LoopDelay {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** Watches the event loop from construction until close(). */
export class EventLoopMonitor {
  private readonly h: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });

  constructor() {
    this.h.enable();
  }

  /**
   * Cumulative since start. Node records the whole time between two samples (resolution included);
   * the delay is what exceeds the resolution.
   */
  summary(): LoopDelay {
    if (this.h.count === 0) return { p50: 0, p99: 0, max: 0 };
    const ms = (ns: number): number => Math.round(Math.max(0, ns / 1e6 - RESOLUTION_MS) * 1000) / 1000;
    return { p50: ms(this.h.percentile(50)), p99: ms(this.h.percentile(99)), max: ms(this.h.max) };
  }

  close(): void {
    this.h.disable();
  }
}
