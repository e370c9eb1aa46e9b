// ipvsadm's sync daemon commands (--start-daemon, --stop-daemon) and its `-L --daemon` listing:
// "master sync daemon (mcast=eth0, syncid=7, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)".
import type { SyncDaemon, SyncState } from '../../src/model/ipvs.js';
import { canonicalIp } from '../../src/net/ip.js';

/** `--start-daemon master --mcast-interface eth0 --syncid 7 [--sync-maxlen N] [--mcast-group G] [--mcast-port P] [--mcast-ttl T]`. */
export function startDaemonArgs(d: SyncDaemon): string[] {
  const out = ['--start-daemon', d.state, '--mcast-interface', d.iface, '--syncid', String(d.syncid)];
  if (d.maxlen !== undefined) out.push('--sync-maxlen', String(d.maxlen));
  if (d.group !== undefined) out.push('--mcast-group', d.group);
  if (d.port !== undefined) out.push('--mcast-port', String(d.port));
  if (d.ttl !== undefined) out.push('--mcast-ttl', String(d.ttl));
  return out;
}

/** `--stop-daemon master`. */
export function stopDaemonArgs(state: SyncState): string[] {
  return ['--stop-daemon', state];
}

/** The parameters of a daemon as ipvsadm lists them, without the parentheses: "mcast=eth0, syncid=7, …". */
export function daemonParams(d: SyncDaemon): string {
  const parts = [`mcast=${d.iface}`, `syncid=${d.syncid}`];
  if (d.maxlen !== undefined) parts.push(`maxlen=${d.maxlen}`);
  if (d.group !== undefined) parts.push(`group=${d.group}`);
  if (d.port !== undefined) parts.push(`port=${d.port}`);
  if (d.ttl !== undefined) parts.push(`ttl=${d.ttl}`);
  return parts.join(', ');
}

const LINE_RE = /^(master|backup) sync daemon \((.*)\)\s*$/;
const NUMERIC: ReadonlySet<string> = new Set(['syncid', 'maxlen', 'port', 'ttl']);

/** Parses `ipvsadm -L --daemon` output; undefined when a non-empty line is not a daemon line. */
export function parseDaemonList(text: string): SyncDaemon[] | undefined {
  const out: SyncDaemon[] = [];
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    const m = LINE_RE.exec(raw.trim());
    if (!m) return undefined;
    const fields = new Map<string, string>();
    for (const part of (m[2] ?? '').split(',')) {
      const eq = part.indexOf('=');
      if (eq < 0) return undefined;
      fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    for (const k of NUMERIC) if (fields.has(k) && !/^\d+$/.test(fields.get(k) ?? '')) return undefined;
    const iface = fields.get('mcast');
    const syncid = fields.get('syncid');
    if (iface === undefined || syncid === undefined) return undefined;
    const num = (k: string): { [key: string]: number } => (fields.has(k) ? { [k]: Number(fields.get(k)) } : {});
    const groupText = fields.get('group');
    const group = groupText !== undefined ? canonicalIp(groupText) : undefined;
    if (groupText !== undefined && group === undefined) return undefined;
    out.push({
      state: m[1] as SyncState,
      iface,
      syncid: Number(syncid),
      ...num('maxlen'),
      ...(group !== undefined ? { group } : {}),
      ...num('port'),
      ...num('ttl'),
    });
  }
  return out;
}
