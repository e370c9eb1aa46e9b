// RawConfig -> frozen Config: applies the directive table, resolves names, expands ranges, derives defaults (ld_setup).
import type {
  Af, Config, EmailAlertStatus, Fallback, Forward, GlobalFallback, GlobalConfig, RealServer, VirtualKey,
  VirtualService, CheckType, Position,
} from '../../src/model/config.js';
import type { ConfigDiagnostic, DiagnosticCode } from './diagnostics.js';
import type { RawConfig, RawDirective, RawVirtual } from './parser.js';
import type { Resolver } from './resolver.js';
import { WS, perlTrue } from './lexer.js';
import { GLOBAL_DIRECTIVES, VIRTUAL_DIRECTIVES, ALL_DIRECTIVE_NAMES, parseFallback, checkReceive } from './directives.js';
import type { Reporter } from './handlers.js';
import { initialGlobals, STATUS_BITS, type GState, type RawFallback, type VState } from './state.js';
import { inetAton, intToIp, canonicalIPv6, isPlainQuad } from './addr.js';
import { bracketed, portToService, serviceToPort } from '../../src/model/keys.js';
import { syncConfig } from './sync.js';

/** Options of the normaliser, which parseConfig takes as they are (index.ts: ParseOptions). */
export interface NormalizeOptions {
  /** Path used in positions and diagnostics. */
  readonly file: string;
  /** Host and service name resolution (system resolver in production, staticResolver in tests). */
  readonly resolver: Resolver;
  /** This director's host name, for ftp/sip login defaults (upstream: $HOSTNAME or uname -n). */
  readonly hostname?: string;
  /** The previous parse of the same file (a reload): unchanged virtual blocks are taken from it, not re-read. */
  readonly memo?: ParseMemo;
}

/** A frozen Config plus warnings, or every diagnostic found (errors and warnings); parseConfig returns it too. */
export type NormalizeResult =
  | { readonly ok: true; readonly config: Config; readonly warnings: readonly ConfigDiagnostic[] }
  | { readonly ok: false; readonly diagnostics: readonly ConfigDiagnostic[] };

/** Upstream refuses nothing here, but a range this large would exhaust memory; we stop it with an error. */
export const MAX_RANGE = 65536;

/**
 * Cap on real servers per config, summed over every real= line and range (issue 13 item 7): 300 lines
 * of /16 ranges are each under MAX_RANGE but would hold ~20 M reals (V8 heap OOM). 65,536 is 6x the
 * largest config we benchmark (10,000 reals) and far above anything ipvsadm users run.
 */
export const MAX_REALS = 65536;

export { portToService, serviceToPort };

const V_IP_PORT = /^(\d+\.\d+\.\d+\.\d+):([0-9A-Za-z_-]+)/;
const V_HOST_PORT = /^([0-9A-Za-z._+-]+):([0-9A-Za-z_-]+)/;
const V_FWMARK = /^(\d+)/;
const V_V6 = /^\[([0-9A-Fa-f:]+)\]:([0-9A-Za-z_-]+)/;
const PORT_SUFFIX = /(:(\d+|[A-Za-z0-9_-]+))?$/;
const REAL_RE = new RegExp(
  '(\\d+\\.\\d+\\.\\d+\\.\\d+|[A-Za-z0-9.-]+|\\[[0-9A-fa-f:]+\\])' +
    '(->(\\d+\\.\\d+\\.\\d+\\.\\d+|[A-Za-z0-9.-]+|\\[[0-9A-fa-f:]+\\]))?' +
    `(:(\\d+|[A-Za-z0-9_-]+))?${WS}+(.*)`,
  's',
);
const FLAG_FORWARD = /(\w+)(.*)/s;
const FLAG_WEIGHT = new RegExp(`${WS}+(\\d+)(.*)`, 's');
const FLAG_REQ = new RegExp(`${WS}+"(.*)"[, ]${WS}*"(.*)"(.*)`, 's');
const FLAG_L = new RegExp(`${WS}+l:(\\d+)(.*)`, 's');
const FLAG_U = new RegExp(`${WS}+u:(\\d+)(.*)`, 's');
const NONBLANK = /[^ \t\n\v\f\r]/;
/** The documented real= flag syntax, anchored: anything upstream accepts beyond this is a silent misread. */
const FLAGS_STRICT = new RegExp(
  `^(gate|masq|ipip)(${WS}+\\d+)?(${WS}+".*"[, ]${WS}*".*")?(${WS}+l:\\d+)?(${WS}+u:\\d+)?${WS}*$`,
  's',
);

type Mutable<T> = { -readonly [K in keyof T]?: T[K] };

/** The common "gate 5" shape, read without the general machinery (same result). */
const FLAGS_SIMPLE = new RegExp(`^(gate|masq|ipip)(?:${WS}+(\\d+))?${WS}*$`);

interface Flags {
  forward: Forward;
  weight: number;
  request?: string;
  receive?: string;
  lower?: number;
  upper?: number;
}

/** What one virtual block left for the next parse (ParseMemo). */
interface BlockMemo {
  /** Where the block was: its text (the memo's key) alone does not fix its line numbers. */
  readonly line: number;
  readonly endLine: number;
  readonly built: Built;
  /** The warnings it reported (a block with errors is not remembered). */
  readonly diags: readonly ConfigDiagnostic[];
  /** Real servers it expanded to (MAX_REALS counts them). */
  readonly reals: number;
}

/**
 * Memory of the last successful parse of one file, for the next (issue 16 item 4: a one-line reload at
 * 10,000 reals re-read every block). A virtual block whose text, position, file and director host name are
 * unchanged gives the same result, so it is taken as it was: the same frozen VirtualService object, when the
 * globals it inherits are unchanged too, which lets the health and reconcile sides see "unchanged" by
 * identity. Blocks that asked the resolver are always read again (a name may resolve differently now),
 * as are blocks with errors. Opaque: parseConfig reads and updates it; the caller only keeps it.
 */
export class ParseMemo {
  /** `file \0 hostname` the blocks were read with. */
  private scope = '';
  private blocks = new Map<string, BlockMemo>();

  /** @internal the block read under `key`, if any, with `scope`. */
  get(scope: string, key: string): BlockMemo | undefined {
    return scope === this.scope ? this.blocks.get(key) : undefined;
  }

  /** @internal replaces the memory with the blocks of a successful parse. */
  set(scope: string, blocks: Map<string, BlockMemo>): void {
    this.scope = scope;
    this.blocks = blocks;
  }
}

/** Per-run context: diagnostics and a memoised resolver. */
class Ctx implements Reporter {
  readonly diags: ConfigDiagnostic[] = [];
  /** Calls answered by the resolver (not by the address's own text); a block that made one is not memoised. */
  resolverCalls = 0;
  private readonly seen = new Set<string>();
  private readonly hostCache = new Map<string, Promise<string | undefined>>();
  private readonly servCache = new Map<string, Promise<number | undefined>>();
  readonly hostname: string;
  /** Real servers expanded so far in this config (MAX_REALS). */
  realsExpanded = 0;
  constructor(readonly file: string, private readonly resolver: Resolver, hostname: string | undefined) {
    this.hostname = hostname ?? 'localhost';
  }
  private add(severity: 'error' | 'warning', line: number, code: DiagnosticCode, message: string): void {
    const key = `${severity}\0${line}\0${message}`;
    if (this.seen.has(key)) return; // the global fallback is resolved twice (tcp, udp), as upstream; report once
    this.seen.add(key);
    this.diags.push({ severity, code, file: this.file, line, message });
  }
  error(line: number, code: DiagnosticCode, message: string): void {
    this.add('error', line, code, message);
  }
  warn(line: number, code: DiagnosticCode, message: string): void {
    this.add('warning', line, code, message);
  }
  get hasErrors(): boolean {
    return this.diags.some((d) => d.severity === 'error');
  }

  /** ld_gethostbyname: brackets stripped, numeric forms as getaddrinfo reads them, else the resolver. */
  host(name: string, af: Af, line: number): string | undefined | Promise<string | undefined> {
    const br = name.includes('[') ? /\[(.*)\]/s.exec(name) : null;
    const n = br ? br[1]! : name;
    if (af === 'inet' && isPlainQuad(n)) return n; // hot path: already canonical
    const aton = inetAton(n);
    if (aton !== undefined) {
      if (af === 'inet6') return undefined; // getaddrinfo(AF_INET6) does not map IPv4 literals
      const ip = intToIp(aton);
      if (ip !== n) this.warn(line, 'MISREAD', `"${n}" is read as the IPv4 address ${ip} (inet_aton rules, as upstream)`);
      return ip;
    }
    const v6 = canonicalIPv6(n);
    if (v6 !== undefined) return af === 'inet6' ? v6 : undefined;
    if (n === '' || /[\s\0]/.test(n)) return undefined;
    this.resolverCalls++;
    const key = `${af}|${n}`;
    let p = this.hostCache.get(key);
    if (!p) {
      p = Promise.resolve()
        .then(() => this.resolver.resolveHost(n, af))
        .then((a) => (a === undefined ? undefined : af === 'inet' ? (isPlainQuad(a) ? a : undefined) : canonicalIPv6(a)))
        .catch(() => undefined);
      this.hostCache.set(key, p);
    }
    return p;
  }

  /** ld_getservbyname: numeric 0..65535, else the services table for the protocol ('' = any). */
  service(name: string, protocol: 'tcp' | 'udp' | 'fwm' | ''): number | undefined | Promise<number | undefined> {
    if (/^[0-9]+$/.test(name)) {
      const n = Number(name);
      return n >= 0 && n < 65536 ? n : undefined;
    }
    if (protocol === 'fwm') return undefined;
    this.resolverCalls++;
    const key = `${protocol}|${name}`;
    let p = this.servCache.get(key);
    if (!p) {
      p = Promise.resolve().then(() => this.resolver.resolveService(name, protocol)).catch(() => undefined);
      this.servCache.set(key, p);
    }
    return p;
  }
}

function statusList(bits: number): EmailAlertStatus[] {
  return (Object.keys(STATUS_BITS) as EmailAlertStatus[]).filter((k) => (bits & STATUS_BITS[k]) !== 0);
}

function initialVirtual(af: Af, line: number): VState {
  return {
    af, line, ipPort: undefined, port: '0', fwm: undefined, protocol: 'tcp', service: undefined, serviceExplicit: false,
    checktype: 'negotiate', numConnects: 0, checkcommand: '/bin/true', request: '/', receive: '', login: '', passwd: '',
    database: '', secret: '', load: undefined, checktimeout: -1, negotiatetimeout: -1, checkcount: -1, failurecount: -1,
    checkinterval: undefined, checkport: undefined, scheduler: 'wrr', persistent: undefined, netmask: undefined,
    schedflags: undefined, ops: false, httpmethod: 'GET', virtualhost: undefined, fallback: undefined,
    fallbackcommand: undefined, quiescent: undefined, emailalert: undefined, emailalertfreq: undefined,
    emailalertstatus: undefined, monitorfile: undefined, cleanstop: undefined, smtp: undefined, smtpExtra: undefined, servicename: undefined,
    comment: undefined, reals: [], lines: Object.create(null) as Record<string, number>,
  };
}

function unknownHint(raw: string, inBlock: boolean): string {
  const m = /^[ \t\n\v\f\r]*(\w+)/.exec(raw);
  const name = m?.[1];
  if (name === undefined) return '';
  const indent = /^[ \t]*/.exec(raw)![0].replace(/\t/g, '    ').length;
  const blockName = VIRTUAL_DIRECTIVES.has(name) || name === 'real' || name === 'real6' || name === 'fallback6';
  if (!inBlock && indent > 0 && indent < 4 && blockName) {
    return GLOBAL_DIRECTIVES.has(name)
      ? ' (global directives must start in column 0; lines of a virtual block need at least 4 columns of indent, a TAB counts as 4)'
      : ' (lines of a virtual block must be indented by at least 4 columns; a TAB counts as 4)';
  }
  if (!inBlock && VIRTUAL_DIRECTIVES.has(name) && !GLOBAL_DIRECTIVES.has(name)) {
    return ` (${name} is only valid inside a virtual block, indented by at least 4 columns)`;
  }
  if (!inBlock && (name === 'real' || name === 'real6')) return ` (${name} is only valid inside a virtual block)`;
  if (!inBlock && GLOBAL_DIRECTIVES.has(name) && /^[ \t]/.test(raw)) return ` (global directives must start in column 0)`;
  if (inBlock && GLOBAL_DIRECTIVES.has(name) && !VIRTUAL_DIRECTIVES.has(name)) return ` (${name} is a global directive, not valid inside a virtual block)`;
  if (ALL_DIRECTIVE_NAMES.has(name.toLowerCase()) && name !== name.toLowerCase()) return ` (directive names are lower-case: ${name.toLowerCase()})`;
  if (ALL_DIRECTIVE_NAMES.has(name) && /=[ \t]*[^" \t]/.test(raw) && ['request', 'receive', 'login', 'passwd', 'database', 'secret', 'load', 'callback', 'logfile'].includes(name)) {
    return ` (the value of ${name} must be in double quotes${inBlock ? '; note that "#" starts a comment even inside quotes' : ''})`;
  }
  return '';
}

/** Parses the virtual= value (spec §2.2) into the initial %vsrv, with the fwmark-misread deviation. */
function startVirtual(rv: RawVirtual, ctx: Ctx): VState {
  const v = initialVirtual(rv.af, rv.line);
  const val = rv.value;
  let m: RegExpExecArray | null;
  if ((m = V_IP_PORT.exec(val)) && rv.af === 'inet') {
    v.ipPort = `${m[1]}:${m[2]}`;
    v.port = m[2]!;
  } else if ((m = V_HOST_PORT.exec(val))) {
    v.ipPort = `${m[1]}:${m[2]}`;
    v.port = m[2]!;
  } else if ((m = V_FWMARK.exec(val))) {
    const rest = val.slice(m[1]!.length);
    if (rest !== '' && !/^[ \t\n\v\f\r]/.test(rest)) {
      // Deviation (spec §7.2 item 5): upstream silently makes "10.0.0.1" or "10.0.0.1 : 80" fwmark 10.
      const guess = val.replace(/[ \t]*:[ \t]*/, ':').split(/[ \t]/)[0]!.replace(/:$/, '');
      ctx.error(rv.line, 'MISREAD',
        `invalid address for virtual server: "${val.trim()}" has no ":port"; upstream ldirectord would silently read it as firewall mark ${m[1]}. ` +
          `Write virtual=${/:[\w-]+$/.test(guess) ? guess : `${guess}:PORT`} for an address, or virtual=${m[1]} for a firewall mark`);
    } else if (Number(m[1]) > 0xffffffff) {
      ctx.error(rv.line, 'BAD_VIRTUAL', 'invalid address for virtual server (firewall mark out of range)');
    }
    v.fwm = m[1];
    v.protocol = 'fwm';
    v.service = 'none';
    v.port = '0';
  } else if ((m = V_V6.exec(val)) && rv.af === 'inet') {
    ctx.error(rv.line, 'BAD_VIRTUAL', 'cannot specify an IPv6 address here. please use "virtual6" instead.');
  } else if ((m = V_V6.exec(val))) {
    v.port = m[2]!;
    // after this error upstream stops; we keep reading the block but skip resolving the address
    if (canonicalIPv6(m[1]!) === undefined) ctx.error(rv.line, 'BAD_VIRTUAL', 'invalid ipv6 address for virtual server');
    else v.ipPort = `[${m[1]}]:${m[2]}`;
  } else {
    ctx.error(rv.line, 'BAD_VIRTUAL', 'invalid address for virtual server');
  }
  if (v.ipPort !== undefined && /:(53|domain)$/.test(v.ipPort)) v.protocol = 'udp';
  return v;
}

/** Applies the directives of one block in order (spec §2.6). */
function readBlock(rv: RawVirtual, v: VState, ctx: Ctx): void {
  // unknown lines do not change state, so reporting them after the directives keeps upstream's meaning
  for (const d of rv.directives) {
    v.lines[d.name] = d.line;
    applyVirtualDirective(d, v, ctx);
  }
  for (const u of rv.unknown) {
    ctx.error(u.line, 'UNKNOWN_COMMAND', `Unknown command "${u.raw}"${unknownHint(u.raw.replace(/#.*/s, ''), true)}`);
  }
}

function applyVirtualDirective(d: RawDirective, v: VState, ctx: Ctx): void {
  const value = d.value ?? '';
  if (d.name === 'real' || d.name === 'real6') {
    if ((v.af === 'inet') !== (d.name === 'real')) {
      ctx.error(d.line, 'BAD_REAL', `cannot specify "${d.name}" here.  please use "real${v.af === 'inet' ? '' : '6'}" instead`);
      return;
    }
    v.reals.push({ value, line: d.line });
    return;
  }
  if (d.name === 'fallback' || d.name === 'fallback6') {
    if ((v.af === 'inet') !== (d.name === 'fallback')) {
      ctx.error(d.line, 'BAD_FALLBACK', `cannot specify "${d.name}" here.  please use "fallback${v.af === 'inet' ? '' : '6'}" instead`);
    }
    v.fallback = parseFallback(d.line, value, v.port, ctx);
    return;
  }
  const h = VIRTUAL_DIRECTIVES.get(d.name);
  if (!h || !h(d, v, ctx)) {
    const hint = /"[^"]*#/.test(d.raw)
      ? ' ("#" starts a comment inside a virtual block, even inside quotes)'
      : unknownHint(d.raw.replace(/#.*/s, ''), true);
    ctx.error(d.line, 'UNKNOWN_COMMAND', `Unknown command "${d.raw}"${hint}`);
  }
}

/** _ld_read_config_fallback_resolve: host for the AF, port (if any) for the protocol. */
async function resolveFallback(fb: RawFallback, protocol: 'tcp' | 'udp' | 'fwm', af: Af, ctx: Ctx): Promise<Fallback | undefined> {
  const address = await ctx.host(fb.server, af, fb.line);
  let ok = true;
  if (address === undefined) {
    ctx.error(fb.line, 'UNRESOLVED', `invalid ${af === 'inet' ? 'IPv4' : 'IPv6'} address or could not resolve for fallback server: ${fb.server}`);
    ok = false;
  }
  let port: number | undefined;
  if (perlTrue(fb.port)) {
    const p = await ctx.service(fb.port!, protocol);
    if (p === undefined || p === 0) {
      ctx.error(fb.line, 'UNRESOLVED', 'invalid port for fallback server');
      ok = false;
    } else port = p;
  } else if (fb.port !== undefined && fb.port !== '') port = 0;
  if (!ok) return undefined;
  const pos = { file: ctx.file, line: fb.line };
  return port === undefined ? { pos, af, address: address!, forward: fb.forward } : { pos, af, address: address!, port, forward: fb.forward };
}

/** add_real_server's flag parsing, faithful, plus the strict check that turns silent misreads into errors. */
function parseFlags(line: number, flags: string, ctx: Ctx): Flags | undefined {
  const simple = FLAGS_SIMPLE.exec(flags);
  if (simple) return { forward: simple[1] as Forward, weight: simple[2] !== undefined ? Number(simple[2]) : 1 };
  const fm = FLAG_FORWARD.exec(flags);
  if (!fm || !['gate', 'masq', 'ipip'].includes(fm[1]!)) {
    ctx.error(line, 'BAD_REAL', 'forward method must be gate, masq or ipip');
    return undefined;
  }
  const out: Flags = { forward: fm[1] as Forward, weight: 1 };
  let rest = fm[2]!;
  let m = FLAG_WEIGHT.exec(rest);
  if (m) {
    out.weight = Number(m[1]);
    rest = m[2]!;
  }
  m = FLAG_REQ.exec(rest);
  if (m) {
    out.request = m[1]!.startsWith('/') ? m[1]! : `/${m[1]!}`;
    out.receive = m[2]!;
    if (out.receive !== '') checkReceive(line, out.receive, ctx);
    rest = m[3]!;
  }
  m = FLAG_L.exec(rest);
  if (m) {
    out.lower = Number(m[1]);
    rest = m[2]!;
  }
  m = FLAG_U.exec(rest);
  if (m) {
    out.upper = Number(m[1]);
    rest = m[2]!;
  }
  if (NONBLANK.test(rest)) {
    ctx.error(line, 'BAD_REAL', `Invalid real server line, around "${rest}"`);
    return undefined;
  }
  if (fm.index !== 0 || !FLAGS_STRICT.test(flags)) {
    // Deviation (spec §7.2 item 6): upstream ignores text it skips over; say what it would have done.
    const got = `${out.forward} weight ${out.weight}${out.lower !== undefined ? ` l:${out.lower}` : ''}${out.upper !== undefined ? ` u:${out.upper}` : ''}`;
    ctx.error(line, 'MISREAD',
      `Invalid real server line, around "${flags}": upstream ldirectord would silently read this as "${got}" and ignore the rest. ` +
        'Expected: gate|masq|ipip [weight] ["request", "receive"] [l:N] [u:N], in this order');
    return undefined;
  }
  return out;
}

/** _ld_read_config_real_resolve for one real= line: format, resolution, range expansion, flags. */
async function readReal(v: VState, value: string, line: number, ctx: Ctx): Promise<RealServer[]> {
  const m = REAL_RE.exec(value);
  if (!m) {
    ctx.error(line, 'BAD_REAL', 'invalid address for real server (wrong format)');
    return [];
  }
  if (m.index !== 0) {
    // Deviation (spec §7.2 item 25): upstream's unanchored regex skips leading text, e.g. "1.2.3.4::5060" -> host 5060.
    const first = /^\S*/.exec(value)![0];
    const dbl = /^([^\s:]+)::(\d+)(\s.*)?$/s.exec(value.trim());
    const meant = canonicalIPv6(first.replace(/^\[|\]$/g, '')) !== undefined
      ? `IPv6 addresses need brackets and real6 in a virtual6 block: real6=[${first.replace(/^\[|\]$/g, '')}]:PORT ...`
      : dbl
        ? `Did you mean real=${dbl[1]}:${dbl[2]}${dbl[3] ?? ''}?`
        : 'Expected: real=HOST[->HOST][:PORT] gate|masq|ipip [weight] ...';
    ctx.error(line, 'MISREAD',
      `invalid address for real server (wrong format): upstream ldirectord would skip "${value.slice(0, m.index)}" and read the real server as "${m[1]}${m[5] !== undefined ? `:${m[5]}` : ''}". ${meant}`);
    return [];
  }
  const ip1 = m[1]!;
  const ip2 = m[3];
  const portText = m[5] ?? '0';
  const flagsText = m[6]!;
  let ok = true;
  let a1 = ctx.host(ip1, v.af, line);
  if (a1 instanceof Promise) a1 = await a1;
  if (a1 === undefined) {
    ctx.error(line, 'UNRESOLVED', `invalid address (${ip1}) for real server (could not resolve host)`);
    ok = false;
  }
  let port = ctx.service(portText, '');
  if (port instanceof Promise) port = await port;
  if (port === undefined) {
    ctx.error(line, 'UNRESOLVED', `invalid port (${portText}) for real server (could not resolve port)`);
    ok = false;
  }
  let addresses: string[] = a1 !== undefined ? [a1] : [];
  if (ip2 !== undefined) {
    let a2 = ctx.host(ip2, v.af, line);
    if (a2 instanceof Promise) a2 = await a2;
    if (a2 === undefined) {
      ctx.error(line, 'UNRESOLVED', `invalid address (${ip2}) for real server (could not resolve end host)`);
      ok = false;
    } else if (a1 !== undefined) {
      if (v.af === 'inet6') {
        ctx.error(line, 'BAD_REAL', 'Address range for IPv6 is not supported yet');
        ok = false;
      } else {
        const f = inetAton(a1)!;
        const l = inetAton(a2)!;
        if (f > l) {
          ctx.error(line, 'BAD_REAL', `Invalid Range: ${a1}-${a2}: First value must be greater than or equal to the second value`);
          ok = false;
        } else if (l - f + 1 > MAX_RANGE) {
          ctx.error(line, 'BAD_REAL', `Invalid Range: ${a1}-${a2}: ${l - f + 1} addresses, more than ${MAX_RANGE}`);
          ok = false;
        } else if (ctx.realsExpanded + (l - f + 1) > MAX_REALS) {
          ctx.error(line, 'BAD_REAL', `Invalid Range: ${a1}-${a2}: the config would hold more than ${MAX_REALS} real servers in all`);
          ok = false;
        } else {
          if (String(f).length !== String(l).length) {
            ctx.warn(line, 'MISREAD', `range ${a1}-${a2} is expanded to every address; upstream ldirectord compares the ends as strings and expands it differently`);
          }
          addresses = [];
          for (let i = f; i <= l; i++) addresses.push(intToIp(i));
        }
      }
    }
  }
  const flags = parseFlags(line, flagsText, ctx);
  if (!ok || !flags || port === undefined) return [];
  if (ip2 === undefined && ctx.realsExpanded + 1 > MAX_REALS) {
    ctx.error(line, 'BAD_REAL', `too many real servers: the config would hold more than ${MAX_REALS} in all`);
    return [];
  }
  ctx.realsExpanded += addresses.length;
  const pos: Position = { file: ctx.file, line };
  const request = flags.request ?? v.request;
  const receive = flags.request !== undefined ? flags.receive! : v.receive;
  Object.freeze(pos);
  const host = ip1 + (ip2 !== undefined ? `->${ip2}` : '');
  return addresses.map((address) => {
    const r: Mutable<RealServer> = { pos, af: v.af, address, port, forward: flags.forward, weight: flags.weight };
    if (flags.lower !== undefined) r.lowerThreshold = flags.lower;
    if (flags.upper !== undefined) r.upperThreshold = flags.upper;
    if (flags.request !== undefined) {
      r.request = flags.request;
      r.receive = flags.receive!;
    }
    r.effectiveRequest = request;
    r.effectiveReceive = receive;
    r.host = host;
    return Object.freeze(r as RealServer);
  });
}

interface Built {
  v: VState;
  endLine: number;
  key?: VirtualKey;
  address?: string;
  portNum: number;
  server?: string;
  fallback?: Fallback;
  reals: RealServer[];
  /** buildVirtual's result and the globals it was built with (kept for a memoised block's next parse). */
  out?: { readonly globals: string; readonly virtual: VirtualService };
}

/** Resolves one finished block as upstream does after the block ends: fallback, virtual, reals. */
async function finishVirtual(v: VState, endLine: number, ctx: Ctx): Promise<Built> {
  const b: Built = { v, endLine, portNum: 0, reals: [] };
  if (v.fallback) {
    const fb = await resolveFallback(v.fallback, v.protocol, v.af, ctx);
    if (fb) b.fallback = fb;
  }
  if (v.ipPort !== undefined) {
    const pm = PORT_SUFFIX.exec(v.ipPort)!;
    const hostText = v.ipPort.slice(0, pm.index);
    const addr = await ctx.host(hostText, v.af, v.line);
    const port = pm[2] !== undefined ? await ctx.service(pm[2], v.protocol) : undefined;
    if (addr === undefined || port === undefined) {
      ctx.error(v.line, 'UNRESOLVED', 'invalid address for virtual service');
    } else {
      b.address = addr;
      b.portNum = port;
      b.server = bracketed(addr);
      b.key = { kind: 'addr', af: v.af, protocol: v.protocol === 'udp' ? 'udp' : 'tcp', address: addr, port };
      if (v.service === undefined) v.service = portToService(port);
    }
  } else if (v.fwm !== undefined) {
    b.key = { kind: 'fwmark', af: v.af, fwmark: Number(v.fwm) };
  }
  for (const r of v.reals) b.reals.push(...(await readReal(v, r.value, r.line, ctx)));
  return b;
}

function virtualId(b: Built): string | undefined {
  if (b.v.protocol === 'fwm') return `fwm${b.v.af === 'inet6' ? '6' : ''}:${b.v.fwm}`;
  if (b.server === undefined) return undefined;
  return `${b.v.protocol}:${b.server}:${b.portNum}`;
}

function globalFallback(fb: RawFallback | undefined, af: Af, ctx: Ctx): Promise<GlobalFallback | undefined> {
  if (!fb) return Promise.resolve(undefined);
  return Promise.all([resolveFallback(fb, 'tcp', af, ctx), resolveFallback(fb, 'udp', af, ctx)]).then(([tcp, udp]) =>
    tcp && udp ? { tcp, udp } : undefined,
  );
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const k of Object.keys(o)) deepFreeze((o as Record<string, unknown>)[k]);
  }
  return o;
}

/** Applies upstream's reading rules to a RawConfig and builds the frozen Config (or all diagnostics). */
export async function normalize(raw: RawConfig, opts: NormalizeOptions): Promise<NormalizeResult> {
  const ctx = new Ctx(raw.file, opts.resolver, opts.hostname);
  const g: GState = initialGlobals();
  const built: Built[] = [];
  const seenIds = new Set<string>();
  const globalLines: Record<string, number> = Object.create(null) as Record<string, number>;
  // Global fallbacks are resolved where they appear, as upstream does; keep the last of each family.
  let gfb: Promise<GlobalFallback | undefined> = Promise.resolve(undefined);
  let gfb6: Promise<GlobalFallback | undefined> = Promise.resolve(undefined);
  const scope = `${raw.file}\0${ctx.hostname}`;
  const memo = new Map<string, BlockMemo>();
  for (const item of raw.items) {
    if (item.kind === 'virtual') {
      const b = await readVirtual(item.v, ctx, scope, opts.memo, memo);
      const id = virtualId(b);
      if (id !== undefined) {
        if (seenIds.has(id)) ctx.error(b.endLine, 'DUPLICATE_VIRTUAL', `duplicate virtual server (${id})`);
        seenIds.add(id);
      }
      built.push(b);
    } else if (item.kind === 'unknown') {
      const hint = item.afterBlockAt !== undefined
        ? ` (the blank line at line ${item.afterBlockAt} ended the virtual block; blank lines are not allowed inside a block)`
        : unknownHint(item.raw, false);
      ctx.error(item.line, 'UNKNOWN_COMMAND', `Unknown command ${item.raw}${hint}`);
    } else {
      const d = item.d;
      globalLines[d.name] = d.line;
      const h = GLOBAL_DIRECTIVES.get(d.name);
      if (!h || !h(d, g, ctx)) ctx.error(d.line, 'UNKNOWN_COMMAND', `Unknown command ${d.raw}${unknownHint(d.raw, false)}`);
      else if (d.name === 'fallback') gfb = globalFallback(g.fallback, 'inet', ctx);
      else if (d.name === 'fallback6') gfb6 = globalFallback(g.fallback6, 'inet6', ctx);
    }
  }
  const [fallback, fallback6] = await Promise.all([gfb, gfb6]);
  const sync = syncConfig(g, globalLines, ctx.file, ctx);
  if (!g.fork) {
    for (const b of built) {
      const id = virtualId(b);
      if (b.v.checkinterval !== undefined && id !== undefined) ctx.warn(0, 'BAD_VALUE', `checkinterval in virtual service ${id} ignored when fork=no`);
    }
  }
  // line order reads best; line 0 (whole-file) messages go last. Array.prototype.sort is stable.
  const order = (line: number): number => (line > 0 ? line : Number.MAX_SAFE_INTEGER);
  ctx.diags.sort((a, b) => order(a.line) - order(b.line));
  if (ctx.hasErrors) return { ok: false, diagnostics: ctx.diags };

  const global: GlobalConfig = {
    ...(g.checktimeout > 0 ? { checkTimeout: g.checktimeout } : {}),
    ...(g.negotiatetimeout > 0 ? { negotiateTimeout: g.negotiatetimeout } : {}),
    checkInterval: g.checkinterval,
    checkCount: g.checkcount,
    failureCount: g.failurecount,
    ...(fallback ? { fallback } : {}),
    ...(fallback6 ? { fallback6 } : {}),
    ...(g.fallbackcommand !== undefined ? { fallbackCommand: g.fallbackcommand } : {}),
    autoreload: g.autoreload,
    ...(g.callback !== undefined ? { callback: g.callback } : {}),
    logfile: g.logfile,
    execute: g.execute,
    fork: g.fork,
    supervised: g.supervised,
    quiescent: g.quiescent,
    readdQuiescent: g.readdquiescent,
    emailAlert: g.emailalert,
    emailAlertFreq: g.emailalertfreq,
    emailAlertStatus: statusList(g.emailalertstatus),
    ...(g.emailalertfrom !== undefined ? { emailAlertFrom: g.emailalertfrom } : {}),
    cleanStop: g.cleanstop,
    ...(g.smtp !== undefined ? { smtp: g.smtp } : {}),
    ...(g.smtpExtra !== undefined ? { smtpExtra: g.smtpExtra } : {}),
    ...(g.maintenancedir !== undefined ? { maintenanceDir: g.maintenancedir } : {}),
    ...(sync !== undefined ? { sync } : {}),
    ...(g.metrics !== undefined ? { metrics: g.metrics } : {}),
    lines: { ...globalLines },
  };
  // Everything of the globals a virtual may inherit (all of them: a rule added to buildVirtual stays covered).
  const inherited = opts.memo ? JSON.stringify([g, global.fallback, global.fallback6]) : '';
  const virtuals = built.map((b) => {
    if (b.out?.globals !== inherited || !opts.memo) b.out = { globals: inherited, virtual: buildVirtual(b, g, global, ctx.file) };
    return b.out.virtual;
  });
  const config: Config = { pos: { file: ctx.file, line: 0 }, global, virtuals };
  opts.memo?.set(scope, memo);
  return { ok: true, config: deepFreeze(config), warnings: ctx.diags };
}

/**
 * Reads one virtual block, or takes it from `previous` when its text and position are unchanged (its
 * warnings are reported again, its reals counted again); `next` collects what the next parse may reuse.
 */
async function readVirtual(rv: RawVirtual, ctx: Ctx, scope: string, previous: ParseMemo | undefined, next: Map<string, BlockMemo>): Promise<Built> {
  if (!previous) {
    const v = startVirtual(rv, ctx);
    readBlock(rv, v, ctx);
    return finishVirtual(v, rv.endLine, ctx);
  }
  // The text itself is the key (a slice of the file: no copy is made to look it up); af is in its first line.
  const key = rv.source;
  const known = previous.get(scope, key);
  const hit = known?.line === rv.line && known.endLine === rv.endLine ? known : undefined;
  // Over the cap a fresh read reports where (MAX_REALS); under it the block reads as before.
  if (hit && ctx.realsExpanded + hit.reals <= MAX_REALS) {
    for (const d of hit.diags) ctx.warn(d.line, d.code, d.message);
    ctx.realsExpanded += hit.reals;
    next.set(key, hit);
    return hit.built;
  }
  const d0 = ctx.diags.length;
  const calls = ctx.resolverCalls;
  const reals = ctx.realsExpanded;
  const v = startVirtual(rv, ctx);
  readBlock(rv, v, ctx);
  const b = await finishVirtual(v, rv.endLine, ctx);
  // The real= texts are read (b.reals): the memo need not keep them and the lines they hold (~1 MB at 10,000).
  v.reals = [];
  // Its own lines only: a global fallback resolved meanwhile may have reported too.
  const last = rv.line + rv.source.split('\n').length - 1;
  const diags = ctx.diags.slice(d0).filter((d) => d.line >= rv.line && d.line <= last);
  if (ctx.resolverCalls === calls && diags.every((d) => d.severity === 'warning')) next.set(key, { line: rv.line, endLine: rv.endLine, built: b, diags, reals: ctx.realsExpanded - reals });
  return b;
}

/** ld_setup for one virtual: timeouts lookup order, counts, effective fallback and inherited globals. */
function buildVirtual(b: Built, g: GState, global: GlobalConfig, file: string): VirtualService {
  const v = b.v;
  const first = (...xs: number[]): number => xs.find((x) => x >= 0) ?? -1;
  const checkTimeout = first(v.checktimeout, v.negotiatetimeout, g.checktimeout, g.negotiatetimeout, 5);
  const negotiateTimeout = first(v.negotiatetimeout, v.checktimeout, g.negotiatetimeout, g.checktimeout, 30);
  const key = b.key!;
  const port = key.kind === 'addr' ? key.port : 0;
  let effectiveFallback = b.fallback;
  if (!effectiveFallback) {
    const gf = v.af === 'inet' ? global.fallback : global.fallback6;
    if (gf) {
      // fwmark services: upstream looks up a "fwm" entry that does not exist (spec §2.4); we use the tcp one.
      const entry = v.protocol === 'udp' ? gf.udp : gf.tcp;
      effectiveFallback = entry.port !== undefined ? entry : { ...entry, port };
    }
  }
  const fallbackCommand = v.fallbackcommand ?? g.fallbackcommand;
  const smtp = v.smtp ?? g.smtp;
  // The port and credentials belong to the host they were written with.
  const smtpExtra = v.smtp !== undefined ? v.smtpExtra : g.smtpExtra;
  const display = key.kind === 'fwmark' ? String(v.fwm) : `${b.server}:${port}`;
  return {
    pos: { file, line: v.line },
    af: v.af,
    key,
    protocol: v.protocol,
    ...(b.address !== undefined ? { address: b.address } : {}),
    port,
    ...(key.kind === 'fwmark' ? { fwmark: key.fwmark } : {}),
    id: virtualId(b)!,
    display,
    service: v.service ?? 'none',
    serviceExplicit: v.serviceExplicit,
    checkType: v.checktype as CheckType,
    ...(v.checktype === 'combined' ? { combinedCount: v.numConnects } : {}),
    checkCommand: v.checkcommand,
    checkTimeout,
    negotiateTimeout,
    checkCount: v.checkcount >= 0 ? v.checkcount : g.checkcount,
    failureCount: v.failurecount >= 0 ? v.failurecount : g.failurecount,
    ...(v.checkinterval !== undefined ? { checkInterval: v.checkinterval } : {}),
    ...(v.checkport !== undefined ? { checkPort: v.checkport } : {}),
    request: v.request,
    receive: v.receive,
    login: v.login,
    passwd: v.passwd,
    database: v.database,
    secret: v.secret,
    ...(v.load !== undefined ? { load: v.load } : {}),
    scheduler: v.scheduler,
    ...(v.persistent !== undefined ? { persistent: v.persistent } : {}),
    ...(v.netmask !== undefined ? { netmask: v.netmask } : {}),
    ...(v.schedflags !== undefined ? { schedFlags: v.schedflags } : {}),
    ops: v.ops,
    httpMethod: v.httpmethod,
    ...(v.virtualhost !== undefined ? { virtualHost: v.virtualhost } : {}),
    ...(b.fallback ? { fallback: b.fallback } : {}),
    ...(effectiveFallback ? { effectiveFallback } : {}),
    ...(fallbackCommand !== undefined ? { fallbackCommand } : {}),
    quiescent: v.quiescent ?? g.quiescent,
    emailAlert: v.emailalert ?? g.emailalert,
    emailAlertFreq: v.emailalertfreq ?? g.emailalertfreq,
    emailAlertStatus: statusList(v.emailalertstatus ?? g.emailalertstatus),
    ...(v.monitorfile !== undefined ? { monitorFile: v.monitorfile } : {}),
    cleanStop: v.cleanstop ?? g.cleanstop,
    ...(smtp !== undefined ? { smtp } : {}),
    ...(smtpExtra !== undefined ? { smtpExtra } : {}),
    ...(v.servicename !== undefined ? { serviceName: v.servicename } : {}),
    ...(v.comment !== undefined ? { comment: v.comment } : {}),
    reals: b.reals,
    lines: { ...v.lines },
  };
}

