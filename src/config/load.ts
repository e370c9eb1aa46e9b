// Reads a config file from disk and parses it with the system resolver.
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { parseConfig, type ConfigDiagnostic, type ParseResult, type Resolver } from '../../parsers/ldirectord-cf/index.js';
import { systemResolver } from './resolver.js';

/** Options of loadConfig. */
export interface LoadOptions {
  readonly resolver?: Resolver;
  /** Director host name for ftp/sip defaults; default $HOSTNAME, else uname -n (as upstream). */
  readonly hostname?: string;
}

/** This director's host name as upstream computes it: $HOSTNAME, else uname -n. */
export function directorHostname(): string {
  return process.env['HOSTNAME'] || osHostname();
}

/** Reads `path` and parses it; an unreadable file gives one diagnostic with upstream's text. */
export async function loadConfig(path: string, opts: LoadOptions = {}): Promise<ParseResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = err instanceof Error && 'code' in err ? ` (${String((err as NodeJS.ErrnoException).code)})` : '';
    return {
      ok: false,
      diagnostics: [{ severity: 'error', code: 'NOT_FOUND', file: path, line: 0, message: `can not open file ${path}${reason}` }],
    };
  }
  const res = await parseConfig(text, { file: path, resolver: opts.resolver ?? systemResolver(), hostname: opts.hostname ?? directorHostname() });
  if (!res.ok) return res;
  // the one file-system check upstream makes while reading that has no side effect (spec §2.5 maintenancedir)
  const dir = res.config.global.maintenanceDir;
  if (dir !== undefined && !isDirectory(dir)) {
    const warning: ConfigDiagnostic = {
      severity: 'warning', code: 'NOT_FOUND', file: path, line: res.config.global.lines?.['maintenancedir'] ?? 0,
      message: 'maintenance directory does not exist',
    };
    return { ...res, warnings: [...res.warnings, warning] };
  }
  return res;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
