// Public surface of status: the snapshot, the control socket (always on), the table, and the opt-in
// metrics= listener (Prometheus + status page). src/daemon/main.ts wires it; the daemon core does not
// know it exists (docs/architecture.md).
import type { Clock } from '../clock.js';
import type { CheckEvent, HealthTransition } from '../health/index.js';
import type { Ipvs } from '../ipvs/types.js';
import type { Logger } from '../log/types.js';
import type { MetricsListen } from '../model/config.js';
import { bracketed } from '../model/keys.js';
import { controlSocketPath, startControl } from './control.js';
import type { ControlServer } from './control.js';
import { startHttp } from './http.js';
import type { HttpLimits, HttpListener } from './http.js';
import { Metrics } from './metrics.js';
import { snapshotOf } from './snapshot.js';
import type { StatusSnapshot, StatusSource } from './snapshot.js';

export { controlDir, controlSocketPath, queryControl } from './control.js';
export { renderTable } from './table.js';
export { buildSnapshot, redact } from './snapshot.js';
export type { PerfStatus, StatusSnapshot, StatusSource, SyncDaemonStatus, VirtualStatus, RealStatus, RealHealthState } from './snapshot.js';
export { EventLoopMonitor } from './event-loop.js';
export type { LoopDelay } from './event-loop.js';
export { escapeHtml, renderPage } from './page.js';
export { DEFAULT_LIMITS } from './http.js';
export type { HttpLimits } from './http.js';

/** How the status side is built. */
export interface StatusOptions {
  readonly cfgName: string;
  /** Directory of the control socket (controlDir()). */
  readonly controlDir: string;
  /** metrics= of the config at start; undefined = no listener, no metrics. */
  readonly listen: MetricsListen | undefined;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly limits?: HttpLimits;
}

/** The daemon's status side: created before the daemon (it wraps IPVS and observes checks), attached after. */
export class StatusService {
  private readonly metrics: Metrics | undefined;
  private source: StatusSource | undefined;
  private control: ControlServer | undefined;
  private http: HttpListener | undefined;

  constructor(private readonly o: StatusOptions) {
    this.metrics = o.listen ? new Metrics(() => this.snapshot(), async () => this.kernel()) : undefined;
  }

  /** IPVS with its write operations counted (unchanged when metrics are off). */
  wrapIpvs(ipvs: Ipvs): Ipvs {
    return this.metrics ? this.metrics.countOps(ipvs) : ipvs;
  }

  /** What the health side reports to metrics. */
  readonly observe = {
    onCheck: (e: CheckEvent): void => this.metrics?.onCheck(e.members.map((m) => ({ virtual: m.virtualId, real: m.realKey })), e.ok, e.durationMs),
    onTransition: (t: HealthTransition): void => this.metrics?.onTransition({ virtual: t.virtualId, real: t.realKey }),
  };

  /** A reload attempt finished. */
  onReload(result: 'ok' | 'failed' | 'unchanged' | 'held'): void {
    this.metrics?.onReload(result);
  }

  /** The status now (memory and one IPVS read; never a check). */
  snapshot(): Promise<StatusSnapshot> {
    if (!this.source) return Promise.reject(new Error('daemon still starting'));
    return snapshotOf(this.source, { mono: this.o.clock.now(), wall: this.o.clock.wallNow() });
  }

  private async kernel(): Promise<{ state: Awaited<ReturnType<StatusSource['ipvs']>>; config: ReturnType<StatusSource['config']> }> {
    if (!this.source) throw new Error('daemon still starting');
    return { state: await this.source.ipvs(), config: this.source.config() };
  }

  /**
   * Starts the control socket and, when configured, the listener. Neither failing stops the daemon:
   * each is logged and the daemon keeps balancing without it.
   */
  async attach(source: StatusSource): Promise<void> {
    this.source = source;
    const path = controlSocketPath(this.o.controlDir, this.o.cfgName);
    try {
      this.control = await startControl(path, () => this.snapshot());
    } catch (err) {
      this.o.logger.log(`Control socket ${path} not available, status shows only the pid: ${errText(err)}`);
    }
    const l = this.o.listen;
    if (l && this.metrics) {
      const where = `${bracketed(l.address)}:${l.port}`;
      try {
        this.http = await startHttp(l.address, l.port, { snapshot: () => this.snapshot(), metrics: this.metrics }, this.o.limits);
        this.o.logger.log(`Metrics and status page listening on http://${where}/`);
      } catch (err) {
        this.o.logger.log(`Cannot listen on metrics=${where}: ${errText(err)}; continuing without metrics and status page`);
      }
    }
  }

  /** The bound listener port (tests bind port 0… not allowed by metrics=; kept for logs). */
  get httpPort(): number | undefined {
    return this.http?.port;
  }

  /** Closes the listener and removes the control socket. */
  async close(): Promise<void> {
    await Promise.all([this.control?.close(), this.http?.close()]);
    this.control = undefined;
    this.http = undefined;
  }
}

function errText(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') {
    const hint: Record<string, string> = {
      EADDRINUSE: 'address already in use',
      EADDRNOTAVAIL: 'address not available on this host',
      EACCES: 'permission denied',
    };
    return `${hint[err.code] ?? (err instanceof Error ? err.message : String(err))} (${err.code})`;
  }
  return err instanceof Error ? err.message : String(err);
}
