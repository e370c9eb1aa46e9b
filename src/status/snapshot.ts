// What the running daemon believes, as one plain JSON-able value: built from memory only (config, the
// health scheduler's state, the last IPVS table read), so a status query never runs a check.
import type { HealthSnapshotEntry } from '../health/index.js';
import type { Config, VirtualService } from '../model/config.js';
import type { IpvsDest, IpvsService, IpvsState, ServiceKey } from '../model/ipvs.js';
import { SVC_FLAG } from '../model/ipvs.js';
import { destKey, hostPort, kernelPort, realKey, serviceKey, serviceKeyOf, virtualKey } from '../model/keys.js';
import { targetsFromConfig } from '../reconcile/index.js';
import type { LatencySummary } from '../reconcile/index.js';

/** What status needs from the daemon (src/daemon adapts itself to this; status never imports the daemon). */
export interface StatusSource {
  readonly configPath: string;
  readonly pid: number;
  /** Clock.now() (monotonic) of the start; every time below is on that clock too. */
  readonly startedAt: number;
  config(): Config;
  lastReload(): { readonly at: number; readonly result: 'ok' | 'failed' | 'unchanged' | 'held'; readonly errors?: readonly string[] };
  health(): readonly HealthSnapshotEntry[];
  fallbackActive(key: ServiceKey): boolean | undefined;
  /** The IPVS table: a fresh read when cheap, else the reconciler's last one; undefined before the first pass. */
  ipvs(): Promise<IpvsState | undefined>;
  /** Sync daemons as IPVS reports them; absent until the Ipvs interface lists them (branch syncd). */
  syncDaemons?(): Promise<readonly SyncDaemonStatus[]>;
  /** The daemon's own timing figures (issue 16: the bench reads them). */
  perf(): PerfStatus;
}

/**
 * Timing figures, cumulative since start, in ms: event-loop delay (perf_hooks.monitorEventLoopDelay), a
 * health verdict to the completion of the IPVS write carrying it, and the last applied reload.
 */
export interface PerfStatus {
  readonly eventLoopDelayMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly verdictToWriteMs: LatencySummary;
  readonly lastReloadMs: { readonly parse: number; readonly plan: number; readonly applied: number } | null;
}

/** One IPVS connection-sync daemon (ipvsadm --list --daemon). Empty list until Ipvs can list them. */
export interface SyncDaemonStatus {
  readonly state: 'master' | 'backup';
  readonly mcastInterface: string;
  readonly syncId: number;
}

/** A real's health as status shows it. */
export type RealHealthState = 'up' | 'down' | 'unchecked' | 'maintenance';

/** One real of one virtual. */
export interface RealStatus {
  /** "addr:port" as configured (ldirectord's log lines print this). */
  readonly real: string;
  readonly health: RealHealthState;
  /** Weight in IPVS now; null when the real is not in the table. */
  readonly weight: number | null;
  readonly configuredWeight: number;
  readonly forward: string;
  /** The last check: its verdict, reason, when (ISO time) and how long it took. */
  readonly lastCheck: { readonly ok: boolean; readonly reason: string; readonly at: string; readonly durationMs: number } | null;
  /** Consecutive failures (upstream's failcount). */
  readonly failures: number;
  /** Seconds since the last up/down change; null before the first verdict. */
  readonly sinceChangeS: number | null;
  readonly activeConns: number | null;
  readonly inactConns: number | null;
}

/** One virtual service. */
export interface VirtualStatus {
  /** ldirectord's own id, as in its log lines: "tcp:10.0.0.1:80", "fwm:5". */
  readonly id: string;
  readonly scheduler: string;
  /** Scheduler/service flags and persistence, as words ("persistent=300", "ops", "sh-port"). */
  readonly flags: readonly string[];
  /** Is the virtual service in IPVS now. */
  readonly inIpvs: boolean;
  readonly fallback: { readonly server: string; readonly state: 'active' | 'inactive' } | null;
  readonly reals: readonly RealStatus[];
}

/** The whole status (`ldirectord status --json`, the control socket's answer, the page's data). */
export interface StatusSnapshot {
  readonly version: 1;
  readonly configPath: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly now: string;
  readonly reload: { readonly at: string; readonly result: 'ok' | 'failed' | 'unchanged' | 'held'; readonly errors: readonly string[] };
  readonly virtuals: readonly VirtualStatus[];
  /** Empty until the Ipvs interface can list sync daemons (another branch adds that). */
  readonly syncDaemons: readonly SyncDaemonStatus[];
  readonly perf: PerfStatus;
}

/** Now on both clocks: daemon times are monotonic (Clock.now()); status prints wall time. */
export interface Now {
  readonly mono: number;
  readonly wall: number;
}

function flagWords(v: VirtualService, flags: number): string[] {
  const out: string[] = [];
  if (v.persistent !== undefined) out.push(`persistent=${v.persistent}`);
  if (v.netmask !== undefined) out.push(`netmask=${v.netmask}`);
  if (flags & SVC_FLAG.ONEPACKET) out.push('ops');
  if (v.schedFlags) out.push(...v.schedFlags.split(/[\s,|]+/).filter(Boolean));
  return out;
}

/** Words a secret would leak through: login/passwd/secret values of every virtual (check reasons may echo them). */
function secretsOf(config: Config): string[] {
  const out = new Set<string>();
  for (const v of config.virtuals) for (const s of [v.login, v.passwd, v.secret]) if (s.length >= 3) out.add(s);
  return [...out];
}

/** Replaces every secret in `text` with "***". */
export function redact(text: string, secrets: readonly string[]): string {
  let t = text;
  for (const s of secrets) t = t.split(s).join('***');
  return t;
}

function realHealth(e: HealthSnapshotEntry | undefined): RealHealthState {
  if (!e || e.state === 'unknown') return 'unchecked';
  if (e.maintenance) return 'maintenance';
  return e.state;
}

/** Builds the snapshot (pure: every input is given). */
export function buildSnapshot(
  src: Pick<StatusSource, 'configPath' | 'pid' | 'startedAt'>,
  config: Config,
  reload: ReturnType<StatusSource['lastReload']>,
  health: readonly HealthSnapshotEntry[],
  fallbackActive: (key: ServiceKey) => boolean | undefined,
  ipvs: IpvsState | undefined,
  syncDaemons: readonly SyncDaemonStatus[],
  now: Now,
  perf: PerfStatus,
): StatusSnapshot {
  const iso = (mono: number): string => new Date(now.wall - (now.mono - mono)).toISOString();
  const secrets = secretsOf(config);
  const byPair = new Map<string, HealthSnapshotEntry>();
  for (const e of health) byPair.set(`${e.virtualKey} ${e.realKey}`, e);
  const services = new Map<string, IpvsService>();
  for (const s of ipvs?.services ?? []) services.set(serviceKey(s.key), s);
  const targets = targetsFromConfig(config);
  const virtuals = config.virtuals.map((v, i): VirtualStatus => {
    const t = targets[i]!;
    const key = serviceKeyOf(v);
    const vk = virtualKey(v);
    const svc = services.get(serviceKey(key));
    const dests = new Map<string, IpvsDest>();
    for (const d of svc?.dests ?? []) dests.set(destKey(d), d);
    const reals = v.reals.map((r, j): RealStatus => {
      const rt = t.reals[j]!;
      const e = byPair.get(`${vk} ${realKey(r)}`);
      const d = dests.get(destKey({ af: rt.af, addr: rt.addr, port: kernelPort(key, rt.fwd, rt.port) }));
      return {
        real: realKey(r),
        health: realHealth(e),
        weight: d ? d.weight : null,
        configuredWeight: r.weight,
        forward: r.forward,
        lastCheck:
          e?.lastCheckedAt !== undefined
            ? { ok: e.state === 'up', reason: redact(e.reason ?? '', secrets), at: iso(e.lastCheckedAt), durationMs: Math.round(e.lastDurationMs ?? 0) }
            : null,
        failures: e?.failCount ?? 0,
        sinceChangeS: e?.changedAt !== undefined ? Math.max(0, Math.round((now.mono - e.changedAt) / 1000)) : null,
        activeConns: d ? d.activeConns : null,
        inactConns: d ? d.inactConns : null,
      };
    });
    const fb = t.fallback;
    return {
      id: v.id,
      scheduler: v.scheduler,
      flags: flagWords(v, t.svc.flags),
      inIpvs: svc !== undefined,
      fallback: fb ? { server: hostPort(fb.addr, fb.port), state: fallbackActive(key) ? 'active' : 'inactive' } : null,
      reals,
    };
  });
  return {
    version: 1,
    configPath: src.configPath,
    pid: src.pid,
    startedAt: iso(src.startedAt),
    now: new Date(now.wall).toISOString(),
    reload: { at: iso(reload.at), result: reload.result, errors: (reload.errors ?? []).map((e) => redact(e, secrets)) },
    virtuals,
    syncDaemons,
    perf,
  };
}

/** Reads every input from a live source. */
export async function snapshotOf(src: StatusSource, now: Now): Promise<StatusSnapshot> {
  const config = src.config();
  const [ipvs, sync] = await Promise.all([src.ipvs(), src.syncDaemons ? src.syncDaemons() : Promise.resolve([])]);
  return buildSnapshot(src, config, src.lastReload(), src.health(), (k) => src.fallbackActive(k), ipvs, sync, now, src.perf());
}
