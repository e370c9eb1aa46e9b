// Config diagnostics (errors and warnings with positions) and their `file:line: message` rendering.

/** Stable diagnostic codes; tests assert these, not message text. */
export type DiagnosticCode =
  | 'UNKNOWN_COMMAND'
  | 'BAD_VALUE'
  | 'BAD_RECEIVE'
  | 'BAD_VIRTUAL'
  | 'BAD_REAL'
  | 'BAD_FALLBACK'
  | 'UNRESOLVED'
  | 'DUPLICATE_VIRTUAL'
  | 'DEPRECATED'
  | 'MISREAD'
  | 'NOT_FOUND';

/** One problem found in a config file. Line 0 means "the file as a whole". */
export interface ConfigDiagnostic {
  readonly severity: 'error' | 'warning';
  readonly code: DiagnosticCode;
  readonly file: string;
  readonly line: number;
  /** Message; contains upstream's own text for the same fault. */
  readonly message: string;
}

/** Renders a diagnostic as `FILE:LINE: message` (warnings prefixed with `warning: `). */
export function formatDiagnostic(d: ConfigDiagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}` : d.file;
  return `${where}: ${d.severity === 'warning' ? 'warning: ' : ''}${d.message}`;
}
