// Watches the config file with chokidar (editors that save by rename included) and reports debounced changes.
import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';
import { statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Clock, TimerHandle } from '../clock.js';

/** Options of the config watcher. */
export interface ConfigWatcherOptions {
  readonly clock: Clock;
  /** Quiet time after the last event before reporting (editors write in several steps). */
  readonly debounceMs?: number;
  /** Use stat polling (network filesystems, 9p); default false. */
  readonly usePolling?: boolean;
  /** Safety net under chokidar: the file's stat is compared this often (default 5000 ms; 0 = off). */
  readonly statPollMs?: number;
}

/** What identifies one version of the file for the safety poll ('' when it is missing). */
function statSignature(file: string): string {
  try {
    const st = statSync(file);
    return `${st.isFile() ? 'f' : 'o'}:${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return '';
  }
}

/**
 * Watches the directory holding `path` rather than the file itself: an editor that writes a new
 * file and renames it over the old one replaces the inode a file watch would be stuck on.
 */
export class ConfigWatcher {
  private readonly watcher: FSWatcher;
  private timer: TimerHandle | undefined;
  private readonly ready: Promise<void>;
  private poll: TimerHandle | undefined;
  private closed = false;

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
    // The path briefly being a directory (addDir/unlinkDir) is a change too: when it is a file again,
    // that version is read (issue 13 item 10).
    this.watcher.on('add', fire).on('change', fire).on('unlink', fire).on('addDir', fire).on('unlinkDir', fire);
    this.ready = new Promise((res) => this.watcher.once('ready', () => res()));
    // chokidar can lose an event when a watched name changes kind (file -> directory -> file); a slow
    // stat poll makes sure no edit is missed for good. fire() is debounced and the daemon compares
    // content, so a poll that sees the same change as chokidar costs one read.
    const pollMs = opts.statPollMs ?? 5000;
    if (pollMs > 0) {
      let last = statSignature(file);
      const tick = () => {
        if (this.closed) return;
        const now = statSignature(file);
        if (now !== last) {
          last = now;
          fire(file);
        }
        this.poll = this.opts.clock.setTimeout(tick, pollMs);
      };
      this.poll = this.opts.clock.setTimeout(tick, pollMs);
    }
  }

  /** Resolves once the initial scan is done (events before it are not reported). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** Stops watching. */
  async close(): Promise<void> {
    this.closed = true;
    this.poll?.cancel();
    this.timer?.cancel();
    await this.watcher.close();
  }
}
