// Config-file lookup and naming exactly as upstream ldirectord does it (spec §1.4).
import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';

/** Default config name when only a command is given. */
export const DEFAULT_CONFIG = 'ldirectord.cf';

/** Directories searched before the path as typed. */
export const CONFIG_DIRS = ['/etc/ha.d', '/etc/ha.d/conf'];

/**
 * Finds CONFIG the way upstream does: /etc/ha.d/CONFIG, /etc/ha.d/conf/CONFIG, then CONFIG as typed.
 * Returns an absolute path (upstream keeps relative paths and then breaks after chdir("/"), §7.2),
 * or undefined when nothing exists.
 */
export function locateConfig(config: string, dirs: readonly string[] = CONFIG_DIRS): string | undefined {
  const candidates = [...dirs.map((d) => `${d}/${config}`), config];
  for (const c of candidates) {
    try {
      if (existsSync(c) && statSync(c).isFile()) return resolve(c);
    } catch {
      // unreadable candidate: try the next one
    }
  }
  return undefined;
}

/** CFGNAME: basename of the config argument as typed, including its extension. */
export function configName(configArg: string | undefined): string {
  if (configArg === undefined) return 'ldirectord';
  return basename(configArg);
}
