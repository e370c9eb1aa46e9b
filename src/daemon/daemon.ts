// The running daemon, in-process: config holder, health, reconciler, watcher, reload and stop.
import type { Clock } from '../clock.js';
import { ConfigHolder } from '../config/reload.js';
import type { InitialConfig, ParseFn, ReloadGuard, ReloadResult } from '../config/reload.js';
import { readConfigFile } from '../config/load.js';
import { statSync } from 'node:fs';
import { ConfigWatcher } from '../config/watcher.js';
import type { Ipvs } from '../ipvs/types.js';
import type { Logger } from '../log/types.js';
import { msg } from '../log/messages.js';
import type { Config } from '../model/config.js';
import { Reconciler, syncTargetsFromConfig, targetsFromConfig } from '../reconcile/index.js';
import { roundMs } from '../reconcile/index.js';
import type { HealthLookup, ReconcileEvent } from '../reconcile/index.js';
import { LdirdError } from '../errors.js';
import type { HealthSnapshotEntry } from '../health/index.js';

/** upstream's daemon status (also the emailalertstatus bits). */
export type DaemonPhase = 'starting' | 'running' | 'stopping' | 'reloading';

/** The health checks of one config, behind a narrow interface (src/daemon/health.ts builds it). */
export interface HealthMonitor {
  /** Checked state of a real by the shared identity: virtualKey(), realKey() of src/model/keys.ts. */
  readonly lookup: HealthLookup;
  /** A new config: keep the state of unchanged reals, start/stop checks of added/removed ones. */
  update(config: Config): void;
  /** Every (virtual, real) pair's checked state, for status; reads memory only, never runs a check. */
  snapshot(): readonly HealthSnapshotEntry[];
  stop(): Promise<void>;
}

/** The config's last reload as status shows it (start counts as the first load). */
export interface ReloadRecord {
  /** Clock time (ms). */
  readonly at: number;
  readonly result: 'ok' | 'failed' | 'unchanged' | 'held';
  readonly errors?: readonly string[];
}

/** Which real changed state: the shared identity (serviceKey text of the virtual, "addr:port" of the real). */
export interface HealthChange {
  readonly virtualKey: string;
  readonly realKey: string;
}

/**
 * Builds the health monitor for a config; `changed` is called when some real went up or down (the
 * daemon then asks lookup()); naming the real lets the daemon time its verdict to the IPVS write.
 * Never called synchronously from the factory: checks run later.
 */
export type HealthFactory = (config: Config, changed: (which?: HealthChange) => void) => HealthMonitor;

/** Where the last applied reload spent its time (ms): read + parse, the synchronous re-plan, and until IPVS has it. */
export interface ReloadTiming {
  readonly parse: number;
  readonly plan: number;
  readonly applied: number;
}

/** Everything the daemon is built from (main.ts passes real adapters, tests pass fakes). */
export interface DaemonOptions {
  /** Resolved absolute config path. */
  readonly configPath: string;
  readonly ipvs: Ipvs;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly parse: ParseFn;
  /** The config the command line already parsed (start parses once); absent: read configPath. */
  readonly initial?: InitialConfig;
  readonly health: HealthFactory;
  /** Runs a shell command line (fallbackcommand, callback). */
  readonly runCommand: (command: string) => Promise<number>;
  /** Watch the file with chokidar (default true). */
  readonly watch?: boolean;
  readonly watchPolling?: boolean;
  readonly watchDebounceMs?: number;
  /** Autoreload: how long size and mtime must hold still before the file is read (default 300 ms). */
  readonly settleMs?: number;
  /** Autoreload: how long a file removing every virtual must stay so before it is applied (default 3000 ms). */
  readonly confirmEmptyMs?: number;
  /** The watcher's safety stat poll (default 5000 ms). */
  readonly statPollMs?: number;
  /** Periodic kernel resync (default: checkinterval seconds). */
  readonly resyncMs?: number;
  /** Longest time passes plan without reading the kernel (default: the resync period; 0 = every pass reads). */
  readonly readMs?: number;
  /** Called after a successful reload (logfile= may have changed). */
  readonly onConfig?: (config: Config) => void;
  /** How to run another ldirectord instance for execute= (default: this script). */
  readonly selfCommand?: string;
  /** Called after every reload attempt (metrics count them). */
  readonly onReload?: (r: ReloadRecord) => void;
  /** Called with applied IPVS events (e-mail alerts). */
  readonly onEvents?: (events: readonly ReconcileEvent[], phase: DaemonPhase, config: Config) => void;
}

/** One ldirectord daemon instance. */
export class Daemon {
  private phase: DaemonPhase = 'starting';
  private watcher: ConfigWatcher | undefined;
  private reloading: Promise<ReloadResult> | undefined;
  private stopped = false;
  private reloaded: ReloadRecord;
  private reloadTiming: ReloadTiming | null = null;
  /** Clock time the daemon started (ms). */
  readonly startedAt: number;

  private constructor(
    private readonly opts: DaemonOptions,
    private readonly holder: ConfigHolder,
    private readonly reconciler: Reconciler,
    private readonly health: HealthMonitor,
  ) {
    this.startedAt = opts.clock.now();
    this.reloaded = { at: this.startedAt, result: 'ok' };
  }

  /** Loads the config and starts checks, reconciler and watcher; throws CONFIG_INVALID on a bad config. */
  static async start(opts: DaemonOptions): Promise<Daemon> {
    const loaded = await ConfigHolder.load(opts.configPath, opts.parse, opts.initial);
    if (!('holder' in loaded)) {
      for (const e of loaded.errors) opts.logger.log(e);
      throw new LdirdError('CONFIG_INVALID', loaded.errors.join('\n'));
    }
    // Start-up warnings go to stderr, not the log, as upstream's (__config_log while "starting"): the
    // CLI that parsed `initial` printed them already. Warnings of a reload are logged (below).
    if (opts.initial === undefined) for (const w of loaded.warnings) opts.logger.log(w);
    const config = loaded.holder.config;
    // Health asks the reconciler for a pass and the reconciler asks health: health is built first, its
    // `changed` runs only after a check completes, when `reconciler` is set.
    const health = opts.health(config, (which) => (which ? reconciler.verdict(which.virtualKey, which.realKey) : reconciler.request()));
    // The reconciler's event callback needs the daemon's phase; the daemon needs the reconciler.
    const ref: { d?: Daemon } = {};
    const resyncMs = opts.resyncMs ?? config.global.checkInterval * 1000;
    const reconciler = new Reconciler({
      ipvs: opts.ipvs,
      logger: opts.logger,
      clock: opts.clock,
      health: health.lookup,
      runCommand: opts.runCommand,
      // A transition reaches IPVS within 25 ms (detection time counts against checkinterval + checktimeout);
      // the runner stretches the gap to twice a slow pass's busy time, so bursts still coalesce at a bounded cost.
      minIntervalMs: 25,
      resyncMs,
      // Health and reload passes plan against the last read plus our own writes; a pass one resync period
      // after the last read (the resync timer's) reads the kernel again, as does one after any failed write,
      // so drift behind our back is still repaired by the next resync.
      readMs: opts.readMs ?? resyncMs,
      onEvents: (events) => {
        if (ref.d) opts.onEvents?.(events, ref.d.phase, ref.d.holder.config);
      },
    });
    const self = new Daemon(opts, loaded.holder, reconciler, health);
    ref.d = self;
    reconciler.setTargets(targetsFromConfig(config));
    reconciler.setSyncTargets(syncTargetsFromConfig(config));
    reconciler.start();
    if (opts.watch ?? true) {
      self.watcher = new ConfigWatcher(opts.configPath, () => void self.fileChanged(), {
        clock: opts.clock,
        ...(opts.watchPolling !== undefined ? { usePolling: opts.watchPolling } : {}),
        ...(opts.watchDebounceMs !== undefined ? { debounceMs: opts.watchDebounceMs } : {}),
        ...(opts.statPollMs !== undefined ? { statPollMs: opts.statPollMs } : {}),
      });
      await self.watcher.whenReady();
    }
    // The first pass, not an idle reconciler: with verdicts arriving during every pass it is never idle.
    await reconciler.whenApplied();
    await self.execute(config.global.execute, 'start');
    self.phase = 'running';
    return self;
  }

  /** The running config. */
  get config(): Config {
    return this.holder.config;
  }

  /** The current phase. */
  get status(): DaemonPhase {
    return this.phase;
  }

  /** The last reload (or the start-up load). */
  get lastReload(): ReloadRecord {
    return this.reloaded;
  }

  /** Timing of the last reload that changed the config (null before the first). */
  get lastReloadTiming(): ReloadTiming | null {
    return this.reloadTiming;
  }

  /** The checked state of every real (memory only). */
  healthSnapshot(): readonly HealthSnapshotEntry[] {
    return this.health.snapshot();
  }

  /** The reconciler (tests wait on it). */
  get reconcile(): Reconciler {
    return this.reconciler;
  }

  /** SIGHUP / `reload`: re-read the file even if unchanged. */
  reloadOnSignal(): Promise<ReloadResult> {
    this.opts.logger.log(msg.reloadingOnSignal());
    return this.reload(true);
  }

  /** Autoreload path: chokidar saw the file change (upstream's check_cfgfile, §4.8). */
  private async fileChanged(): Promise<void> {
    if (this.stopped) return;
    // A file being written is never loaded: its size and mtime must hold still for settleMs (issue 13 item 9).
    const settled = await this.settle();
    if (settled !== 'stable') {
      this.opts.logger.log(settled === 'not-a-file'
        ? `Configuration file '${this.opts.configPath}' is not a regular file: keeping the running configuration until it is one`
        : `Configuration file '${this.opts.configPath}' is still being written: waiting for the next change`);
      return;
    }
    if (!(await this.holder.changedOnDisk())) return;
    this.opts.logger.log(msg.changedOnDisk(this.opts.configPath));
    const auto = this.holder.config.global.autoreload;
    const callback = this.holder.config.global.callback;
    if (auto) {
      this.opts.logger.log(msg.rereadConfig());
      await this.reload(false, this.keepsSomeVirtual);
    } else {
      this.opts.logger.log(msg.ignoreConfig());
    }
    if (callback) await this.opts.runCommand(`${callback} ${this.opts.configPath}`);
  }

  /** Waits until the file's size and mtime are the same across settleMs (at most 10 looks). */
  private async settle(): Promise<'stable' | 'moving' | 'not-a-file'> {
    const ms = this.opts.settleMs ?? 300;
    const look = (): string | undefined => {
      try {
        const st = statSync(this.opts.configPath);
        return st.isFile() ? `${st.size}:${st.mtimeMs}:${st.ino}` : undefined;
      } catch {
        return undefined;
      }
    };
    let before = look();
    for (let i = 0; i < 10; i++) {
      if (before === undefined) return 'not-a-file';
      await new Promise<void>((r) => this.opts.clock.setTimeout(r, ms));
      const now = look();
      if (now === before) return 'stable';
      before = now;
    }
    return 'moving';
  }

  /**
   * Autoreload guard: a file that would remove EVERY virtual service must still say so after
   * confirmEmptyMs before it is applied (issue 13 item 9); the log says what is going on.
   */
  private readonly keepsSomeVirtual: ReloadGuard = async ({ text, config, running }) => {
    if (config.virtuals.length > 0 || running.virtuals.length === 0) return undefined;
    const ms = this.opts.confirmEmptyMs ?? 3000;
    const p = this.opts.configPath;
    this.opts.logger.log(`Configuration file '${p}' would remove every virtual service: applying it only if it stays so for ${ms / 1000}s`);
    await new Promise<void>((r) => this.opts.clock.setTimeout(r, ms));
    const again = await readConfigFile(p);
    if (again.ok && again.text === text) {
      this.opts.logger.log(`Configuration file '${p}' still removes every virtual service: applying it`);
      return undefined;
    }
    return `Configuration file '${p}' changed again while confirming: keeping the running configuration`;
  };

  /** Parse-then-swap; on success only what changed is touched (health of unchanged reals kept). */
  reload(force: boolean, guard?: ReloadGuard): Promise<ReloadResult> {
    const run = async (): Promise<ReloadResult> => {
      const before = this.phase;
      this.phase = 'reloading';
      const clock = this.opts.clock;
      const t0 = clock.now();
      let heldMs = 0;
      const timedGuard: ReloadGuard | undefined = guard && (async (next) => {
        const g0 = clock.now();
        try {
          return await guard(next);
        } finally {
          heldMs += clock.now() - g0;
        }
      });
      try {
        const r = await this.holder.reload(force, timedGuard);
        const parsed = clock.now();
        this.reloaded = {
          at: this.opts.clock.now(),
          result: r.kind === 'reloaded' ? 'ok' : r.kind,
          ...(r.kind === 'failed' ? { errors: r.errors } : {}),
        };
        this.opts.onReload?.(this.reloaded);
        if (r.kind === 'held') this.opts.logger.log(r.reason);
        else if (r.kind === 'failed') {
          for (const e of r.errors) this.opts.logger.log(e);
          this.opts.logger.log(msg.reloadKeptOld(this.opts.configPath));
        } else if (r.kind === 'reloaded') {
          for (const w of r.warnings) this.opts.logger.log(w);
          this.opts.onConfig?.(r.config);
          this.health.update(r.config);
          this.reconciler.setTargets(targetsFromConfig(r.config));
          this.reconciler.setSyncTargets(syncTargetsFromConfig(r.config));
          const planned = clock.now();
          await this.reconciler.whenApplied();
          // A guard's confirmation wait (autoreload) is not parse time: parse counts from the read it accepted.
          this.reloadTiming = { parse: roundMs(parsed - t0 - heldMs), plan: roundMs(planned - parsed), applied: roundMs(clock.now() - t0) };
          await this.reexecute(r.previous.global.execute, r.config.global.execute);
        }
        return r;
      } finally {
        this.phase = before === 'reloading' ? 'running' : before;
      }
    };
    // Reloads are serialised: a second one waits for the first.
    const next = (this.reloading ?? Promise.resolve()).then(run, run);
    this.reloading = next;
    return next;
  }

  /** Runs `ldirectord <x> <cmd>` for each execute= value (spec §4.10); quotes go to the shell as upstream. */
  private async execute(list: readonly string[], cmd: string): Promise<number[]> {
    const self = this.opts.selfCommand ?? `${process.execPath} ${process.argv[1] ?? 'ldirectord'}`;
    const out: number[] = [];
    for (const x of list) out.push(await this.opts.runCommand(`${self} ${x} ${cmd}`));
    return out;
  }

  /** Reconciles execute= instances after a reload: removed ones stop, kept ones reload (else start), new ones start. */
  private async reexecute(before: readonly string[], after: readonly string[]): Promise<void> {
    await this.execute(before.filter((x) => !after.includes(x)), 'stop');
    for (const x of after) {
      if (!before.includes(x)) await this.execute([x], 'start');
      else if ((await this.execute([x], 'reload'))[0] !== 0) await this.execute([x], 'start');
    }
  }

  /** Graceful stop: checks and reconciler stopped, cleanstop applied, terminated line logged. */
  async stop(signal: string): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.phase = 'stopping';
    await this.execute(this.holder.config.global.execute, 'stop');
    await this.watcher?.close();
    await this.health.stop();
    await this.reconciler.stop();
    try {
      await this.reconciler.cleanStop();
    } catch (err) {
      this.opts.logger.log(`cleanstop failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    // The sync daemons are global: the global cleanstop decides (never throws).
    if (this.holder.config.global.cleanStop) await this.reconciler.stopSync();
    this.opts.logger.log(msg.terminated(signal));
  }
}
