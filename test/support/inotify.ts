// Counting a process's inotify watches from /proc, to tell the config watcher's two modes apart.
import { readFileSync, readdirSync, statSync } from 'node:fs';

/** inotify watches process `pid` holds on the inode of `path` (from /proc/PID/fdinfo). */
export function inotifyWatchesOn(path: string, pid: number | 'self' = 'self'): number {
  const ino = `ino:${statSync(path).ino.toString(16)} `;
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    let info: string;
    try {
      info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    } catch {
      continue; // closed meanwhile
    }
    n += info.split('\n').filter((l) => l.startsWith('inotify ') && l.includes(ino)).length;
  }
  return n;
}

