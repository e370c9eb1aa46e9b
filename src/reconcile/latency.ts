// Cumulative latency figures in fixed memory (an HDR histogram of perf_hooks): p50, p99, max, count in ms.
import { createHistogram } from 'node:perf_hooks';
import type { RecordableHistogram } from 'node:perf_hooks';

/** A latency distribution as status shows it (milliseconds; all 0 while count is 0). */
export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly count: number;
}

/** Milliseconds with microsecond precision, as status prints them. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Records durations (ms) since start; memory does not grow with the number of samples. */
export class LatencyHistogram {
  // Recorded in microseconds: the histogram takes integers >= 1.
  private readonly h: RecordableHistogram = createHistogram();

  record(ms: number): void {
    this.h.record(Math.max(1, Math.round(ms * 1000)));
  }

  summary(): LatencySummary {
    const count = this.h.count;
    if (count === 0) return { p50: 0, p99: 0, max: 0, count: 0 };
    return { p50: roundMs(this.h.percentile(50) / 1000), p99: roundMs(this.h.percentile(99) / 1000), max: roundMs(this.h.max / 1000), count };
  }
}
