// `ldirectord -t [CONFIG]` and `--dump-config [CONFIG]`: locate, parse, report (exit 0 ok, 1 not found, 2 invalid).
import { locateConfig, DEFAULT_CONFIG } from '../config/locate.js';
import { loadConfig } from '../config/load.js';
import { formatDiagnostic } from '../../parsers/ldirectord-cf/index.js';
import { countReals } from '../model/config.js';

/** Streams the command writes to (tests pass their own). */
export interface ConfigTestIo {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown };
  /** Directories searched before CONFIG as typed (default /etc/ha.d, /etc/ha.d/conf). */
  readonly dirs?: readonly string[];
}

/** Runs the config test or dump; resolves to the exit code. */
export async function runConfigTest(
  config: string | undefined,
  mode: 'test' | 'dump',
  io: ConfigTestIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const name = config ?? DEFAULT_CONFIG;
  const path = io.dirs ? locateConfig(name, io.dirs) : locateConfig(name);
  if (path === undefined) {
    io.stderr.write(`Config file ${name} not found\n`);
    return 1;
  }
  const res = await loadConfig(path);
  if (!res.ok) {
    for (const d of res.diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);
    return 2;
  }
  for (const w of res.warnings) io.stderr.write(`${formatDiagnostic(w)}\n`);
  if (mode === 'dump') {
    io.stdout.write(`${JSON.stringify(res.config, null, 2)}\n`);
    return 0;
  }
  const v = res.config.virtuals.length;
  io.stdout.write(`${path}: ok: ${v} virtual services, ${countReals(res.config)} real servers\n`);
  return 0;
}
