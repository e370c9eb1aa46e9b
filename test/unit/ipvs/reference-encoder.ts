// A reference encoder for tests only: the straightforward one-Buffer-per-attribute encoding of
// generic-netlink requests, independent of src/ipvs/netlink/writer.ts. The tests hold the real
// encoder to it byte for byte, and use it to build kernel-shaped replies.
import type { Af, DestKey, DestSpec, ForwardMethod, Protocol, ServiceKey, ServiceSpec } from '../../../src/model/ipvs.js';
import { parseIp, prefixToMask4 } from '../../../src/net/ip.js';
import { wireServiceFlags } from '../../../src/ipvs/normalize.js';
import * as C from '../../../src/ipvs/netlink/constants.js';

function align(n: number): number {
  return (n + C.NLA_ALIGNTO - 1) & ~(C.NLA_ALIGNTO - 1);
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

/** An attribute with a raw payload (padded to 4 bytes; nla_len excludes the padding). */
export function attr(type: number, payload: Buffer): Buffer {
  const len = C.NLA_HDRLEN + payload.length;
  const out = Buffer.alloc(align(len));
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  payload.copy(out, C.NLA_HDRLEN);
  return out;
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

const AF_NUM: Record<Af, number> = { inet: C.AF_INET, inet6: C.AF_INET6 };
const PROTO_NUM: Record<Protocol, number> = { tcp: C.IPPROTO_TCP, udp: C.IPPROTO_UDP, sctp: C.IPPROTO_SCTP };
const FWD_NUM: Record<ForwardMethod, number> = { masq: C.IP_VS_CONN_F_MASQ, local: C.IP_VS_CONN_F_LOCALNODE, tunnel: C.IP_VS_CONN_F_TUNNEL, route: C.IP_VS_CONN_F_DROUTE, bypass: C.IP_VS_CONN_F_BYPASS };

function addrBytes(af: Af, addr: string): Buffer {
  const ip = parseIp(addr);
  if (!ip || ip.af !== af) throw new Error(`address ${addr} is not ${af}`);
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
