// Oracle negotiate check (oracledb thin mode, no client libraries): log in to the SID, run request, up when it returns rows.
import { sqlPrecondition } from './mysql.js';
import { describeError, hostPort, withTimeout } from './net.js';
import type { Checker, CheckResult, CheckSpec } from './types.js';

/** The subset of an oracledb connection this check uses. */
interface OracleConnection {
  callTimeout: number;
  execute(sql: string): Promise<{ rows?: unknown[]; rowsAffected?: number }>;
  close(): Promise<void>;
}

/** Upstream's DSN dbi:Oracle:sid=<database>;host=<rip>;port=<port> as an Oracle Net descriptor. */
export function connectDescriptor(spec: CheckSpec): string {
  return `(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=${spec.host})(PORT=${spec.port}))(CONNECT_DATA=(SID=${spec.database})))`;
}

/** Oracle check: connect in thin mode, run the request once; up when it yields at least one row. */
export const check: Checker = async (spec, signal): Promise<CheckResult> => {
  const sql = spec.request.replace(/^\//, '');
  const what = `Oracle ${JSON.stringify(sql)} as ${spec.login}@${hostPort(spec.host, spec.port)}/${spec.database}`;
  const pre = sqlPrecondition(spec);
  if (pre !== undefined) return { ok: false, reason: pre };
  // Loaded on first use: the driver is large and most configurations never check Oracle
  // (and it ships no type declarations; OracleConnection above is the part we rely on).
  const driver: string = 'oracledb';
  const oracledb = ((await import(driver)) as { default: unknown }).default as {
    getConnection(o: Record<string, unknown>): Promise<OracleConnection>;
  };
  const t = withTimeout(signal, spec.negotiateTimeoutMs);
  const seconds = Math.max(1, Math.ceil(spec.negotiateTimeoutMs / 1000));
  const aborted = new Promise<never>((_, reject) => {
    const onAbort = (): void => reject(new Error(describeError(t.signal.reason)));
    if (t.signal.aborted) onAbort();
    else t.signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  const connecting = oracledb.getConnection({
    user: spec.login,
    password: spec.passwd,
    connectString: connectDescriptor(spec),
    connectTimeout: seconds,
    transportConnectTimeout: seconds,
  });
  let conn: OracleConnection | undefined;
  try {
    conn = await Promise.race([connecting, aborted]);
    conn.callTimeout = spec.negotiateTimeoutMs;
    const res = await Promise.race([conn.execute(sql), aborted]);
    const n = res.rows?.length ?? res.rowsAffected ?? 0;
    return n > 0 ? { ok: true, message: `${n} row(s)` } : { ok: false, reason: `${what}: expected at least one row, got none` };
  } catch (err) {
    // The driver cannot be cancelled mid-connect: a connection that arrives late is closed then.
    if (conn === undefined) connecting.then((c) => c.close()).catch(() => undefined);
    return { ok: false, reason: `${what}: ${describeError(err)}` };
  } finally {
    t.dispose();
    conn?.close().catch(() => undefined);
  }
};
