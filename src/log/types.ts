// The narrow logging interface the core calls; only src/log builds the winston-backed implementation.

/** ldirectord's logger: `log` is upstream's ld_log, `debug` its `-d`-only DEBUG<n> lines. */
export interface Logger {
  /** One log line (upstream's message texts, spec §5.2). */
  log(message: string): void;
  /** A debug line, shown only in `-d` mode when `level` ≤ the debug level. */
  debug(level: number, message: string): void;
}

/** A logger that drops everything (tests and pre-config CLI paths). */
export const nullLogger: Logger = { log: () => undefined, debug: () => undefined };

/** A logger that keeps every line in memory, for tests and for replay. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  readonly debugLines: string[] = [];
  log(message: string): void {
    this.lines.push(message);
  }
  debug(level: number, message: string): void {
    this.debugLines.push(`DEBUG${level}: ${message}`);
  }
}
