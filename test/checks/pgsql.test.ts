// PostgreSQL check against a real postgres (temp cluster, run as the postgres user) on 127.0.0.1 and ::1, plus hostile peers.
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { check } from '../../src/checks/pgsql.js';
import type { CheckSpec } from '../../src/checks/types.js';
import { garbagePeer, silentPeer } from '../support/peers.js';
import { startServer, type RunningServer } from '../support/process.js';
import { tempDir } from '../support/tmp.js';
import { expectDown, expectDownAndClosed, freePort, oversizedPeer, specFor } from './data-peers.js';

let peer: RunningServer;
let port: number;
const dir = tempDir('ldng-pgsql-');

/** The newest installed PostgreSQL's bin directory (Debian: /usr/lib/postgresql/<major>/bin). */
function pgBin(): string {
  const majors = readdirSync('/usr/lib/postgresql').map(Number).filter(Number.isFinite).sort((a, b) => b - a);
  if (majors.length === 0) throw new Error('postgresql is not installed (see .ci/apt-packages)');
  return `/usr/lib/postgresql/${majors[0]}/bin`;
}

beforeAll(async () => {
  port = await freePort();
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
  const data = join(dir.dir, 'data');
  const sock = join(dir.dir, 'sock');
  mkdirSync(sock);
  chownSync(dir.dir, uid, gid);
  chownSync(sock, uid, gid);
  execFileSync(`${pgBin()}/initdb`, ['-D', data, '--auth-local=trust', '--auth-host=scram-sha-256', '-U', 'postgres'],
    { stdio: 'ignore', uid, gid });
  peer = await startServer(`${pgBin()}/postgres`, ['-D', data, '-k', sock, '-p', String(port), '-c', 'listen_addresses=127.0.0.1,::1',
    '-c', 'fsync=off'], { output: /database system is ready to accept connections/ }, { uid, gid, readyTimeoutMs: 30000 });
  const admin = new pg.Client({ host: sock, port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query("CREATE ROLE checker LOGIN PASSWORD 'pw'");
  await admin.query('CREATE DATABASE ldtest OWNER checker');
  await admin.end();
  const owner = new pg.Client({ host: sock, port, user: 'checker', database: 'ldtest' });
  await owner.connect();
  await owner.query('CREATE TABLE t (x int); INSERT INTO t VALUES (1); CREATE TABLE empty (x int);');
  await owner.end();
}, 60000);
afterAll(async () => {
  await peer.stop();
  dir.cleanup();
});

const good = { login: 'checker', passwd: 'pw', database: 'ldtest', request: '/SELECT x FROM t' };
const run = (over: Partial<CheckSpec>, host = '127.0.0.1') =>
  check(specFor({ host, port, ...good, ...over }), new AbortController().signal);

describe('pgsql check against PostgreSQL', () => {
  test('a query returning a row is up', async () => {
    await expect(run({})).resolves.toEqual({ ok: true, message: '1 row(s)' });
  });

  test('the check works over ::1', async () => {
    await expect(run({}, '::1')).resolves.toMatchObject({ ok: true });
  });

  test.each([
    ['a wrong password is down with the server refusal', { passwd: 'bad' }, /password authentication failed for user "checker"/],
    ['a query returning no rows is down', { request: '/SELECT x FROM empty' }, /expected at least one row, got none/],
    ['a failing query is down without crashing (upstream dies on prepare errors)', { request: '/SELECT nosuch FROM t' }, /column "nosuch" does not exist/],
    ['an unknown database is down', { database: 'nosuch' }, /database "nosuch" does not exist/],
    ['a missing login is down with upstream message', { login: '' }, /^Error: Must specify a login and request string/],
  ])('%s', (_name, over, reason) => expectDown(run(over), reason));
});

describe('pgsql check against broken peers', () => {
  test('a closed port is down with connection refused', async () => {
    await expectDown(run({ port: await freePort() }), /connection refused/);
  });

  test('a silent server times out after negotiatetimeout (upstream waits forever) and the socket is closed', async () => {
    await expectDownAndClosed(await silentPeer('127.0.0.1'), (p) => run({ port: p, negotiateTimeoutMs: 400 }), { withinMs: 2000 });
  });

  test('10 MB of junk is down promptly and the socket is closed', async () => {
    await expectDownAndClosed(await garbagePeer('127.0.0.1'), (p) => run({ port: p }), { withinMs: 2500 });
  });

  test('an authentication message announcing 2 GB is cut off at 1 MiB instead of being buffered', async () => {
    await expectDownAndClosed(await oversizedPeer(Buffer.from([0x52, 0x7f, 0xff, 0xff, 0xff])), (p) => run({ port: p, negotiateTimeoutMs: 5000, checkTimeoutMs: 5000 }), {
      reason: /larger than 1048576 bytes/,
    });
  });
});
