// Public surface of the ldirectord.cf parser: parseConfig(text, {file, resolver}) and its result types.
import type { Config } from '../../src/model/config.js';
import type { ConfigDiagnostic } from './diagnostics.js';
import type { Resolver } from './resolver.js';
import { parseText } from './parser.js';
import { normalize } from './normalize.js';

export type { ConfigDiagnostic, DiagnosticCode } from './diagnostics.js';
export { formatDiagnostic } from './diagnostics.js';
export type { Resolver, StaticResolverTables } from './resolver.js';
export { staticResolver } from './resolver.js';
export { portToService, serviceToPort } from './normalize.js';

/** Options of parseConfig. */
export interface ParseOptions {
  /** Path used in positions and diagnostics. */
  readonly file: string;
  /** Host and service name resolution (system resolver in production, staticResolver in tests). */
  readonly resolver: Resolver;
  /** This director's host name, for ftp/sip login defaults (upstream: $HOSTNAME or uname -n). */
  readonly hostname?: string;
}

/** Result of parsing: a frozen Config plus warnings, or every diagnostic found (errors and warnings). */
export type ParseResult =
  | { readonly ok: true; readonly config: Config; readonly warnings: readonly ConfigDiagnostic[] }
  | { readonly ok: false; readonly diagnostics: readonly ConfigDiagnostic[] };

/** Parses ldirectord.cf text the way upstream ldirectord reads it; never throws on any input. */
export async function parseConfig(text: string, opts: ParseOptions): Promise<ParseResult> {
  const raw = parseText(text, opts.file);
  return normalize(raw, opts);
}
