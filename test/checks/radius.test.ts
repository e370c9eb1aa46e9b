// RADIUS check against a real FreeRADIUS on 127.0.0.1 and ::1 (temp config), plus silent and garbage peers.
import { cpSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { check } from '../../src/checks/radius.js';
import type { CheckSpec } from '../../src/checks/types.js';
import { startServer, type RunningServer } from '../support/process.js';
import { tempDir } from '../support/tmp.js';
import { createHash } from 'node:crypto';
import { freePort, specFor, udpPeer } from './data-peers.js';

let peer: RunningServer;
let port: number;
const dir = tempDir('ldng-radius-');
const SECRET = 'testing123x';

/** An attribute-less Access-Accept to `request`, signed with `secret` (RFC 2865 §3 response authenticator). */
function acceptFor(request: Buffer, secret: string): Buffer {
  const head = Buffer.from([2, request[1]!, 0, 20]);
  const auth = createHash('md5').update(head).update(request.subarray(4, 20)).update(Buffer.from(secret, 'utf8')).digest();
  return Buffer.concat([head, auth]);
}

beforeAll(async () => {
  port = await freePort('127.0.0.1', true);
  const conf = join(dir.dir, 'raddb');
  cpSync('/etc/freeradius/3.0', conf, { recursive: true, verbatimSymlinks: true });
  // EAP needs certificates we do not have; the check only speaks PAP.
  rmSync(join(conf, 'mods-enabled/eap'), { force: true });
  rmSync(join(conf, 'sites-enabled/inner-tunnel'), { force: true });
  const radiusd = join(conf, 'radiusd.conf');
  writeFileSync(radiusd, readFileSync(radiusd, 'utf8').replace(/^\s*(user|group) = freerad$/gm, ''));
  writeFileSync(join(conf, 'clients.conf'),
    `client lo4 {\n ipaddr = 127.0.0.1\n secret = ${SECRET}\n}\nclient lo6 {\n ipv6addr = ::1\n secret = ${SECRET}\n}\n`);
  writeFileSync(join(conf, 'mods-config/files/authorize'), 'alice Cleartext-Password := "wonderland"\n');
  writeFileSync(join(conf, 'sites-enabled/default'), `server default {
 listen {
  type = auth
  ipaddr = 127.0.0.1
  port = ${port}
 }
 listen {
  type = auth
  ipv6addr = ::1
  port = ${port}
 }
 authorize {
  files
  pap
 }
 authenticate {
  Auth-Type PAP {
   pap
  }
 }
 post-auth {
 }
}
`);
  peer = await startServer('/usr/sbin/freeradius', ['-f', '-d', conf, '-l', 'stdout'], { output: /Ready to process requests/ });
});
afterAll(async () => {
  await peer.stop();
  dir.cleanup();
});

const good = { login: 'alice', passwd: 'wonderland', secret: SECRET };
const run = (over: Partial<CheckSpec>, host = '127.0.0.1') =>
  check(specFor({ host, port, protocol: 'udp', ...good, ...over }), new AbortController().signal);

describe('radius check against FreeRADIUS', () => {
  test('the right login and secret get Access-Accept and are up', async () => {
    await expect(run({})).resolves.toEqual({ ok: true, message: 'Access-Accept' });
  });

  test('the check works against a server on ::1', async () => {
    await expect(run({}, '::1')).resolves.toEqual({ ok: true, message: 'Access-Accept' });
  });

  test.each([
    ['a wrong password is down as Access-Reject', { passwd: 'nope' }, /expected Access-Accept, got Access-Reject/],
    ['an unknown user is down as Access-Reject', { login: 'mallory' }, /got Access-Reject/],
  ])('%s', async (_name, over, reason) => {
    const r = await run(over);
    expect(!r.ok && r.reason).toMatch(reason);
  });

  test('a wrong secret is down (the server drops the request, or its reply fails authentication)', async () => {
    const r = await run({ secret: 'wrong-secret', checkTimeoutMs: 1500, negotiateTimeoutMs: 1500 });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/timed out|bad response authenticator|Access-Reject/);
  });
});

describe('radius check against broken peers', () => {
  test('a closed port is down with connection refused', async () => {
    const closed = await freePort('127.0.0.1', true);
    const r = await check(specFor({ host: '127.0.0.1', port: closed, ...good }), new AbortController().signal);
    expect(!r.ok && r.reason).toMatch(/connection refused/);
  });

  test('a server that never answers is down after the shorter of the two timeouts', async () => {
    const silent = await udpPeer('127.0.0.1', () => undefined);
    const t0 = Date.now();
    const r = await check(specFor({ host: '127.0.0.1', port: silent.port, ...good, checkTimeoutMs: 300, negotiateTimeoutMs: 5000 }), new AbortController().signal);
    await silent.close();
    expect(!r.ok && r.reason).toMatch(/timed out after 300 ms/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  test('a lost Access-Request is sent again, byte for byte, within the timeout: a server that drops the first answers the second', async () => {
    // Upstream (Authen::Radius check_pwd) sends once; retransmitting keeps id and authenticator (RFC 2865 §2.5).
    const seen: Buffer[] = [];
    const dropsFirst = await udpPeer('127.0.0.1', (m) => {
      seen.push(Buffer.from(m));
      return seen.length === 1 ? undefined : acceptFor(m, SECRET);
    });
    const r = await check(specFor({ host: '127.0.0.1', port: dropsFirst.port, ...good, checkTimeoutMs: 5000, negotiateTimeoutMs: 3000 }), new AbortController().signal);
    await dropsFirst.close();
    expect(r.ok ? 'up' : r.reason).toBe('up');
    expect(seen.length).toBe(2);
    expect(seen[1]!.equals(seen[0]!)).toBe(true);
  });

  test('a server that never answers gets the request again about every third of the timeout, then the check is down', async () => {
    let seen = 0;
    const silent = await udpPeer('127.0.0.1', () => {
      seen++;
      return undefined;
    });
    const r = await check(specFor({ host: '127.0.0.1', port: silent.port, ...good, checkTimeoutMs: 5000, negotiateTimeoutMs: 1500 }), new AbortController().signal);
    await silent.close();
    expect(r.ok).toBe(false);
    expect(seen).toBeGreaterThanOrEqual(2);
    expect(seen).toBeLessThanOrEqual(4);
  });

  test('a forged Access-Accept without the secret is down', async () => {
    // Echoes the request id with code 2 but cannot compute the response authenticator.
    const forger = await udpPeer('127.0.0.1', (m) => Buffer.concat([Buffer.from([2, m[1]!, 0, 20]), Buffer.alloc(16)]));
    const r = await check(specFor({ host: '127.0.0.1', port: forger.port, ...good }), new AbortController().signal);
    await forger.close();
    expect(!r.ok && r.reason).toMatch(/bad response authenticator/);
  });

  test('a garbage datagram with the right id is down as malformed', async () => {
    const junk = await udpPeer('127.0.0.1', (m) => Buffer.concat([Buffer.from([0xff, m[1]!]), Buffer.alloc(60000, 0xee)]));
    const r = await check(specFor({ host: '127.0.0.1', port: junk.port, ...good }), new AbortController().signal);
    await junk.close();
    expect(!r.ok && r.reason).toMatch(/malformed/);
  });
});
