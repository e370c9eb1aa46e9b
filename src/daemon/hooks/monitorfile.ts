// monitorfile= lines (spec §5.3): one per check result, opened/appended/closed per line as upstream.
import { appendFileSync } from 'node:fs';
import type { CheckName } from '../../checks/index.js';
import type { Clock } from '../../clock.js';
import type { CheckEvent } from '../../health/index.js';
import { ctime } from '../../log/format.js';
import type { Logger } from '../../log/types.js';
import type { Config } from '../../model/config.js';
import { virtualKey } from '../../model/keys.js';

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

// Upstream does not monitor-log on, off, external-perl, or a failed ping (spec §5.3).
function monitored(name: CheckName, ok: boolean): boolean {
  return !(name === 'on' || name === 'off' || name === 'external-perl' || (name === 'ping' && !ok));
}

/** The monitorfile= hook: the scheduler's onCheck events written to each virtual's file. */
export function monitorFileHook(o: { readonly clock: Clock; readonly logger: Logger }): {
  update(config: Config): void;
  onCheck(e: CheckEvent): void;
} {
  let files = new Map<string, string>();
  return {
    update(config) {
      files = new Map(config.virtuals.flatMap((v) => (v.monitorFile ? [[virtualKey(v), v.monitorFile] as const] : [])));
    },
    onCheck(e) {
      // A maintenancedir verdict ran no check: upstream writes no line for it.
      if (files.size === 0 || e.forced || !monitored(e.name, e.ok)) return;
      const targets = [...new Set(e.members.flatMap((m) => files.get(m.virtualKey) ?? []))];
      if (targets.length === 0) return;
      const line = monitorLine(o.clock.wallNow(), process.pid, e.checkId, e.ok, e.said);
      for (const f of targets) {
        const err = appendMonitor(f, line);
        if (err) o.logger.log(err);
      }
    },
  };
}
