// Prometheus metrics (prom-client, a registry of our own): health and IPVS gauges are read from the
// status snapshot at scrape time; check, transition, reload and IPVS-operation counters are counted
// as they happen; the kernel's per-real counters come from the same IPVS dump.
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import type { Counter, Histogram, Registry } from 'prom-client';
import type { Ipvs, IpvsOpResult } from '../ipvs/types.js';
import type { IpvsOp, IpvsState, IpvsStats } from '../model/ipvs.js';
import { destKey, hostPort, kernelPort, serviceKey, serviceKeyOf } from '../model/keys.js';
import type { Config } from '../model/config.js';
import { targetsFromConfig } from '../reconcile/index.js';
import type { StatusSnapshot } from './snapshot.js';

const loadCjs = createRequire(import.meta.url);

const PAIR = ['virtual', 'real'] as const;
type Pair = (typeof PAIR)[number];

/** A (virtual, real) label pair from a check or transition: the virtual is upstream's id ("tcp:…", "fwm:5"). */
export interface PairLabels {
  readonly virtual: string;
  readonly real: string;
}

/** The daemon's metrics. */
export class Metrics {
  readonly registry: Registry;
  private readonly checkDuration: Histogram<Pair>;
  private readonly checkFailures: Counter<Pair>;
  private readonly transitions: Counter<Pair>;
  private readonly reloads: Counter<'result'>;
  private readonly ipvsOps: Counter<'op' | 'result'>;

  /** `snapshot` and `kernel` are read at each scrape (kernel: one IPVS dump, with the running config to label it). */
  constructor(
    snapshot: () => Promise<StatusSnapshot>,
    kernel: () => Promise<{ readonly state: IpvsState | undefined; readonly config: Config }>,
  ) {
    // prom-client (~80 modules, ~10 MB resident) is loaded only by a daemon with metrics=, on its first Metrics.
    const { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } = loadCjs('prom-client') as typeof PromClient;
    const r = (this.registry = new Registry());
    collectDefaultMetrics({ register: r });
    // prom-client names these gauges *_total, which Prometheus reserves for counters (promtool rejects them).
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) r.removeSingleMetric(name);
    // One scrape reads the snapshot once, however many gauges use it.
    let pending: Promise<StatusSnapshot> | undefined;
    const snap = (): Promise<StatusSnapshot> => (pending ??= snapshot().finally(() => setTimeout(() => (pending = undefined), 0)));
    let pendingKernel: Promise<KernelRow[]> | undefined;
    const rows = (): Promise<KernelRow[]> =>
      (pendingKernel ??= kernel()
        .then(({ state, config }) => kernelRows(state, config))
        .finally(() => setTimeout(() => (pendingKernel = undefined), 0)));

    new Gauge({
      name: 'ldirectord_real_up',
      help: 'Whether the real server is up by its health check (1) or not (0).',
      labelNames: PAIR,
      registers: [r],
      async collect() {
        this.reset();
        for (const v of (await snap()).virtuals) for (const x of v.reals) this.set({ virtual: v.id, real: x.real }, x.health === 'up' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'ldirectord_real_weight',
      help: 'Weight of the real server in IPVS now (absent when it is not in the table).',
      labelNames: PAIR,
      registers: [r],
      async collect() {
        this.reset();
        for (const v of (await snap()).virtuals) for (const x of v.reals) if (x.weight !== null) this.set({ virtual: v.id, real: x.real }, x.weight);
      },
    });
    this.checkDuration = new Histogram({
      name: 'ldirectord_check_duration_seconds',
      help: 'Duration of health checks.',
      labelNames: PAIR,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [r],
    });
    this.checkFailures = new Counter({ name: 'ldirectord_check_failures_total', help: 'Failed health checks.', labelNames: PAIR, registers: [r] });
    this.transitions = new Counter({ name: 'ldirectord_real_transitions_total', help: 'Up/down changes of real servers.', labelNames: PAIR, registers: [r] });
    this.reloads = new Counter({ name: 'ldirectord_config_reloads_total', help: 'Configuration reloads by result.', labelNames: ['result'], registers: [r] });
    this.ipvsOps = new Counter({ name: 'ldirectord_ipvs_operations_total', help: 'IPVS write operations by operation and result.', labelNames: ['op', 'result'], registers: [r] });
    for (const result of ['ok', 'failed']) this.reloads.inc({ result }, 0);

    const kernelCounter = (name: string, help: string, pick: (k: KernelRow) => number | undefined): void => {
      new Counter({
        name,
        help,
        labelNames: PAIR,
        registers: [r],
        async collect() {
          this.reset();
          for (const k of await rows()) {
            const v = pick(k);
            if (v !== undefined) this.inc({ virtual: k.virtual, real: k.real }, v);
          }
        },
      });
    };
    const kernelGauge = (name: string, help: string, pick: (k: KernelRow) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: PAIR,
        registers: [r],
        async collect() {
          this.reset();
          for (const k of await rows()) this.set({ virtual: k.virtual, real: k.real }, pick(k));
        },
      });
    };
    const n = (b: bigint | undefined): number | undefined => (b === undefined ? undefined : Number(b));
    kernelCounter('ldirectord_ipvs_real_connections_total', 'Connections scheduled to the real server (IPVS).', (k) => n(k.stats?.conns));
    kernelCounter('ldirectord_ipvs_real_incoming_packets_total', 'Incoming packets for the real server (IPVS).', (k) => n(k.stats?.inPkts));
    kernelCounter('ldirectord_ipvs_real_outgoing_packets_total', 'Outgoing packets from the real server (IPVS).', (k) => n(k.stats?.outPkts));
    kernelCounter('ldirectord_ipvs_real_incoming_bytes_total', 'Incoming bytes for the real server (IPVS).', (k) => n(k.stats?.inBytes));
    kernelCounter('ldirectord_ipvs_real_outgoing_bytes_total', 'Outgoing bytes from the real server (IPVS).', (k) => n(k.stats?.outBytes));
    kernelGauge('ldirectord_ipvs_real_active_connections', 'Active connections to the real server (IPVS).', (k) => k.active);
    kernelGauge('ldirectord_ipvs_real_inactive_connections', 'Inactive connections to the real server (IPVS).', (k) => k.inactive);
  }

  /** A completed health check. */
  onCheck(labels: readonly PairLabels[], ok: boolean, durationMs: number): void {
    for (const l of labels) {
      this.checkDuration.observe({ ...l }, durationMs / 1000);
      if (!ok) this.checkFailures.inc({ ...l });
    }
  }

  /** A real went up or down. */
  onTransition(l: PairLabels): void {
    this.transitions.inc({ ...l });
  }

  /** A reload attempt ('unchanged' and 'held' applied nothing and failed nothing). */
  onReload(result: 'ok' | 'failed' | 'unchanged' | 'held'): void {
    if (result === 'ok' || result === 'failed') this.reloads.inc({ result });
  }

  /** Wraps an Ipvs so every write operation is counted by op and result (errno name when failed). */
  countOps(ipvs: Ipvs): Ipvs {
    const count = (op: string, result: string): void => this.ipvsOps.inc({ op, result });
    const one = <A extends unknown[]>(op: IpvsOp['op'] | 'startDaemon' | 'stopDaemon', f: (...a: A) => Promise<void>) => async (...a: A): Promise<void> => {
      try {
        await f(...a);
        count(op, 'ok');
      } catch (err) {
        count(op, errnoOf(err));
        throw err;
      }
    };
    return {
      name: ipvs.name,
      probe: () => ipvs.probe(),
      snapshot: () => ipvs.snapshot(),
      addService: one('addService', (s) => ipvs.addService(s)),
      editService: one('editService', (s) => ipvs.editService(s)),
      deleteService: one('deleteService', (k) => ipvs.deleteService(k)),
      addDest: one('addDest', (s, d) => ipvs.addDest(s, d)),
      editDest: one('editDest', (s, d) => ipvs.editDest(s, d)),
      deleteDest: one('deleteDest', (s, d) => ipvs.deleteDest(s, d)),
      apply: async (ops): Promise<IpvsOpResult[]> => {
        const results = await ipvs.apply(ops);
        results.forEach((res, i) => count(ops[i]!.op, res.ok ? 'ok' : res.error.errno));
        return results;
      },
      listDaemons: () => ipvs.listDaemons(),
      startDaemon: one('startDaemon', (d) => ipvs.startDaemon(d)),
      stopDaemon: one('stopDaemon', (s) => ipvs.stopDaemon(s)),
      close: () => ipvs.close(),
    };
  }

  /** The exposition text. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

function errnoOf(err: unknown): string {
  return typeof err === 'object' && err !== null && 'errno' in err && typeof err.errno === 'string' ? err.errno : 'error';
}

/** One configured real as the kernel counts it. */
interface KernelRow {
  readonly virtual: string;
  readonly real: string;
  readonly active: number;
  readonly inactive: number;
  readonly stats: IpvsStats | undefined;
}

/** The kernel's rows for the configured reals (foreign destinations are not ours to label). */
function kernelRows(state: IpvsState | undefined, config: Config): KernelRow[] {
  if (!state) return [];
  const services = new Map(state.services.map((s) => [serviceKey(s.key), s]));
  const targets = targetsFromConfig(config);
  const out: KernelRow[] = [];
  config.virtuals.forEach((v, i) => {
    const key = serviceKeyOf(v);
    const svc = services.get(serviceKey(key));
    if (!svc) return;
    const dests = new Map(svc.dests.map((d) => [destKey(d), d]));
    for (const rt of targets[i]!.reals) {
      const d = dests.get(destKey({ af: rt.af, addr: rt.addr, port: kernelPort(key, rt.fwd, rt.port) }));
      if (d) out.push({ virtual: v.id, real: hostPort(rt.addr, rt.port), active: d.activeConns, inactive: d.inactConns, stats: d.stats });
    }
  });
  return out;
}
