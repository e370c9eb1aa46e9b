// ipvsadm command-line arguments for services, destinations and operations (shared by -S, -R and logs).
import { SVC_FLAG } from '../../src/model/ipvs.js';
import type { DestKey, DestSpec, ForwardMethod, IpvsOp, ServiceKey, ServiceSpec } from '../../src/model/ipvs.js';
import { hostPort } from '../../src/model/keys.js';
import { formatIp, prefixToMask4 } from '../../src/net/ip.js';

const PROTO_OPT = { tcp: '-t', udp: '-u', sctp: '--sctp-service' } as const;

/** `-t 10.0.0.1:80`, `--sctp-service [::1]:80`, `-f 5` or `-f 5 -6`. */
export function serviceKeyArgs(key: ServiceKey): string[] {
  if (key.kind === 'fwmark') return key.af === 'inet6' ? ['-f', String(key.fwmark), '-6'] : ['-f', String(key.fwmark)];
  return [PROTO_OPT[key.protocol], hostPort(key.addr, key.port)];
}

/** The default persistence netmask (a prefix length) for a family. */
export function defaultNetmask(af: ServiceKey['af']): number {
  return af === 'inet6' ? 128 : 32;
}

/** `-b` flag names as ipvsadm prints them (print_sched_flags): scheduler-specific for sh and mh. */
export function schedFlagNames(scheduler: string, flags: number): string[] {
  const names: string[] = [];
  if (scheduler === 'sh' || scheduler === 'mh') {
    if (flags & SVC_FLAG.SCHED1) names.push(`${scheduler}-fallback`);
    if (flags & SVC_FLAG.SCHED2) names.push(`${scheduler}-port`);
  } else {
    if (flags & SVC_FLAG.SCHED1) names.push('flag-1');
    if (flags & SVC_FLAG.SCHED2) names.push('flag-2');
    if (flags & SVC_FLAG.SCHED3) names.push('flag-3');
  }
  return names;
}

/** Scheduler, persistence, PE, one-packet and scheduler flags, in `ipvsadm -S` order. */
export function serviceAttrArgs(svc: ServiceSpec): string[] {
  const out = ['-s', svc.scheduler];
  if (svc.timeout > 0) {
    out.push('-p', String(svc.timeout));
    if (svc.netmask !== defaultNetmask(svc.key.af)) {
      out.push('-M', svc.key.af === 'inet6' ? String(svc.netmask) : formatIp('inet', prefixToMask4(svc.netmask)));
    }
  }
  if (svc.pe) out.push('--pe', svc.pe);
  if (svc.flags & SVC_FLAG.ONEPACKET) out.push('-o');
  const sched = schedFlagNames(svc.scheduler, svc.flags);
  if (sched.length > 0) out.push('-b', sched.join(','));
  return out;
}

const FWD_OPT: Record<ForwardMethod, string> = { masq: '-m', tunnel: '-i', route: '-g', local: '-g', bypass: '-g' };

/** `-r ADDR:PORT` for a destination. */
export function destKeyArgs(dest: DestKey): string[] {
  return ['-r', hostPort(dest.addr, dest.port)];
}

/** `-g|-i|-m -w W` and, when asked or non-zero, `-x U -y L`. */
export function destAttrArgs(dest: DestSpec, opts: { thresholds?: 'always' | 'nonzero' | 'never' } = {}): string[] {
  const out = [FWD_OPT[dest.fwd], '-w', String(dest.weight)];
  const mode = opts.thresholds ?? 'nonzero';
  if (mode === 'always' || (mode === 'nonzero' && (dest.uThresh !== 0 || dest.lThresh !== 0))) {
    out.push('-x', String(dest.uThresh), '-y', String(dest.lThresh));
  }
  return out;
}

/** An operation as ipvsadm arguments, e.g. `-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1`. */
export function opArgs(op: IpvsOp): string[] {
  switch (op.op) {
    case 'addService':
      return ['-A', ...serviceKeyArgs(op.svc.key), ...serviceAttrArgs(op.svc)];
    case 'editService':
      return ['-E', ...serviceKeyArgs(op.svc.key), ...serviceAttrArgs(op.svc)];
    case 'deleteService':
      return ['-D', ...serviceKeyArgs(op.key)];
    case 'addDest':
      return ['-a', ...serviceKeyArgs(op.svc), ...destKeyArgs(op.dest), ...destAttrArgs(op.dest)];
    case 'editDest':
      return ['-e', ...serviceKeyArgs(op.svc), ...destKeyArgs(op.dest), ...destAttrArgs(op.dest)];
    case 'deleteDest':
      return ['-d', ...serviceKeyArgs(op.svc), ...destKeyArgs(op.dest)];
  }
}

/** An operation as one line of ipvsadm-style text (for logs, `-d` output and golden tests). */
export function formatOp(op: IpvsOp): string {
  return opArgs(op).join(' ');
}
