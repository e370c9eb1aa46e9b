// Helpers specific to the data-service check tests (UDP-capable free ports, answering UDP peers, specs); the rest is test/support.
import dgram from 'node:dgram';
import net from 'node:net';
import type { CheckResult, CheckSpec } from '../../src/checks/types.js';
import { freePort as freeTcpPort } from '../support/ports.js';
import { makeSpec } from '../support/spec.js';

/** makeSpec with the data checks' test defaults (VIP on loopback, 3 s timeouts, request "/"), overridden by `over`. */
export function specFor(over: Partial<CheckSpec> & Pick<CheckSpec, 'host' | 'port'>): CheckSpec {
  return makeSpec(over.host, over.port, { vip: '127.0.0.1', request: '/', checkTimeoutMs: 3000, negotiateTimeoutMs: 3000, ...over });
}

/** Awaits a check and expects it down with a reason matching `reason`. */
export async function expectDown(result: Promise<CheckResult>, reason: RegExp): Promise<void> {
  const r = await result;
  expect(r.ok).toBe(false);
  expect(!r.ok && r.reason).toMatch(reason);
}

/** A hostile test peer that counts the connections it accepted and the sockets still open to it. */
export interface CountedPeer {
  readonly port: number;
  accepted(): number;
  open(): number;
  close(): Promise<void>;
}

/**
 * Runs `run(peer.port)` and expects: the check connected (the peer accepted a connection), came back down
 * with a reason matching `reason`, within `withinMs` when given and, for a silent peer, not before
 * `notBeforeMs` (a checker that gives up at once without waiting for the answer fails); then that it
 * closed its socket to the peer within `closedWithinMs` (default 100). Closes the peer afterwards.
 */
export async function expectDownAndClosed(
  peer: CountedPeer,
  run: (port: number) => Promise<CheckResult>,
  opts: { readonly reason: RegExp; readonly withinMs?: number; readonly notBeforeMs?: number; readonly closedWithinMs?: number },
): Promise<void> {
  try {
    const t0 = Date.now();
    const r = await run(peer.port);
    const took = Date.now() - t0;
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(opts.reason);
    expect(peer.accepted()).toBeGreaterThan(0);
    if (opts.withinMs !== undefined) expect(took).toBeLessThan(opts.withinMs);
    if (opts.notBeforeMs !== undefined) expect(took).toBeGreaterThanOrEqual(opts.notBeforeMs);
    // At least one pause lets the kernel deliver the FIN to the peer.
    for (let waited = 0; waited < (opts.closedWithinMs ?? 100) && (waited === 0 || peer.open() > 0); waited += 100) await pause(100);
    expect(peer.open()).toBe(0);
  } finally {
    await peer.close();
  }
}

/** A port free on `host` for TCP and, when `udp`, for UDP too (DNS and RADIUS servers bind both). */
export async function freePort(host = '127.0.0.1', udp = false): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freeTcpPort(host);
    if (!udp) return port;
    const ok = await new Promise<boolean>((resolve) => {
      const u = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
      u.once('error', () => resolve(false));
      u.bind(port, host, () => u.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error(`no port free for TCP and UDP on ${host}`);
}

/** A UDP peer that answers every datagram with `reply(msg)`, or stays silent when it returns undefined. */
export function udpPeer(host: string, reply: (msg: Buffer) => Buffer | undefined): Promise<{ port: number; close: () => Promise<void> }> {
  const sock = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  sock.on('message', (msg, rinfo) => {
    const r = reply(msg);
    if (r) sock.send(r, rinfo.port, rinfo.address);
  });
  return new Promise((resolve) => {
    sock.bind(0, host, () =>
      resolve({ port: sock.address().port, close: () => new Promise<void>((r) => sock.close(() => r())) }),
    );
  });
}

/** Resolves after `ms` real milliseconds (lets the kernel deliver a FIN to the peer). */
export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A TCP peer whose reply announces a huge message (`header`, e.g. a length prefix) and then streams
 * `bytes` of filler, so a driver that trusts the length would buffer all of it; stays open.
 */
export function oversizedPeer(header: Buffer, host = '127.0.0.1', bytes = 10 * 1024 * 1024): Promise<CountedPeer> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  const server = net.createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.resume();
    s.write(header);
    let left = bytes;
    const pump = (): void => {
      while (left > 0 && !s.destroyed) {
        left -= chunk.length;
        if (!s.write(chunk)) return void s.once('drain', pump);
      }
    };
    pump();
  });
  return new Promise((resolve) => {
    server.listen(0, host, () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        accepted: () => accepted,
        open: () => sockets.size,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      }),
    );
  });
}
