// Pure generic-netlink / IPVS codec: builds request bytes and decodes replies; no I/O.
// Header fields and most attributes are host byte order (little-endian on the amd64/arm64 hosts
// we ship for); ports and the IPv4 netmask are big-endian, as ip_vs_ctl.c reads them.
import { constants as osConstants } from 'node:os';
import { formatIp, mask4ToPrefix, parseIp, prefixToMask4 } from '../../../parsers/ipvsadm/index.js';
import type { Af, DestKey, DestSpec, ForwardMethod, IpvsDest, IpvsService, IpvsStats, Protocol, ServiceKey, ServiceSpec } from '../../model/ipvs.js';
import { SVC_F_HASHED, SVC_F_PERSISTENT, wireServiceFlags } from '../normalize.js';
import { IpvsError } from '../types.js';
import * as C from './constants.js';

/** One decoded netlink message. */
export interface NlMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  /** Everything after the 16-byte header. */
  readonly payload: Buffer;
}

/** A request to encode: header fields plus the generic-netlink command and attributes. */
export interface GenlRequest {
  readonly family: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid?: number;
  readonly cmd: number;
  readonly version?: number;
  readonly attrs?: readonly Buffer[];
}

function align(n: number): number {
  return (n + C.NLA_ALIGNTO - 1) & ~(C.NLA_ALIGNTO - 1);
}

function protoErr(what: string): IpvsError {
  return new IpvsError('EPROTO', what, { code: 'IPVS_PROTOCOL' });
}

/** An attribute with a raw payload (padded to 4 bytes; nla_len excludes the padding). */
export function attr(type: number, payload: Buffer): Buffer {
  const len = C.NLA_HDRLEN + payload.length;
  const out = Buffer.alloc(align(len));
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  payload.copy(out, C.NLA_HDRLEN);
  return out;
}

/** u8 attribute. */
export function attrU8(type: number, v: number): Buffer {
  return attr(type, Buffer.from([v & 0xff]));
}

/** u16 attribute, host order. */
export function attrU16(type: number, v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v, 0);
  return attr(type, b);
}

/** u16 attribute, network order (ports). */
export function attrBe16(type: number, v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v, 0);
  return attr(type, b);
}

/** u32 attribute, host order. */
export function attrU32(type: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return attr(type, b);
}

/** NUL-terminated string attribute. */
export function attrString(type: number, s: string): Buffer {
  return attr(type, Buffer.concat([Buffer.from(s, 'utf8'), Buffer.alloc(1)]));
}

/** Nested attribute. IPVS does not require NLA_F_NESTED on input, and libipvs does not send it. */
export function attrNested(type: number, children: readonly Buffer[]): Buffer {
  return attr(type, Buffer.concat(children));
}

/** A whole request message: nlmsghdr + genlmsghdr + attributes. */
export function encodeRequest(req: GenlRequest): Buffer {
  const body = Buffer.concat(req.attrs ?? []);
  const len = C.NLMSG_HDRLEN + C.GENL_HDRLEN + body.length;
  const out = Buffer.alloc(len);
  out.writeUInt32LE(len, 0);
  out.writeUInt16LE(req.family, 4);
  out.writeUInt16LE(req.flags, 6);
  out.writeUInt32LE(req.seq >>> 0, 8);
  out.writeUInt32LE((req.pid ?? 0) >>> 0, 12);
  out.writeUInt8(req.cmd, 16);
  out.writeUInt8(req.version ?? C.IPVS_GENL_VERSION, 17);
  out.writeUInt16LE(0, 18);
  body.copy(out, 20);
  return out;
}

/**
 * Reassembles netlink messages from reads: a read may hold several messages, and (defensively)
 * a message may be split across reads; the tail waits for the next push.
 */
export class MessageSplitter {
  private pending: Buffer = Buffer.alloc(0);

  /** Adds bytes and returns every message now complete. Throws IPVS_PROTOCOL on a bad length. */
  push(chunk: Buffer): NlMessage[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: NlMessage[] = [];
    let off = 0;
    while (this.pending.length - off >= C.NLMSG_HDRLEN) {
      const len = this.pending.readUInt32LE(off);
      if (len < C.NLMSG_HDRLEN) {
        this.pending = Buffer.alloc(0);
        throw protoErr(`netlink message length ${len} shorter than its header`);
      }
      if (this.pending.length - off < len) break;
      out.push({
        type: this.pending.readUInt16LE(off + 4),
        flags: this.pending.readUInt16LE(off + 6),
        seq: this.pending.readUInt32LE(off + 8),
        pid: this.pending.readUInt32LE(off + 12),
        payload: Buffer.from(this.pending.subarray(off + C.NLMSG_HDRLEN, off + len)),
      });
      off += align(len);
    }
    this.pending = off >= this.pending.length ? Buffer.alloc(0) : Buffer.from(this.pending.subarray(off));
    return out;
  }

  /** Bytes held back waiting for the rest of a message. */
  get pendingBytes(): number {
    return this.pending.length;
  }
}

/** Decodes every message in one buffer that must hold only whole messages. */
export function decodeMessages(buf: Buffer): NlMessage[] {
  const s = new MessageSplitter();
  const msgs = s.push(buf);
  if (s.pendingBytes !== 0) throw protoErr(`truncated netlink message (${s.pendingBytes} bytes left over)`);
  return msgs;
}

/** Attributes by type (NLA_F_NESTED / NET_BYTEORDER masked off; the last one of a type wins). */
export function parseAttrs(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let off = 0;
  while (off + C.NLA_HDRLEN <= buf.length) {
    const len = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & C.NLA_TYPE_MASK;
    if (len < C.NLA_HDRLEN || off + len > buf.length) throw protoErr(`attribute ${type} length ${len} overruns its container`);
    out.set(type, buf.subarray(off + C.NLA_HDRLEN, off + len));
    off += align(len);
  }
  return out;
}

/** A generic-netlink reply: the command and its top-level attributes. */
export interface GenlReply {
  readonly cmd: number;
  readonly version: number;
  readonly attrs: Map<number, Buffer>;
}

/** Splits a family message's payload into genlmsghdr and attributes. */
export function decodeGenl(msg: NlMessage): GenlReply {
  if (msg.payload.length < C.GENL_HDRLEN) throw protoErr('generic netlink message shorter than genlmsghdr');
  return { cmd: msg.payload.readUInt8(0), version: msg.payload.readUInt8(1), attrs: parseAttrs(msg.payload.subarray(C.GENL_HDRLEN)) };
}

const ERRNO_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(osConstants.errno).map(([name, n]) => [n, name] as const));

/** Errno number -> name ("EEXIST"); unknown numbers become "E<n>". */
export function errnoName(n: number): string {
  return ERRNO_NAMES.get(n) ?? `E${n}`;
}

/** The errno an NLMSG_ERROR carries: 0 for an ACK, else the positive errno. */
export function decodeError(msg: NlMessage): { errno: number; requestSeq: number | undefined } {
  if (msg.payload.length < 4) throw protoErr('NLMSG_ERROR without an error code');
  const err = msg.payload.readInt32LE(0);
  const requestSeq = msg.payload.length >= 4 + C.NLMSG_HDRLEN ? msg.payload.readUInt32LE(4 + 8) : undefined;
  return { errno: err === 0 ? 0 : -err, requestSeq };
}

function u16(b: Buffer | undefined, what: string): number {
  if (!b || b.length < 2) throw protoErr(`missing or short ${what}`);
  return b.readUInt16LE(0);
}

function u32(b: Buffer | undefined, what: string): number {
  if (!b || b.length < 4) throw protoErr(`missing or short ${what}`);
  return b.readUInt32LE(0);
}

function optU32(b: Buffer | undefined): number {
  return b && b.length >= 4 ? b.readUInt32LE(0) : 0;
}

function str(b: Buffer | undefined): string {
  if (!b) return '';
  const nul = b.indexOf(0);
  return b.subarray(0, nul < 0 ? b.length : nul).toString('utf8');
}

// --- CTRL ---

/** CTRL_CMD_GETFAMILY request for a family name. */
export function encodeGetFamily(name: string, seq: number): Buffer {
  return encodeRequest({ family: C.GENL_ID_CTRL, flags: C.NLM_F_REQUEST | C.NLM_F_ACK, seq, cmd: C.CTRL_CMD_GETFAMILY, version: 1, attrs: [attrString(C.CTRL_ATTR_FAMILY_NAME, name)] });
}

/** Family id and version from a CTRL_CMD_NEWFAMILY reply. */
export function decodeFamily(msg: NlMessage): { id: number; version: number; name: string } {
  const g = decodeGenl(msg);
  return { id: u16(g.attrs.get(C.CTRL_ATTR_FAMILY_ID), 'CTRL_ATTR_FAMILY_ID'), version: optU32(g.attrs.get(C.CTRL_ATTR_VERSION)), name: str(g.attrs.get(C.CTRL_ATTR_FAMILY_NAME)) };
}

// --- IPVS encoding ---

const AF_NUM: Record<Af, number> = { inet: C.AF_INET, inet6: C.AF_INET6 };
const PROTO_NUM: Record<Protocol, number> = { tcp: C.IPPROTO_TCP, udp: C.IPPROTO_UDP, sctp: C.IPPROTO_SCTP };
const FWD_NUM: Record<ForwardMethod, number> = { masq: C.IP_VS_CONN_F_MASQ, local: C.IP_VS_CONN_F_LOCALNODE, tunnel: C.IP_VS_CONN_F_TUNNEL, route: C.IP_VS_CONN_F_DROUTE, bypass: C.IP_VS_CONN_F_BYPASS };

function addrBytes(af: Af, addr: string): Buffer {
  const ip = parseIp(addr);
  if (!ip || ip.af !== af) throw new IpvsError('EINVAL', `address ${addr} is not ${af}`);
  return Buffer.from(ip.bytes);
}

/** The SERVICE nest's identity attributes: AF + FWMARK, or AF + PROTOCOL + ADDR + PORT. */
export function serviceIdentityAttrs(key: ServiceKey): Buffer[] {
  const out = [attrU16(C.IPVS_SVC_ATTR_AF, AF_NUM[key.af])];
  if (key.kind === 'fwmark') {
    out.push(attrU32(C.IPVS_SVC_ATTR_FWMARK, key.fwmark));
  } else {
    out.push(attrU16(C.IPVS_SVC_ATTR_PROTOCOL, PROTO_NUM[key.protocol]), attr(C.IPVS_SVC_ATTR_ADDR, addrBytes(key.af, key.addr)), attrBe16(C.IPVS_SVC_ATTR_PORT, key.port));
  }
  return out;
}

/** The full SERVICE nest for NEW/SET_SERVICE: identity + scheduler, flags, timeout, netmask, PE. */
export function serviceFullAttrs(svc: ServiceSpec): Buffer[] {
  const flags = Buffer.alloc(8);
  flags.writeUInt32LE(wireServiceFlags(svc), 0);
  flags.writeUInt32LE(0xffffffff, 4);
  const netmask = Buffer.alloc(4);
  if (svc.key.af === 'inet') Buffer.from(prefixToMask4(svc.netmask)).copy(netmask);
  else netmask.writeUInt32LE(svc.netmask >>> 0, 0);
  const out = [...serviceIdentityAttrs(svc.key), attrString(C.IPVS_SVC_ATTR_SCHED_NAME, svc.scheduler)];
  if (svc.pe) out.push(attrString(C.IPVS_SVC_ATTR_PE_NAME, svc.pe));
  out.push(attr(C.IPVS_SVC_ATTR_FLAGS, flags), attrU32(C.IPVS_SVC_ATTR_TIMEOUT, svc.timeout), attr(C.IPVS_SVC_ATTR_NETMASK, netmask));
  return out;
}

/** The DEST nest's identity: ADDR_FAMILY + ADDR + PORT. */
export function destIdentityAttrs(dest: DestKey): Buffer[] {
  return [attrU16(C.IPVS_DEST_ATTR_ADDR_FAMILY, AF_NUM[dest.af]), attr(C.IPVS_DEST_ATTR_ADDR, addrBytes(dest.af, dest.addr)), attrBe16(C.IPVS_DEST_ATTR_PORT, dest.port)];
}

/** The full DEST nest for NEW/SET_DEST. */
export function destFullAttrs(dest: DestSpec): Buffer[] {
  return [
    ...destIdentityAttrs(dest),
    attrU32(C.IPVS_DEST_ATTR_FWD_METHOD, FWD_NUM[dest.fwd]),
    attrU32(C.IPVS_DEST_ATTR_WEIGHT, dest.weight),
    attrU32(C.IPVS_DEST_ATTR_U_THRESH, dest.uThresh),
    attrU32(C.IPVS_DEST_ATTR_L_THRESH, dest.lThresh),
  ];
}

const ACK = C.NLM_F_REQUEST | C.NLM_F_ACK;
const DUMP = C.NLM_F_REQUEST | C.NLM_F_DUMP;

/**
 * Writes one request into a single growing buffer: the write path encodes thousands of ops per
 * reconcile, and one allocation per message beats one per attribute. Produces exactly the bytes
 * of encodeRequest() over the attr*() helpers (the golden tests hold both to the fixtures).
 */
class MsgWriter {
  // head()/room() may replace `buf` when it grows: always take the offset before touching it.
  private buf = Buffer.alloc(128);
  private off = 0;

  constructor(family: number, flags: number, seq: number, cmd: number) {
    this.buf.writeUInt16LE(family, 4);
    this.buf.writeUInt16LE(flags, 6);
    this.buf.writeUInt32LE(seq >>> 0, 8);
    this.buf.writeUInt8(cmd, 16);
    this.buf.writeUInt8(C.IPVS_GENL_VERSION, 17);
    this.off = C.NLMSG_HDRLEN + C.GENL_HDRLEN;
  }

  private room(payload: number): number {
    const need = this.off + align(C.NLA_HDRLEN + payload);
    if (need > this.buf.length) {
      const grown = Buffer.alloc(Math.max(need, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.off);
      this.buf = grown;
    }
    return this.off;
  }

  private head(type: number, payload: number): number {
    const at = this.room(payload);
    this.buf.writeUInt16LE(C.NLA_HDRLEN + payload, at);
    this.buf.writeUInt16LE(type, at + 2);
    this.off = at + align(C.NLA_HDRLEN + payload);
    return at + C.NLA_HDRLEN;
  }

  u16(type: number, v: number): void {
    const at = this.head(type, 2);
    this.buf.writeUInt16LE(v, at);
  }

  be16(type: number, v: number): void {
    const at = this.head(type, 2);
    this.buf.writeUInt16BE(v, at);
  }

  u32(type: number, v: number): void {
    const at = this.head(type, 4);
    this.buf.writeUInt32LE(v >>> 0, at);
  }

  bytes(type: number, b: Uint8Array): void {
    const at = this.head(type, b.length);
    this.buf.set(b, at);
  }

  str(type: number, s: string): void {
    const n = Buffer.byteLength(s);
    const at = this.head(type, n + 1);
    this.buf.write(s, at, 'utf8');
  }

  /** Already-encoded, already-padded attributes. */
  raw(b: Uint8Array): void {
    const at = this.room(b.length);
    this.buf.set(b, at);
    this.off = at + b.length;
  }

  /** Opens a nested attribute; close it with nestEnd(the returned offset). */
  nestStart(type: number): number {
    const at = this.room(0);
    this.buf.writeUInt16LE(type, at + 2);
    this.off = at + C.NLA_HDRLEN;
    return at;
  }

  nestEnd(at: number): void {
    this.buf.writeUInt16LE(this.off - at, at);
  }

  nest(type: number, body: () => void): void {
    const at = this.nestStart(type);
    body();
    this.nestEnd(at);
  }

  finish(): Buffer {
    this.buf.writeUInt32LE(this.off, 0);
    return this.buf.subarray(0, this.off);
  }
}

function ipBytes(af: Af, addr: string): Uint8Array {
  const ip = parseIp(addr);
  if (!ip || ip.af !== af) throw new IpvsError('EINVAL', `address ${addr} is not ${af}`);
  return ip.bytes;
}

// The identity attributes of a service, encoded once per (immutable) key object.
const identityMemo = new WeakMap<ServiceKey, Buffer>();

function writeServiceIdentity(w: MsgWriter, key: ServiceKey): void {
  let bytes = identityMemo.get(key);
  if (!bytes) {
    bytes = Buffer.concat(serviceIdentityAttrs(key));
    identityMemo.set(key, bytes);
  }
  w.raw(bytes);
}

function writeServiceFull(w: MsgWriter, svc: ServiceSpec): void {
  writeServiceIdentity(w, svc.key);
  w.str(C.IPVS_SVC_ATTR_SCHED_NAME, svc.scheduler);
  if (svc.pe) w.str(C.IPVS_SVC_ATTR_PE_NAME, svc.pe);
  const flags = new Uint8Array(8);
  const dv = new DataView(flags.buffer);
  dv.setUint32(0, wireServiceFlags(svc), true);
  dv.setUint32(4, 0xffffffff, true);
  w.bytes(C.IPVS_SVC_ATTR_FLAGS, flags);
  w.u32(C.IPVS_SVC_ATTR_TIMEOUT, svc.timeout);
  if (svc.key.af === 'inet') w.bytes(C.IPVS_SVC_ATTR_NETMASK, prefixToMask4(svc.netmask));
  else w.u32(C.IPVS_SVC_ATTR_NETMASK, svc.netmask);
}

function writeDestIdentity(w: MsgWriter, dest: DestKey): void {
  w.u16(C.IPVS_DEST_ATTR_ADDR_FAMILY, AF_NUM[dest.af]);
  w.bytes(C.IPVS_DEST_ATTR_ADDR, ipBytes(dest.af, dest.addr));
  w.be16(C.IPVS_DEST_ATTR_PORT, dest.port);
}

function writeDestFull(w: MsgWriter, dest: DestSpec): void {
  writeDestIdentity(w, dest);
  w.u32(C.IPVS_DEST_ATTR_FWD_METHOD, FWD_NUM[dest.fwd]);
  w.u32(C.IPVS_DEST_ATTR_WEIGHT, dest.weight);
  w.u32(C.IPVS_DEST_ATTR_U_THRESH, dest.uThresh);
  w.u32(C.IPVS_DEST_ATTR_L_THRESH, dest.lThresh);
}

/** NEW_SERVICE / SET_SERVICE. */
export function encodeSetService(cmd: typeof C.IPVS_CMD_NEW_SERVICE | typeof C.IPVS_CMD_SET_SERVICE, family: number, seq: number, svc: ServiceSpec): Buffer {
  const w = new MsgWriter(family, ACK, seq, cmd);
  w.nest(C.IPVS_CMD_ATTR_SERVICE, () => writeServiceFull(w, svc));
  return w.finish();
}

/** DEL_SERVICE. */
export function encodeDelService(family: number, seq: number, key: ServiceKey): Buffer {
  const w = new MsgWriter(family, ACK, seq, C.IPVS_CMD_DEL_SERVICE);
  w.nest(C.IPVS_CMD_ATTR_SERVICE, () => writeServiceIdentity(w, key));
  return w.finish();
}

/**
 * NEW_DEST / SET_DEST straight from the caller's destination: the checks and the gate/ipip port
 * rewrite of normalizeDestSpec, without building intermediate objects (the bulk write path).
 */
export function encodeDestFast(cmd: typeof C.IPVS_CMD_NEW_DEST | typeof C.IPVS_CMD_SET_DEST, family: number, seq: number, svc: ServiceKey, dest: DestSpec): Buffer {
  const ip = parseIp(dest.addr);
  if (!ip || ip.af !== dest.af) throw new IpvsError('EINVAL', `destination address ${dest.addr} is not ${dest.af}`);
  const { port, weight, uThresh, lThresh } = dest;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new IpvsError('EINVAL', `destination port ${port}`);
  if (!Number.isInteger(weight)) throw new IpvsError('EINVAL', `weight ${weight}`);
  if (!Number.isInteger(uThresh) || uThresh < 0 || uThresh > 0xffffffff) throw new IpvsError('EINVAL', `uThresh ${uThresh}`);
  if (!Number.isInteger(lThresh) || lThresh < 0 || lThresh > 0xffffffff) throw new IpvsError('EINVAL', `lThresh ${lThresh}`);
  const wirePort = svc.kind === 'addr' && (dest.fwd === 'route' || dest.fwd === 'tunnel') ? svc.port : port;
  const w = new MsgWriter(family, ACK, seq, cmd);
  const s = w.nestStart(C.IPVS_CMD_ATTR_SERVICE);
  writeServiceIdentity(w, svc);
  w.nestEnd(s);
  const d = w.nestStart(C.IPVS_CMD_ATTR_DEST);
  w.u16(C.IPVS_DEST_ATTR_ADDR_FAMILY, AF_NUM[dest.af]);
  w.bytes(C.IPVS_DEST_ATTR_ADDR, ip.bytes);
  w.be16(C.IPVS_DEST_ATTR_PORT, wirePort);
  w.u32(C.IPVS_DEST_ATTR_FWD_METHOD, FWD_NUM[dest.fwd]);
  w.u32(C.IPVS_DEST_ATTR_WEIGHT, weight);
  w.u32(C.IPVS_DEST_ATTR_U_THRESH, uThresh);
  w.u32(C.IPVS_DEST_ATTR_L_THRESH, lThresh);
  w.nestEnd(d);
  return w.finish();
}

/** NEW_DEST / SET_DEST. */
export function encodeSetDest(cmd: typeof C.IPVS_CMD_NEW_DEST | typeof C.IPVS_CMD_SET_DEST, family: number, seq: number, svc: ServiceKey, dest: DestSpec): Buffer {
  const w = new MsgWriter(family, ACK, seq, cmd);
  w.nest(C.IPVS_CMD_ATTR_SERVICE, () => writeServiceIdentity(w, svc));
  w.nest(C.IPVS_CMD_ATTR_DEST, () => writeDestFull(w, dest));
  return w.finish();
}

/** DEL_DEST. */
export function encodeDelDest(family: number, seq: number, svc: ServiceKey, dest: DestKey): Buffer {
  const w = new MsgWriter(family, ACK, seq, C.IPVS_CMD_DEL_DEST);
  w.nest(C.IPVS_CMD_ATTR_SERVICE, () => writeServiceIdentity(w, svc));
  w.nest(C.IPVS_CMD_ATTR_DEST, () => writeDestIdentity(w, dest));
  return w.finish();
}

/** GET_DEST dump for one service (identity nest only). */
export function encodeDumpDests(family: number, seq: number, svc: ServiceKey): Buffer {
  const w = new MsgWriter(family, DUMP, seq, C.IPVS_CMD_GET_DEST);
  w.nest(C.IPVS_CMD_ATTR_SERVICE, () => writeServiceIdentity(w, svc));
  return w.finish();
}

/** GET_SERVICE dump (no attributes). */
export function encodeDumpServices(family: number, seq: number): Buffer {
  return encodeRequest({ family, flags: DUMP, seq, cmd: C.IPVS_CMD_GET_SERVICE });
}

/** GET_INFO. */
export function encodeGetInfo(family: number, seq: number): Buffer {
  return encodeRequest({ family, flags: ACK, seq, cmd: C.IPVS_CMD_GET_INFO });
}

/** FLUSH (tests only: it deletes every service in the network namespace). */
export function encodeFlush(family: number, seq: number): Buffer {
  return encodeRequest({ family, flags: ACK, seq, cmd: C.IPVS_CMD_FLUSH });
}

// --- IPVS decoding ---

function afName(n: number): Af {
  if (n === C.AF_INET) return 'inet';
  if (n === C.AF_INET6) return 'inet6';
  throw protoErr(`unknown address family ${n}`);
}

function decodeAddr(af: Af, b: Buffer | undefined, what: string): string {
  const need = af === 'inet' ? 4 : 16;
  if (!b || b.length < need) throw protoErr(`missing or short ${what}`);
  return formatIp(af, b.subarray(0, need));
}

function decodeStats(b: Buffer | undefined, wide: boolean): IpvsStats | undefined {
  if (!b) return undefined;
  const a = parseAttrs(b);
  const get = (t: number, is64: boolean): bigint => {
    const v = a.get(t);
    if (!v) return 0n;
    if (is64) return v.length >= 8 ? v.readBigUInt64LE(0) : 0n;
    return v.length >= 4 ? BigInt(v.readUInt32LE(0)) : 0n;
  };
  return {
    conns: get(C.IPVS_STATS_ATTR_CONNS, wide),
    inPkts: get(C.IPVS_STATS_ATTR_INPKTS, wide),
    outPkts: get(C.IPVS_STATS_ATTR_OUTPKTS, wide),
    inBytes: get(C.IPVS_STATS_ATTR_INBYTES, true),
    outBytes: get(C.IPVS_STATS_ATTR_OUTBYTES, true),
  };
}

function protocolName(n: number): Protocol {
  if (n === C.IPPROTO_TCP) return 'tcp';
  if (n === C.IPPROTO_UDP) return 'udp';
  if (n === C.IPPROTO_SCTP) return 'sctp';
  throw protoErr(`unknown protocol ${n}`);
}

/** A service from one GET_SERVICE reply (HASHED and PERSISTENT folded into the model's fields). */
export function decodeService(msg: NlMessage): IpvsService {
  const g = decodeGenl(msg);
  if (g.cmd !== C.IPVS_CMD_NEW_SERVICE) throw protoErr(`service reply with cmd ${g.cmd}`);
  const nest = g.attrs.get(C.IPVS_CMD_ATTR_SERVICE);
  if (!nest) throw protoErr('service reply without IPVS_CMD_ATTR_SERVICE');
  const a = parseAttrs(nest);
  const af = afName(u16(a.get(C.IPVS_SVC_ATTR_AF), 'IPVS_SVC_ATTR_AF'));
  const fwmark = optU32(a.get(C.IPVS_SVC_ATTR_FWMARK));
  let key: ServiceKey;
  if (fwmark !== 0) key = { kind: 'fwmark', af, fwmark };
  else {
    const portBuf = a.get(C.IPVS_SVC_ATTR_PORT);
    if (!portBuf || portBuf.length < 2) throw protoErr('missing IPVS_SVC_ATTR_PORT');
    key = {
      kind: 'addr',
      af,
      protocol: protocolName(u16(a.get(C.IPVS_SVC_ATTR_PROTOCOL), 'IPVS_SVC_ATTR_PROTOCOL')),
      addr: decodeAddr(af, a.get(C.IPVS_SVC_ATTR_ADDR), 'IPVS_SVC_ATTR_ADDR'),
      port: portBuf.readUInt16BE(0),
    };
  }
  const rawFlags = u32(a.get(C.IPVS_SVC_ATTR_FLAGS), 'IPVS_SVC_ATTR_FLAGS');
  const persistent = (rawFlags & SVC_F_PERSISTENT) !== 0;
  const nm = a.get(C.IPVS_SVC_ATTR_NETMASK);
  if (!nm || nm.length < 4) throw protoErr('missing IPVS_SVC_ATTR_NETMASK');
  // A non-contiguous IPv4 mask (possible via other tools) cannot be a prefix; keep its leading ones.
  const netmask = af === 'inet' ? (mask4ToPrefix(nm.subarray(0, 4)) ?? leadingOnes(nm)) : nm.readUInt32LE(0);
  const pe = str(a.get(C.IPVS_SVC_ATTR_PE_NAME));
  const stats = decodeStats(a.get(C.IPVS_SVC_ATTR_STATS64), true) ?? decodeStats(a.get(C.IPVS_SVC_ATTR_STATS), false);
  return {
    key,
    scheduler: str(a.get(C.IPVS_SVC_ATTR_SCHED_NAME)),
    flags: rawFlags & ~(SVC_F_HASHED | SVC_F_PERSISTENT),
    timeout: persistent ? optU32(a.get(C.IPVS_SVC_ATTR_TIMEOUT)) : 0,
    netmask,
    ...(pe ? { pe } : {}),
    dests: [],
    ...(stats ? { stats } : {}),
  };
}

function leadingOnes(b: Buffer): number {
  let n = 0;
  for (let i = 0; i < 4; i++) for (let bit = 7; bit >= 0; bit--) {
    if ((((b[i] ?? 0) >> bit) & 1) === 0) return n;
    n++;
  }
  return n;
}

const FWD_NAMES: readonly ForwardMethod[] = ['masq', 'local', 'tunnel', 'route', 'bypass'];

/** A destination from one GET_DEST reply; its family defaults to the service's (pre-3.18 kernels). */
export function decodeDest(msg: NlMessage, serviceAf: Af): IpvsDest {
  const g = decodeGenl(msg);
  if (g.cmd !== C.IPVS_CMD_NEW_DEST) throw protoErr(`destination reply with cmd ${g.cmd}`);
  const nest = g.attrs.get(C.IPVS_CMD_ATTR_DEST);
  if (!nest) throw protoErr('destination reply without IPVS_CMD_ATTR_DEST');
  const a = parseAttrs(nest);
  const afAttr = a.get(C.IPVS_DEST_ATTR_ADDR_FAMILY);
  const af = afAttr ? afName(u16(afAttr, 'IPVS_DEST_ATTR_ADDR_FAMILY')) : serviceAf;
  const portBuf = a.get(C.IPVS_DEST_ATTR_PORT);
  if (!portBuf || portBuf.length < 2) throw protoErr('missing IPVS_DEST_ATTR_PORT');
  const fwdNum = u32(a.get(C.IPVS_DEST_ATTR_FWD_METHOD), 'IPVS_DEST_ATTR_FWD_METHOD') & C.IP_VS_CONN_F_FWD_MASK;
  const fwd = FWD_NAMES[fwdNum];
  if (!fwd) throw protoErr(`unknown forwarding method ${fwdNum}`);
  const w = a.get(C.IPVS_DEST_ATTR_WEIGHT);
  if (!w || w.length < 4) throw protoErr('missing IPVS_DEST_ATTR_WEIGHT');
  const stats = decodeStats(a.get(C.IPVS_DEST_ATTR_STATS64), true) ?? decodeStats(a.get(C.IPVS_DEST_ATTR_STATS), false);
  return {
    af,
    addr: decodeAddr(af, a.get(C.IPVS_DEST_ATTR_ADDR), 'IPVS_DEST_ATTR_ADDR'),
    port: portBuf.readUInt16BE(0),
    fwd,
    weight: w.readInt32LE(0),
    uThresh: optU32(a.get(C.IPVS_DEST_ATTR_U_THRESH)),
    lThresh: optU32(a.get(C.IPVS_DEST_ATTR_L_THRESH)),
    activeConns: optU32(a.get(C.IPVS_DEST_ATTR_ACTIVE_CONNS)),
    inactConns: optU32(a.get(C.IPVS_DEST_ATTR_INACT_CONNS)),
    persistConns: optU32(a.get(C.IPVS_DEST_ATTR_PERSIST_CONNS)),
    ...(stats ? { stats } : {}),
  };
}

/** Version ("1.2.1") and connection table size from a GET_INFO reply. */
export function decodeInfo(msg: NlMessage): { version: string; connTableSize: number } {
  const g = decodeGenl(msg);
  const v = u32(g.attrs.get(C.IPVS_INFO_ATTR_VERSION), 'IPVS_INFO_ATTR_VERSION');
  return { version: `${(v >> 16) & 0xff}.${(v >> 8) & 0xff}.${v & 0xff}`, connTableSize: optU32(g.attrs.get(C.IPVS_INFO_ATTR_CONN_TAB_SIZE)) };
}
