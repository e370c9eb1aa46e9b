// Pure planner for the kernel's connection-sync daemons: configured (syncdaemon=) vs running, with
// what this daemon started itself. Like the table: ours are started, changed and retired; a daemon
// someone else runs with other parameters is left alone (and reported).
import type { Config } from '../model/config.js';
import type { SyncDaemon, SyncState } from '../model/ipvs.js';
import { SYNC_DEFAULTS } from '../model/ipvs.js';
import { kernelSyncMaxlen, syncGroupAf } from '../ipvs/normalize.js';

/** One configured daemon, with where the config asks for it (for messages). */
export interface SyncTarget {
  readonly daemon: SyncDaemon;
  /** "FILE:LINE" of syncdaemon=. */
  readonly where: string;
  /** "FILE:LINE" of syncinterface= (what to fix when the kernel does not know the interface). */
  readonly ifaceWhere: string;
}

/** What to do about one daemon state. */
export type SyncStep =
  /** Not running: start it. */
  | { readonly kind: 'start'; readonly target: SyncTarget }
  /** Ours, running with the parameters of an earlier config: stop it, start the configured one. */
  | { readonly kind: 'change'; readonly running: SyncDaemon; readonly target: SyncTarget }
  /** Ours, no longer configured: stop it. */
  | { readonly kind: 'stop'; readonly running: SyncDaemon }
  /** Already running as configured (an earlier instance started it): take it over, no call. */
  | { readonly kind: 'adopt'; readonly running: SyncDaemon; readonly target: SyncTarget }
  /** Someone else's, with other parameters: leave it alone and say so. */
  | { readonly kind: 'foreign'; readonly running: SyncDaemon; readonly target: SyncTarget }
  /** Was ours, and is gone or replaced by someone else's without our target: forget it. */
  | { readonly kind: 'forget'; readonly state: SyncState };

/** Inputs of planSync(). */
export interface SyncPlanInput {
  readonly desired: readonly SyncTarget[];
  readonly observed: readonly SyncDaemon[];
  /** The daemons this instance started or adopted, as it asked for them. */
  readonly owned: ReadonlyMap<SyncState, SyncDaemon>;
}

const STATES: readonly SyncState[] = ['master', 'backup'];

/** "FILE:LINE" (or just FILE for line 0). */
function at(file: string, line: number): string {
  return line > 0 ? `${file}:${line}` : file;
}

/** The configured daemons: none for syncdaemon=no, two for both (same parameters). */
export function syncTargetsFromConfig(config: Config): SyncTarget[] {
  const s = config.global.sync;
  if (!s) return [];
  const states: SyncState[] = s.mode === 'both' ? ['master', 'backup'] : [s.mode];
  return states.map((state) => ({
    daemon: {
      state,
      iface: s.iface,
      syncid: s.syncid,
      ...(s.maxlen !== undefined ? { maxlen: s.maxlen } : {}),
      ...(s.group !== undefined ? { group: s.group } : {}),
      ...(s.port !== undefined ? { port: s.port } : {}),
      ...(s.ttl !== undefined ? { ttl: s.ttl } : {}),
    },
    where: at(s.pos.file, s.pos.line),
    ifaceWhere: at(s.ifacePos.file, s.ifacePos.line),
  }));
}

/**
 * True when a running daemon is what `want` asks for. Values the kernel does not report (before
 * Linux 4.3) count as matching. An unset maxlen is the kernel's default: exactly 1500 minus the
 * headers for a master, at least that for a backup (it follows the interface MTU).
 */
export function runsAsAsked(want: SyncDaemon, running: SyncDaemon): boolean {
  if (want.state !== running.state || want.iface !== running.iface || want.syncid !== running.syncid) return false;
  const same = <T>(w: T, r: T | undefined): boolean => r === undefined || r === w;
  if (!same(want.group ?? SYNC_DEFAULTS.group, running.group)) return false;
  if (!same(want.port || SYNC_DEFAULTS.port, running.port)) return false;
  if (!same(want.ttl || SYNC_DEFAULTS.ttl, running.ttl)) return false;
  if (running.maxlen === undefined) return true;
  const af = syncGroupAf(want);
  const expected = kernelSyncMaxlen(want.state, want.maxlen, af);
  return want.maxlen || want.state === 'master' ? running.maxlen === expected : running.maxlen >= expected;
}

/** The steps that bring the running daemons to the configured ones, master first. No I/O. */
export function planSync(input: SyncPlanInput): SyncStep[] {
  const steps: SyncStep[] = [];
  for (const state of STATES) {
    const target = input.desired.find((t) => t.daemon.state === state);
    const running = input.observed.find((d) => d.state === state);
    const owned = input.owned.get(state);
    const ours = owned !== undefined && running !== undefined && runsAsAsked(owned, running);
    if (target) {
      if (!running) steps.push({ kind: 'start', target });
      else if (runsAsAsked(target.daemon, running)) {
        if (!owned || !sameRequest(owned, target.daemon)) steps.push({ kind: 'adopt', running, target });
      } else if (ours) steps.push({ kind: 'change', running, target });
      else {
        if (owned) steps.push({ kind: 'forget', state });
        steps.push({ kind: 'foreign', running, target });
      }
    } else if (ours) steps.push({ kind: 'stop', running });
    else if (owned) steps.push({ kind: 'forget', state });
  }
  return steps;
}

/** True when two requests ask for the same daemon (same values given). */
export function sameRequest(a: SyncDaemon, b: SyncDaemon): boolean {
  return a.state === b.state && a.iface === b.iface && a.syncid === b.syncid && a.maxlen === b.maxlen && a.group === b.group && a.port === b.port && a.ttl === b.ttl;
}

/** At stop with cleanstop=yes: the running daemons that are ours. */
export function planSyncStop(observed: readonly SyncDaemon[], owned: ReadonlyMap<SyncState, SyncDaemon>): SyncDaemon[] {
  return observed.filter((d) => {
    const mine = owned.get(d.state);
    return mine !== undefined && runsAsAsked(mine, d);
  });
}
