// Identity of services and destinations in one place: the keys health and reconcile share, the
// kernel's destination port, host:port text, the service↔port table, and the comparison predicates.
import type { RealServer, ServiceName, VirtualService } from './config.js';
import type { DestKey, DestSpec, ForwardMethod, ServiceKey, ServiceSpec } from './ipvs.js';

/** Stable string identity of a service: "tcp:10.0.0.1:80", "udp:[::1]:53", "fwm:inet:5". */
export function serviceKey(k: ServiceKey): string {
  if (k.kind === 'fwmark') return `fwm:${k.af}:${k.fwmark}`;
  return `${k.protocol}:${hostPort(k.addr, k.port)}`;
}

/** Stable string identity of a destination within a service: "10.0.0.2:80", "[::2]:80". */
export function destKey(d: DestKey): string {
  return hostPort(d.addr, d.port);
}

/** "addr:port", with IPv6 addresses in brackets (ipvsadm's notation). */
export function hostPort(addr: string, port: number): string {
  return `${bracketed(addr)}:${port}`;
}

/** An address as it appears before ":port": IPv6 in brackets, anything else as it is. */
export function bracketed(addr: string): string {
  return addr.includes(':') ? `[${addr}]` : addr;
}

/** The kernel key of a configured virtual service. */
export function serviceKeyOf(v: VirtualService): ServiceKey {
  const k = v.key;
  if (k.kind === 'fwmark') return { kind: 'fwmark', af: k.af, fwmark: k.fwmark };
  return { kind: 'addr', af: k.af, protocol: k.protocol, addr: k.address, port: k.port };
}

/** The shared identity of a virtual: health results and reconcile targets are keyed by it. */
export function virtualKey(v: VirtualService): string {
  return serviceKey(serviceKeyOf(v));
}

/** The shared identity of a real inside its virtual, as configured: "addr:port" ("[v6]:port"). */
export function realKey(r: Pick<RealServer, 'address' | 'port'>): string {
  return hostPort(r.address, r.port);
}

/**
 * The port IPVS stores for a destination: for gate (route) and ipip (tunnel) reals of address
 * services the virtual's port (ipvsadm rewrites it and so does the kernel), else the real's own.
 * Comparing with the configured port made upstream purge and re-add such reals (spec §7.2 item 17).
 */
export function kernelPort(svc: ServiceKey, fwd: ForwardMethod, port: number): number {
  return svc.kind === 'addr' && fwd !== 'masq' ? svc.port : port;
}

const PORT_TO_SERVICE: ReadonlyMap<number, ServiceName> = new Map<number, ServiceName>([
  [21, 'ftp'], [25, 'smtp'], [53, 'dns'], [80, 'http'], [110, 'pop'], [119, 'nntp'], [143, 'imap'], [389, 'ldap'],
  [443, 'https'], [587, 'submission'], [636, 'ldaps'], [993, 'imaps'], [995, 'pops'], [1521, 'oracle'], [1812, 'radius'],
  [3128, 'http_proxy'], [3306, 'mysql'], [5060, 'sip'], [5432, 'pgsql'],
]);
const SERVICE_TO_PORT: ReadonlyMap<ServiceName, number> = new Map([...PORT_TO_SERVICE].map(([p, s]) => [s, p]));

/** ld_port_to_service (spec §2.8). */
export function portToService(port: number): ServiceName {
  return PORT_TO_SERVICE.get(port) ?? 'none';
}

/** ld_service_to_port (spec §2.8); undefined for none/simpletcp. */
export function serviceToPort(service: ServiceName): number | undefined {
  return SERVICE_TO_PORT.get(service);
}

/** True when two service keys name the same service. */
export function sameServiceKey(a: ServiceKey, b: ServiceKey): boolean {
  return serviceKey(a) === serviceKey(b);
}

/** True when two services have the same programmable attributes (identity assumed equal). */
export function sameServiceAttrs(a: ServiceSpec, b: ServiceSpec): boolean {
  return (
    a.scheduler === b.scheduler &&
    a.flags === b.flags &&
    a.timeout === b.timeout &&
    a.netmask === b.netmask &&
    (a.pe ?? '') === (b.pe ?? '')
  );
}

/** True when two destinations have the same programmable attributes (counters ignored). */
export function sameDestAttrs(a: DestSpec, b: DestSpec): boolean {
  return a.fwd === b.fwd && a.weight === b.weight && a.uThresh === b.uThresh && a.lThresh === b.lThresh;
}
