// Oracle check (oracledb thin): no Oracle server exists here, so it is tested against closed, silent and junk loopback peers.
import { check, connectDescriptor } from '../../src/checks/oracle.js';
import { garbagePeer, silentPeer } from '../support/peers.js';
import { expectDownAndClosed, freePort, specFor } from './data-peers.js';

const good = { login: 'scott', passwd: 'tiger', database: 'ORCL', request: '/SELECT 1 FROM DUAL' };
const signal = () => new AbortController().signal;

describe('oracle check without an Oracle server', () => {
  test('the DSN is upstream sid=<database>;host=<rip>;port=<port> as a descriptor', () => {
    expect(connectDescriptor(specFor({ host: '::1', port: 1521, database: 'ORCL' }))).toBe(
      '(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=::1)(PORT=1521))(CONNECT_DATA=(SID=ORCL)))',
    );
  });

  test('a missing login or request is down with upstream message', async () => {
    for (const over of [{ login: '' }, { request: '/' }]) {
      const r = await check(specFor({ host: '127.0.0.1', port: 1, ...good, ...over }), signal());
      expect(!r.ok && r.reason).toMatch(/^Error: Must specify a login and request string for MySQL, Oracle and PostgreSQL checks\. Not adding 127\.0\.0\.1\.$/);
    }
  });

  test.each(['127.0.0.1', '::1'])('a closed port on %s is down, not a crash', async (host) => {
    const closed = await freePort(host);
    const r = await check(specFor({ host, port: closed, ...good }), signal());
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/Oracle "SELECT 1 FROM DUAL" as scott@/);
  });

  test('a silent listener is down after negotiatetimeout and the driver closes its socket', async () => {
    // The thin driver cannot be cancelled; its own connectTimeout (same budget) closes the socket.
    await expectDownAndClosed(await silentPeer('127.0.0.1'), (p) => check(specFor({ host: '127.0.0.1', port: p, ...good, negotiateTimeoutMs: 1000 }), signal()), {
      reason: /timed out after 1000 ms/,
      notBeforeMs: 950,
      withinMs: 2500,
      closedWithinMs: 4000,
    });
  });

  test('10 MB of junk is down promptly and the socket is closed', async () => {
    await expectDownAndClosed(await garbagePeer('127.0.0.1'), (p) => check(specFor({ host: '127.0.0.1', port: p, ...good, negotiateTimeoutMs: 2000 }), signal()), {
      // The thin driver chokes on junk with one of its own errors.
      reason: /: NJS-\d{3}: /,
      withinMs: 3000,
      closedWithinMs: 4000,
    });
  });
});
