// Every TCP dialogue check against peers that misbehave: silent, 10 MB of junk, black-holed connect, caller abort.
import { getChecker, type CheckName } from '../../src/checks/index.js';
import { blackholePeer, eventually, garbagePeer, silentPeer, type TestPeer } from '../support/peers.js';
import { makeSpec, never } from '../support/spec.js';

const DIALOGUES: CheckName[] = ['http', 'https', 'smtp', 'submission', 'pop', 'pops', 'imap', 'imaps', 'nntp', 'ftp', 'sip', 'simpletcp'];

describe.each(['127.0.0.1', '::1'])('misbehaving peers on %s', (host) => {
  let silent: TestPeer;
  let junk: TestPeer;
  let hole: { port: number; close: () => Promise<void> };
  beforeAll(async () => {
    silent = await silentPeer(host);
    junk = await garbagePeer(host);
    hole = await blackholePeer(host);
  });
  afterAll(async () => {
    await silent.close();
    await junk.close();
    await hole.close();
  });

  test.each(DIALOGUES)('%s against a silent peer times out after negotiatetimeout and closes its socket', async (name) => {
    const before = silent.accepted();
    const t0 = Date.now();
    const r = await getChecker(name)(makeSpec(host, silent.port, { negotiateTimeoutMs: 250, request: '/', receive: 'x' }), never());
    expect(r.ok ? 'up' : r.reason).toMatch(/timed out after 250 ms/);
    expect(Date.now() - t0).toBeLessThan(3000); // 250 ms plus scheduling slack on a busy CI machine
    expect(silent.accepted()).toBeGreaterThan(before);
    await eventually(() => silent.open() === 0);
  });

  test.each(DIALOGUES)('%s against 10 MB of junk is down quickly with bounded reading', async (name) => {
    const t0 = Date.now();
    const heap0 = process.memoryUsage().rss;
    const r = await getChecker(name)(makeSpec(host, junk.port, { negotiateTimeoutMs: 5000, request: '/', receive: 'never-there' }), never());
    expect(r.ok).toBe(false);
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(process.memoryUsage().rss - heap0).toBeLessThan(64 * 1024 * 1024);
  });

  test.each(DIALOGUES)('%s against a black-holed connect times out', async (name) => {
    const r = await getChecker(name)(makeSpec(host, hole.port, { negotiateTimeoutMs: 250 }), never());
    expect(r.ok ? 'up' : r.reason).toMatch(/timed out after 250 ms/);
  });

  test.each(DIALOGUES)('%s ends and closes its socket when the scheduler aborts', async (name) => {
    const ac = new AbortController();
    const opened = silent.accepted();
    const p = getChecker(name)(makeSpec(host, silent.port, { negotiateTimeoutMs: 60000, request: '/', receive: 'x' }), ac.signal);
    await eventually(() => silent.accepted() > opened);
    ac.abort();
    const r = await p;
    expect(r.ok).toBe(false);
    await eventually(() => silent.open() === 0);
  });
});

test('connect against a black-holed port times out after checktimeout', async () => {
  const hole = await blackholePeer();
  try {
    const r = await getChecker('connect')(makeSpec('127.0.0.1', hole.port, { checkTimeoutMs: 250 }), never());
    expect(r).toEqual({ ok: false, reason: `connect 127.0.0.1:${hole.port}: connect to 127.0.0.1:${hole.port}: timed out after 250 ms` });
  } finally {
    await hole.close();
  }
});
