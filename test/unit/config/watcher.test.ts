// The config watcher seen from the OS: inotify watches on the directory. Polling mode (LDIRD_WATCH_POLLING=1)
// is tested on the real daemon in test/integration/cli.test.ts: chokidar's stat polling reports nothing inside jest's VM.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../src/clock.js';
import { ConfigWatcher } from '../../../src/config/watcher.js';
import { inotifyWatchesOn } from '../../support/inotify.js';

async function until(pred: () => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let dir: string;
let file: string;
let watcher: ConfigWatcher | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ldwatch-'));
  file = join(dir, 'l.cf');
  writeFileSync(file, 'virtual=10.0.0.1:80\n');
});
afterEach(async () => {
  await watcher?.close();
  watcher = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('ConfigWatcher', () => {
  it('watches the directory with inotify by default and reports a save by rename', async () => {
    let changes = 0;
    watcher = new ConfigWatcher(file, () => changes++, { clock: systemClock, debounceMs: 50 });
    await watcher.whenReady();
    expect(inotifyWatchesOn(dir)).toBeGreaterThan(0);
    writeFileSync(`${file}.swp`, 'virtual=10.0.0.2:80\n');
    renameSync(`${file}.swp`, file);
    await until(() => changes > 0, 5000);
  });
});
