// Run a child process (never through a shell) bounded by a timeout and an AbortSignal; used by ping and external checks.
import { spawn } from 'node:child_process';
import { withTimeout } from './result.js';

/** How a child ended. */
export interface ChildOutcome {
  /** Exit code, or null when killed by a signal or never started. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Why we killed it (e.g. "timed out after 1000 ms", "aborted"), when we did. */
  readonly killReason?: string;
  /** Spawn failure text (ENOENT, EACCES), when it could not run at all. */
  readonly spawnError?: string;
  /** Its errno name ("ENOENT"), when it could not run at all. */
  readonly spawnCode?: string;
  /** The first bytes of stdout and stderr (the rest is drained and dropped). */
  readonly stdout: string;
  readonly stderr: string;
}

/** Output kept from a child; more is drained and dropped so a chatty script cannot grow our memory. */
const MAX_CHILD_OUTPUT = 16 * 1024;

/**
 * Spawn `file args` (no shell). On timeout/abort send SIGTERM, as upstream's system_timeout does,
 * then SIGKILL 1 s later if TERM is ignored. Resolves in every case, once the child has exited.
 */
export function runChild(file: string, args: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<ChildOutcome> {
  const t = withTimeout(signal, timeoutMs);
  return new Promise((resolve) => {
    let killReason: string | undefined;
    let hardKill: NodeJS.Timeout | undefined;
    let spawnError: string | undefined;
    let spawnCode: string | undefined;
    const out = { stdout: '', stderr: '' };
    const child = spawn(file, [...args], { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const collect = (key: 'stdout' | 'stderr') => (chunk: Buffer) => {
      if (out[key].length < MAX_CHILD_OUTPUT) out[key] += chunk.toString('utf8').slice(0, MAX_CHILD_OUTPUT - out[key].length);
    };
    child.stdout.on('data', collect('stdout'));
    child.stderr.on('data', collect('stderr'));
    const onAbort = (): void => {
      const r: unknown = t.signal.reason;
      killReason = r instanceof Error && r.name === 'CheckTimeout' ? r.message : 'aborted';
      child.kill('SIGTERM');
      hardKill = setTimeout(() => child.kill('SIGKILL'), 1000);
      hardKill.unref();
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      spawnError = `${err.code ?? 'error'}: ${err.message}`;
      spawnCode = err.code;
    });
    child.on('close', (code, sig) => {
      t.signal.removeEventListener('abort', onAbort);
      t.dispose();
      if (hardKill !== undefined) clearTimeout(hardKill);
      resolve({
        code,
        signal: sig,
        ...(killReason !== undefined ? { killReason } : {}),
        ...(spawnError !== undefined ? { spawnError } : {}),
        ...(spawnCode !== undefined ? { spawnCode } : {}),
        ...out,
      });
    });
    if (t.signal.aborted) onAbort();
    else t.signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** One-line description of how a child ended, for reasons. */
export function describeOutcome(o: ChildOutcome): string {
  if (o.spawnError !== undefined) return `could not run: ${o.spawnError}`;
  if (o.killReason !== undefined) return `${o.killReason}, killed`;
  if (o.signal !== null) return `killed by ${o.signal}`;
  return `exit status ${o.code ?? '?'}`;
}
