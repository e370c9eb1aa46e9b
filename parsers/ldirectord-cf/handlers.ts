// The shape of a directive handler and of the reporter it writes problems to (directives.ts, sync.ts).
import type { DiagnosticCode } from './diagnostics.js';
import type { RawDirective } from './parser.js';
import type { GState, VState } from './state.js';

/** Where handlers report problems. */
export interface Reporter {
  error(line: number, code: DiagnosticCode, message: string): void;
  warn(line: number, code: DiagnosticCode, message: string): void;
  /** Director host name for ftp/sip login defaults. */
  readonly hostname: string;
}

/** A handler returns false when the line does not have the directive's shape (upstream: Unknown command). */
export type GlobalHandler = (d: RawDirective, g: GState, r: Reporter) => boolean;
/** Per-virtual handler; the value is the comment-stripped, tab-expanded rest of the line. */
export type VirtualHandler = (d: RawDirective, v: VState, r: Reporter) => boolean;
