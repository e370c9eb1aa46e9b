// MySQL check against a real MariaDB (temp datadir) on 127.0.0.1 and ::1, plus silent and garbage peers.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { check } from '../../src/checks/mysql.js';
import { startServer, type RunningServer } from '../support/process.js';
import { tempDir } from '../support/tmp.js';
import { freePort } from './data-peers.js';
import { describeSqlContract } from './sql-contract.js';

let peer: RunningServer;
let port: number;
const dir = tempDir('ldng-mysql-');

beforeAll(async () => {
  port = await freePort();
  const data = join(dir.dir, 'data');
  const sock = join(dir.dir, 'sock');
  execFileSync('/usr/bin/mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--user=root',
    '--auth-root-authentication-method=normal', '--skip-test-db'], { stdio: 'ignore' });
  peer = await startServer('/usr/sbin/mariadbd', ['--no-defaults', `--datadir=${data}`, `--socket=${sock}`, `--port=${port}`,
    '--bind-address=127.0.0.1,::1', '--user=root', '--skip-name-resolve', `--pid-file=${dir.dir}/pid`,
    '--innodb-buffer-pool-size=16M', '--skip-log-bin'], { output: /ready for connections/ }, { readyTimeoutMs: 30000 });
  const admin = await mysql.createConnection({ socketPath: sock, user: 'root', multipleStatements: true });
  await admin.query(`CREATE DATABASE ldtest; CREATE TABLE ldtest.t (x INT); INSERT INTO ldtest.t VALUES (1);
    CREATE TABLE ldtest.empty (x INT);
    CREATE USER 'checker'@'%' IDENTIFIED BY 'pw'; GRANT SELECT ON ldtest.* TO 'checker'@'%';`);
  await admin.end();
}, 60000);
afterAll(async () => {
  await peer.stop();
  dir.cleanup();
});

describeSqlContract(check, {
  service: 'mysql',
  server: 'MariaDB',
  port: () => port,
  wrongPassword: /Access denied for user 'checker'/,
  unknownColumn: /Unknown column/,
  unknownDatabase: /nosuch/,
  oversized: { header: Buffer.from([0xff, 0xff, 0xff, 0x00]), what: 'a handshake packet announcing 16 MB' },
});
