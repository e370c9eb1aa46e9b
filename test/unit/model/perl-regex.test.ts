// receive= keeps Perl's syntax and meaning (issue 13 items 1–2): what Perl configs use matches as in
// Perl; what cannot run in bounded time is refused; no input can hold the event loop.
import { compilePerlRegex } from '../../../src/model/perl-regex.js';

function matches(pattern: string, text: string): boolean {
  const r = compilePerlRegex(pattern);
  if (!r.ok) throw new Error(r.error);
  return r.regex.test(text);
}

// Each row: Perl 5 `"$text" =~ /$pattern/` gives `perl` (checked with perl -e on Debian's perl 5.36).
test.each([
  ['(?i)FAKE', 'this is fake', true],
  ['fa++ke', 'faake', true],
  ['\\Afake', 'fake page', true],
  ['\\Afake', 'a fake', false],
  ['ok\\Z', 'ok\n', true],
  ['ok\\Z', 'ok\n\n', false],
  ['ok\\z', 'ok', true],
  ['[[:alpha:]]ake', 'fake', true],
  ['[[:digit:]]ake', 'fake', false],
  ['[^[:space:]]+ake', ' fake', true],
  ['\\x{66}ake', 'fake', true],
  ['\\Qa.b\\E', 'a.b', true],
  ['\\Qa.b\\E', 'axb', false],
  ['(?>fa)ke', 'fake', true],
  ['(?#comment)fake', 'fake', true],
  ['(?P<n>fa)ke', 'fake', true],
  ['^OK$', 'OK\n', true],
  ['(?s)a.b', 'a\nb', true],
  ['a.b', 'a\nb', false],
  ['[]a]', ']', true],
  ['\\h+x', ' \tx', true],
])('/%s/ against %j is %s as in Perl', (pattern, text, perl) => {
  expect(matches(pattern, text)).toBe(perl);
});

test.each([
  ['a(?i)b', /only at the start/],
  ['(?x) a b', /inline flag \(\?x\)/],
  ['\\x{1F600}', /Basic Multilingual Plane/],
  ['[[:^alpha:]]', /negated POSIX class/],
  ['\\G', /\\G is not supported/],
  ['(unclosed', /^invalid receive regex "\(unclosed": /],
])('/%s/ is refused with a reason', (pattern, why) => {
  const r = compilePerlRegex(pattern);
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.error).toMatch(why);
});

test.each([
  ['test', true],
  ['Test Page', true],
  ['10.0.16.24', true],
  ['(a)\\1', true],
  ['a+', false],
  ['a|b', false],
  ['a{2}', false],
  ['a(?=b)', false],
  ['[*+?|]', true],
  ['\\*', true],
])('/%s/ runs inline (cannot backtrack): %s', (pattern, inline) => {
  const r = compilePerlRegex(pattern);
  if (!r.ok) throw new Error(r.error);
  expect(r.regex.inline).toBe(inline);
});
