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
