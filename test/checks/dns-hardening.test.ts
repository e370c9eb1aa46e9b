// Issue 13 item 16 (DNS): a truncated UDP answer is asked again over TCP; a reply whose question is not
// the one sent is down.
import dgram from 'node:dgram';
import net from 'node:net';
import { check } from '../../src/checks/dns.js';
import { makeSpec, never } from '../support/spec.js';

/** A reply to `query` echoing its question (or `other`), with flags and one A record 10.0.0.7 unless truncated. */
function answer(query: Buffer, opts: { tc?: boolean; otherName?: string }): Buffer {
  const head = Buffer.from(query.subarray(0, 12));
  head[2] = 0x81 | (opts.tc ? 0x02 : 0);
  head[3] = 0x80;
  let question = query.subarray(12);
  if (opts.otherName !== undefined) {
    const parts = opts.otherName.split('.').flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]);
    question = Buffer.concat([...parts, Buffer.from([0, 0, 1, 0, 1])]);
  }
  if (opts.tc) return Buffer.concat([head, question]);
  head.writeUInt16BE(1, 6);
  const rr = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 7]);
  return Buffer.concat([head, question, rr]);
}

async function servers(udpOpts: { tc?: boolean; otherName?: string }): Promise<{ port: number; tcpQueries: () => number; close(): void }> {
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
  const port = udp.address().port;
  udp.on('message', (q, rinfo) => udp.send(answer(q, udpOpts), rinfo.port, rinfo.address));
  let n = 0;
  const tcp = net.createServer((s) => {
    s.on('error', () => undefined);
    s.once('data', (d: Buffer) => {
      n++;
      const a = answer(d.subarray(2), {});
      s.end(Buffer.concat([Buffer.from([a.length >> 8, a.length & 0xff]), a]));
    });
  });
  await new Promise<void>((r) => tcp.listen(port, '127.0.0.1', () => r()));
  return { port, tcpQueries: () => n, close: () => { udp.close(); tcp.close(); } };
}

test('a truncated UDP reply is retried over TCP, whose full answer is judged', async () => {
  const s = await servers({ tc: true });
  try {
    const r = await check(makeSpec('127.0.0.1', s.port, { protocol: 'udp', request: 'www.example.com', receive: '^10\\.0\\.0\\.7$' }), never());
    expect(r).toEqual({ ok: true, message: 'Success' });
    expect(s.tcpQueries()).toBe(1);
  } finally {
    s.close();
  }
});

test('a reply to another question is down', async () => {
  const s = await servers({ otherName: 'evil.example.org' });
  try {
    const r = await check(makeSpec('127.0.0.1', s.port, { protocol: 'udp', request: 'www.example.com', receive: '' }), never());
    expect(r.ok ? 'up' : r.reason).toMatch(/reply answers another question \(A "evil\.example\.org"\)/);
  } finally {
    s.close();
  }
});
