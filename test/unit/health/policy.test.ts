// The pure health policy: failurecount hysteresis truth table and checktype=N alternation.
import { FORCE_NEGOTIATE, INITIAL_HEALTH, combinedChoice, nextConnects, nextState, type RealHealth } from '../../../src/health/policy.js';

const ok = { ok: true, reason: 'fine' };
const bad = { ok: false, reason: 'broken' };
const up = (failCount = 0): RealHealth => ({ state: 'up', failCount });
const down = (failCount = 1): RealHealth => ({ state: 'down', failCount });

describe('nextState', () => {
  test.each([
    ['an unknown real that passes comes up', INITIAL_HEALTH, ok, 3, { health: up(), transition: 'up' }],
    ['an unknown real that fails goes down at once, as upstream forces start-up state', INITIAL_HEALTH, bad, 3, { health: down(1), transition: 'down' }],
    ['an up real that passes stays up without a transition', up(), ok, 1, { health: up() }],
    ['an up real that fails with failurecount=1 goes down', up(), bad, 1, { health: down(1), transition: 'down' }],
    ['an up real that fails once with failurecount=3 is a soft failure 1/3', up(), bad, 3, { health: up(1), softFailure: { count: 1, limit: 3 } }],
    ['the second failure with failurecount=3 is a soft failure 2/3', up(1), bad, 3, { health: up(2), softFailure: { count: 2, limit: 3 } }],
    ['the third consecutive failure with failurecount=3 takes it down', up(2), bad, 3, { health: down(3), transition: 'down' }],
    ['a success after soft failures resets the counter', up(2), ok, 3, { health: up(), resetFailCount: 2 }],
    ['a down real that fails again is not counted', down(3), bad, 3, { health: down(3) }],
    ['a down real that passes comes up and resets its counter', down(3), ok, 3, { health: up(), transition: 'up', resetFailCount: 3 }],
  ])('%s', (_name, prev, verdict, failureCount, expected) => {
    expect(nextState(prev, verdict, failureCount)).toEqual(expected);
  });

  test('a forced failure (maintenance) bypasses failurecount but still counts', () => {
    expect(nextState(up(), { ...bad, forced: true }, 5)).toEqual({ health: down(1), transition: 'down' });
  });
});

describe('checktype=N alternation', () => {
  test('the first check is a negotiate', () => {
    expect(combinedChoice(FORCE_NEGOTIATE, 3)).toBe('negotiate');
  });

  test('after a good negotiate, N connects run, then a negotiate', () => {
    let n = FORCE_NEGOTIATE;
    const ran: string[] = [];
    for (let i = 0; i < 9; i++) {
      const c = combinedChoice(n, 3);
      ran.push(c);
      n = nextConnects(n, c, true);
    }
    expect(ran).toEqual(['negotiate', 'connect', 'connect', 'connect', 'negotiate', 'connect', 'connect', 'connect', 'negotiate']);
  });

  test('a failed connect forces a negotiate next, and a failed negotiate is retried every pass', () => {
    expect(combinedChoice(nextConnects(1, 'connect', false), 3)).toBe('negotiate');
    expect(combinedChoice(nextConnects(FORCE_NEGOTIATE, 'negotiate', false), 3)).toBe('negotiate');
  });

  test('checktype=0 negotiates every pass', () => {
    expect(combinedChoice(nextConnects(FORCE_NEGOTIATE, 'negotiate', true), 0)).toBe('negotiate');
  });
});
