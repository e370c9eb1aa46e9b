// PostgreSQL negotiate check (pg): log in, run request, up when it returns rows; bounded in time and bytes.
import net from 'node:net';
import pg from 'pg';
import { cappedSocket, sqlPrecondition } from './mysql.js';
import { describeError, hostPort, withTimeout } from './net.js';
import type { Checker, CheckResult } from './types.js';

/** PostgreSQL check: connect, authenticate, run the request once; up when it yields at least one row. */
export const check: Checker = async (spec, signal): Promise<CheckResult> => {
  const sql = spec.request.replace(/^\//, '');
  const what = `PostgreSQL ${JSON.stringify(sql)} as ${spec.login}@${hostPort(spec.host, spec.port)}/${spec.database}`;
  const pre = sqlPrecondition(spec);
  if (pre !== undefined) return { ok: false, reason: pre };
  // Upstream has no timeout here (a hung database hangs the daemon); negotiatetimeout bounds ours.
  const t = withTimeout(signal, spec.negotiateTimeoutMs);
  // pg calls stream.connect(port, host) itself, so the factory returns an unconnected socket.
  const socket = cappedSocket(new net.Socket());
  const client = new pg.Client({
    host: spec.host,
    port: spec.port,
    user: spec.login,
    password: spec.passwd,
    // DBD::Pg connects to a database named like the user when dbname is empty; so does libpq and pg.
    ...(spec.database !== '' ? { database: spec.database } : {}),
    connectionTimeoutMillis: spec.negotiateTimeoutMs,
    query_timeout: spec.negotiateTimeoutMs,
    stream: () => socket,
  });
  // A late socket error must never become an uncaught 'error' event (upstream dies there).
  client.on('error', () => undefined);
  const aborted = new Promise<never>((_, reject) => {
    const onAbort = (): void => reject(new Error(describeError(t.signal.reason)));
    if (t.signal.aborted) onAbort();
    else t.signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    await Promise.race([client.connect(), aborted]);
    const res = await Promise.race([client.query(sql), aborted]);
    const n = res.rowCount ?? res.rows.length;
    return n > 0 ? { ok: true, message: `${n} row(s)` } : { ok: false, reason: `${what}: expected at least one row, got none` };
  } catch (err) {
    return { ok: false, reason: `${what}: ${describeError(err)}` };
  } finally {
    t.dispose();
    socket.destroy();
    client.end().catch(() => undefined);
  }
};
