// Issue 13 item 16 (RADIUS): the reply's Response Authenticator and, when present, its Message-Authenticator
// (RFC 3579 §3.2) must prove the shared secret; a forged or damaged one is down.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { accessRequest, judgeReply } from '../../src/checks/radius.js';

const secret = 'testing123';
const request = accessRequest(9, randomBytes(16), 'user', 'pass', secret, '127.0.0.1');

/** An Access-Accept for `request` with a Message-Authenticator (`macTamper` flips its first byte). */
function accept(opts: { withMac: boolean; macTamper?: boolean }): Buffer {
  const attrs = opts.withMac ? Buffer.concat([Buffer.from([80, 18]), Buffer.alloc(16)]) : Buffer.alloc(0);
  const pkt = Buffer.concat([Buffer.from([2, request[1]!, 0, 20 + attrs.length]), Buffer.from(request.subarray(4, 20)), attrs]);
  if (opts.withMac) {
    const mac = createHmac('md5', secret).update(pkt).digest();
    if (opts.macTamper) mac[0]! ^= 0xff;
    mac.copy(pkt, 22);
  }
  createHash('md5').update(Buffer.concat([pkt.subarray(0, 4), request.subarray(4, 20), pkt.subarray(20), Buffer.from(secret)])).digest().copy(pkt, 4);
  return pkt;
}

test('an Access-Accept with a valid Message-Authenticator is up', () => {
  expect(judgeReply(accept({ withMac: true }), request, secret)).toEqual({ ok: true, got: 'Access-Accept' });
});

test('an Access-Accept without Message-Authenticator is up (it is optional in replies)', () => {
  expect(judgeReply(accept({ withMac: false }), request, secret).ok).toBe(true);
});

test('a forged Message-Authenticator (valid Response Authenticator) is down', () => {
  expect(judgeReply(accept({ withMac: true, macTamper: true }), request, secret)).toEqual({ ok: false, got: 'Access-Accept with a bad Message-Authenticator' });
});

test('a bad Response Authenticator is down', () => {
  const r = accept({ withMac: false });
  r[5]! ^= 1;
  expect(judgeReply(r, request, secret).got).toMatch(/bad response authenticator/);
});
