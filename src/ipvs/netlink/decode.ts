// Pure decoding of generic-netlink / IPVS replies: message framing, attributes, errors and the
// IPVS objects; no I/O. Header fields and most attributes are host byte order (little-endian on
// the amd64/arm64 hosts we ship for); ports and the IPv4 netmask are big-endian, as ip_vs_ctl.c
// writes them.
import { constants as osConstants } from 'node:os';
import type { Af, ForwardMethod, IpvsDest, IpvsService, IpvsStats, Protocol, ServiceKey } from '../../model/ipvs.js';
import { formatIp, mask4ToPrefix } from '../../net/ip.js';
import { SVC_F_HASHED, SVC_F_PERSISTENT } from '../normalize.js';
import { IpvsError } from '../types.js';
import * as C from './constants.js';
import { align } from './writer.js';

/** One decoded netlink message. */
export interface NlMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  /** Everything after the 16-byte header. */
  readonly payload: Buffer;
}

function protoErr(what: string): IpvsError {
  return new IpvsError('EPROTO', what, { code: 'IPVS_PROTOCOL' });
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

/** Family id and version from a CTRL_CMD_NEWFAMILY reply. */
export function decodeFamily(msg: NlMessage): { id: number; version: number; name: string } {
  const g = decodeGenl(msg);
  return { id: u16(g.attrs.get(C.CTRL_ATTR_FAMILY_ID), 'CTRL_ATTR_FAMILY_ID'), version: optU32(g.attrs.get(C.CTRL_ATTR_VERSION)), name: str(g.attrs.get(C.CTRL_ATTR_FAMILY_NAME)) };
}

// --- IPVS ---

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
