// Golden-file comparison that never writes its own expectation during a normal run.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** True when the run was asked to (re)write golden files. */
export const updatingGolden = process.env.UPDATE_GOLDEN === '1';

/**
 * Expects `actual` to equal the golden file at `path`. A missing golden file fails (it is not
 * created from the output under test). With UPDATE_GOLDEN=1 the file is written and the test fails
 * anyway, saying so: an update run is a write, never a passing comparison against what it just wrote.
 */
export function expectGolden(path: string, actual: string): void {
  if (updatingGolden) {
    const old = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (old !== actual) writeFileSync(path, actual);
    const what = old === undefined ? 'created' : old === actual ? 'unchanged' : 'rewrote';
    throw new Error(`UPDATE_GOLDEN=1: ${what} ${path} (not compared); review the diff, then run without UPDATE_GOLDEN`);
  }
  if (!existsSync(path)) throw new Error(`golden file ${path} is missing: write it with UPDATE_GOLDEN=1 and review it`);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}
