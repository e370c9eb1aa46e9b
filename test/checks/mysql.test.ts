// MySQL check against a real MariaDB (temp datadir) on 127.0.0.1 and ::1, plus silent and garbage peers.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { check } from '../../src/checks/mysql.js';
import type { CheckSpec } from '../../src/checks/types.js';
import { garbagePeer, silentPeer } from '../support/peers.js';
import { startServer, type RunningServer } from '../support/process.js';
import { tempDir } from '../support/tmp.js';
import { expectDown, expectDownAndClosed, freePort, oversizedPeer, specFor } from './data-peers.js';

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

const good = { login: 'checker', passwd: 'pw', database: 'ldtest', request: '/SELECT x FROM t' };
const run = (over: Partial<CheckSpec>, host = '127.0.0.1') =>
  check(specFor({ host, port, ...good, ...over }), new AbortController().signal);

describe('mysql check against MariaDB', () => {
  test('a query returning a row is up', async () => {
    await expect(run({})).resolves.toEqual({ ok: true, message: '1 row(s)' });
  });

  test('the check works over ::1', async () => {
    await expect(run({}, '::1')).resolves.toMatchObject({ ok: true });
  });

  test.each([
    ['a wrong password is down with the server refusal', { passwd: 'bad' }, /Access denied for user 'checker'/],
    ['a query returning no rows is down', { request: '/SELECT x FROM empty' }, /expected at least one row, got none/],
    ['a failing query is down without crashing (upstream dies on prepare errors)', { request: '/SELECT nosuch FROM t' }, /Unknown column/],
    ['an unknown database is down', { database: 'nosuch' }, /nosuch/],
    ['a missing login is down with upstream message', { login: '' }, /^Error: Must specify a login and request string/],
    ['a missing request is down with upstream message', { request: '/' }, /^Error: Must specify a login and request string/],
  ])('%s', (_name, over, reason) => expectDown(run(over), reason));
});

describe('mysql check against broken peers', () => {
  test('a closed port is down with connection refused', async () => {
    await expectDown(run({ port: await freePort() }), /connection refused/);
  });

  test('a silent server times out after negotiatetimeout (upstream waits forever) and the socket is closed', async () => {
    await expectDownAndClosed(await silentPeer('127.0.0.1'), (p) => run({ port: p, negotiateTimeoutMs: 400 }), { withinMs: 2000 });
  });

  test('10 MB of junk is down promptly and the socket is closed', async () => {
    await expectDownAndClosed(await garbagePeer('127.0.0.1'), (p) => run({ port: p }), { withinMs: 2500 });
  });

  test('a handshake packet announcing 16 MB is cut off at 1 MiB instead of being buffered', async () => {
    await expectDownAndClosed(await oversizedPeer(Buffer.from([0xff, 0xff, 0xff, 0x00])), (p) => run({ port: p, negotiateTimeoutMs: 5000, checkTimeoutMs: 5000 }), {
      reason: /larger than 1048576 bytes/,
    });
  });
});
