// Pure health policy: failurecount hysteresis (nextState) and numeric checktype N (combined) choice.

/** A real's health as the scheduler knows it; 'unknown' until its first check completes. */
export type HealthState = 'unknown' | 'up' | 'down';

/** Health of one checked real: its state and upstream's soft-failure counter. */
export interface RealHealth {
  readonly state: HealthState;
  /** Consecutive failures counted while up (upstream's failcount). */
  readonly failCount: number;
}

/** What one check pass concluded; `forced` bypasses failurecount (maintenance, as upstream). */
export interface Verdict {
  readonly ok: boolean;
  readonly reason: string;
  readonly forced?: boolean;
}

/** The outcome of applying one verdict. */
export interface NextState {
  readonly health: RealHealth;
  /** Set only when the state changed. */
  readonly transition?: 'up' | 'down';
  /** A failure absorbed by failurecount: upstream logs "Soft failure real server: … failure n/m". */
  readonly softFailure?: { readonly count: number; readonly limit: number };
  /** A success that cleared earlier soft failures: upstream logs "Resetting soft failure count". */
  readonly resetFailCount?: number;
}

/** The state of a real that has never been checked. */
export const INITIAL_HEALTH: RealHealth = { state: 'unknown', failCount: 0 };

/**
 * Applies one verdict (upstream _service_up/_service_down, spec §4.4): a success resets the
 * counter and brings the real up; a failure while up counts until `failureCount` is reached;
 * failures while down are not counted; the first verdict of an unknown real is taken as is,
 * because upstream forces every real's state at start-up.
 */
export function nextState(prev: RealHealth, verdict: Verdict, failureCount: number): NextState {
  if (verdict.ok) {
    const reset = prev.failCount > 0 ? { resetFailCount: prev.failCount } : {};
    const health: RealHealth = { state: 'up', failCount: 0 };
    return prev.state === 'up' ? { health, ...reset } : { health, transition: 'up', ...reset };
  }
  if (prev.state === 'down') return { health: prev };
  const failCount = prev.failCount + 1;
  if (prev.state === 'up' && !verdict.forced && failCount < Math.max(1, failureCount)) {
    return { health: { state: 'up', failCount }, softFailure: { count: failCount, limit: failureCount } };
  }
  return { health: { state: 'down', failCount }, transition: 'down' };
}

/** Upstream's num_connects value that forces the next combined check to negotiate. */
export const FORCE_NEGOTIATE = 999_999;

/** Which check a combined (checktype=N) real runs next, given its connect counter. */
export function combinedChoice(numConnects: number, n: number): 'negotiate' | 'connect' {
  return numConnects >= n ? 'negotiate' : 'connect';
}

/**
 * The connect counter after a combined check (spec §3.2 item 9): a good negotiate resets it,
 * a good connect counts, a failed connect forces a negotiate, a failed negotiate keeps forcing one.
 */
export function nextConnects(numConnects: number, ran: 'negotiate' | 'connect', ok: boolean): number {
  if (ran === 'negotiate') return ok ? 0 : numConnects;
  return ok ? numConnects + 1 : FORCE_NEGOTIATE;
}
