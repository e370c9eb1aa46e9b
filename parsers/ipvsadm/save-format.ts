// `ipvsadm -S -n` text <-> IpvsState: exactly ipvsadm's line format and order (used by the
// ipvsadm backend, FakeIpvs.dump/load and fixtures).
import { SVC_FLAG } from '../../src/model/ipvs.js';
import type { Af, DestSpec, ForwardMethod, IpvsDest, IpvsService, IpvsState, Protocol, ServiceKey } from '../../src/model/ipvs.js';
import { defaultNetmask, destAttrArgs, destKeyArgs, serviceAttrArgs, serviceKeyArgs } from './args.js';
import { formatIp, mask4ToPrefix, parseIp } from '../../src/net/ip.js';

/** One problem found while parsing, with its 1-based line. */
export interface SaveDiagnostic {
  readonly line: number;
  readonly message: string;
}

/** Parse result: the state, or every problem found. */
export type SaveParseResult = { readonly ok: true; readonly state: IpvsState } | { readonly ok: false; readonly diagnostics: readonly SaveDiagnostic[] };

/** Options for formatSave. */
export interface SaveFormatOptions {
  /** Also print `-x U -y L` on destinations with thresholds (ipvsadm -S never does; -R accepts it). */
  readonly thresholds?: boolean;
}

const PROTO_NUM: Record<Protocol, number> = { tcp: 6, udp: 17, sctp: 132 };
const AF_NUM: Record<Af, number> = { inet: 2, inet6: 10 };

function addrWords(af: Af, addr: string): number[] {
  const ip = parseIp(addr);
  const b = ip?.bytes ?? new Uint8Array(16);
  const words: number[] = [];
  const n = af === 'inet6' ? 4 : 1;
  for (let i = 0; i < n; i++) words.push((((b[i * 4] ?? 0) << 24) | ((b[i * 4 + 1] ?? 0) << 16) | ((b[i * 4 + 2] ?? 0) << 8) | (b[i * 4 + 3] ?? 0)) >>> 0);
  return words;
}

// libipvs compares with C int subtraction of unsigned values, so large differences wrap;
// `| 0` reproduces that, which decides e.g. whether 10.0.0.1 sorts before 192.168.0.1.
function cmpAddr(af: Af, a: string, b: string): number {
  const wa = addrWords(af, a);
  const wb = addrWords(af, b);
  for (let i = 0; i < wa.length; i++) {
    const r = ((wa[i] ?? 0) - (wb[i] ?? 0)) | 0;
    if (r !== 0) return r;
  }
  return 0;
}

/** ipvs_cmp_services: fwmark, af, protocol, address, port. */
export function compareServices(a: ServiceKey, b: ServiceKey): number {
  const fa = a.kind === 'fwmark' ? a.fwmark : 0;
  const fb = b.kind === 'fwmark' ? b.fwmark : 0;
  let r = (fa - fb) | 0;
  if (r !== 0) return r;
  r = AF_NUM[a.af] - AF_NUM[b.af];
  if (r !== 0) return r;
  const pa = a.kind === 'addr' ? PROTO_NUM[a.protocol] : 6;
  const pb = b.kind === 'addr' ? PROTO_NUM[b.protocol] : 6;
  r = pa - pb;
  if (r !== 0) return r;
  if (a.kind === 'addr' && b.kind === 'addr') {
    r = cmpAddr(a.af, a.addr, b.addr);
    if (r !== 0) return r;
    return a.port - b.port;
  }
  return 0;
}

/** ipvs_cmp_dests: address (in the first destination's family), then port. */
export function compareDests(a: { af: Af; addr: string; port: number }, b: { af: Af; addr: string; port: number }): number {
  const r = cmpAddr(a.af, a.addr, b.addr);
  return r !== 0 ? r : a.port - b.port;
}

/** Formats a state exactly as `ipvsadm -S -n` prints it (sorted as libipvs sorts). */
export function formatSave(state: IpvsState, opts: SaveFormatOptions = {}): string {
  const lines: string[] = [];
  const services = [...state.services].sort((x, y) => compareServices(x.key, y.key));
  for (const svc of services) {
    const key = serviceKeyArgs(svc.key);
    lines.push(['-A', ...key, ...serviceAttrArgs(svc)].join(' '));
    const dests = [...svc.dests].sort(compareDests);
    for (const d of dests) {
      const args = ['-a', ...key, ...destKeyArgs(d), ...destAttrArgs(d, { thresholds: opts.thresholds ? 'nonzero' : 'never' })];
      // Kernels with tunnel types (>= 5.2) make ipvsadm print the (default) IPIP type for tunnels.
      if (d.fwd === 'tunnel') args.push('--tun-type', 'ipip');
      lines.push(args.join(' '));
    }
  }
  return lines.map((l) => `${l}\n`).join('');
}

/** Splits "ADDR:PORT" or "[V6]:PORT" (port optional); undefined when malformed. */
export function parseHostPort(text: string): { af: Af; addr: string; port: number | undefined } | undefined {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) return undefined;
    host = text.slice(1, end);
    const rest = text.slice(end + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return undefined;
      portText = rest.slice(1);
    }
  } else {
    const colon = text.lastIndexOf(':');
    if (colon >= 0 && text.indexOf(':') === colon) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    } else {
      host = text;
    }
  }
  const ip = parseIp(host);
  if (!ip) return undefined;
  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^\d+$/.test(portText)) return undefined;
    port = Number(portText);
    if (port > 65535) return undefined;
  }
  return { af: ip.af, addr: formatIp(ip.af, ip.bytes), port };
}

interface ParsedLine {
  readonly cmd: 'A' | 'a';
  readonly key: ServiceKey;
  readonly svc?: IpvsService;
  readonly dest?: IpvsDest;
}

const SCHED_FLAG_BITS: Record<string, number> = {
  'flag-1': SVC_FLAG.SCHED1,
  'flag-2': SVC_FLAG.SCHED2,
  'flag-3': SVC_FLAG.SCHED3,
  'sh-fallback': SVC_FLAG.SCHED1,
  'sh-port': SVC_FLAG.SCHED2,
  'mh-fallback': SVC_FLAG.SCHED1,
  'mh-port': SVC_FLAG.SCHED2,
};

function parseLine(tokens: string[]): ParsedLine | string {
  let cmd: 'A' | 'a' | undefined;
  let proto: Protocol | undefined;
  let svcAddr: string | undefined;
  let fwmark: number | undefined;
  let v6 = false;
  let scheduler = 'wlc';
  let timeout = 0;
  let netmaskText: string | undefined;
  let pe: string | undefined;
  let flags = 0;
  let schedFlags: string | undefined;
  let rs: string | undefined;
  let fwd: ForwardMethod = 'route';
  let weight = 1;
  let uThresh = 0;
  let lThresh = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] ?? '';
    const next = (): string | undefined => tokens[++i];
    switch (t) {
      case 'ipvsadm':
        break;
      case '-A':
      case '--add-service':
        cmd = 'A';
        break;
      case '-a':
      case '--add-server':
        cmd = 'a';
        break;
      case '-t':
      case '--tcp-service':
        proto = 'tcp';
        svcAddr = next();
        break;
      case '-u':
      case '--udp-service':
        proto = 'udp';
        svcAddr = next();
        break;
      case '--sctp-service':
        proto = 'sctp';
        svcAddr = next();
        break;
      case '-f':
      case '--fwmark-service': {
        const v = next() ?? '';
        if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 0xffffffff) return `invalid fwmark value '${v}'`;
        fwmark = Number(v);
        break;
      }
      case '-6':
      case '--ipv6':
        v6 = true;
        break;
      case '-s':
      case '--scheduler':
        scheduler = next() ?? '';
        break;
      case '-p':
      case '--persistent': {
        const v = tokens[i + 1];
        if (v !== undefined && /^\d+$/.test(v)) {
          timeout = Number(v);
          i++;
        } else timeout = 360;
        break;
      }
      case '-M':
      case '--netmask':
        netmaskText = next();
        break;
      case '--pe':
        pe = next();
        break;
      case '-o':
      case '--ops':
        flags |= SVC_FLAG.ONEPACKET;
        break;
      case '-b':
      case '--sched-flags':
        schedFlags = next();
        break;
      case '-r':
      case '--real-server':
        rs = next();
        break;
      case '-g':
      case '--gatewaying':
        fwd = 'route';
        break;
      case '-i':
      case '--ipip':
        fwd = 'tunnel';
        break;
      case '-m':
      case '--masquerading':
        fwd = 'masq';
        break;
      case '-w':
      case '--weight':
      case '-x':
      case '--u-threshold':
      case '-y':
      case '--l-threshold': {
        const v = next() ?? '';
        if (!/^\d+$/.test(v)) return `invalid number '${v}' for ${t}`;
        if (t === '-w' || t === '--weight') weight = Number(v);
        else if (t === '-x' || t === '--u-threshold') uThresh = Number(v);
        else lThresh = Number(v);
        break;
      }
      case '--tun-type': {
        const v = next();
        if (v !== 'ipip') return `unsupported tunnel type '${v ?? ''}'`;
        break;
      }
      default:
        return `unknown option '${t}'`;
    }
  }
  if (cmd === undefined) return 'neither -A nor -a';
  let key: ServiceKey;
  if (fwmark !== undefined) {
    key = { kind: 'fwmark', af: v6 ? 'inet6' : 'inet', fwmark };
  } else if (proto !== undefined && svcAddr !== undefined) {
    const hp = parseHostPort(svcAddr);
    if (!hp) return `illegal virtual server address '${svcAddr}'`;
    key = { kind: 'addr', af: hp.af, protocol: proto, addr: hp.addr, port: hp.port ?? 0 };
  } else {
    return 'no service given';
  }
  if (cmd === 'A') {
    let netmask = defaultNetmask(key.af);
    if (netmaskText !== undefined) {
      if (key.af === 'inet6') {
        if (!/^\d+$/.test(netmaskText) || Number(netmaskText) < 1 || Number(netmaskText) > 128) return `illegal ipv6 netmask '${netmaskText}'`;
        netmask = Number(netmaskText);
      } else {
        const ip = parseIp(netmaskText);
        const plen = ip && ip.af === 'inet' ? mask4ToPrefix(ip.bytes) : undefined;
        if (plen === undefined) return `illegal persistent mask '${netmaskText}'`;
        netmask = plen;
      }
    }
    if (schedFlags !== undefined) {
      for (const name of schedFlags.split(',')) {
        const bit = SCHED_FLAG_BITS[name];
        if (bit === undefined) return `invalid scheduler flag '${name}'`;
        if ((name.startsWith('sh-') || name.startsWith('mh-')) && !name.startsWith(`${scheduler}-`)) return `incompatible scheduler flag '${name}'`;
        flags |= bit;
      }
    }
    const svc: IpvsService = { key, scheduler, flags, timeout, netmask, ...(pe ? { pe } : {}), dests: [] };
    return { cmd, key, svc };
  }
  if (rs === undefined) return 'no real server given';
  const hp = parseHostPort(rs);
  if (!hp) return `illegal real server address '${rs}'`;
  let port = hp.port ?? (key.kind === 'addr' ? key.port : 0);
  if (key.kind === 'addr' && (fwd === 'route' || fwd === 'tunnel')) port = key.port;
  const spec: DestSpec = { af: hp.af, addr: hp.addr, port, fwd, weight, uThresh, lThresh };
  return { cmd, key, dest: { ...spec, activeConns: 0, inactConns: 0, persistConns: 0 } };
}

function tokenize(line: string): string[] {
  return line.trim().split(/\s+/).filter((t) => t !== '');
}

/** Parses `ipvsadm -S -n` text (or -R input made of -A/-a lines) into a state. */
export function parseSave(text: string): SaveParseResult {
  const diagnostics: SaveDiagnostic[] = [];
  const services = new Map<string, { svc: IpvsService; dests: IpvsDest[] }>();
  const keyText = (k: ServiceKey): string => serviceKeyArgs(k).join(' ');
  text.split('\n').forEach((raw, idx) => {
    const line = idx + 1;
    if (raw.trim() === '' || raw.trim().startsWith('#')) return;
    const parsed = parseLine(tokenize(raw));
    if (typeof parsed === 'string') {
      diagnostics.push({ line, message: parsed });
      return;
    }
    const k = keyText(parsed.key);
    if (parsed.svc) {
      if (services.has(k)) diagnostics.push({ line, message: `service ${k} defined twice` });
      else services.set(k, { svc: parsed.svc, dests: [] });
    } else if (parsed.dest) {
      const entry = services.get(k);
      if (!entry) diagnostics.push({ line, message: `destination for undefined service ${k}` });
      else entry.dests.push(parsed.dest);
    }
  });
  if (diagnostics.length > 0) return { ok: false, diagnostics };
  return { ok: true, state: { services: [...services.values()].map(({ svc, dests }) => ({ ...svc, dests })) } };
}
