// The SQL checks' shared contract, run against MariaDB and PostgreSQL with each server's own error texts.
import type { Checker, CheckSpec } from '../../src/checks/types.js';
import { garbagePeer, silentPeer } from '../support/peers.js';
import { expectDown, expectDownAndClosed, freePort, oversizedPeer, specFor } from './data-peers.js';

/** What differs between the SQL servers: names and their error texts. */
export interface SqlContract {
  readonly service: string;
  readonly server: string;
  /** The real server's port, known only once its beforeAll has run. */
  readonly port: () => number;
  readonly wrongPassword: RegExp;
  readonly unknownColumn: RegExp;
  readonly unknownDatabase: RegExp;
  /** A first protocol packet header announcing a huge length, and how the test names it. */
  readonly oversized: { readonly header: Buffer; readonly what: string };
}

/** Declares the contract's tests: up, IPv6, wrong answers, upstream's preconditions, hostile peers. */
export function describeSqlContract(check: Checker, c: SqlContract): void {
  const good = { login: 'checker', passwd: 'pw', database: 'ldtest', request: '/SELECT x FROM t' };
  const run = (over: Partial<CheckSpec>, host = '127.0.0.1') =>
    check(specFor({ host, port: c.port(), ...good, ...over }), new AbortController().signal);

  describe(`${c.service} check against ${c.server}`, () => {
    test('a query returning a row is up', async () => {
      await expect(run({})).resolves.toEqual({ ok: true, message: '1 row(s)' });
    });

    test('the check works over ::1', async () => {
      await expect(run({}, '::1')).resolves.toMatchObject({ ok: true });
    });

    test.each([
      ['a wrong password is down with the server refusal', { passwd: 'bad' }, c.wrongPassword],
      ['a query returning no rows is down', { request: '/SELECT x FROM empty' }, /expected at least one row, got none/],
      ['a failing query is down without crashing (upstream dies on prepare errors)', { request: '/SELECT nosuch FROM t' }, c.unknownColumn],
      ['an unknown database is down', { database: 'nosuch' }, c.unknownDatabase],
      ['a missing login is down with upstream message', { login: '' }, /^Error: Must specify a login and request string/],
      ['a missing request is down with upstream message', { request: '/' }, /^Error: Must specify a login and request string/],
    ])('%s', (_name, over, reason) => expectDown(run(over), reason));
  });

  describe(`${c.service} check against broken peers`, () => {
    test('a closed port is down with connection refused', async () => {
      await expectDown(run({ port: await freePort() }), /connection refused/);
    });

    test('a silent server times out after negotiatetimeout (upstream waits forever) and the socket is closed', async () => {
      await expectDownAndClosed(await silentPeer('127.0.0.1'), (p) => run({ port: p, negotiateTimeoutMs: 400 }), {
        reason: /timed out/,
        notBeforeMs: 350,
        withinMs: 2000,
      });
    });

    test('10 MB of junk is down promptly and the socket is closed', async () => {
      await expectDownAndClosed(await garbagePeer('127.0.0.1'), (p) => run({ port: p }), { reason: /reply larger than 1048576 bytes/, withinMs: 2500 });
    });

    test(`${c.oversized.what} is cut off at 1 MiB instead of being buffered`, async () => {
      await expectDownAndClosed(await oversizedPeer(c.oversized.header), (p) => run({ port: p, negotiateTimeoutMs: 5000, checkTimeoutMs: 5000 }), {
        reason: /larger than 1048576 bytes/,
      });
    });
  });
}
