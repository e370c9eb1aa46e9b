// Log files: opened, appended and closed per line (upstream; logrotate needs no signal), created 0640.
import { closeSync, constants as fsc, fchmodSync, openSync, statfsSync, writeSync } from 'node:fs';

const PROC_SUPER_MAGIC = 0x9fa0;
const SYSFS_MAGIC = 0x62656572;

/** Mode of a log file we create, whatever the caller's umask (issue 13 item 15). */
export const LOG_FILE_MODE = 0o640;

/** Opens `path` for appending, creating it LOG_FILE_MODE (fchmod: the umask never widens or narrows it). Throws as open(2). */
export function openLogFile(path: string): number {
  try {
    return openSync(path, fsc.O_WRONLY | fsc.O_APPEND);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  let fd: number;
  try {
    fd = openSync(path, fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT | fsc.O_EXCL, LOG_FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return openSync(path, fsc.O_WRONLY | fsc.O_APPEND); // created meanwhile
    throw err;
  }
  fchmodSync(fd, LOG_FILE_MODE);
  return fd;
}

/** Appends `text` to the log file `path` (open, write, close). Throws as open(2)/write(2). */
export function appendLogFile(path: string, text: string): void {
  const fd = openLogFile(path);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** Upstream's parse-time test of logfile=: open for append (creating it) and close; the error text, or undefined. */
export function logFileProblem(path: string): string | undefined {
  try {
    closeSync(openLogFile(path));
    // root opens anything for writing; a kernel file (/proc/version) still takes no log lines
    const type = statfsSync(path).type;
    if (type === PROC_SUPER_MAGIC || type === SYSFS_MAGIC) return 'EACCES';
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}
