// One base error class with a stable code; tests assert codes, never message text.

/** Stable error codes used across the project. */
export type LdirdErrorCode =
  | 'CONFIG_INVALID'
  | 'USAGE'
  | 'IPVS_UNAVAILABLE'
  | 'IPVS_KERNEL'
  | 'IPVS_PROTOCOL'
  | 'IPVS_TIMEOUT'
  | 'IPVS_DUMP_INTERRUPTED';

/** Base of every error this project throws on purpose. */
export class LdirdError extends Error {
  readonly code: LdirdErrorCode;
  constructor(code: LdirdErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LdirdError';
    this.code = code;
  }
}

/** True when `err` is an LdirdError, optionally with the given code. */
export function isLdirdError(err: unknown, code?: LdirdErrorCode): err is LdirdError {
  return err instanceof LdirdError && (code === undefined || err.code === code);
}
