// Oracle negotiate check (oracledb thin mode, no client libraries): log in to the SID, run request, up when it returns rows.
import { sqlCheck } from './sql.js';
import type { Checker, CheckSpec } from './types.js';

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
export const check: Checker = (spec, signal) =>
  sqlCheck('Oracle', spec, signal, async () => {
    // Loaded on first use, before negotiatetimeout is armed: the driver is large and most configurations never
    // check Oracle (and it ships no type declarations; OracleConnection above is the part we rely on).
    const driver: string = 'oracledb';
    const oracledb = ((await import(driver)) as { default: unknown }).default as {
      getConnection(o: Record<string, unknown>): Promise<OracleConnection>;
    };
    const seconds = Math.max(1, Math.ceil(spec.negotiateTimeoutMs / 1000));
    let connecting: Promise<OracleConnection> | undefined;
    let conn: OracleConnection | undefined;
    return {
      rows: async (sql) => {
        connecting = oracledb.getConnection({
          user: spec.login,
          password: spec.passwd,
          connectString: connectDescriptor(spec),
          connectTimeout: seconds,
          transportConnectTimeout: seconds,
        });
        conn = await connecting;
        conn.callTimeout = spec.negotiateTimeoutMs;
        const res = await conn.execute(sql);
        return res.rows?.length ?? res.rowsAffected ?? 0;
      },
      close: () => {
        // The driver cannot be cancelled mid-connect: a connection that arrives late is closed then.
        if (conn !== undefined) conn.close().catch(() => undefined);
        else connecting?.then((c) => c.close()).catch(() => undefined);
      },
    };
  });
