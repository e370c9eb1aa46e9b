// What the SQL checks (mysql, pgsql, oracle) share: upstream's precondition, a byte-capped socket, and one timed frame.
import type net from 'node:net';
import { MAX_REPLY_BYTES, describeError, withTimeout } from './result.js';
import { hostPort } from '../model/keys.js';
import type { CheckResult, CheckSpec } from './types.js';

/**
 * Upstream's precondition for every SQL check (spec §3.3): login and request must be set.
 * Returns the down reason (upstream's log text) or undefined when the check may run.
 */
export function sqlPrecondition(spec: CheckSpec): string | undefined {
  if (spec.login === '' || spec.request.replace(/^\//, '') === '') {
    return `Error: Must specify a login and request string for MySQL, Oracle and PostgreSQL checks. Not adding ${spec.host}.`;
  }
  return undefined;
}

/** A socket that destroys itself past MAX_REPLY_BYTES, so a hostile server cannot make a driver buffer without bound. */
export function cappedSocket(socket: net.Socket): net.Socket {
  let bytes = 0;
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > MAX_REPLY_BYTES) socket.destroy(new Error(`reply larger than ${MAX_REPLY_BYTES} bytes`));
  });
  return socket;
}

/** One driver's part of a SQL check. */
export interface SqlSession {
  /** Connects, logs in and runs `sql` once; resolves to the row count DBI's $sth->rows would report. */
  rows(sql: string): Promise<number>;
  /** Drops the connection in whatever state it is (also after a timeout); never throws. */
  close(): void;
}

/**
 * Runs a SQL check: upstream's precondition, then `open()`'s session under negotiatetimeout (upstream has none,
 * so a hung database hangs its daemon); up when the request yields at least one row.
 */
export async function sqlCheck(product: string, spec: CheckSpec, signal: AbortSignal, open: () => Promise<SqlSession> | SqlSession): Promise<CheckResult> {
  const sql = spec.request.replace(/^\//, '');
  const what = `${product} ${JSON.stringify(sql)} as ${spec.login}@${hostPort(spec.host, spec.port)}/${spec.database}`;
  const pre = sqlPrecondition(spec);
  if (pre !== undefined) return { ok: false, reason: pre };
  const session = await open();
  const t = withTimeout(signal, spec.negotiateTimeoutMs);
  // Drivers cannot all be cancelled: the race ends the check on time and close() drops what is left.
  const aborted = new Promise<never>((_, reject) => {
    const onAbort = (): void => reject(new Error(describeError(t.signal.reason)));
    if (t.signal.aborted) onAbort();
    else t.signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    const n = await Promise.race([session.rows(sql), aborted]);
    return n > 0 ? { ok: true, message: `${n} row(s)` } : { ok: false, reason: `${what}: expected at least one row, got none` };
  } catch (err) {
    return { ok: false, reason: `${what}: ${describeError(err)}` };
  } finally {
    t.dispose();
    session.close();
  }
}
