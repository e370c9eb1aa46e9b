// The directive table: for each global and per-virtual directive, its value parser and upstream's error text.
import { SERVICE_NAMES, type ServiceName } from '../../src/model/config.js';
import type { Forward } from '../../src/model/config.js';
import type { DiagnosticCode } from './diagnostics.js';
import type { RawDirective } from './parser.js';
import { WS, perlTrue } from './lexer.js';
import { STATUS_ALL, STATUS_BITS, type GState, type RawFallback, type VState } from './state.js';
import { SYNC_DIRECTIVES } from './sync.js';

/** Where handlers report problems. */
export interface Reporter {
  error(line: number, code: DiagnosticCode, message: string): void;
  warn(line: number, code: DiagnosticCode, message: string): void;
  /** Director host name for ftp/sip login defaults. */
  readonly hostname: string;
}

/** A handler returns false when the line does not have the directive's shape (upstream: Unknown command). */
export type GlobalHandler = (d: RawDirective, g: GState, r: Reporter) => boolean;
/** Per-virtual handler; the value is the comment-stripped, tab-expanded rest of the line. */
export type VirtualHandler = (d: RawDirective, v: VState, r: Reporter) => boolean;

const DIGITS = /(\d+)/;
/** `name\s*=\s*"(.*)"`: quoted value, greedy to the last quote; undefined when not quoted. */
function quoted(value: string): string | undefined {
  const m = /^"(.*)"/s.exec(value);
  return m ? m[1] : undefined;
}
/** Quotes optional: `"(.*)"` first, else the raw value. */
function optQuoted(value: string): string {
  return quoted(value) ?? value;
}
/** First digit run anywhere, as upstream's `$1 =~ /(\d+)/`. */
function digits(value: string): string | undefined {
  const m = DIGITS.exec(value);
  return m ? m[1] : undefined;
}
function yesNo(value: string): boolean | undefined {
  return value === 'yes' ? true : value === 'no' ? false : undefined;
}

const EMAIL_SPLIT = new RegExp(`${WS}*,${WS}*`);

/** parse_emailalertstatus: comma list to a bitmask, with upstream's two error texts. */
export function parseEmailAlertStatus(line: number, value: string, r: Reporter): number {
  const parts = value.split(EMAIL_SPLIT);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop(); // Perl split drops trailing empties
  const none = parts.includes('none');
  let status = 0;
  for (const p of parts) {
    if (p === 'none') continue;
    if (p === 'all') status = STATUS_ALL;
    else if (Object.hasOwn(STATUS_BITS, p)) status |= STATUS_BITS[p as keyof typeof STATUS_BITS];
    else r.error(line, 'BAD_VALUE', `invalid email alert status at: "${p}"`);
    if (none) r.error(line, 'BAD_VALUE', `invalid email alert status: "${p}" specified with "none"`);
  }
  return status;
}

function readEmailAlert(line: number, value: string, r: Reporter): string {
  const m = /^"([^"]*)"$/.exec(value);
  const addr = m ? m[1]! : value;
  if (addr === '') r.error(line, 'BAD_VALUE', 'no email address specified');
  return addr;
}

const FALLBACK_TOKENS_RE = new RegExp(`(\\S+)(${WS}+(\\S+))?${WS}*$`, 's');
const PORT_SUFFIX_RE = /(:(\d+|[A-Za-z0-9\-_]+))?$/;
const FORWARDS: readonly string[] = ['gate', 'masq', 'ipip'];

/** parse_fallback: last one or two tokens = host[:port] and forwarding method (default gate). */
export function parseFallback(line: number, value: string, defaultPort: string | undefined, r: Reporter): RawFallback {
  let parse = value;
  let fwd: string | undefined;
  const m = FALLBACK_TOKENS_RE.exec(parse);
  if (m) {
    fwd = m[3];
    parse = m[1]!;
  }
  const pm = PORT_SUFFIX_RE.exec(parse)!;
  const port = pm[2] ?? defaultPort;
  const server = parse.slice(0, pm.index);
  let forward: Forward = 'gate';
  if (fwd !== undefined && fwd !== '') {
    if (FORWARDS.includes(fwd)) forward = fwd as Forward;
    else r.error(line, 'BAD_FALLBACK', 'forward method must be gate, masq or ipip');
  }
  return { line, server, port, forward };
}

function positive(d: RawDirective, msg: string, r: Reporter, strictlyPositive: boolean): number | undefined {
  const n = digits(d.value ?? '');
  const ok = perlTrue(n) && (!strictlyPositive || Number(n) > 0);
  if (!ok) {
    r.error(d.line, 'BAD_VALUE', msg);
    return undefined;
  }
  return Number(n);
}

function yesNoDirective(d: RawDirective, name: string, r: Reporter): boolean | undefined {
  const b = yesNo(d.value ?? '');
  if (b === undefined) {
    const v = d.value ?? '';
    const hint = /^(yes|no)[ \t\r]/.test(v)
      ? ` (the value is "${v.replace(/\r/g, '\\r')}": upstream keeps trailing blanks${/[\r]/.test(v) ? ' and the CR of CRLF line ends' : ''}${/#/.test(v) ? ' and comments' : ''} on this line)`
      : '';
    r.error(d.line, 'BAD_VALUE', `${name} must be 'yes' or 'no'${hint}`);
  }
  return b;
}

const SMTP_RE = /^([0-9A-Za-z._+-]+)/;
const DEPRECATED_CONNECT = 'connecttimeout directive deprecated in favour of negotiatetimeout';

/** Global (outer-context) directives, keyed by name (spec §2.5). */
export const GLOBAL_DIRECTIVES: ReadonlyMap<string, GlobalHandler> = new Map<string, GlobalHandler>([
  ['checktimeout', (d, g, r) => { const n = positive(d, 'invalid check timeout value', r, true); if (n !== undefined) g.checktimeout = n; return true; }],
  ['connecttimeout', (d, _g, r) => { r.error(d.line, 'DEPRECATED', DEPRECATED_CONNECT); return true; }],
  ['negotiatetimeout', (d, g, r) => { const n = positive(d, 'invalid negotiate timeout value', r, true); if (n !== undefined) g.negotiatetimeout = n; return true; }],
  ['checkinterval', (d, g, r) => { const n = positive(d, 'invalid check interval value', r, false); if (n !== undefined) g.checkinterval = n; return true; }],
  ['checkcount', (d, g, r) => {
    const n = positive(d, 'invalid check count value', r, false);
    if (n !== undefined) g.checkcount = n;
    r.warn(d.line, 'DEPRECATED', "checkcount option is deprecated and slated for removal.  please see 'failurecount'");
    return true;
  }],
  ['failurecount', (d, g, r) => { const n = positive(d, 'invalid failure count value', r, false); if (n !== undefined) g.failurecount = n; return true; }],
  ['fallback', (d, g, r) => { g.fallback = parseFallback(d.line, d.value ?? '', undefined, r); return true; }],
  ['fallback6', (d, g, r) => { g.fallback6 = parseFallback(d.line, d.value ?? '', undefined, r); return true; }],
  ['fallbackcommand', (d, g, r) => {
    if (d.value === '') r.error(d.line, 'BAD_VALUE', 'invalid fallback command');
    else g.fallbackcommand = d.value;
    return true;
  }],
  ['autoreload', (d, g, r) => { const b = yesNoDirective(d, 'autoreload', r); if (b !== undefined) g.autoreload = b; return true; }],
  ['callback', (d, g) => { const q = quoted(d.value ?? ''); if (q === undefined) return false; g.callback = q; return true; }],
  ['logfile', (d, g) => { const q = quoted(d.value ?? ''); if (q === undefined) return false; g.logfile = q; return true; }],
  ['execute', (d, g) => { if (!g.execute.includes(d.value ?? '')) g.execute.push(d.value ?? ''); return true; }],
  ['fork', (d, g, r) => { const b = yesNoDirective(d, 'fork', r); if (b !== undefined) g.fork = b; return true; }],
  ['supervised', (d, g, r) => {
    if (d.value === undefined && new RegExp(`^supervised${WS}*$`).test(d.raw)) {
      g.supervised = true;
      r.warn(d.line, 'DEPRECATED', 'please update your config not to use a bare supervised directive');
    } else if (d.name === 'supervised' && (d.value === 'yes' || d.value === 'no')) {
      g.supervised = d.value === 'yes';
    } else {
      r.error(d.line, 'BAD_VALUE', "supervised must be 'yes' or 'no'");
    }
    return true;
  }],
  ['quiescent', (d, g, r) => { const b = yesNoDirective(d, 'quiescent', r); if (b !== undefined) g.quiescent = b; return true; }],
  ['readdquiescent', (d, g, r) => { const b = yesNoDirective(d, 'readdquiescent', r); if (b !== undefined) g.readdquiescent = b; return true; }],
  ['emailalert', (d, g, r) => { g.emailalert = readEmailAlert(d.line, d.value ?? '', r); return true; }],
  ['emailalertfreq', (d, g, r) => {
    const m = /^(\d+)/.exec(d.value ?? '');
    if (!m) r.error(d.line, 'BAD_VALUE', 'invalid email alert frequency');
    else g.emailalertfreq = Number(m[1]);
    return true;
  }],
  ['emailalertstatus', (d, g, r) => { g.emailalertstatus = parseEmailAlertStatus(d.line, d.value ?? '', r); return true; }],
  ['emailalertfrom', (d, g, r) => {
    if (d.value === '') r.error(d.line, 'BAD_VALUE', 'no email from address specified');
    else g.emailalertfrom = d.value;
    return true;
  }],
  ['cleanstop', (d, g, r) => { const b = yesNoDirective(d, 'cleanstop', r); if (b !== undefined) g.cleanstop = b; return true; }],
  ['smtp', (d, g, r) => {
    const m = SMTP_RE.exec(d.value ?? '');
    if (!m) r.error(d.line, 'BAD_VALUE', 'invalid SMTP server address');
    else g.smtp = m[1];
    return true;
  }],
  ['maintenancedir', (d, g, r) => {
    if (d.value === '') r.error(d.line, 'BAD_VALUE', 'maintenance directory not specified');
    else g.maintenancedir = d.value;
    return true;
  }],
  ['timeout', (d, _g, r) => {
    r.error(d.line, 'DEPRECATED', 'timeout directive deprecated in favour of checktimeout and negotiatetimeout');
    return true;
  }],
  ...SYNC_DIRECTIVES,
]);

const CHECKTYPES: readonly string[] = ['connect', 'negotiate', 'ping', 'off', 'on', 'external', 'external-perl'];
const SERVICE_SET: ReadonlySet<string> = new Set(SERVICE_NAMES);
/** Upstream's (HEAD) text for an unknown service=. */
export const SERVICE_MESSAGE =
  'service must be dns, ftp, http, https, http_proxy, imap, imaps, ldap, ldaps, mysql, nntp, none, oracle, pop, pops, radius, pgsql, simpletcp, sip, smtp or submission';

/** A required-quotes string directive (`name="..."`, non-empty). */
function quotedString(msg: string, set: (v: VState, s: string) => void): VirtualHandler {
  return (d, v, r) => {
    const q = quoted(d.value ?? '');
    if (q === undefined) return false;
    if (q === '') r.error(d.line, 'BAD_VALUE', msg);
    else set(v, q);
    return true;
  };
}

function vPositive(msg: string, set: (v: VState, n: number) => void): VirtualHandler {
  return (d, v, r) => {
    const n = positive(d, msg, r, false);
    if (n !== undefined) set(v, n);
    return true;
  };
}

function vYesNo(name: string, set: (v: VState, b: boolean) => void): VirtualHandler {
  return (d, v, r) => {
    const b = yesNoDirective(d, name, r);
    if (b !== undefined) set(v, b);
    return true;
  };
}

/** Per-virtual directives, keyed by name (spec §2.6); real/fallback are handled by the normaliser. */
export const VIRTUAL_DIRECTIVES: ReadonlyMap<string, VirtualHandler> = new Map<string, VirtualHandler>([
  ['request', quotedString('no request string specified', (v, s) => { v.request = s.startsWith('/') ? s : `/${s}`; })],
  ['receive', quotedString('invalid receive string', (v, s) => { v.receive = s; })],
  ['checktype', (d, v, r) => {
    const val = d.value ?? '';
    const n = digits(val);
    if (n !== undefined) {
      v.numConnects = Number(n);
      v.checktype = 'combined';
      return true;
    }
    const w = /([\w-]+)/.exec(val);
    if (w && CHECKTYPES.includes(w[1]!)) v.checktype = w[1]!;
    else r.error(d.line, 'BAD_VALUE', 'checktype must be "connect", "negotiate", "on", "off", "ping", "external", "external-perl" or a positive number');
    return true;
  }],
  ['checkcommand', (d, v, r) => {
    const s = optQuoted(d.value ?? '');
    if (s === '') r.error(d.line, 'BAD_VALUE', 'invalid check command');
    else v.checkcommand = s;
    return true;
  }],
  ['checktimeout', vPositive('invalid check timeout', (v, n) => { v.checktimeout = n; })],
  ['connecttimeout', (d, _v, r) => { r.error(d.line, 'DEPRECATED', DEPRECATED_CONNECT); return true; }],
  ['negotiatetimeout', vPositive('invalid negotiate timeout', (v, n) => { v.negotiatetimeout = n; })],
  ['checkcount', (d, v, r) => {
    const n = positive(d, 'invalid check count', r, false);
    if (n !== undefined) v.checkcount = n;
    r.warn(d.line, 'DEPRECATED', "checkcount option is deprecated and slated for removal.  please see 'failurecount'");
    return true;
  }],
  ['failurecount', vPositive('invalid failure count', (v, n) => { v.failurecount = n; })],
  ['checkinterval', vPositive('invalid checkinterval', (v, n) => { v.checkinterval = n; })],
  ['checkport', (d, v, r) => {
    const n = digits(d.value ?? '');
    if (n === undefined) r.error(d.line, 'BAD_VALUE', 'invalid port');
    else if (!(Number(n) > 0 && Number(n) < 65536)) r.error(d.line, 'BAD_VALUE', 'checkport must be in range 1..65536');
    else v.checkport = Number(n);
    return true;
  }],
  ['login', quotedString('invalid login string', (v, s) => { v.login = s; })],
  ['passwd', quotedString('invalid password', (v, s) => { v.passwd = s; })],
  ['database', quotedString('invalid database', (v, s) => { v.database = s; })],
  ['secret', quotedString('invalid secret', (v, s) => { v.secret = s; })],
  ['load', (d, v, r) => {
    const q = quoted(d.value ?? '');
    if (q === undefined) return false;
    const w = /(\w+)/.exec(q);
    if (!w) r.error(d.line, 'BAD_VALUE', 'invalid string for load testing');
    else v.load = w[1];
    return true;
  }],
  ['scheduler', (d, v, r) => {
    const m = /([a-z]+)/.exec(d.value ?? '');
    if (!m) r.error(d.line, 'BAD_VALUE', 'invalid scheduler, should be only lowercase letters (a-z)');
    else v.scheduler = m[1]!;
    return true;
  }],
  ['persistent', (d, v, r) => {
    const n = digits(d.value ?? '');
    if (n === undefined) r.error(d.line, 'BAD_VALUE', 'invalid persistent timeout');
    else v.persistent = Number(n);
    return true;
  }],
  ['netmask', (d, v, r) => {
    const val = d.value ?? '';
    if (v.af === 'inet6') {
      if (!/^\d+$/.test(val) || Number(val) < 1 || Number(val) > 128) {
        r.error(d.line, 'BAD_VALUE', 'invalid netmask: a prefix length between 1 and 128 is required');
        return true;
      }
    } else if (!/^\d+\.\d+\.\d+\.\d+$/.test(val)) {
      r.error(d.line, 'BAD_VALUE', 'invalid netmask: dotted quad notation is required');
      return true;
    }
    v.netmask = val;
    return true;
  }],
  ['schedflags', (d, v, r) => {
    const m = /(\S+)/.exec(d.value ?? '');
    if (!m) r.error(d.line, 'BAD_VALUE', 'invalid sched-flags');
    else v.schedflags = m[1];
    return true;
  }],
  ['protocol', (d, v, r) => {
    const m = /(\w+)/.exec(d.value ?? '');
    if (!m) r.error(d.line, 'BAD_VALUE', 'invalid protocol');
    else if (v.protocol === 'fwm') {
      if (m[1] !== 'fwm') r.error(d.line, 'BAD_VALUE', 'protocol must be fwm if the virtual service is a fwmark (a number)');
    } else if (m[1] === 'tcp' || m[1] === 'udp') v.protocol = m[1];
    else r.error(d.line, 'BAD_VALUE', 'protocol must be tcp or udp if the virtual service is an address and port');
    return true;
  }],
  ['ops', vYesNo('ops', (v, b) => { v.ops = b; })],
  ['service', (d, v, r) => {
    const m = /(\w+)/.exec(d.value ?? '');
    if (!m || !SERVICE_SET.has(m[1]!)) {
      r.error(d.line, 'BAD_VALUE', SERVICE_MESSAGE);
      return true;
    }
    const s = m[1] as ServiceName;
    v.service = s;
    v.serviceExplicit = true;
    if (s === 'ftp' && v.login === '') v.login = 'anonymous';
    else if (s === 'sip' && v.login === '') v.login = `ldirectord@${r.hostname}`;
    if (s === 'ftp' && v.passwd === '') v.passwd = `ldirectord@${r.hostname}`;
    return true;
  }],
  ['httpmethod', (d, v, r) => {
    const m = /(\w+)/.exec(d.value ?? '');
    const u = m?.[1]?.toUpperCase();
    if (u === 'GET' || u === 'HEAD') v.httpmethod = u;
    else r.error(d.line, 'BAD_VALUE', 'httpmethod must be GET or HEAD');
    return true;
  }],
  ['virtualhost', (d, v) => {
    v.virtualhost = /^"?([^"]*)/.exec(d.value ?? '')![1];
    return true;
  }],
  ['fallbackcommand', (d, v, r) => {
    const s = optQuoted(d.value ?? '');
    if (s === '') r.error(d.line, 'BAD_VALUE', 'invalid fallback command');
    else v.fallbackcommand = s;
    return true;
  }],
  ['quiescent', vYesNo('quiescent', (v, b) => { v.quiescent = b; })],
  ['emailalert', (d, v, r) => { v.emailalert = readEmailAlert(d.line, d.value ?? '', r); return true; }],
  ['emailalertfreq', (d, v, r) => {
    const m = /^(\d+)/.exec(d.value ?? '');
    if (!m) r.error(d.line, 'BAD_VALUE', 'invalid email alert frequency');
    else v.emailalertfreq = Number(m[1]);
    return true;
  }],
  ['emailalertstatus', (d, v, r) => { v.emailalertstatus = parseEmailAlertStatus(d.line, d.value ?? '', r); return true; }],
  ['monitorfile', (d, v, r) => {
    const path = optQuoted(d.value ?? '');
    // upstream opens the file for append here; an empty path always fails (other paths are opened by the daemon)
    if (path === '') r.error(d.line, 'BAD_VALUE', 'unable to open monitorfile : No such file or directory');
    else v.monitorfile = path;
    return true;
  }],
  ['cleanstop', vYesNo('cleanstop', (v, b) => { v.cleanstop = b; })],
  ['smtp', (d, v, r) => {
    const m = SMTP_RE.exec(d.value ?? '');
    if (!m) r.error(d.line, 'BAD_VALUE', 'invalid SMTP server address');
    else v.smtp = m[1];
    return true;
  }],
  ['servicename', (d, v) => { v.servicename = d.value ?? ''; return true; }],
  ['comment', (d, v) => { v.comment = d.value ?? ''; return true; }],
]);

/** Names valid only in the other context, for hints on Unknown command. */
export const ALL_DIRECTIVE_NAMES: ReadonlySet<string> = new Set([
  ...GLOBAL_DIRECTIVES.keys(), ...VIRTUAL_DIRECTIVES.keys(), 'real', 'real6', 'fallback', 'fallback6', 'virtual', 'virtual6',
]);
