// Thin applier: sends planned operations to IPVS, logs upstream's lines, tolerates already-done errors.
import type { Ipvs } from '../ipvs/types.js';
import { isAlreadyExists, isNotFound } from '../ipvs/types.js';
import type { Logger } from '../log/types.js';
import { eventMessage, formatOperation } from './messages.js';
import type { PlannedOp, ReconcileEvent } from './operations.js';

/** What one apply() did. */
export interface ApplyReport {
  /** Operations that took effect (or were already in effect). */
  readonly applied: number;
  /** Operations that failed; the next pass re-plans from the kernel and retries them. */
  readonly failed: number;
  /** The events of the operations that took effect, in order (for e-mail alerts and monitors). */
  readonly events: readonly ReconcileEvent[];
}

/**
 * Applies `ops` in order through one `ipvs.apply` batch. An add that finds the object present
 * (EEXIST) or a delete that finds it gone (ESRCH/ENOENT) counts as done: someone got there first.
 */
export async function apply(ipvs: Ipvs, ops: readonly PlannedOp[], logger: Logger): Promise<ApplyReport> {
  if (ops.length === 0) return { applied: 0, failed: 0, events: [] };
  for (const p of ops) logger.debug(2, `Running ipvs(${formatOperation(p.op)})`);
  let results;
  try {
    results = await ipvs.apply(ops.map((p) => p.op));
  } catch (err) {
    // The whole batch failed to reach the kernel: nothing is known to have changed.
    for (const p of ops) logger.log(`system(ipvsadm ${formatOperation(p.op)}) failed: ${errText(err)}`);
    return { applied: 0, failed: ops.length, events: [] };
  }
  let applied = 0;
  let failed = 0;
  const events: ReconcileEvent[] = [];
  ops.forEach((p, i) => {
    const r = results[i];
    const kind = p.op.op;
    const tolerated =
      r !== undefined &&
      !r.ok &&
      ((kind.startsWith('add') && isAlreadyExists(r.error)) || (kind.startsWith('delete') && isNotFound(r.error)));
    if (r?.ok || tolerated) {
      applied++;
      if (tolerated) logger.debug(3, `ipvs(${formatOperation(p.op)}): ${errText(r.error)} (already done)`);
      logger.log(eventMessage(p.event));
      events.push(p.event);
    } else {
      failed++;
      logger.log(`system(ipvsadm ${formatOperation(p.op)}) failed: ${r ? errText(r.error) : 'no result'}`);
    }
  });
  return { applied, failed, events };
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
