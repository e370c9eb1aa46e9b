// receive= is a Perl regex (issue 13 item 2): what Perl configs use passes -t; what cannot run is an
// error at the line that says it, for the virtual's receive= and a real's "request", "receive" flags.
import { errors, ok } from './helpers.js';

const virtual = (receive: string): string =>
  `virtual=10.0.0.1:80\n\treal=10.0.0.11:80 gate\n\tservice=http\n\treceive="${receive}"\n`;

test.each(['(?i)FAKE', 'fa++ke', '\\Afake', 'ok\\Z', '[[:alpha:]]ake', '\\x{66}ake', '(a+)+$'])('receive="%s" passes -t', async (re) => {
  const c = await ok(virtual(re));
  expect(c.virtuals[0]!.receive).toBe(re);
});

test.each([
  ['a(?i)b', /^4: receive regex "a\(\?i\)b": inline flags/],
  ['[[:bogus:]]', /^4: receive regex .*unknown POSIX class/],
  ['(unclosed', /^4: invalid receive regex "\(unclosed"/],
])('receive="%s" fails -t at its line', async (re, msg) => {
  expect(await errors(virtual(re))).toEqual([expect.stringMatching(msg)]);
});

test('a real\'s receive flag is checked too, at the real= line', async () => {
  expect(await errors('virtual=10.0.0.1:80\n\treal=10.0.0.11:80 gate "/", "x(?s)y"\n\tservice=http\n')).toEqual([
    expect.stringMatching(/^2: receive regex "x\(\?s\)y": inline flags/),
  ]);
});
