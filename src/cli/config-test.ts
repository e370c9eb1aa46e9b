// `ldirectord -t [CONFIG]` and `--dump-config [CONFIG]`: locate, parse, report (exit 0 ok, 1 not found, 2 invalid).
import { countReals } from '../model/config.js';
import { loadLocatedConfig, type CommandIo } from './located-config.js';

/** Streams the command writes to (tests pass their own). */
export type ConfigTestIo = CommandIo;

/** Runs the config test or dump; resolves to the exit code. */
export async function runConfigTest(
  config: string | undefined,
  mode: 'test' | 'dump',
  io: ConfigTestIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const res = await loadLocatedConfig(config, io);
  if (!res.ok) return res.exitCode;
  const { path } = res;
  if (mode === 'dump') {
    io.stdout.write(`${JSON.stringify(res.config, maskSecrets, 2)}\n`);
    return 0;
  }
  const v = res.config.virtuals.length;
  io.stdout.write(`${path}: ok: ${v} virtual services, ${countReals(res.config)} real servers\n`);
  return 0;
}

/** Directives whose values are credentials: --dump-config shows whether one is set, never its text (issue 13 item 12). */
const SECRET_KEYS = new Set(['passwd', 'secret', 'password']);

/** JSON.stringify replacer: a non-empty secret becomes "********". */
function maskSecrets(key: string, value: unknown): unknown {
  return SECRET_KEYS.has(key) && typeof value === 'string' && value !== '' ? '********' : value;
}
