// The directive table: for each global and per-virtual directive, its value parser and upstream's error text.
import { SERVICE_NAMES, type ServiceName } from '../../src/model/config.js';
import type { Forward, MetricsListen, SmtpExtra } from '../../src/model/config.js';
import { canonicalIp, parseIp } from '../../src/net/ip.js';
import type { GlobalHandler, Reporter, VirtualHandler } from './handlers.js';
import { compilePerlRegex } from '../../src/model/perl-regex.js';
import type { RawDirective } from './parser.js';
import { WS, perlTrue } from './lexer.js';
import { STATUS_ALL, STATUS_BITS, type RawFallback, type VState } from './state.js';
import { SYNC_DIRECTIVES } from './sync.js';

/** The schedulers Linux IPVS ships (net/netfilter/ip_vs_*.c, up to 6.x). */
export const IPVS_SCHEDULERS: readonly string[] = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos'];

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

/** Port of `metrics=` when the value names none (an unassigned one near the exporters' 9xxx range). */
export const DEFAULT_METRICS_PORT = 9640;

/**
 * `metrics=` value: "" (127.0.0.1:DEFAULT_METRICS_PORT), "PORT" or ":PORT" (127.0.0.1), "IPv4:PORT",
 * "[IPv6]:PORT". Returns the error text for anything else. Only IP literals: a name would make the
 * listener depend on the resolver at start-up.
 */
export function parseMetricsListen(raw: string): MetricsListen | string {
  const v = raw.trim();
  const bad = `invalid metrics address "${v}": want ADDR:PORT, [IPv6]:PORT or :PORT`;
  if (v === '') return { address: '127.0.0.1', port: DEFAULT_METRICS_PORT };
  const m = /^(?:(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+))?:)?(\d{1,5})$/.exec(v);
  if (!m) return bad;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return `metrics port ${port} must be in range 1..65535`;
  const host = m[1] ?? m[2];
  if (host === undefined) return { address: '127.0.0.1', port };
  const ip = parseIp(host);
  if (!ip || (m[1] !== undefined) !== (ip.af === 'inet6')) return bad;
  return { address: canonicalIp(host) ?? host, port };
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
// Extension (issue 13 item 16): [user[:password]@]host[:port], the whole value. Upstream would read only a leading
// host-name run ("user" of user:pw@host) and use port 25 without AUTH; a plain host keeps upstream's reading.
const SMTP_EXT_RE = /^(?:([^\s:@"]+)(?::([^\s@"]*))?@)?([0-9A-Za-z._+-]+)(?::(\d{1,5}))?[ \t\r]*$/;

/** smtp= as upstream reads it (host), plus port and credentials of the extended form. */
function smtpValue(d: RawDirective, r: Reporter): { host: string; extra: SmtpExtra | undefined } | undefined {
  const value = d.value ?? '';
  const x = SMTP_EXT_RE.exec(value);
  if (x && (x[1] !== undefined || x[4] !== undefined)) {
    const port = x[4] !== undefined ? Number(x[4]) : undefined;
    let user: string | undefined;
    let password: string | undefined;
    try {
      user = x[1] !== undefined ? decodeURIComponent(x[1]) : undefined;
      password = x[2] !== undefined ? decodeURIComponent(x[2]) : undefined;
    } catch {
      r.error(d.line, 'BAD_VALUE', 'invalid SMTP server address: bad %-escape in user or password');
      return undefined;
    }
    if (port !== undefined && (port < 1 || port > 65535)) {
      r.error(d.line, 'BAD_VALUE', `invalid SMTP server address: port ${x[4]} is not in 1..65535`);
      return undefined;
    }
    const extra: SmtpExtra = { ...(port !== undefined ? { port } : {}), ...(user !== undefined ? { user } : {}), ...(password !== undefined ? { password } : {}) };
    return { host: x[3]!, extra };
  }
  const m = SMTP_RE.exec(value);
  if (!m) {
    r.error(d.line, 'BAD_VALUE', 'invalid SMTP server address');
    return undefined;
  }
  return { host: m[1]!, extra: undefined };
}
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
    const s = smtpValue(d, r);
    if (s) {
      g.smtp = s.host;
      g.smtpExtra = s.extra;
    }
    return true;
  }],
  ['maintenancedir', (d, g, r) => {
    if (d.value === '') r.error(d.line, 'BAD_VALUE', 'maintenance directory not specified');
    else g.maintenancedir = d.value;
    return true;
  }],
  // Extension (issue 14, docs/compatibility.md): where the metrics/status listener binds.
  ['metrics', (d, g, r) => {
    const m = parseMetricsListen(d.value ?? '');
    if (typeof m === 'string') r.error(d.line, 'BAD_VALUE', m);
    else g.metrics = m;
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
/** Beyond upstream: a receive= that cannot run as the Perl regex it is fails `-t`, not every check. */
export function checkReceive(line: number, receive: string, r: Reporter): void {
  const c = compilePerlRegex(receive);
  if (!c.ok) r.error(line, 'BAD_RECEIVE', c.error);
}

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
  ['receive', (d, v, r) => {
    const ok = quotedString('invalid receive string', (vs, s) => { vs.receive = s; })(d, v, r);
    if (ok && v.receive !== '') checkReceive(d.line, v.receive, r);
    return ok;
  }],
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
    // Stricter than upstream (which hands any word to ipvsadm and logs its failure every interval):
    // an unknown name fails -t here (docs/compatibility.md).
    else if (!IPVS_SCHEDULERS.includes(m[1]!)) r.error(d.line, 'BAD_VALUE', `unknown scheduler "${m[1]}": IPVS schedulers are ${IPVS_SCHEDULERS.join(' ')}`);
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
    const s = smtpValue(d, r);
    if (s) {
      v.smtp = s.host;
      v.smtpExtra = s.extra;
    }
    return true;
  }],
  ['servicename', (d, v) => { v.servicename = d.value ?? ''; return true; }],
  ['comment', (d, v) => { v.comment = d.value ?? ''; return true; }],
]);

/** Names valid only in the other context, for hints on Unknown command. */
export const ALL_DIRECTIVE_NAMES: ReadonlySet<string> = new Set([
  ...GLOBAL_DIRECTIVES.keys(), ...VIRTUAL_DIRECTIVES.keys(), 'real', 'real6', 'fallback', 'fallback6', 'virtual', 'virtual6',
]);
