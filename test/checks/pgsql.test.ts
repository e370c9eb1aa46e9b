// PostgreSQL check against a real postgres (temp cluster, run as the postgres user) on 127.0.0.1 and ::1, plus hostile peers.
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { check } from '../../src/checks/pgsql.js';
import { startServer, type RunningServer } from '../support/process.js';
import { tempDir } from '../support/tmp.js';
import { freePort } from './data-peers.js';
import { describeSqlContract } from './sql-contract.js';

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

describeSqlContract(check, {
  service: 'pgsql',
  server: 'PostgreSQL',
  port: () => port,
  wrongPassword: /password authentication failed for user "checker"/,
  unknownColumn: /column "nosuch" does not exist/,
  unknownDatabase: /database "nosuch" does not exist/,
  oversized: { header: Buffer.from([0x52, 0x7f, 0xff, 0xff, 0xff]), what: 'an authentication message announcing 2 GB' },
});
