// Autoreload against half-written, truncated, emptied and briefly-a-directory config files, with
// chokidar's real events and the fake kernel (issue 13 items 9 and 10).
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/clock.js';
import { runShell } from '../../src/daemon/hooks/exec.js';
import { FakeIpvs } from '../../src/ipvs/index.js';
import { LdLogger } from '../../src/log/index.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { schedulerHealthFactory } from '../../src/daemon/health.js';
import { makeParse } from '../../src/config/load.js';

let dir: string;
let cfg: string;
let logPath: string;
let ipvs: FakeIpvs;
let daemon: Daemon | undefined;

const head = () => `checkinterval=1\nautoreload=yes\nlogfile="${logPath}"\nquiescent=no\n`;
const virtual = (n: number) => `virtual=127.0.0.1:80\n${Array.from({ length: n }, (_, i) => `\treal=127.0.0.${i + 2}:80 gate\n`).join('')}\tchecktype=on\n\tscheduler=rr\n`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dump = () => ipvs.dump();
const log = () => readFileSync(logPath, 'utf8');
async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`${what} not within ${ms} ms; table:\n${dump()}\nlog:\n${log()}`);
    await sleep(50);
  }
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ldguard-'));
  cfg = join(dir, 'g.cf');
  logPath = join(dir, 'ld.log');
  writeFileSync(cfg, head() + virtual(2));
  ipvs = new FakeIpvs();
  const logger = new LdLogger({ cfgName: 'g.cf', target: { kind: 'file', path: logPath } });
  daemon = await Daemon.start({
    configPath: cfg, ipvs, logger, clock: systemClock, parse: makeParse(),
    runCommand: (c) => runShell(c, logger),
    health: schedulerHealthFactory({ clock: systemClock, logger, hostname: 'director' }),
    watchDebounceMs: 100, settleMs: 300, confirmEmptyMs: 1500, statPollMs: 1000, resyncMs: 1000,
  });
  await until(() => dump().includes('-r 127.0.0.3:80'), 5000, 'both reals');
}, 30_000);

afterEach(async () => {
  await daemon?.stop('TERM');
  daemon = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('autoreload never applies a file that is not finished', () => {
  it('a 0-byte truncation is not applied as an empty config', async () => {
    writeFileSync(cfg, '');
    await until(() => log().includes(`Configuration file '${cfg}' is empty: keeping the running configuration`), 5000, 'the empty-file line');
    await sleep(1000);
    expect(dump()).toContain('-r 127.0.0.2:80');
    expect(dump()).toContain('-r 127.0.0.3:80');
    writeFileSync(cfg, head() + virtual(3)); // the editor's real write arrives: applied
    await until(() => dump().includes('-r 127.0.0.4:80'), 8000, 'the third real');
  }, 20_000);

  it('a file written in pieces is read only once it holds still', async () => {
    ipvs.clearCalls();
    const full = head() + virtual(3);
    const cut = full.indexOf('\treal=127.0.0.3');
    writeFileSync(cfg, full.slice(0, cut)); // a prefix that parses: one real only
    await sleep(150);
    appendFileSync(cfg, full.slice(cut, cut + 20));
    await sleep(150);
    appendFileSync(cfg, full.slice(cut + 20));
    await until(() => dump().includes('-r 127.0.0.4:80'), 8000, 'the third real');
    expect(ipvs.ops.filter((o) => o.op === 'deleteDest' || o.op === 'deleteService')).toEqual([]);
  }, 20_000);

  it('a file that removes every virtual must stay so before it is applied, and the log says so', async () => {
    writeFileSync(cfg, head()); // every virtual gone ...
    await until(() => log().includes('would remove every virtual service'), 5000, 'the confirming line');
    writeFileSync(cfg, head() + virtual(2)); // ... and back before the confirmation delay is over
    await sleep(2500);
    expect(log()).toContain('changed again while confirming: keeping the running configuration');
    expect(dump()).toContain('-A -t 127.0.0.1:80');
    writeFileSync(cfg, `${head()}# really empty now\n`); // meant: stays so
    await until(() => !dump().includes('-A -t 127.0.0.1:80'), 10_000, 'the virtual removed');
    expect(log()).toContain('still removes every virtual service: applying it');
  }, 30_000);

  it('autoreload survives the path briefly being a directory (5 times)', async () => {
    for (let i = 0; i < 5; i++) {
      rmSync(cfg);
      mkdirSync(cfg);
      await sleep(400);
      rmSync(cfg, { recursive: true });
      writeFileSync(cfg, head() + virtual(i % 2 === 0 ? 3 : 2));
      if (i % 2 === 0) await until(() => dump().includes('-r 127.0.0.4:80'), 10_000, `edit ${i} (third real added)`);
      else await until(() => !dump().includes('-r 127.0.0.4:80'), 10_000, `edit ${i} (third real removed)`);
    }
  }, 90_000);
});
