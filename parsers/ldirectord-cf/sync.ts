// Connection sync: the global extension directives syncdaemon=, syncinterface=, syncid=, syncmaxlen=,
// syncgroup=, syncport=, syncttl= (issue 11; Perl ldirectord rejects them as unknown commands).
import type { Position, SyncConfig, SyncDaemonMode } from '../../src/model/config.js';
import { canonicalIPv6, isPlainQuad } from './addr.js';
import type { GlobalHandler, Reporter } from './directives.js';
import type { GState } from './state.js';

/** The sync directives as written (values checked; cross-checks in syncConfig()). */
export interface RawSync {
  mode?: SyncDaemonMode | 'no';
  iface?: string;
  syncid?: number;
  maxlen?: number;
  group?: string;
  port?: number;
  ttl?: number;
}

const MODES: readonly string[] = ['master', 'backup', 'both', 'no'];
/** IP (20) or IPv6 (40) header plus UDP (8): the kernel keeps a sync message within 65535 with them. */
const MAXLEN_V4 = 65535 - 28;
const MAXLEN_V6 = 65535 - 48;

// Extensions need not copy upstream's quirks: trailing blanks (and the CR of CRLF files) are ignored.
function valueOf(raw: string | undefined): string {
  return (raw ?? '').replace(/[ \t\r]+$/, '');
}

function intIn(value: string, lo: number, hi: number): number | undefined {
  if (!/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n >= lo && n <= hi ? n : undefined;
}

/** Linux's dev_valid_name: 1..15 bytes, not "." or "..", no "/", ":" or blanks. */
export function validInterfaceName(name: string): boolean {
  return name.length > 0 && Buffer.byteLength(name) <= 15 && name !== '.' && name !== '..' && !/[/:\s]/.test(name);
}

/** Canonical text of an IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast group; undefined otherwise. */
export function multicastGroup(text: string): string | undefined {
  const t = text.replace(/^\[(.*)\]$/, '$1');
  if (isPlainQuad(t)) {
    const first = Number(t.split('.')[0]);
    return first >= 224 && first <= 239 ? t : undefined;
  }
  const v6 = canonicalIPv6(t);
  return v6 !== undefined && /^ff[0-9a-f]{2}:/.test(v6) ? v6 : undefined;
}

function numeric(name: keyof RawSync, lo: number, hi: number, what: string): GlobalHandler {
  return (d, g, r) => {
    const n = intIn(valueOf(d.value), lo, hi);
    if (n === undefined) r.error(d.line, 'BAD_VALUE', `${d.name} must be ${what} (got "${valueOf(d.value)}")`);
    else (g.sync as Record<string, unknown>)[name] = n;
    return true;
  };
}

/** The sync directives' handlers, merged into the global directive table. */
export const SYNC_DIRECTIVES: ReadonlyMap<string, GlobalHandler> = new Map<string, GlobalHandler>([
  ['syncdaemon', (d, g, r) => {
    const v = valueOf(d.value);
    if (MODES.includes(v)) g.sync.mode = v as SyncDaemonMode | 'no';
    else r.error(d.line, 'BAD_VALUE', `syncdaemon must be 'master', 'backup', 'both' or 'no' (got "${v}")`);
    return true;
  }],
  ['syncinterface', (d, g, r) => {
    const v = valueOf(d.value);
    if (validInterfaceName(v)) g.sync.iface = v;
    else r.error(d.line, 'BAD_VALUE', `syncinterface must be a network interface name (1 to 15 characters, no "/", ":" or blanks; got "${v}")`);
    return true;
  }],
  ['syncid', numeric('syncid', 0, 255, 'a number from 0 to 255')],
  ['syncmaxlen', numeric('maxlen', 1, MAXLEN_V4, `a message length from 1 to ${MAXLEN_V4}`)],
  ['syncgroup', (d, g, r) => {
    const v = valueOf(d.value);
    const group = multicastGroup(v);
    if (group !== undefined) g.sync.group = group;
    else r.error(d.line, 'BAD_VALUE', `syncgroup must be an IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast address (got "${v}")`);
    return true;
  }],
  ['syncport', numeric('port', 1, 65535, 'a UDP port from 1 to 65535')],
  ['syncttl', numeric('ttl', 1, 255, 'a TTL from 1 to 255')],
]);

const DEPENDENT = ['syncinterface', 'syncid', 'syncmaxlen', 'syncgroup', 'syncport', 'syncttl'] as const;

/**
 * The typed sync settings once the whole file is read, or undefined for syncdaemon=no (the default:
 * the kernel's sync daemons are left alone). Cross-checks: syncdaemon needs syncinterface; the other
 * directives without syncdaemon do nothing (a warning); an IPv6 group leaves less room for maxlen.
 */
export function syncConfig(g: GState, lines: Readonly<Record<string, number>>, file: string, r: Reporter): SyncConfig | undefined {
  const s = g.sync;
  const at = (name: string): Position => ({ file, line: lines[name] ?? 0 });
  if (s.mode === undefined || s.mode === 'no') {
    for (const name of DEPENDENT) {
      const line = lines[name];
      if (line !== undefined) r.warn(line, 'BAD_VALUE', `${name} has no effect without syncdaemon = master, backup or both`);
    }
    return undefined;
  }
  if (s.iface === undefined) {
    if (lines.syncinterface === undefined) r.error(at('syncdaemon').line, 'BAD_VALUE', `syncdaemon = ${s.mode} needs syncinterface = the interface the sync multicast goes through`);
    return undefined;
  }
  if (s.maxlen !== undefined && s.group?.includes(':') && s.maxlen > MAXLEN_V6) {
    r.error(at('syncmaxlen').line, 'BAD_VALUE', `syncmaxlen must be at most ${MAXLEN_V6} with an IPv6 syncgroup (got ${s.maxlen})`);
    return undefined;
  }
  return {
    pos: at('syncdaemon'),
    mode: s.mode,
    iface: s.iface,
    ifacePos: at('syncinterface'),
    syncid: s.syncid ?? 0,
    ...(s.maxlen !== undefined ? { maxlen: s.maxlen } : {}),
    ...(s.group !== undefined ? { group: s.group } : {}),
    ...(s.port !== undefined ? { port: s.port } : {}),
    ...(s.ttl !== undefined ? { ttl: s.ttl } : {}),
  };
}
