// Identity of services and destinations in one place, and the two comparison predicates.
import type { DestKey, DestSpec, ServiceKey, ServiceSpec } from './ipvs.js';

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
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
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
