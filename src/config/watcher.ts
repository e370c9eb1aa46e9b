// Watches the config file with chokidar (editors that save by rename included) and reports debounced changes.
import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';
import { basename, dirname, resolve } from 'node:path';
import type { Clock, TimerHandle } from '../clock.js';

/** Options of the config watcher. */
export interface ConfigWatcherOptions {
  readonly clock: Clock;
  /** Quiet time after the last event before reporting (editors write in several steps). */
  readonly debounceMs?: number;
  /** Use stat polling (network filesystems, 9p); default false. */
  readonly usePolling?: boolean;
}

/**
 * Watches the directory holding `path` rather than the file itself: an editor that writes a new
 * file and renames it over the old one replaces the inode a file watch would be stuck on.
 */
export class ConfigWatcher {
  private readonly watcher: FSWatcher;
  private timer: TimerHandle | undefined;
  private readonly ready: Promise<void>;

  constructor(path: string, onChange: () => void, private readonly opts: ConfigWatcherOptions) {
    const file = resolve(path);
    const dir = dirname(file);
    const name = basename(file);
    this.watcher = watch(dir, {
      ignoreInitial: true,
      depth: 0,
      usePolling: opts.usePolling ?? false,
      interval: 500,
      ignored: (p: string) => p !== dir && basename(p) !== name,
    });
    const fire = (p: string) => {
      if (resolve(p) !== file) return;
      this.timer?.cancel();
      this.timer = this.opts.clock.setTimeout(() => {
        this.timer = undefined;
        onChange();
      }, this.opts.debounceMs ?? 200);
    };
    this.watcher.on('add', fire).on('change', fire).on('unlink', fire);
    this.ready = new Promise((res) => this.watcher.once('ready', () => res()));
  }

  /** Resolves once the initial scan is done (events before it are not reported). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** Stops watching. */
  async close(): Promise<void> {
    this.timer?.cancel();
    await this.watcher.close();
  }
}
