// RADIUS negotiate check: an Access-Request (RFC 2865) with login/passwd, retransmitted within the
// timeout; up only on Access-Accept.
import { createHash, createHmac, randomBytes, randomInt } from 'node:crypto';
import net from 'node:net';
import { describeError } from './result.js';
import { udpExchange } from './udp.js';
import { hostPort } from '../model/keys.js';
import type { Checker, CheckResult } from './types.js';

const ACCESS_REQUEST = 1;
const CODE_NAMES: Record<number, string> = { 2: 'Access-Accept', 3: 'Access-Reject', 11: 'Access-Challenge' };
const ATTR_USER_NAME = 1;
const ATTR_USER_PASSWORD = 2;
const ATTR_NAS_IP = 4;
const ATTR_MESSAGE_AUTHENTICATOR = 80;
const ATTR_NAS_IPV6 = 95;

function md5(...parts: Buffer[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

function attr(type: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type, value.length + 2]), value]);
}

/** RFC 2865 §5.2 User-Password hiding: 16-byte blocks XORed with an MD5 chain seeded by the authenticator. */
export function hidePassword(password: string, secret: string, authenticator: Buffer): Buffer {
  const raw = Buffer.from(password, 'utf8').subarray(0, 128);
  const padded = Buffer.alloc(Math.max(16, Math.ceil(raw.length / 16) * 16));
  raw.copy(padded);
  const out = Buffer.alloc(padded.length);
  let prev = authenticator;
  for (let i = 0; i < padded.length; i += 16) {
    const key = md5(Buffer.from(secret, 'utf8'), prev);
    for (let j = 0; j < 16; j++) out[i + j] = padded[i + j]! ^ key[j]!;
    prev = out.subarray(i, i + 16);
  }
  return out;
}

/** Builds an Access-Request; NAS address = our socket's local address, as Authen::Radius sends. */
export function accessRequest(id: number, authenticator: Buffer, login: string, passwd: string, secret: string, local: string): Buffer {
  const attrs: Buffer[] = [];
  if (login !== '') attrs.push(attr(ATTR_USER_NAME, Buffer.from(login, 'utf8').subarray(0, 253)));
  attrs.push(attr(ATTR_USER_PASSWORD, hidePassword(passwd, secret, authenticator)));
  if (net.isIPv4(local)) attrs.push(attr(ATTR_NAS_IP, Buffer.from(local.split('.').map(Number))));
  else if (net.isIPv6(local)) attrs.push(attr(ATTR_NAS_IPV6, ipv6Bytes(local)));
  // Message-Authenticator protects against forged replies (BlastRADIUS); servers accept it everywhere.
  const maIndex = attrs.length;
  attrs.push(attr(ATTR_MESSAGE_AUTHENTICATOR, Buffer.alloc(16)));
  const body = Buffer.concat(attrs);
  const len = 20 + body.length;
  const pkt = Buffer.concat([Buffer.from([ACCESS_REQUEST, id, len >> 8, len & 0xff]), authenticator, body]);
  const maOffset = 20 + attrs.slice(0, maIndex).reduce((n, a) => n + a.length, 0) + 2;
  createHmac('md5', secret).update(pkt).digest().copy(pkt, maOffset);
  return pkt;
}

function ipv6Bytes(addr: string): Buffer {
  const [head = '', tail = ''] = addr.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const groups = addr.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16) || 0, i * 2));
  return b;
}

/**
 * RFC 3579 §3.2: when a reply carries Message-Authenticator (type 80), it is HMAC-MD5(secret) of the reply
 * with the Request Authenticator in place of the response authenticator and the attribute's value zeroed.
 * Returns what is wrong, or undefined (absent and valid alike).
 */
function badMessageAuthenticator(reply: Buffer, request: Buffer, secret: string): string | undefined {
  for (let off = 20; off < reply.length; ) {
    const type = reply[off]!;
    const alen = reply[off + 1] ?? 0;
    if (alen < 2 || off + alen > reply.length) return 'malformed attributes';
    if (type === 80) {
      if (alen !== 18) return `a ${alen}-byte Message-Authenticator`;
      const copy = Buffer.from(reply);
      request.copy(copy, 4, 4, 20);
      copy.fill(0, off + 2, off + 18);
      const mac = createHmac('md5', Buffer.from(secret, 'utf8')).update(copy).digest();
      if (!mac.equals(reply.subarray(off + 2, off + 18))) return 'a bad Message-Authenticator';
    }
    off += alen;
  }
  return undefined;
}

/** Judges a reply: the response authenticator must prove the shared secret; then only Accept is up. */
export function judgeReply(reply: Buffer, request: Buffer, secret: string): { ok: boolean; got: string } {
  if (reply.length < 20) return { ok: false, got: `a ${reply.length}-byte datagram (not RADIUS)` };
  const len = reply.readUInt16BE(2);
  if (len < 20 || len > reply.length) return { ok: false, got: `a malformed reply (length field ${len}, ${reply.length} bytes)` };
  const code = reply[0]!;
  const expected = md5(reply.subarray(0, 4), request.subarray(4, 20), reply.subarray(20, len), Buffer.from(secret, 'utf8'));
  if (!expected.equals(reply.subarray(4, 20))) {
    return { ok: false, got: `${CODE_NAMES[code] ?? `code ${code}`} with a bad response authenticator (wrong secret?)` };
  }
  const bad = badMessageAuthenticator(reply.subarray(0, len), request, secret);
  if (bad !== undefined) return { ok: false, got: `${CODE_NAMES[code] ?? `code ${code}`} with ${bad}` };
  return { ok: code === 2, got: CODE_NAMES[code] ?? `code ${code}` };
}

/**
 * How often the same request is sent again: a third of the time allowed, between 250 ms and 1 s.
 * Upstream (Authen::Radius check_pwd) sends once, so one lost datagram took a real down; RFC 2865 §2.5
 * retransmissions keep the id and Request Authenticator, so the server sees one request.
 */
export function radiusRetransmitMs(timeoutMs: number): number {
  return Math.max(250, Math.min(1000, Math.floor(timeoutMs / 3)));
}

/** RADIUS check: Access-Accept within min(checktimeout, negotiatetimeout) is up. */
export const check: Checker = async (spec, signal): Promise<CheckResult> => {
  const id = randomInt(0, 256);
  const authenticator = randomBytes(16);
  const what = `RADIUS Access-Request for ${JSON.stringify(spec.login)} to ${hostPort(spec.host, spec.port)}`;
  let sent: Buffer = Buffer.alloc(0);
  try {
    const { reply } = await udpExchange({
      host: spec.host,
      port: spec.port,
      signal,
      timeoutMs: Math.min(spec.checkTimeoutMs, spec.negotiateTimeoutMs),
      retransmitMs: radiusRetransmitMs(Math.min(spec.checkTimeoutMs, spec.negotiateTimeoutMs)),
      build: (local) => (sent = accessRequest(id, authenticator, spec.login, spec.passwd, spec.secret, local.address)),
      accept: (msg) => msg.length >= 2 && msg[1] === id,
    });
    const { ok, got } = judgeReply(reply, sent, spec.secret);
    return ok ? { ok: true, message: 'Access-Accept' } : { ok: false, reason: `${what}: expected Access-Accept, got ${got}` };
  } catch (err) {
    return { ok: false, reason: `${what}: ${describeError(err)}` };
  }
};
