// Issue 13 item 11: the HTTP check frames replies strictly; what it cannot frame exactly is down, with a reason.
import net from 'node:net';
import { check } from '../../src/checks/http.js';
import { makeSpec, never } from '../support/spec.js';

/** A raw peer: answers the request with `reply`, then closes (or resets, for `reset`). */
async function rawPeer(reply: string, how: 'end' | 'reset' = 'end'): Promise<{ port: number; close(): Promise<void> }> {
  const srv = net.createServer((s) => {
    s.on('error', () => undefined);
    s.once('data', () => {
      if (how === 'end') s.end(reply);
      else s.write(reply, () => setTimeout(() => s.resetAndDestroy(), 20));
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return { port: (srv.address() as net.AddressInfo).port, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

const ok200 = 'HTTP/1.1 200 OK\r\n';
test.each([
  { name: 'a body shorter than Content-Length, then close', reply: `${ok200}Content-Length: 100\r\n\r\nneedle`, down: /closed after 6 of 100 body bytes/ },
  { name: 'a header line without a colon', reply: `${ok200}Content-Length 6\r\n\r\nneedle`, down: /malformed header line "Content-Length 6"/ },
  { name: 'a NUL byte in a header', reply: `${ok200}X-A: b\0c\r\nContent-Length: 6\r\n\r\nneedle`, down: /malformed header line/ },
  { name: 'a NUL byte in the status line', reply: 'HTTP/1.1 200 O\0K\r\nContent-Length: 6\r\n\r\nneedle', down: /expected an HTTP status line/ },
  { name: 'HTTP/9.9', reply: 'HTTP/9.9 200 OK\r\nContent-Length: 6\r\n\r\nneedle', down: /expected an HTTP status line, got "HTTP\/9\.9 200 OK"/ },
  { name: 'conflicting Content-Length headers', reply: `${ok200}Content-Length: 6\r\nContent-Length: 60\r\n\r\nneedle`, down: /conflicting Content-Length "6, 60"/ },
  { name: 'repeated equal Content-Length headers (node:http refuses them too)', reply: `${ok200}Content-Length: 6\r\nContent-Length: 6\r\n\r\nneedle`, down: /conflicting Content-Length "6, 6"/ },
  { name: 'a Content-Length that is not a number', reply: `${ok200}Content-Length: 6x\r\n\r\nneedle`, down: /bad or conflicting Content-Length "6x"/ },
  { name: 'Transfer-Encoding with Content-Length', reply: `${ok200}Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n6\r\nneedle\r\n0\r\n\r\n`, down: /both Transfer-Encoding and Content-Length/ },
  { name: 'chunk size 6zz', reply: `${ok200}Transfer-Encoding: chunked\r\n\r\n6zz\r\nneedle\r\n0\r\n\r\n`, down: /bad chunk size "6zz"/ },
  { name: 'chunk size 0x6', reply: `${ok200}Transfer-Encoding: chunked\r\n\r\n0x6\r\nneedle\r\n0\r\n\r\n`, down: /bad chunk size "0x6"/ },
  { name: 'a chunk not followed by CRLF', reply: `${ok200}Transfer-Encoding: chunked\r\n\r\n3\r\nneedle\r\n0\r\n\r\n`, down: /not followed by CRLF/ },
  { name: 'a chunked body cut before its last chunk', reply: `${ok200}Transfer-Encoding: chunked\r\n\r\n6\r\nneedle\r\n`, down: /connection closed without a reply|closed/ },
  { name: 'a trailer line without a colon', reply: `${ok200}Transfer-Encoding: chunked\r\n\r\n6\r\nneedle\r\n0\r\nX-TrTP/1.1 100 Continue\r\n\r\n`, down: /malformed or too many trailer lines, at "X-TrTP\/1\.1 100 Continue"/ },
  { name: 'a chunked body closed before the empty line after its last chunk', reply: `${ok200}Transfer-Encoding: chunked\r\n\r\n6\r\nneedle\r\n0\r\n`, down: /connection closed without a reply/ },
  { name: 'a control character in a header value', reply: `${ok200}X-A: b\x11\r\nContent-Length: 6\r\n\r\nneedle`, down: /malformed header line/ },
  { name: 'an 8-bit byte in a chunk extension', reply: `${ok200}Transfer-Encoding: chunked\r\n\r\n6;ext\xf41\r\nneedle\r\n0\r\n\r\n`, down: /bad chunk size/ },
  { name: 'an obs-folded header', reply: `${ok200}X-A: b\r\n  folded\r\nContent-Length: 6\r\n\r\nneedle`, down: /malformed header line " {2}folded"/ },
])('down: $name', async (c) => {
  const peer = await rawPeer(c.reply);
  try {
    const r = await check(makeSpec('127.0.0.1', peer.port, { receive: 'needle', negotiateTimeoutMs: 3000 }), never());
    expect(r.ok ? 'up' : r.reason).toMatch(c.down);
  } finally {
    await peer.close();
  }
});

test.each([
  { name: 'a chunk extension and a trailer', reply: `${ok200}Transfer-Encoding: chunked\r\n\r\n6;x=y\r\nneedle\r\n0\r\nX-T: 1\r\n\r\n` },
  { name: 'a close-delimited body', reply: `${ok200}\r\nneedle` },
])('up: $name', async (c) => {
  const peer = await rawPeer(c.reply);
  try {
    expect(await check(makeSpec('127.0.0.1', peer.port, { receive: 'needle', negotiateTimeoutMs: 3000 }), never())).toEqual({ ok: true, message: '200 OK' });
  } finally {
    await peer.close();
  }
});

test('a real that dies mid-reply (reset after half the body) is down', async () => {
  const peer = await rawPeer(`${ok200}Content-Length: 100\r\n\r\nneedle and more`, 'reset');
  try {
    const r = await check(makeSpec('127.0.0.1', peer.port, { receive: 'needle', negotiateTimeoutMs: 3000 }), never());
    expect(r.ok).toBe(false);
  } finally {
    await peer.close();
  }
});
