// receive= matching never holds the event loop (issue 13 item 1): a catastrophic pattern costs its
// check the deadline, and the event loop keeps running timers meanwhile.
import { matchReceive } from '../../src/checks/match.js';
import { compilePerlRegex, type PerlRegex } from '../../src/model/perl-regex.js';

function re(p: string): PerlRegex {
  const r = compilePerlRegex(p);
  if (!r.ok) throw new Error(r.error);
  return r.regex;
}

test('(a+)+$ against 30 a and a b: down at the deadline, the event loop stays free', async () => {
  let ticks = 0;
  const iv = setInterval(() => ticks++, 10);
  const t0 = Date.now();
  await expect(matchReceive(re('(a+)+$'), `${'a'.repeat(30)}b`, 300)).rejects.toThrow(/did not finish matching within 300 ms/);
  clearInterval(iv);
  expect(Date.now() - t0).toBeLessThan(2000);
  expect(ticks).toBeGreaterThan(5);
});

test('other matches queued behind a stuck one still complete', async () => {
  const stuck = matchReceive(re('(a+)+$'), `${'a'.repeat(32)}b`, 300);
  const fine = matchReceive(re('fa+ke'), 'this is faaake', 5000);
  const alsoFine = matchReceive(re('(?i)NO+PE'), 'yes', 5000);
  await expect(stuck).rejects.toThrow(/within 300 ms/);
  await expect(fine).resolves.toBe(true);
  await expect(alsoFine).resolves.toBe(false);
});

test('worker matches keep Perl semantics ($ before a final newline, lists)', async () => {
  await expect(matchReceive(re('^O+K$'), 'OOK\n', 5000)).resolves.toBe(true);
  await expect(matchReceive(re('^O+K$'), ['x', 'OK'], 5000)).resolves.toBe(true);
  await expect(matchReceive(re('^O+K$'), ['x', 'y'], 5000)).resolves.toBe(false);
  await expect(matchReceive(re('test'), 'a test page', 5000)).resolves.toBe(true);
});
