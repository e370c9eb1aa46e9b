// monitorfile= lines (spec §5.3): one per check result, opened/appended/closed per line as upstream.
import { appendFileSync } from 'node:fs';
import { ctime } from '../log/format.js';

/** "[<ctime>] [<pid>] <real id, ':' runs → ' ', '\' removed> [<up|down>] <msg, % | CR LF escaped>". */
export function monitorLine(ms: number, pid: number, realId: string, up: boolean, message: string): string {
  const id = realId.replace(/:+/g, ' ').replace(/\\/g, '');
  const m = (message === '' ? '-' : message).replace(/[%|\r\n]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `[${ctime(ms)}] [${pid}] ${id} [${up ? 'up' : 'down'}] ${m}\n`;
}

/** Appends one line; a failure is reported, never thrown (upstream died here). */
export function appendMonitor(file: string, line: string): string | undefined {
  try {
    appendFileSync(file, line);
    return undefined;
  } catch (err) {
    return `Error writing to monitorfile '${file}': ${err instanceof Error ? err.message : String(err)}`;
  }
}
