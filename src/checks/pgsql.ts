// PostgreSQL negotiate check (pg): log in, run request, up when it returns rows; bounded in time and bytes.
import net from 'node:net';
import pg from 'pg';
import { cappedSocket, sqlCheck } from './sql.js';
import type { Checker } from './types.js';

/** PostgreSQL check: connect, authenticate, run the request once; up when it yields at least one row. */
export const check: Checker = (spec, signal) =>
  sqlCheck('PostgreSQL', spec, signal, () => {
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
    return {
      rows: async (sql) => {
        await client.connect();
        const res = await client.query(sql);
        return res.rowCount ?? res.rows.length;
      },
      close: () => {
        socket.destroy();
        client.end().catch(() => undefined);
      },
    };
  });
