// Kernel-shaped IPVS model: what the kernel has (IpvsState) and the operations that change it.
// Values are normalised so they compare directly: no HASHED bit, netmask as a prefix length,
// addresses in canonical text form (IPv6 compressed, lower case).

/** Address family. */
export type Af = 'inet' | 'inet6';

/** Transport protocol of an address-based virtual service. */
export type Protocol = 'tcp' | 'udp' | 'sctp';

/** Identity of a virtual service: protocol+address+port, or a firewall mark. */
export type ServiceKey =
  | { readonly kind: 'addr'; readonly af: Af; readonly protocol: Protocol; readonly addr: string; readonly port: number }
  | { readonly kind: 'fwmark'; readonly af: Af; readonly fwmark: number };

/** IP_VS_SVC_F_* bits we model (PERSISTENT is implied by timeout > 0; HASHED is never kept). */
export const SVC_FLAG = {
  ONEPACKET: 0x0004,
  SCHED1: 0x0008, // sh-fallback / mh-fallback
  SCHED2: 0x0010, // sh-port / mh-port
  SCHED3: 0x0020,
} as const;

/** The programmable attributes of a virtual service. */
export interface ServiceSpec {
  readonly key: ServiceKey;
  /** Scheduler name as the kernel knows it: rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos. */
  readonly scheduler: string;
  /** SVC_FLAG bits (ONEPACKET and scheduler flags only). */
  readonly flags: number;
  /** Persistence timeout in seconds; 0 = not persistent. */
  readonly timeout: number;
  /** Persistence netmask as a prefix length (0..32 for inet, 0..128 for inet6); 32/128 by default. */
  readonly netmask: number;
  /** Persistence engine name (e.g. "sip"), if any. */
  readonly pe?: string;
}

/** Forwarding method as the kernel names it (ipvsadm: -m masq, -g route/gate, -i tunnel/ipip). */
export type ForwardMethod = 'masq' | 'local' | 'tunnel' | 'route' | 'bypass';

/** Identity of a real server (destination) inside one service. */
export interface DestKey {
  readonly af: Af;
  readonly addr: string;
  readonly port: number;
}

/** The programmable attributes of a destination. */
export interface DestSpec extends DestKey {
  readonly fwd: ForwardMethod;
  readonly weight: number;
  /** Upper connection threshold; 0 = none. */
  readonly uThresh: number;
  /** Lower connection threshold; 0 = none. */
  readonly lThresh: number;
}

/** Traffic counters (kernel: IPVS_STATS_ATTR_*); 64-bit values kept as bigint. */
export interface IpvsStats {
  readonly conns: bigint;
  readonly inPkts: bigint;
  readonly outPkts: bigint;
  readonly inBytes: bigint;
  readonly outBytes: bigint;
}

/** A destination as observed, with its connection counters. */
export interface IpvsDest extends DestSpec {
  readonly activeConns: number;
  readonly inactConns: number;
  readonly persistConns: number;
  readonly stats?: IpvsStats;
}

/** A virtual service as observed, with its destinations. */
export interface IpvsService extends ServiceSpec {
  readonly dests: readonly IpvsDest[];
  readonly stats?: IpvsStats;
}

/** Everything the kernel has, as one snapshot. */
export interface IpvsState {
  readonly services: readonly IpvsService[];
}

/** One change to IPVS: the only way anything writes to the kernel. */
export type IpvsOp =
  | { readonly op: 'addService'; readonly svc: ServiceSpec }
  | { readonly op: 'editService'; readonly svc: ServiceSpec }
  | { readonly op: 'deleteService'; readonly key: ServiceKey }
  | { readonly op: 'addDest'; readonly svc: ServiceKey; readonly dest: DestSpec }
  | { readonly op: 'editDest'; readonly svc: ServiceKey; readonly dest: DestSpec }
  | { readonly op: 'deleteDest'; readonly svc: ServiceKey; readonly dest: DestKey };

/** Which connection-sync daemon: the sender (master) or the receiver (backup). */
export type SyncState = 'master' | 'backup';

/**
 * A connection-sync daemon (IPVS_CMD_NEW_DAEMON / GET_DAEMON): what to start, or what the kernel
 * reports. Optional values left out of a start request get the kernel's defaults (SYNC_DEFAULTS;
 * maxlen from the interface MTU); a 6.1 kernel reports every value.
 */
export interface SyncDaemon {
  readonly state: SyncState;
  /** Multicast interface (at most 15 characters). */
  readonly iface: string;
  /** Sync id; the sync messages carry it in one byte (ipvsadm takes 0..255). */
  readonly syncid: number;
  /** Largest sync message (payload) in bytes. */
  readonly maxlen?: number;
  /** Multicast group, IPv4 or IPv6, canonical text. */
  readonly group?: string;
  /** UDP port of the group. */
  readonly port?: number;
  /** Multicast TTL / hop limit. */
  readonly ttl?: number;
}

/** The kernel's defaults for a sync daemon (ip_vs_sync.c: IP_VS_SYNC_GROUP, IP_VS_SYNC_PORT, TTL 1). */
export const SYNC_DEFAULTS = { group: '224.0.0.81', port: 8848, ttl: 1 } as const;
