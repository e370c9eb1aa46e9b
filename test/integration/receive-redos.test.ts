// Issue 13 item 1 end to end: receive="(a+)+$" against a page of 30 "a" and a "b" must not freeze the
// daemon. The in-process daemon (FakeIpvs as the kernel, real HTTP servers on loopback) still programs a
// second, healthy virtual, keeps its event loop turning, and stops promptly.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/clock.js';
import { runShell } from '../../src/daemon/hooks/exec.js';
import { FakeIpvs } from '../../src/ipvs/index.js';
import { LdLogger } from '../../src/log/index.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { schedulerHealthFactory } from '../../src/daemon/health.js';
import { makeParse } from '../../src/config/load.js';

async function serve(addr: string, page: string): Promise<Server> {
  const s = createServer((_req, res) => res.end(page));
  await new Promise<void>((r) => s.listen(0, addr, () => r()));
  return s;
}
const port = (s: Server): number => (s.address() as AddressInfo).port;

test('a catastrophic receive= costs its real the check, not the daemon', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ldird-redos-'));
  const evil = await serve('127.0.0.2', `${'a'.repeat(30)}b`);
  const good = await serve('127.0.0.3', 'This is fake WWW server\n');
  const cfg = join(dir, 'redos.cf');
  const logPath = join(dir, 'ldirectord.log');
  writeFileSync(cfg, [
    'checktimeout=2', 'negotiatetimeout=1', 'checkinterval=1', `logfile="${logPath}"`, 'quiescent=no',
    'virtual=127.0.0.1:80', `\treal=127.0.0.2:${port(evil)} masq`, '\tservice=http', '\treceive="(a+)+$"', '\tchecktype=negotiate',
    'virtual=127.0.0.1:81', `\treal=127.0.0.3:${port(good)} masq`, '\tservice=http', '\treceive="fake"', '\tchecktype=negotiate', '',
  ].join('\n'));
  const ipvs = new FakeIpvs();
  const logger = new LdLogger({ cfgName: 'redos.cf', target: { kind: 'file', path: logPath } });
  let ticks = 0;
  const iv = setInterval(() => ticks++, 50);
  const daemon = await Daemon.start({
    configPath: cfg, ipvs, logger, clock: systemClock, parse: makeParse(),
    runCommand: (c) => runShell(c, logger),
    health: schedulerHealthFactory({ clock: systemClock, logger, hostname: 'director' }),
    watchDebounceMs: 100, resyncMs: 1000,
  });
  try {
    const t0 = Date.now();
    const goodDest = `-a -t 127.0.0.1:81 -r 127.0.0.3:${port(good)} -m -w 1`;
    while (!ipvs.dump().split('\n').includes(goodDest)) {
      if (Date.now() - t0 > 8000) throw new Error(`healthy virtual not programmed; table:\n${ipvs.dump()}\nlog:\n${readFileSync(logPath, 'utf8')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Let the evil real be checked a few times more: the loop must keep turning all along.
    const before = ticks;
    await new Promise((r) => setTimeout(r, 2500));
    expect(ticks - before).toBeGreaterThan(10); // 50 when idle; a frozen loop gives 0–1
    expect(ipvs.dump()).not.toContain(`127.0.0.2:${port(evil)}`);
  } finally {
    clearInterval(iv);
    const s0 = Date.now();
    await daemon.stop('TERM');
    expect(Date.now() - s0).toBeLessThan(5000);
    evil.close();
    good.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);
