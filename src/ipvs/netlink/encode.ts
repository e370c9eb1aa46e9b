// Pure encoding of IPVS generic-netlink requests: one encoder per command, all through NlWriter.
// Inputs must already be normalised (normalize.ts is the single place for checks, canonical
// addresses and the gate/ipip port rewrite); encodeOp() is the one entry that normalises.
import type { Af, DestKey, DestSpec, ForwardMethod, IpvsOp, Protocol, ServiceKey, ServiceSpec } from '../../model/ipvs.js';
import { parseIp, prefixToMask4 } from '../../net/ip.js';
import { normalizeDestKey, normalizeDestSpec, normalizeServiceKey, normalizeServiceSpec, wireServiceFlags } from '../normalize.js';
import { IpvsError } from '../types.js';
import * as C from './constants.js';
import { NlWriter } from './writer.js';

const ACK = C.NLM_F_REQUEST | C.NLM_F_ACK;
const DUMP = C.NLM_F_REQUEST | C.NLM_F_DUMP;

const AF_NUM: Record<Af, number> = { inet: C.AF_INET, inet6: C.AF_INET6 };
const PROTO_NUM: Record<Protocol, number> = { tcp: C.IPPROTO_TCP, udp: C.IPPROTO_UDP, sctp: C.IPPROTO_SCTP };
const FWD_NUM: Record<ForwardMethod, number> = { masq: C.IP_VS_CONN_F_MASQ, local: C.IP_VS_CONN_F_LOCALNODE, tunnel: C.IP_VS_CONN_F_TUNNEL, route: C.IP_VS_CONN_F_DROUTE, bypass: C.IP_VS_CONN_F_BYPASS };

/** Network-order bytes of an address (parseIp is memoised; a normalised address always parses). */
function ipBytes(af: Af, addr: string): Uint8Array {
  const ip = parseIp(addr);
  if (!ip || ip.af !== af) throw new IpvsError('EINVAL', `address ${addr} is not ${af}`);
  return ip.bytes;
}

// --- attribute blocks ---

// The identity attributes of a service, encoded once per (immutable, memoised-by-normalize) key
// object: every destination op of a service repeats them.
const identityMemo = new WeakMap<ServiceKey, Buffer>();

/** The SERVICE nest's identity: AF + FWMARK, or AF + PROTOCOL + ADDR + PORT. */
function writeServiceIdentity(w: NlWriter, key: ServiceKey): void {
  let bytes = identityMemo.get(key);
  if (!bytes) {
    const b = new NlWriter(0, 0, 0, 0);
    b.u16(C.IPVS_SVC_ATTR_AF, AF_NUM[key.af]);
    if (key.kind === 'fwmark') {
      b.u32(C.IPVS_SVC_ATTR_FWMARK, key.fwmark);
    } else {
      b.u16(C.IPVS_SVC_ATTR_PROTOCOL, PROTO_NUM[key.protocol]);
      b.bytes(C.IPVS_SVC_ATTR_ADDR, ipBytes(key.af, key.addr));
      b.be16(C.IPVS_SVC_ATTR_PORT, key.port);
    }
    bytes = b.attributes();
    identityMemo.set(key, bytes);
  }
  w.raw(bytes);
}

/** The full SERVICE nest for NEW/SET_SERVICE: identity + scheduler, PE, flags, timeout, netmask. */
function writeServiceFull(w: NlWriter, svc: ServiceSpec): void {
  writeServiceIdentity(w, svc.key);
  w.str(C.IPVS_SVC_ATTR_SCHED_NAME, svc.scheduler);
  if (svc.pe) w.str(C.IPVS_SVC_ATTR_PE_NAME, svc.pe);
  // struct ip_vs_flags { flags, mask }: the mask says which bits the kernel takes from us.
  const flags = new Uint8Array(8);
  const dv = new DataView(flags.buffer);
  dv.setUint32(0, wireServiceFlags(svc), true);
  dv.setUint32(4, 0xffffffff, true);
  w.bytes(C.IPVS_SVC_ATTR_FLAGS, flags);
  w.u32(C.IPVS_SVC_ATTR_TIMEOUT, svc.timeout);
  // IPv4: a big-endian mask; IPv6: the prefix length as a host-order u32.
  if (svc.key.af === 'inet') w.bytes(C.IPVS_SVC_ATTR_NETMASK, prefixToMask4(svc.netmask));
  else w.u32(C.IPVS_SVC_ATTR_NETMASK, svc.netmask);
}

/** The DEST nest's identity: ADDR_FAMILY + ADDR + PORT. */
function writeDestIdentity(w: NlWriter, dest: DestKey): void {
  w.u16(C.IPVS_DEST_ATTR_ADDR_FAMILY, AF_NUM[dest.af]);
  w.bytes(C.IPVS_DEST_ATTR_ADDR, ipBytes(dest.af, dest.addr));
  w.be16(C.IPVS_DEST_ATTR_PORT, dest.port);
}

/** The full DEST nest for NEW/SET_DEST. */
function writeDestFull(w: NlWriter, dest: DestSpec): void {
  writeDestIdentity(w, dest);
  w.u32(C.IPVS_DEST_ATTR_FWD_METHOD, FWD_NUM[dest.fwd]);
  w.u32(C.IPVS_DEST_ATTR_WEIGHT, dest.weight);
  w.u32(C.IPVS_DEST_ATTR_U_THRESH, dest.uThresh);
  w.u32(C.IPVS_DEST_ATTR_L_THRESH, dest.lThresh);
}

// --- one encoder per command ---

/** CTRL_CMD_GETFAMILY request for a family name. */
export function encodeGetFamily(name: string, seq: number): Buffer {
  const w = new NlWriter(C.GENL_ID_CTRL, ACK, seq, C.CTRL_CMD_GETFAMILY, 1);
  w.str(C.CTRL_ATTR_FAMILY_NAME, name);
  return w.finish();
}

/** NEW_SERVICE / SET_SERVICE (normalised spec). */
export function encodeSetService(cmd: typeof C.IPVS_CMD_NEW_SERVICE | typeof C.IPVS_CMD_SET_SERVICE, family: number, seq: number, svc: ServiceSpec): Buffer {
  const w = new NlWriter(family, ACK, seq, cmd);
  w.nested(C.IPVS_CMD_ATTR_SERVICE, () => writeServiceFull(w, svc));
  return w.finish();
}

/** DEL_SERVICE (normalised key). */
export function encodeDelService(family: number, seq: number, key: ServiceKey): Buffer {
  const w = new NlWriter(family, ACK, seq, C.IPVS_CMD_DEL_SERVICE);
  w.nested(C.IPVS_CMD_ATTR_SERVICE, () => writeServiceIdentity(w, key));
  return w.finish();
}

/** NEW_DEST / SET_DEST (normalised key and destination: the port is sent as given). */
export function encodeSetDest(cmd: typeof C.IPVS_CMD_NEW_DEST | typeof C.IPVS_CMD_SET_DEST, family: number, seq: number, svc: ServiceKey, dest: DestSpec): Buffer {
  const w = new NlWriter(family, ACK, seq, cmd);
  w.nested(C.IPVS_CMD_ATTR_SERVICE, () => writeServiceIdentity(w, svc));
  w.nested(C.IPVS_CMD_ATTR_DEST, () => writeDestFull(w, dest));
  return w.finish();
}

/** DEL_DEST (normalised keys). */
export function encodeDelDest(family: number, seq: number, svc: ServiceKey, dest: DestKey): Buffer {
  const w = new NlWriter(family, ACK, seq, C.IPVS_CMD_DEL_DEST);
  w.nested(C.IPVS_CMD_ATTR_SERVICE, () => writeServiceIdentity(w, svc));
  w.nested(C.IPVS_CMD_ATTR_DEST, () => writeDestIdentity(w, dest));
  return w.finish();
}

/** GET_DEST dump for one service (identity nest only). */
export function encodeDumpDests(family: number, seq: number, svc: ServiceKey): Buffer {
  const w = new NlWriter(family, DUMP, seq, C.IPVS_CMD_GET_DEST);
  w.nested(C.IPVS_CMD_ATTR_SERVICE, () => writeServiceIdentity(w, svc));
  return w.finish();
}

/** GET_SERVICE dump (no attributes). */
export function encodeDumpServices(family: number, seq: number): Buffer {
  return new NlWriter(family, DUMP, seq, C.IPVS_CMD_GET_SERVICE).finish();
}

/** GET_INFO. */
export function encodeGetInfo(family: number, seq: number): Buffer {
  return new NlWriter(family, ACK, seq, C.IPVS_CMD_GET_INFO).finish();
}

/** FLUSH (tests only: it deletes every service in the network namespace). */
export function encodeFlush(family: number, seq: number): Buffer {
  return new NlWriter(family, ACK, seq, C.IPVS_CMD_FLUSH).finish();
}

/**
 * Encodes one op, normalised as every backend does; client-side problems throw IpvsError.
 * This is the bulk path of apply(): normalizeServiceKey is memoised per key object and the
 * identity nest per normalised key, so a destination op costs one normalised object and one buffer.
 */
export function encodeOp(op: IpvsOp, family: number, seq: number): Buffer {
  switch (op.op) {
    case 'addService':
      return encodeSetService(C.IPVS_CMD_NEW_SERVICE, family, seq, normalizeServiceSpec(op.svc));
    case 'editService':
      return encodeSetService(C.IPVS_CMD_SET_SERVICE, family, seq, normalizeServiceSpec(op.svc));
    case 'deleteService':
      return encodeDelService(family, seq, normalizeServiceKey(op.key));
    case 'addDest':
    case 'editDest': {
      const svc = normalizeServiceKey(op.svc);
      return encodeSetDest(op.op === 'addDest' ? C.IPVS_CMD_NEW_DEST : C.IPVS_CMD_SET_DEST, family, seq, svc, normalizeDestSpec(svc, op.dest));
    }
    case 'deleteDest':
      return encodeDelDest(family, seq, normalizeServiceKey(op.svc), normalizeDestKey(op.dest));
  }
}
