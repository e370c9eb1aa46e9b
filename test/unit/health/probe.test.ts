// `ldirectord --probe`: the seed tutorial's config against two real loopback HTTP servers, plus failures and concurrency.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runProbe } from '../../../src/cli/probe.js';
import { silentPeer, type TestPeer } from '../../support/peers.js';
import { tempDir } from '../../support/tmp.js';

const SEED = join(process.cwd(), '..', 'shared', 'seed', 'lvs-ubuntu.txt');

/** The tutorial's ldirectord.cf (seed §"/etc/ha.d/ldirectord.cf"), or an equivalent when ../shared is absent. */
function seedConfig(): string {
  if (existsSync(SEED)) {
    const text = readFileSync(SEED, 'utf8');
    const start = text.indexOf('checktimeout=3');
    const end = text.indexOf('checktype=negotiate', start);
    if (start >= 0 && end > start) return `${text.slice(start, end)}checktype=negotiate\n`;
  }
  return 'checktimeout=3\ncheckinterval=5\nquiescent=yes\nvirtual=10.15.16.113:80\n    real=10.15.16.39:80 gate\n    real=10.15.16.43:80 gate\n    service=http\n    request="index.html"\n    receive="fake"\n    scheduler=wlc\n    protocol=tcp\n    checktype=negotiate\n';
}

interface Web {
  port: number;
  body: string;
  close(): Promise<void>;
}

async function web(host: string, body: string): Promise<Web> {
  const w = { port: 0, body, close: () => Promise.resolve() };
  const srv = http.createServer((req, res) => {
    if (req.url !== '/index.html') {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(w.body);
  });
  await new Promise<void>((r) => srv.listen(0, host, () => r()));
  w.port = (srv.address() as AddressInfo).port;
  w.close = () => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); });
  return w;
}

function capture() {
  let out = '';
  let err = '';
  return {
    io: { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, dirs: [] },
    out: () => out,
    err: () => err,
  };
}

const dir = tempDir('ldng-probe-');
let www1: Web;
let www2: Web;

beforeAll(async () => {
  www1 = await web('127.0.0.2', '<html>This is a fake page on www1</html>');
  www2 = await web('127.0.0.3', '<html>This is a fake page on www2</html>');
});
afterAll(async () => {
  await www1.close();
  await www2.close();
  dir.cleanup();
});

/** Writes the seed config with its two reals pointed at our loopback servers. */
function writeSeed(port1: number, port2: number): string {
  const text = seedConfig()
    .replace('10.15.16.39:80', `127.0.0.2:${port1}`)
    .replace('10.15.16.43:80', `127.0.0.3:${port2}`)
    .replace(/logfile=.*\n/, `logfile="${join(dir.dir, 'ld.log')}"\n`);
  const path = join(dir.dir, `seed-${port1}-${port2}.cf`);
  writeFileSync(path, text);
  return path;
}

describe('ldirectord --probe', () => {
  test('the seed config with both web servers serving "fake" prints two up rows and exits 0', async () => {
    const c = capture();
    const code = await runProbe(writeSeed(www1.port, www2.port), c.io);
    expect(c.err()).toBe('');
    expect(code).toBe(0);
    const lines = c.out().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^VIRTUAL\s+REAL\s+CHECK\s+STATE\s+LATENCY\s+REASON$/);
    expect(lines[1]).toMatch(new RegExp(`^tcp:10\\.15\\.16\\.113:80\\s+127\\.0\\.0\\.2:${www1.port}\\s+negotiate/http\\s+up\\s+\\d+\\.\\d ms`));
    expect(lines[2]).toMatch(new RegExp(`^tcp:10\\.15\\.16\\.113:80\\s+127\\.0\\.0\\.3:${www2.port}\\s+negotiate/http\\s+up\\s+`));
    expect(lines[3]).toBe('2/2 up');
  });

  test('a server whose page lacks "fake" is down with what was fetched and what came back, and the exit code is 1', async () => {
    www2.body = '<html>This is the real page</html>';
    try {
      const c = capture();
      const code = await runProbe(writeSeed(www1.port, www2.port), c.io);
      expect(code).toBe(1);
      const row = c.out().split('\n').find((l) => l.includes(`127.0.0.3:${www2.port}`)) ?? '';
      expect(row).toMatch(/\sdown\s/);
      expect(row).toContain(`http://127.0.0.3:${www2.port}/index.html`);
      expect(row).toContain('fake');
      expect(c.out()).toContain('1/2 up');
    } finally {
      www2.body = '<html>This is a fake page on www2</html>';
    }
  });

  test('a stopped server is down with connection refused', async () => {
    const gone = await web('127.0.0.3', 'fake');
    const port = gone.port;
    await gone.close();
    const c = capture();
    expect(await runProbe(writeSeed(www1.port, port), c.io)).toBe(1);
    expect(c.out().split('\n').find((l) => l.includes(`:${port}`))).toMatch(/down.*refused/i);
  });

  test('checks run concurrently: four black-holed reals with negotiatetimeout=1 take about one second, not four', async () => {
    const peers: TestPeer[] = await Promise.all([1, 2, 3, 4].map(() => silentPeer()));
    try {
      const reals = peers.map((p) => `\treal=127.0.0.1:${p.port} gate\n`).join('');
      const path = join(dir.dir, 'silent.cf');
      writeFileSync(path, `negotiatetimeout=1\nvirtual=10.0.0.1:80\n${reals}\tservice=http\n`);
      const c = capture();
      const t0 = Date.now();
      expect(await runProbe(path, c.io)).toBe(1);
      expect(Date.now() - t0).toBeLessThan(2500);
      expect(c.out()).toContain('0/4 up');
    } finally {
      await Promise.all(peers.map((p) => p.close()));
    }
  });

  test.each([
    ['a missing config exits 1', 'nosuch.cf', '', 1, /Config file .*nosuch\.cf not found/],
    ['an invalid config exits 2 with file:line diagnostics', 'bad.cf', 'virtual=10.0.0.1:80\n\tfoo=bar\n', 2, /bad\.cf:2: /],
  ])('%s', async (_name, file, text, code, err) => {
    const path = join(dir.dir, file);
    if (text !== '') writeFileSync(path, text);
    const c = capture();
    expect(await runProbe(path, c.io)).toBe(code);
    expect(c.err()).toMatch(err);
  });
});
