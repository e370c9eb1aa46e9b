// Public surface of the ldirectord.cf parser: parseConfig(text, {file, resolver, memo}) and its result types.
import { parseText } from './parser.js';
import { normalize, type NormalizeOptions, type NormalizeResult } from './normalize.js';

export type { ConfigDiagnostic, DiagnosticCode } from './diagnostics.js';
export { formatDiagnostic } from './diagnostics.js';
export type { Resolver, StaticResolverTables } from './resolver.js';
export { staticResolver } from './resolver.js';
export { portToService, serviceToPort, ParseMemo } from './normalize.js';

/** Options of parseConfig: file for positions, name resolver, director host name. */
export type ParseOptions = NormalizeOptions;

/** Result of parsing: a frozen Config plus warnings, or every diagnostic found (errors and warnings). */
export type ParseResult = NormalizeResult;

/** Parses ldirectord.cf text the way upstream ldirectord reads it; never throws on any input. */
export async function parseConfig(text: string, opts: ParseOptions): Promise<ParseResult> {
  const raw = parseText(text, opts.file);
  return normalize(raw, opts);
}
