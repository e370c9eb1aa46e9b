// Thin applier for the sync daemon plan: one kernel listing per pass, the planned calls, and
// ldirectord-style log lines. A refusal or a foreign daemon is logged once (not every pass) and
// retried silently; nothing here ever touches the table or fails the reconcile pass.
import { IpvsError } from '../ipvs/types.js';
import type { Ipvs } from '../ipvs/types.js';
import type { Logger } from '../log/types.js';
import type { IpvsState, SyncDaemon, SyncState } from '../model/ipvs.js';
import { hostPort, serviceKey } from '../model/keys.js';
import { syncMessage } from './messages.js';
import type { SyncEvent } from './messages.js';
import { planSync, planSyncStop } from './sync-plan.js';
import type { SyncStep, SyncTarget } from './sync-plan.js';

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Keeps the kernel's sync daemons equal to syncdaemon= (see sync-plan.ts for the rules). */
export class SyncDaemons {
  private targets: readonly SyncTarget[] = [];
  private readonly owned = new Map<SyncState, SyncDaemon>();
  /** Per state, the last problem logged (refusal or foreign daemon), so it is logged once. */
  private readonly reported = new Map<SyncState, string>();
  private listFailure: string | undefined;

  constructor(private readonly ipvs: Ipvs, private readonly logger: Logger) {}

  /** The configured daemons (start, reload). */
  setTargets(targets: readonly SyncTarget[]): void {
    this.targets = targets;
  }

  /** The daemons this instance started or took over. */
  get ours(): ReadonlyMap<SyncState, SyncDaemon> {
    return this.owned;
  }

  /** False when there is nothing to look after: then the kernel is not even asked. */
  get active(): boolean {
    return this.targets.length > 0 || this.owned.size > 0;
  }

  /** One pass: list, plan, apply. Never throws. */
  async pass(): Promise<void> {
    if (!this.active) return;
    const observed = await this.list();
    if (!observed) return;
    for (const step of planSync({ desired: this.targets, observed, owned: this.owned })) await this.run(step);
  }

  /** cleanstop=yes at stop: stops the daemons that are ours and still run as we started them. */
  async stopOwned(): Promise<void> {
    if (this.owned.size === 0) return;
    const observed = await this.list();
    if (!observed) return;
    for (const d of planSyncStop(observed, this.owned)) await this.stop(d);
  }

  private async list(): Promise<SyncDaemon[] | undefined> {
    try {
      const daemons = await this.ipvs.listDaemons();
      this.listFailure = undefined;
      return daemons;
    } catch (err) {
      const text = syncMessage({ kind: 'listFailed', reason: errText(err) });
      if (this.listFailure !== text) this.logger.log(text);
      this.listFailure = text;
      return undefined;
    }
  }

  private async run(step: SyncStep): Promise<void> {
    switch (step.kind) {
      case 'start':
        await this.start(step.target);
        return;
      case 'change':
        if (await this.stop(step.running)) await this.start(step.target);
        return;
      case 'stop':
        await this.stop(step.running);
        return;
      case 'adopt':
        this.owned.set(step.target.daemon.state, step.target.daemon);
        this.reported.delete(step.target.daemon.state);
        this.logger.log(syncMessage({ kind: 'adopted', daemon: step.running, where: step.target.where }));
        return;
      case 'foreign':
        this.once(step.target.daemon.state, { kind: 'foreign', running: step.running, wanted: step.target.daemon, where: step.target.where });
        return;
      case 'forget':
        this.owned.delete(step.state);
        return;
    }
  }

  private async start(target: SyncTarget): Promise<void> {
    const d = target.daemon;
    try {
      await this.ipvs.startDaemon(d);
    } catch (err) {
      this.once(d.state, { kind: 'startFailed', daemon: d, reason: await this.reason(err, target) });
      return;
    }
    this.owned.set(d.state, d);
    this.reported.delete(d.state);
    this.logger.log(syncMessage({ kind: 'started', daemon: d }));
  }

  private async stop(d: SyncDaemon): Promise<boolean> {
    try {
      await this.ipvs.stopDaemon(d.state);
    } catch (err) {
      if (!(err instanceof IpvsError && err.errno === 'ESRCH')) {
        this.once(d.state, { kind: 'stopFailed', daemon: d, reason: errText(err) });
        return false;
      }
    }
    this.owned.delete(d.state);
    this.reported.delete(d.state);
    this.logger.log(syncMessage({ kind: 'stopped', daemon: d }));
    return true;
  }

  /** The kernel's reason in words, with the config line to fix where there is one. */
  private async reason(err: unknown, target: SyncTarget): Promise<string> {
    const text = errText(err);
    if (!(err instanceof IpvsError)) return text;
    if (err.errno === 'ENODEV') return `${target.ifaceWhere}: syncinterface ${target.daemon.iface} is not a network interface of this host (${text})`;
    if (err.errno === 'EINVAL') {
      // The kernel says only EINVAL; its one refusal a valid config can cause is a mixed-family table.
      const mixed = mixedFamily(await this.ipvs.snapshot().catch(() => undefined));
      if (mixed) return `the kernel refuses connection sync while a virtual service has real servers of two address families (${mixed}) (${text})`;
    }
    return `${text} (syncdaemon at ${target.where})`;
  }

  /** Logs a problem the first time it is seen for this state; repeats go to debug level 3. */
  private once(state: SyncState, event: SyncEvent): void {
    const line = syncMessage(event);
    if (this.reported.get(state) === line) {
      this.logger.debug(3, line);
      return;
    }
    this.reported.set(state, line);
    this.logger.log(line);
  }
}

/** The first destination whose family is not its service's ("tcp:10.0.0.1:80 has [2001:db8::2]:80"). */
function mixedFamily(table: IpvsState | undefined): string | undefined {
  for (const s of table?.services ?? []) {
    const d = s.dests.find((x) => x.af !== s.key.af);
    if (d) return `${serviceKey(s.key)} has ${hostPort(d.addr, d.port)}`;
  }
  return undefined;
}
