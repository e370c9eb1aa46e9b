// The shared dialogue helpers: line reading across split packets, numeric replies, Perl-style matching, reason text.
import net from 'node:net';
import { CheckFailure, compileReceive, describeError, perlMatch, quote } from '../../src/checks/result.js';
import { dial } from '../../src/checks/tcp.js';
import { readCodedReply } from '../../src/checks/coded-reply.js';
import { hostPort } from '../../src/model/keys.js';
import { never } from '../support/spec.js';

/** A peer that writes `parts` with small pauses, so the reader sees them in separate packets. */
async function dribble(parts: string[]): Promise<{ port: number; close: () => Promise<void> }> {
  const srv = net.createServer(async (s) => {
    s.on('error', () => undefined);
    for (const p of parts) {
      s.write(p);
      await new Promise((r) => setTimeout(r, 15));
    }
    s.end();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return { port: (srv.address() as net.AddressInfo).port, close: () => new Promise((r) => srv.close(() => r())) };
}

test('lines split across packets are joined and CRLF is stripped', async () => {
  const peer = await dribble(['220 hel', 'lo\r', '\nsecond line\n', 'tail without newline']);
  const c = await dial({ host: '127.0.0.1', port: peer.port, signal: never() });
  try {
    expect([await c.readLine(), await c.readLine(), await c.readLine(), await c.readLine()]).toEqual(['220 hello', 'second line', 'tail without newline', null]);
  } finally {
    c.close();
    await peer.close();
  }
});

test.each([
  { name: 'a one-line reply', parts: ['250 ok\r\n'], want: { code: 250, text: 'ok' } },
  { name: 'a multi-line reply joins its lines', parts: ['250-mx.test\r\n250-SIZE 1000\r\n', '250 HELP\r\n'], want: { code: 250, text: 'mx.test | SIZE 1000 | HELP' } },
  { name: 'free text inside an FTP multi-line reply is kept', parts: ['220-Welcome\r\n  to the server\r\n220 ready\r\n'], want: { code: 220, text: 'Welcome |   to the server | ready' } },
])('readCodedReply reads $name', async ({ parts, want }) => {
  const peer = await dribble(parts);
  const c = await dial({ host: '127.0.0.1', port: peer.port, signal: never() });
  try {
    expect(await readCodedReply(c)).toEqual(want);
  } finally {
    c.close();
    await peer.close();
  }
});

test('readCodedReply rejects a reply that is not numeric', async () => {
  const peer = await dribble(['hello there\r\n']);
  const c = await dial({ host: '127.0.0.1', port: peer.port, signal: never() });
  try {
    await expect(readCodedReply(c)).rejects.toThrow(new CheckFailure('expected a numeric reply, got "hello there"'));
  } finally {
    c.close();
    await peer.close();
  }
});

test.each([
  { re: '^OK$', text: 'OK\n', ok: true },
  { re: '^OK$', text: 'OK\n\n', ok: false },
  { re: 'is a test', text: 'This is a test', ok: true },
  { re: 'Fake', text: 'fake', ok: false },
])('receive /$re/ against $text matches like Perl: $ok', ({ re, text, ok }) => {
  const compiled = compileReceive(re);
  if (!(compiled instanceof RegExp)) throw new Error(compiled.error);
  expect(perlMatch(compiled, text)).toBe(ok);
});

test('an invalid receive pattern is reported, not thrown', () => {
  expect(compileReceive('(unclosed')).toEqual({ error: expect.stringMatching(/^invalid receive regex "\(unclosed": /) });
});

test.each([
  { err: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), want: 'connection refused' },
  { err: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), want: 'connection reset by peer' },
  { err: new CheckFailure('timed out after 5 ms'), want: 'timed out after 5 ms' },
  { err: Object.assign(new Error('weird'), { code: 'EWEIRD' }), want: 'weird (EWEIRD)' },
])('describeError turns $want into reason text', ({ err, want }) => {
  expect(describeError(err)).toBe(want);
});

test('reasons quote peer text escaped and cut, and bracket IPv6', () => {
  expect(quote('a\tb\r\n')).toBe('"a\\tb"');
  expect(quote('x'.repeat(200), 5)).toBe('"xxxxx…"');
  expect(hostPort('::1', 80)).toBe('[::1]:80');
  expect(hostPort('10.0.0.1', 80)).toBe('10.0.0.1:80');
});
