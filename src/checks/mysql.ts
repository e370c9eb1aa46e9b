// MySQL/MariaDB negotiate check (mysql2): log in, run request, up when it returns rows; bounded in time and bytes.
import net from 'node:net';
import mysql from 'mysql2';
import { cappedSocket, sqlCheck } from './sql.js';
import type { Checker } from './types.js';

/** Row count as DBI's $sth->rows reports it: rows of a result set, else affected rows. */
function rowCount(result: unknown): number {
  if (Array.isArray(result)) return result.length;
  const affected = (result as { affectedRows?: unknown } | null)?.affectedRows;
  return typeof affected === 'number' ? affected : 0;
}

/** MySQL check: connect, authenticate, run the request once; up when it yields at least one row. */
export const check: Checker = (spec, signal) =>
  sqlCheck('MySQL', spec, signal, () => {
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
    return {
      rows: (sql) =>
        new Promise<number>((resolve, reject) => {
          conn.query({ sql, timeout: spec.negotiateTimeoutMs }, (err, rows) => (err ? reject(err) : resolve(rowCount(rows))));
        }),
      close: () => {
        conn.destroy();
        socket?.destroy();
      },
    };
  });
