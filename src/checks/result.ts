// What a check returns and how it fails: results, typed failures, reason text, timeouts, receive= matching.
import type { CheckResult, CheckSpec } from './types.js';
import { compilePerlRegex, type PerlRegex } from '../model/perl-regex.js';

/** Most bytes a check buffers from one peer; more is a failed check, never unbounded memory. */
export const MAX_REPLY_BYTES = 1024 * 1024;
/** Longest protocol line we accept before calling the reply garbage. */
export const MAX_LINE_BYTES = 8192;

/** A dialogue failure whose message is already the human reason (what was sent, what came back). */
export class CheckFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CheckFailure';
  }
}

/** Raised (as a signal reason) when a check's own time budget runs out. */
export class CheckTimeout extends CheckFailure {
  readonly ms: number;
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = 'CheckTimeout';
    this.ms = ms;
  }
}

/** An up result. */
export function up(message?: string): CheckResult {
  return message === undefined ? { ok: true } : { ok: true, message };
}

/** A down result. */
export function down(reason: string): CheckResult {
  return { ok: false, reason };
}

/** Quote peer text for a reason: trimmed, control characters escaped, at most `max` characters. */
export function quote(text: string, max = 120): string {
  const flat = text.replace(/\r?\n$/, '');
  const cut = flat.length > max ? `${flat.slice(0, max)}…` : flat;
  return JSON.stringify(cut);
}

/** Human text for a socket/DNS/TLS error (ECONNREFUSED → "connection refused"), or a CheckFailure's message. */
export function describeError(err: unknown): string {
  if (err instanceof CheckFailure) return err.message;
  const e = err as { code?: unknown; message?: unknown; name?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset by peer',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ETIMEDOUT: 'connection timed out',
    EPIPE: 'broken pipe',
    EADDRNOTAVAIL: 'address not available',
  };
  if (code !== undefined && known[code] !== undefined) return known[code];
  if (e !== null && typeof e === 'object' && e.name === 'AbortError') return 'aborted';
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  return code !== undefined && !msg.includes(code) ? `${msg} (${code})` : msg;
}

/**
 * A signal that aborts when `parent` aborts or after `ms` (reason: CheckTimeout).
 * Call dispose() when done so the timer does not outlive the check.
 */
export function withTimeout(parent: AbortSignal, ms: number): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const onAbort = (): void => ac.abort(parent.reason);
  if (parent.aborted) ac.abort(parent.reason);
  else parent.addEventListener('abort', onAbort, { once: true });
  const timer = ms > 0 && Number.isFinite(ms) ? setTimeout(() => ac.abort(new CheckTimeout(ms)), ms) : undefined;
  return {
    signal: ac.signal,
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer);
      parent.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * withTimeout() without the AbortController, for the checks that run most (HTTP): one timer and one
 * listener on the caller's signal (this object itself, no closure). When the budget runs out or the
 * caller aborts, `reason` is set and `onExpire` runs once; dispose() when the check is done.
 * `signal` builds an AbortSignal only for the rare step that needs one (a CONNECT tunnel).
 */
export class Deadline {
  /** Why the check was cut short: a CheckTimeout, or the caller's abort reason. */
  reason: unknown;
  expired = false;
  private timer: NodeJS.Timeout | undefined;
  private ac: AbortController | undefined;

  constructor(
    private readonly parent: AbortSignal,
    ms: number,
    private readonly onExpire: (d: Deadline) => void,
  ) {
    if (parent.aborted) {
      this.expire(parent.reason);
      return;
    }
    parent.addEventListener('abort', this, { once: true });
    if (ms > 0 && Number.isFinite(ms)) this.timer = setTimeout(timeUp, ms, this, ms);
  }

  /** The caller's signal aborted (EventTarget calls this: the object is its own listener). */
  handleEvent(): void {
    this.expire(this.parent.reason);
  }

  /** The reason as text: "timed out after N ms" or "aborted". */
  get text(): string {
    const r = this.reason;
    return r instanceof Error && r.name === 'CheckTimeout' ? r.message : 'aborted';
  }

  /** An AbortSignal that aborts with this deadline (made on first use). */
  get signal(): AbortSignal {
    if (this.ac === undefined) {
      this.ac = new AbortController();
      if (this.expired) this.ac.abort(this.reason);
    }
    return this.ac.signal;
  }

  expire(reason: unknown): void {
    if (this.expired) return;
    this.expired = true;
    this.reason = reason;
    this.dispose();
    this.ac?.abort(reason);
    this.onExpire(this);
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.parent.removeEventListener('abort', this);
  }
}

function timeUp(d: Deadline, ms: number): void {
  d.expire(new CheckTimeout(ms));
}

/** Why a signal aborted, as reason text ("timed out after 5000 ms" or "aborted"). */
export function abortText(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (r instanceof CheckFailure) return r.message;
  return 'aborted';
}

/**
 * Compile ldirectord's `receive=` (a Perl regex, unanchored, case-sensitive) with Perl's meaning and a
 * bounded match time (src/model/perl-regex.ts); `{ error }` when it cannot be run safely.
 */
export function compileReceive(receive: string): PerlRegex | { error: string } {
  const r = compilePerlRegex(receive);
  return r.ok ? r.regex : { error: r.error };
}

/** The well-known default when spec.port is 0 (the caller normally resolved ld_checkport already). */
export function portOr(spec: CheckSpec, fallback: number): number {
  return spec.port > 0 ? spec.port : fallback;
}
