// The whole daemon in-process: FakeIpvs as the kernel, real HTTP servers on loopback, a temp config, autoreload.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/clock.js';
import { runShell } from '../../src/daemon/hooks/exec.js';
import { FakeIpvs } from '../../src/ipvs/index.js';
import { LdLogger } from '../../src/log/index.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { schedulerHealthFactory } from '../../src/daemon/health.js';
import { makeParse } from '../../src/config/load.js';

interface Real {
  server: Server;
  addr: string;
  port: number;
  page: string;
}

async function startReal(addr: string, n: number): Promise<Real> {
  const r: Real = { server: createServer(), addr, port: 0, page: `This is fake WWW server ${n}\n` };
  r.server.on('request', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(r.page);
  });
  await new Promise<void>((res) => r.server.listen(0, addr, () => res()));
  r.port = (r.server.address() as AddressInfo).port;
  return r;
}

const VIP = '127.0.0.1:80';
const INTERVAL_S = 1;
const TIMEOUT_S = 2;

function configText(reals: Real[], extra = ''): string {
  return [
    `checktimeout=${TIMEOUT_S}`,
    `checkinterval=${INTERVAL_S}`,
    'autoreload=yes',
    `logfile="${logPath}"`,
    'quiescent=yes',
    extra,
    `virtual=${VIP}`,
    ...reals.map((r) => `\treal=${r.addr}:${r.port} masq`),
    '\tservice=http',
    '\trequest="index.html"',
    '\treceive="fake"',
    '\tscheduler=rr',
    '\tprotocol=tcp',
    '\tchecktype=negotiate',
    `\tmonitorfile="${monitorPath}"`,
    '',
  ].join('\n');
}

let dir: string;
let logPath: string;
let monitorPath: string;
let cfgPath: string;
let reals: Real[];
let ipvs: FakeIpvs;
let daemon: Daemon | undefined;

/** Polls until `pred` holds; resolves to the time it took (ms) or rejects after `ms`. */
async function until(pred: () => boolean, ms: number): Promise<number> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`condition not met within ${ms} ms; table:\n${ipvs.dump()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - t0;
}

const has = (line: string) => ipvs.dump().split('\n').includes(line);
const dest = (r: Real, w: number) => `-a -t ${VIP} -r ${r.addr}:${r.port} -m -w ${w}`;
const logLines = () => readFileSync(logPath, 'utf8').trim().split('\n').map((l) => l.replace(/^\[[^\]]*\] /, ''));

/** Saves like an editor that writes a temp file and renames it over the original. */
function saveByRename(text: string): void {
  writeFileSync(`${cfgPath}.swp`, text);
  renameSync(`${cfgPath}.swp`, cfgPath);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ldird-int-'));
  logPath = join(dir, 'ldirectord.log');
  monitorPath = join(dir, 'monitor.log');
  cfgPath = join(dir, 'web.cf');
  reals = [await startReal('127.0.0.2', 1), await startReal('127.0.0.3', 2), await startReal('127.0.0.4', 3)];
  writeFileSync(cfgPath, configText(reals.slice(0, 2)));
  ipvs = new FakeIpvs();
  // A foreign service that must never be touched.
  await ipvs.addService({ key: { kind: 'addr', af: 'inet', protocol: 'tcp', addr: '10.9.9.9', port: 22 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: 32 });
  const logger = new LdLogger({ cfgName: 'web.cf', target: { kind: 'file', path: logPath } });
  daemon = await Daemon.start({
    configPath: cfgPath,
    ipvs,
    logger,
    clock: systemClock,
    parse: makeParse(),
    runCommand: (c) => runShell(c, logger),
    health: schedulerHealthFactory({ clock: systemClock, logger, hostname: 'director' }),
    watchDebounceMs: 100,
    resyncMs: 1000,
  });
}, 30_000);

afterAll(async () => {
  await daemon?.stop('TERM');
  for (const r of reals ?? []) r.server.close();
  rmSync(dir, { recursive: true, force: true });
});

const DETECT_MS = (INTERVAL_S + TIMEOUT_S) * 1000 + 1500; // checkinterval + checktimeout + 1.5 s margin

describe('the daemon with FakeIpvs and real HTTP servers', () => {
  it('programs both reals at weight 1 after their first check', async () => {
    await until(() => has(dest(reals[0]!, 1)) && has(dest(reals[1]!, 1)), DETECT_MS);
    expect(has(`-A -t ${VIP} -s rr`)).toBe(true);
    expect(logLines()).toEqual(
      expect.arrayContaining([
        `Added virtual server: ${VIP}`,
        `Added real server: 127.0.0.2:${reals[0]!.port} (${VIP}) (Weight set to 1)`,
        `Added real server: 127.0.0.3:${reals[1]!.port} (${VIP}) (Weight set to 1)`,
      ]),
    );
  });

  it('writes each check result to the monitorfile in upstream\'s format', () => {
    const lines = readFileSync(monitorPath, 'utf8').trim().split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^\\[\\w{3} \\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\d{4}\\] \\[${process.pid}\\] negotiate http tcp 127\\.0\\.0\\.2 ${reals[0]!.port} 1 masq /index\\.html fake \\[up\\] `)),
    );
  });

  it('quiesces a real whose page loses the word "fake" within checkinterval + checktimeout', async () => {
    reals[0]!.page = 'This is WWW server 1\n';
    const took = await until(() => has(dest(reals[0]!, 0)), DETECT_MS);
    expect(took).toBeLessThan(DETECT_MS);
    expect(has(dest(reals[1]!, 1))).toBe(true);
    expect(logLines()).toContain(`Quiescent real server: 127.0.0.2:${reals[0]!.port} (${VIP}) (Weight set to 0)`);
  });

  it('restores it when the page is fixed', async () => {
    reals[0]!.page = 'This is fake WWW server 1\n';
    await until(() => has(dest(reals[0]!, 1)), DETECT_MS);
    expect(logLines()).toContain(`Restored real server: 127.0.0.2:${reals[0]!.port} (${VIP}) (Weight set to 1)`);
  });

  it('repairs a weight changed behind its back on the next resync', async () => {
    await ipvs.editDest({ kind: 'addr', af: 'inet', protocol: 'tcp', addr: '127.0.0.1', port: 80 }, { af: 'inet', addr: '127.0.0.3', port: reals[1]!.port, fwd: 'masq', weight: 7, uThresh: 0, lThresh: 0 });
    await until(() => has(dest(reals[1]!, 1)), 3000);
  });

  it('picks up a third real saved by rename, touching nothing else', async () => {
    ipvs.clearCalls();
    saveByRename(configText(reals));
    await until(() => has(dest(reals[2]!, 1)), DETECT_MS + 2000);
    const writes = ipvs.ops.map((o) => o.op);
    expect(ipvs.ops.filter((o) => o.op !== 'addDest')).toEqual([]);
    expect(writes).toEqual(['addDest']);
    expect(logLines()).toEqual(expect.arrayContaining([`Configuration file '${cfgPath}' has changed on disk`, ' - reread new configuration']));
  });

  it('keeps running the old config untouched when a broken file is saved', async () => {
    ipvs.clearCalls();
    const before = ipvs.dump();
    saveByRename(configText(reals).replace('scheduler=rr', 'scheduler=rr\n\treal=not-an-address:80 gate\n\tbogus_directive=1'));
    await until(() => logLines().some((l) => l.startsWith('Reload of ')), 5000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(ipvs.dump()).toBe(before);
    expect(ipvs.ops).toEqual([]);
    expect(daemon!.config.virtuals[0]!.reals).toHaveLength(3);
  });

  it('leaves the foreign service alone and removes its own on stop (cleanstop=yes)', async () => {
    await daemon!.stop('TERM');
    daemon = undefined;
    expect(ipvs.dump().trim()).toBe('-A -t 10.9.9.9:22 -s rr');
    const lines = logLines();
    expect(lines).toContain(`Purged virtual server (stop): ${VIP}`);
    expect(lines.at(-1)).toBe('Linux Director Daemon terminated on signal: TERM');
  });
});
