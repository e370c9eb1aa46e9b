// Rules every backend applies before talking to IPVS, so all three see the same request:
// ipvsadm's destination-port rewrite, canonical addresses, and the kernel's flag bits.
import { canonicalIp, parseIp } from '../net/ip.js';
import type { Af, DestKey, DestSpec, ServiceKey, ServiceSpec, SyncDaemon, SyncState } from '../model/ipvs.js';
import { SVC_FLAG } from '../model/ipvs.js';
import { IpvsError } from './types.js';

/** IP_VS_SVC_F_PERSISTENT: derived from timeout > 0, never taken from the caller's flags. */
export const SVC_F_PERSISTENT = 0x0001;
/** IP_VS_SVC_F_HASHED: set by the kernel on every live service, stripped from snapshots. */
export const SVC_F_HASHED = 0x0002;
/** The flag bits a caller may set (ONEPACKET and the three scheduler flags). */
export const SVC_F_USER_MASK = SVC_FLAG.ONEPACKET | SVC_FLAG.SCHED1 | SVC_FLAG.SCHED2 | SVC_FLAG.SCHED3;

/** The flags word as sent to the kernel: the caller's bits plus PERSISTENT when timeout > 0. */
export function wireServiceFlags(svc: ServiceSpec): number {
  return ((svc.flags & SVC_F_USER_MASK) | (svc.timeout > 0 ? SVC_F_PERSISTENT : 0)) >>> 0;
}

function bad(what: string): IpvsError {
  return new IpvsError('EINVAL', what);
}

// Model values are immutable, and one service key is shared by all its destinations' ops, so
// the checked, canonical key is remembered per key object (the encoder caches by it in turn).
const keyMemo = new WeakMap<ServiceKey, ServiceKey>();

/** A service key with its address in canonical form; EINVAL when it cannot be sent at all. */
export function normalizeServiceKey(key: ServiceKey): ServiceKey {
  const hit = keyMemo.get(key);
  if (hit) return hit;
  const out = checkServiceKey(key);
  keyMemo.set(key, out);
  keyMemo.set(out, out);
  return out;
}

function checkServiceKey(key: ServiceKey): ServiceKey {
  if (key.af !== 'inet' && key.af !== 'inet6') throw new IpvsError('EAFNOSUPPORT', `address family ${String(key.af)}`);
  if (key.kind === 'fwmark') {
    if (!Number.isInteger(key.fwmark) || key.fwmark < 1 || key.fwmark > 0xffffffff) throw bad(`fwmark ${key.fwmark}`);
    return { kind: 'fwmark', af: key.af, fwmark: key.fwmark };
  }
  const ip = parseIp(key.addr);
  if (!ip || ip.af !== key.af) throw bad(`service address ${key.addr} is not ${key.af}`);
  if (!Number.isInteger(key.port) || key.port < 0 || key.port > 65535) throw bad(`service port ${key.port}`);
  if (key.protocol !== 'tcp' && key.protocol !== 'udp' && key.protocol !== 'sctp') throw bad(`protocol ${String(key.protocol)}`);
  return { kind: 'addr', af: key.af, protocol: key.protocol, addr: canonicalIp(key.addr) ?? key.addr, port: key.port };
}

/** A service spec that can be encoded (integers in range); kernel-level checks are not done here. */
export function normalizeServiceSpec(svc: ServiceSpec): ServiceSpec {
  const key = normalizeServiceKey(svc.key);
  if (!Number.isInteger(svc.timeout) || svc.timeout < 0 || svc.timeout > 0xffffffff) throw bad(`timeout ${svc.timeout}`);
  if (!Number.isInteger(svc.netmask) || svc.netmask < 0 || svc.netmask > (key.af === 'inet6' ? 0xffffffff : 32)) {
    throw bad(`netmask /${svc.netmask}`);
  }
  if (svc.scheduler.length === 0 || svc.scheduler.length > 15) throw bad(`scheduler name '${svc.scheduler}'`);
  if (svc.pe !== undefined && svc.pe.length > 15) throw bad(`persistence engine '${svc.pe}'`);
  return { key, scheduler: svc.scheduler, flags: svc.flags & SVC_F_USER_MASK, timeout: svc.timeout, netmask: svc.netmask, ...(svc.pe ? { pe: svc.pe } : {}) };
}

/** The canonical address of a destination; EINVAL when the address or port cannot be sent. */
function checkDestKey(dest: DestKey): string {
  const ip = parseIp(dest.addr);
  if (!ip || ip.af !== dest.af) throw bad(`destination address ${dest.addr} is not ${dest.af}`);
  if (!Number.isInteger(dest.port) || dest.port < 0 || dest.port > 65535) throw bad(`destination port ${dest.port}`);
  return canonicalIp(dest.addr) ?? dest.addr;
}

/** A destination key in canonical form. */
export function normalizeDestKey(dest: DestKey): DestKey {
  return { af: dest.af, addr: checkDestKey(dest), port: dest.port };
}

/**
 * A destination as it will be stored: for gate (route) and ipip (tunnel) forwarding on a
 * non-fwmark service the port is forced to the service port, as ipvsadm and ldirectord do.
 * This is the only place the rewrite happens for every backend; it runs once per op on the bulk
 * apply path, so it builds exactly one object.
 */
export function normalizeDestSpec(svc: ServiceKey, dest: DestSpec): DestSpec {
  const addr = checkDestKey(dest);
  const { fwd, weight, uThresh, lThresh } = dest;
  if (!Number.isInteger(uThresh) || uThresh < 0 || uThresh > 0xffffffff) throw bad(`uThresh ${uThresh}`);
  if (!Number.isInteger(lThresh) || lThresh < 0 || lThresh > 0xffffffff) throw bad(`lThresh ${lThresh}`);
  if (!Number.isInteger(weight)) throw bad(`weight ${weight}`);
  const port = svc.kind === 'addr' && (fwd === 'route' || fwd === 'tunnel') ? svc.port : dest.port;
  return { af: dest.af, addr, port, fwd, weight, uThresh, lThresh };
}

/** IFNAMSIZ - 1: the kernel's policy for IPVS_DAEMON_ATTR_MCAST_IFN. */
export const IFNAME_MAX = 15;

/** True for an IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast address. */
export function isMulticast(addr: string): boolean {
  const ip = parseIp(addr);
  if (!ip) return false;
  const b0 = ip.bytes[0] ?? 0;
  return ip.af === 'inet' ? b0 >= 224 && b0 <= 239 : b0 === 0xff;
}

/** The family of a sync daemon's group (the default group is IPv4). */
export function syncGroupAf(d: SyncDaemon): Af {
  return d.group !== undefined && parseIp(d.group)?.af === 'inet6' ? 'inet6' : 'inet';
}

/**
 * The sync message length the kernel settles on (start_sync_thread): a given length is clamped to
 * 1 (backup: 1024) .. 65535 minus the IP and UDP headers; none gives the MTU (master: 1500, backup:
 * the interface's, at least 1500) minus those headers.
 */
export function kernelSyncMaxlen(state: SyncState, maxlen: number | undefined, groupAf: Af, mtu = 1500): number {
  const hlen = groupAf === 'inet6' ? 48 : 28;
  if (maxlen) return Math.min(Math.max(maxlen, state === 'backup' ? 1024 : 1), 65535 - hlen);
  return (state === 'backup' ? Math.min(Math.max(mtu, 1500), 65535) : 1500) - hlen;
}

function inRange(v: number | undefined, max: number): boolean {
  return v === undefined || (Number.isInteger(v) && v >= 0 && v <= max);
}

/**
 * A sync daemon request that can be encoded: values fit their attributes, the group is an address
 * (canonical text). Missing state, interface or sync id are left for the kernel to refuse (EINVAL).
 */
export function normalizeSyncDaemon(d: SyncDaemon): SyncDaemon {
  if (d.iface !== undefined && (typeof d.iface !== 'string' || d.iface.length > IFNAME_MAX)) throw bad(`interface name '${String(d.iface)}'`);
  if (!inRange(d.syncid, 0xffffffff)) throw bad(`syncid ${d.syncid}`);
  if (!inRange(d.maxlen, 65535)) throw bad(`sync maxlen ${String(d.maxlen)}`);
  if (!inRange(d.port, 65535)) throw bad(`sync port ${String(d.port)}`);
  if (!inRange(d.ttl, 255)) throw bad(`sync ttl ${String(d.ttl)}`);
  let group: string | undefined;
  if (d.group !== undefined) {
    group = canonicalIp(d.group);
    if (group === undefined) throw bad(`sync group ${d.group} is not an address`);
  }
  return {
    ...d,
    ...(group !== undefined ? { group } : {}),
  };
}
