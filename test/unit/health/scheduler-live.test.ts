// The scheduler on the real clock with the real check registry: black-holed reals do not delay healthy ones.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig, staticResolver } from '../../../parsers/ldirectord-cf/index.js';
import { systemClock } from '../../../src/clock.js';
import { getChecker } from '../../../src/checks/index.js';
import type { CheckName, Checker } from '../../../src/checks/types.js';
import { HealthScheduler, type HealthTransition } from '../../../src/health/index.js';
import { silentPeer, type TestPeer } from '../../support/peers.js';

test('with black-holed reals, every healthy real is still checked each second and the dead ones are reported within checkinterval + negotiatetimeout', async () => {
  const servers: http.Server[] = [];
  const ports: number[] = [];
  for (let i = 0; i < 20; i++) {
    const srv = http.createServer((_q, r) => r.end('OK'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    servers.push(srv);
    ports.push((srv.address() as AddressInfo).port);
  }
  const holes: TestPeer[] = await Promise.all([silentPeer(), silentPeer()]);
  const reals = [...ports, ...holes.map((h) => h.port)].map((p) => `\treal=127.0.0.1:${p} gate\n`).join('');
  const text = `checkinterval=1\nnegotiatetimeout=1\nvirtual=10.0.0.1:80\n${reals}\tservice=http\n\trequest="/health"\n\treceive="OK"\n`;
  const parsed = await parseConfig(text, { file: 'live.cf', resolver: staticResolver(), hostname: 'director' });
  if (!parsed.ok) throw new Error('config did not parse');

  const calls = new Map<number, number[]>();
  const counting = (name: CheckName): Checker => (spec, signal) => {
    calls.set(spec.port, [...(calls.get(spec.port) ?? []), Date.now()]);
    return getChecker(name)(spec, signal);
  };
  const transitions: (HealthTransition & { at: number })[] = [];
  const t0 = Date.now();
  const s = new HealthScheduler(parsed.config, {
    clock: systemClock,
    checkers: counting,
    onTransition: (t) => transitions.push({ ...t, at: Date.now() - t0 }),
    staggerMs: 200,
  });
  try {
    await new Promise((r) => setTimeout(r, 3600));
  } finally {
    await s.stop();
    for (const srv of servers) srv.closeAllConnections();
    await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
    await Promise.all(holes.map((h) => h.close()));
  }
  for (const p of ports) expect(calls.get(p)?.length).toBeGreaterThanOrEqual(3);
  for (const h of holes) {
    const down = transitions.find((t) => t.realKey === `127.0.0.1:${h.port}`);
    expect(down).toMatchObject({ state: 'down' });
    expect(down!.at).toBeLessThan(1000 + 1000 + 300);
  }
  expect(transitions.filter((t) => t.state === 'up')).toHaveLength(20);
});
