// MySQL/MariaDB negotiate check (mysql2): log in, run request, up when it returns rows; bounded in time and bytes.
import net from 'node:net';
import mysql from 'mysql2';
import { MAX_REPLY_BYTES, describeError, hostPort, withTimeout } from './net.js';
import type { Checker, CheckResult, CheckSpec } from './types.js';

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

/** Row count as DBI's $sth->rows reports it: rows of a result set, else affected rows. */
function rowCount(result: unknown): number {
  if (Array.isArray(result)) return result.length;
  const affected = (result as { affectedRows?: unknown } | null)?.affectedRows;
  return typeof affected === 'number' ? affected : 0;
}

/** MySQL check: connect, authenticate, run the request once; up when it yields at least one row. */
export const check: Checker = async (spec, signal): Promise<CheckResult> => {
  const sql = spec.request.replace(/^\//, '');
  const what = `MySQL ${JSON.stringify(sql)} as ${spec.login}@${hostPort(spec.host, spec.port)}/${spec.database}`;
  const pre = sqlPrecondition(spec);
  if (pre !== undefined) return { ok: false, reason: pre };
  // Upstream has no timeout here (a hung database hangs the daemon); negotiatetimeout bounds ours.
  const t = withTimeout(signal, spec.negotiateTimeoutMs);
  let socket: net.Socket | undefined;
  const conn = mysql.createConnection({
    host: spec.host,
    port: spec.port,
    user: spec.login,
    password: spec.passwd,
    ...(spec.database !== '' ? { database: spec.database } : {}),
    connectTimeout: spec.negotiateTimeoutMs,
    stream: () => (socket = cappedSocket(net.connect({ host: spec.host, port: spec.port }))),
  });
  // A late socket error must never become an uncaught 'error' event (upstream dies there).
  conn.on('error', () => undefined);
  try {
    const result = await new Promise<unknown>((resolve, reject) => {
      const onAbort = (): void => reject(new Error(describeError(t.signal.reason)));
      if (t.signal.aborted) return onAbort();
      t.signal.addEventListener('abort', onAbort, { once: true });
      conn.query({ sql, timeout: spec.negotiateTimeoutMs }, (err, rows) => {
        t.signal.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(rows);
      });
    });
    const n = rowCount(result);
    return n > 0 ? { ok: true, message: `${n} row(s)` } : { ok: false, reason: `${what}: expected at least one row, got none` };
  } catch (err) {
    return { ok: false, reason: `${what}: ${describeError(err)}` };
  } finally {
    t.dispose();
    conn.destroy();
    socket?.destroy();
  }
};
