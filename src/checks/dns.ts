// DNS negotiate check: one query to the real as nameserver (UDP, or TCP when the virtual is TCP).
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { compileReceive, describeError } from './result.js';
import { hostPort } from '../model/keys.js';
import type { Checker, CheckResult, CheckSpec } from './types.js';

const TYPE_A = 1;
const TYPE_CNAME = 5;
const TYPE_PTR = 12;
const TYPE_AAAA = 28;
const TYPE_NAMES: Record<number, string> = { 1: 'A', 5: 'CNAME', 12: 'PTR', 28: 'AAAA' };
/** A DNS message never exceeds 65535 bytes (TCP length prefix); nothing more is ever buffered. */
const MAX_MESSAGE = 65_535;

/** One answer record we understand (others keep their type number and an empty value). */
interface AnswerRecord {
  readonly type: number;
  readonly value: string;
}

/** A decoded reply: its id, response code and answer records. */
interface DnsReply {
  readonly id: number;
  readonly rcode: number;
  readonly answers: readonly AnswerRecord[];
}

/** The question upstream's Net::DNS search() asks: A for a name, PTR for an IP address. */
export function dnsQuestion(request: string): { name: string; type: number } {
  const name = request.replace(/^\//, '').replace(/\.$/, '');
  if (net.isIPv4(name)) return { name: `${name.split('.').reverse().join('.')}.in-addr.arpa`, type: TYPE_PTR };
  if (net.isIPv6(name)) return { name: `${expandIPv6(name).split('').reverse().join('.')}.ip6.arpa`, type: TYPE_PTR };
  return { name, type: TYPE_A };
}

/** The 32 hex nibbles of an IPv6 address. */
function expandIPv6(addr: string): string {
  const [head = '', tail = ''] = addr.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const fill = addr.includes('::') ? Array<string>(8 - h.length - t.length).fill('0') : [];
  return [...h, ...fill, ...t].map((g) => g.padStart(4, '0')).join('');
}

/** Encodes a recursive query for `name`/`type`, class IN. */
export function encodeQuery(id: number, name: string, type: number): Buffer {
  const labels = name === '' ? [] : name.split('.');
  const parts: Buffer[] = [Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0])];
  for (const l of labels) {
    const b = Buffer.from(l, 'utf8');
    parts.push(Buffer.from([Math.min(b.length, 63)]), b.subarray(0, 63));
  }
  parts.push(Buffer.from([0, type >> 8, type & 0xff, 0, 1]));
  return Buffer.concat(parts);
}

/** Thrown (and turned into a down verdict) when a reply cannot be decoded. */
class MalformedReply extends Error {}

/** Reads a possibly compressed name at `off`; returns it and the offset after it. */
function readName(msg: Buffer, off: number): [string, number] {
  const labels: string[] = [];
  let pos = off;
  let end = -1;
  for (let hops = 0; hops < 128; hops++) {
    const len = msg[pos];
    if (len === undefined) throw new MalformedReply('name runs past the end');
    if (len === 0) return [labels.join('.'), end < 0 ? pos + 1 : end];
    if ((len & 0xc0) === 0xc0) {
      const lo = msg[pos + 1];
      if (lo === undefined) throw new MalformedReply('truncated name pointer');
      if (end < 0) end = pos + 2;
      pos = ((len & 0x3f) << 8) | lo;
      continue;
    }
    if (len > 63 || pos + 1 + len > msg.length) throw new MalformedReply('bad label');
    labels.push(msg.toString('latin1', pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  throw new MalformedReply('name compression loop');
}

/** Decodes a reply's header and answer section. */
export function decodeReply(msg: Buffer): DnsReply {
  if (msg.length < 12) throw new MalformedReply(`${msg.length}-byte reply is shorter than a DNS header`);
  if ((msg[2]! & 0x80) === 0) throw new MalformedReply('reply is not a DNS response');
  const id = msg.readUInt16BE(0);
  const rcode = msg[3]! & 0x0f;
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  let off = 12;
  for (let i = 0; i < qd; i++) off = readName(msg, off)[1] + 4;
  const answers: AnswerRecord[] = [];
  for (let i = 0; i < an; i++) {
    const [, after] = readName(msg, off);
    if (after + 10 > msg.length) throw new MalformedReply('truncated answer record');
    const type = msg.readUInt16BE(after);
    const rdlen = msg.readUInt16BE(after + 8);
    const rd = after + 10;
    if (rd + rdlen > msg.length) throw new MalformedReply('truncated answer data');
    let value = '';
    if (type === TYPE_A && rdlen === 4) value = [...msg.subarray(rd, rd + 4)].join('.');
    else if (type === TYPE_AAAA && rdlen === 16) value = ipv6Text(msg.subarray(rd, rd + 16));
    else if (type === TYPE_PTR || type === TYPE_CNAME) value = readName(msg, rd)[0];
    answers.push({ type, value });
    off = rd + rdlen;
  }
  return { id, rcode, answers };
}

/** Compressed text form of 16 address bytes. */
function ipv6Text(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return new net.SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

/** Judges a decoded reply as upstream does, except that an empty receive accepts any answer. */
export function judgeReply(reply: DnsReply, receive: string): { ok: boolean; got: string } {
  const shown = reply.answers
    .filter((a) => TYPE_NAMES[a.type] !== undefined)
    .map((a) => `${TYPE_NAMES[a.type]} ${a.value}`);
  const got =
    reply.answers.length === 0
      ? `${RCODES[reply.rcode] ?? `rcode ${reply.rcode}`} with no answer`
      : shown.join(', ') || `${reply.answers.length} answer(s) of other types`;
  if (reply.rcode !== 0 || reply.answers.length === 0) return { ok: false, got };
  // Upstream requires a non-empty receive (else always down, spec §7.2 item 19); any answer is up.
  if (receive === '') return { ok: true, got };
  const re = compileReceive(receive);
  if (!(re instanceof RegExp)) return { ok: false, got: `${got} (${re.error})` };
  const ok = reply.answers.some(
    (a) => (a.type === TYPE_A || a.type === TYPE_PTR || a.type === TYPE_AAAA) && re.test(a.value),
  );
  return { ok, got };
}

/** Sends `query` and resolves the raw reply; rejects with a human message on failure. */
function exchange(spec: CheckSpec, query: Buffer, useTcp: boolean, signal: AbortSignal): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const cleanups: (() => void)[] = [];
    let settled = false;
    const finish = (err: Error | undefined, reply?: Buffer): void => {
      if (settled) return;
      settled = true;
      for (const c of cleanups) c();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => finish(new Error(`no reply within ${spec.negotiateTimeoutMs} ms`)), spec.negotiateTimeoutMs);
    cleanups.push(() => clearTimeout(timer));
    const onAbort = (): void => finish(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => signal.removeEventListener('abort', onAbort));
    if (signal.aborted) return onAbort();

    if (useTcp) {
      const sock = net.connect({ host: spec.host, port: spec.port });
      cleanups.push(() => sock.destroy());
      let buf = Buffer.alloc(0);
      sock.on('connect', () => {
        const len = Buffer.from([query.length >> 8, query.length & 0xff]);
        sock.write(Buffer.concat([len, query]));
      });
      sock.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length < 2) return;
        const want = buf.readUInt16BE(0);
        if (buf.length >= 2 + want) finish(undefined, buf.subarray(2, 2 + want));
        else if (buf.length > 2 + MAX_MESSAGE) finish(new Error('oversized reply'));
      });
      sock.on('error', (e) => finish(e));
      sock.on('close', () => finish(new Error(`connection closed after ${buf.length} bytes`)));
      return;
    }
    const sock = dgram.createSocket(net.isIPv6(spec.host) ? 'udp6' : 'udp4');
    cleanups.push(() => sock.close());
    sock.on('error', (e) => finish(e));
    sock.on('message', (msg) => finish(undefined, msg));
    sock.connect(spec.port, spec.host, () => sock.send(query));
  });
}

/** DNS check: up when the reply answers the request (and matches receive when it is set). */
export const check: Checker = async (spec, signal): Promise<CheckResult> => {
  const { name, type } = dnsQuestion(spec.request);
  const useTcp = spec.protocol === 'tcp';
  const what = `DNS ${TYPE_NAMES[type]} ${name} to ${hostPort(spec.host, spec.port)}/${useTcp ? 'tcp' : 'udp'}`;
  const id = randomInt(0, 0x10000);
  let raw: Buffer;
  try {
    raw = await exchange(spec, encodeQuery(id, name, type), useTcp, signal);
  } catch (e) {
    return { ok: false, reason: `${what}: ${describeError(e)}` };
  }
  let reply: DnsReply;
  try {
    reply = decodeReply(raw);
  } catch (e) {
    return { ok: false, reason: `${what}: malformed ${raw.length}-byte reply: ${(e as Error).message}` };
  }
  if (reply.id !== id) return { ok: false, reason: `${what}: reply id ${reply.id} does not match query id ${id}` };
  const { ok, got } = judgeReply(reply, spec.receive);
  if (ok) return { ok: true, message: 'Success' };
  return { ok: false, reason: `${what}: expected ${spec.receive === '' ? 'an answer' : `/${spec.receive}/`}, got ${got}` };
};
