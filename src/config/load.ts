// The one config pipeline: read the file, parse it with the system resolver, add file-system warnings.
import { readFileSync, statSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { formatDiagnostic, parseConfig, ParseMemo, type ConfigDiagnostic, type ParseResult, type Resolver } from '../../parsers/ldirectord-cf/index.js';
import type { Config } from '../model/config.js';
import { systemResolver } from './resolver.js';
import { logFileProblem } from '../log/file.js';

/** Options of loadConfig. */
export interface LoadOptions {
  readonly resolver?: Resolver;
  /** Director host name for ftp/sip defaults; default $HOSTNAME, else uname -n (as upstream). */
  readonly hostname?: string;
  /** The previous parse of this file (a daemon's reloads): unchanged virtual blocks are reused. */
  readonly memo?: ParseMemo;
}

/** A parse outcome with diagnostics already rendered as log lines. */
export type LoadOutcome =
  | { readonly ok: true; readonly config: Config; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly string[] };

/** Parses config text read from `file`. */
export type ParseFn = (text: string, file: string) => Promise<LoadOutcome>;

/** This director's host name as upstream computes it: $HOSTNAME, else uname -n. */
export function directorHostname(): string {
  return process.env['HOSTNAME'] || osHostname();
}

/** The one text for a config file that cannot be read (start, reload, status, -t, --dump-config, --probe). */
export function cannotOpen(path: string, err: unknown): string {
  return `can not open file ${path}: ${err instanceof Error ? err.message : String(err)}`;
}

/**
 * Reads the config file's text; an unreadable file gives cannotOpen()'s text. Synchronous inside: a
 * config is a local file of at most a few hundred KB, while fs.promises.readFile is four thread-pool round
 * trips (open, stat, read, close), each waiting a full turn of an event loop that a check load keeps
 * busy: a reload must never queue behind the checks (issue 16 item 1).
 */
export async function readConfigFile(path: string): Promise<{ readonly ok: true; readonly text: string } | { readonly ok: false; readonly error: string }> {
  try {
    return { ok: true, text: readFileSync(path, 'utf8') };
  } catch (err) {
    return { ok: false, error: cannotOpen(path, err) };
  }
}

/**
 * Parses config text read from `path` and adds the warnings that need the file system: the one
 * pipeline every entry point uses (loadConfig, makeParse for start, reload and status).
 */
export async function parseConfigText(text: string, path: string, opts: LoadOptions = {}): Promise<ParseResult> {
  const res = await parseConfig(text, {
    file: path, resolver: opts.resolver ?? systemResolver(), hostname: opts.hostname ?? directorHostname(), ...(opts.memo ? { memo: opts.memo } : {}),
  });
  if (!res.ok) return res;
  // Upstream opens logfile= for append at parse time (creating it) and rejects the config when it cannot
  // (spec §2.5); skipped under supervised=yes, where lines go to stdout.
  const g = res.config.global;
  if (g.lines?.['logfile'] !== undefined && g.logfile.startsWith('/') && !g.supervised && logFileProblem(g.logfile) !== undefined) {
    return { ok: false, diagnostics: [{ severity: 'error', code: 'BAD_VALUE', file: path, line: g.lines?.['logfile'] ?? 0, message: `unable to open logfile: ${g.logfile}` }] };
  }
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

/** Reads `path` and parses it (the one-shot commands); an unreadable file gives one diagnostic. */
export async function loadConfig(path: string, opts: LoadOptions = {}): Promise<ParseResult> {
  const read = await readConfigFile(path);
  if (!read.ok) return { ok: false, diagnostics: [{ severity: 'error', code: 'NOT_FOUND', file: path, line: 0, message: read.error }] };
  return parseConfigText(read.text, path, opts);
}

/**
 * The daemon's ParseFn (start, reload, status): parseConfigText with diagnostics rendered as log lines. It
 * remembers its last parse, so a reload re-reads only the virtual blocks that changed and hands the
 * unchanged ones on as the same objects (the check plan and the reconciler then skip them by identity).
 */
export function makeParse(resolver: Resolver = systemResolver()): ParseFn {
  const memo = new ParseMemo();
  return async (text, file): Promise<LoadOutcome> => {
    const r = await parseConfigText(text, file, { resolver, memo });
    if (!r.ok) return { ok: false, errors: r.diagnostics.map(formatDiagnostic) };
    return { ok: true, config: r.config, warnings: r.warnings.map(formatDiagnostic) };
  };
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
