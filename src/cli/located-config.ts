// Locate, load and report the config for the one-shot commands (configtest, --dump-config, --probe).
import { locateConfig, DEFAULT_CONFIG } from '../config/locate.js';
import { loadConfig } from '../config/load.js';
import { formatDiagnostic } from '../../parsers/ldirectord-cf/index.js';
import type { Config } from '../model/config.js';
import { msg } from '../log/messages.js';

/** Streams a one-shot command writes to, and where it looks for the config (tests pass their own). */
export interface CommandIo {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown };
  /** Directories searched before CONFIG as typed (default /etc/ha.d, /etc/ha.d/conf). */
  readonly dirs?: readonly string[];
}

/** A loaded config and its path, or the exit code the command ends with (1 not found, 2 invalid). */
export type LocatedConfig = { readonly ok: true; readonly path: string; readonly config: Config } | { readonly ok: false; readonly exitCode: 1 | 2 };

/** Finds CONFIG (default ldirectord.cf) and parses it; diagnostics and warnings go to stderr as file:line: message. */
export async function loadLocatedConfig(config: string | undefined, io: CommandIo): Promise<LocatedConfig> {
  const name = config ?? DEFAULT_CONFIG;
  const path = io.dirs ? locateConfig(name, io.dirs) : locateConfig(name);
  if (path === undefined) {
    io.stderr.write(`${msg.configNotFound(name)}\n`);
    return { ok: false, exitCode: 1 };
  }
  const res = await loadConfig(path);
  if (!res.ok) {
    for (const d of res.diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);
    return { ok: false, exitCode: 2 };
  }
  for (const w of res.warnings) io.stderr.write(`${formatDiagnostic(w)}\n`);
  return { ok: true, path, config: res.config };
}
