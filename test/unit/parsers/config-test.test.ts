// `ldirectord -t` / `--dump-config`: locating the file, exit codes 0/1/2, output forms; and the system resolver.
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConfigTest } from '../../../src/cli/config-test.js';
import { parseServices, systemResolver } from '../../../src/config/resolver.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } } };
}
const seed = (name: string) => join(process.cwd(), 'fixtures', 'seed', name);

describe('ldirectord -t', () => {
  it.each([
    ['failover-ldirectord.cf', 'ok: 1 virtual services, 2 real servers'],
    ['vdm-ldirectord.cf', 'ok: 1 virtual services, 2 real servers'],
  ])('accepts the seed config %s', async (name, line) => {
    const c = capture();
    expect(await runConfigTest(seed(name), 'test', c.io)).toBe(0);
    expect(c.out.join('')).toContain(line);
    expect(c.err).toEqual([]);
  });

  it('counts reals after range expansion and excludes fallbacks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ldcf-'));
    const f = join(dir, 'r.cf');
    writeFileSync(f, 'fallback=127.0.0.1:80\nvirtual=10.0.0.1:80\n\treal=10.0.0.2->10.0.0.5:80 gate\n\tfallback=127.0.0.1:80\nvirtual=7\n\treal=10.0.0.9 gate\n');
    const c = capture();
    expect(await runConfigTest(f, 'test', c.io)).toBe(0);
    expect(c.out.join('')).toContain('ok: 2 virtual services, 5 real servers');
  });

  it('exits 2 and prints every error as FILE:LINE: message on stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ldcf-'));
    const f = join(dir, 'bad.cf');
    writeFileSync(f, 'virtual=10.0.0.1:80\n\treal=10.0.0.2:80 route\n\tservice=gopher\nquiescent=yes \n');
    const c = capture();
    expect(await runConfigTest(f, 'test', c.io)).toBe(2);
    expect(c.out).toEqual([]);
    expect(c.err.join('').trimEnd().split('\n')).toEqual([
      `${f}:2: forward method must be gate, masq or ipip`,
      expect.stringMatching(new RegExp(`^${f}:3: service must be dns, ftp, `)),
      expect.stringMatching(new RegExp(`^${f}:4: quiescent must be 'yes' or 'no'`)),
    ]);
  });

  it('exits 1 with upstream message when the file is not found', async () => {
    const c = capture();
    expect(await runConfigTest('no-such-ldirectord.cf', 'test', { ...c.io, dirs: [] })).toBe(1);
    expect(c.err.join('')).toBe('Config file no-such-ldirectord.cf not found\n');
  });

  it('without CONFIG looks for ldirectord.cf in the upstream directories first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ldcf-'));
    mkdirSync(join(dir, 'conf'));
    writeFileSync(join(dir, 'conf', 'ldirectord.cf'), 'virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n');
    const c = capture();
    expect(await runConfigTest(undefined, 'test', { ...c.io, dirs: [dir, join(dir, 'conf')] })).toBe(0);
    expect(c.out.join('')).toContain(`${join(dir, 'conf', 'ldirectord.cf')}: ok: 1 virtual services, 1 real servers`);
  });
});

describe('loadConfig', () => {
  it('warns, as upstream, when maintenancedir does not exist', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ldcf-'));
    const f = join(dir, 'm.cf');
    writeFileSync(f, `maintenancedir=${dir}/nope\nvirtual=10.0.0.1:80\n`);
    const c = capture();
    expect(await runConfigTest(f, 'test', c.io)).toBe(0);
    expect(c.err.join('')).toBe(`${f}:1: warning: maintenance directory does not exist\n`);
    writeFileSync(f, `maintenancedir=${dir}\nvirtual=10.0.0.1:80\n`);
    const c2 = capture();
    expect(await runConfigTest(f, 'test', c2.io)).toBe(0);
    expect(c2.err).toEqual([]);
  });
});

describe('ldirectord --dump-config', () => {
  it('masks passwd=, the RADIUS secret and the smtp= password (issue 13 items 12, 16)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ldcf-'));
    const f = join(dir, 's.cf');
    writeFileSync(f, 'smtp=alerts:sm7p-pw@relay:587\nvirtual=10.0.0.1:3306\n\treal=10.0.0.2:3306 gate\n\tservice=mysql\n\tlogin="u"\n\tpasswd="hunter2"\n\tdatabase="d"\n\trequest="select 1"\n'
      + 'virtual=10.0.0.1:1812\n\treal=10.0.0.2:1812 gate\n\tservice=radius\n\tprotocol=udp\n\tsecret="s3cr3t-radius"\n\tlogin="u"\n\tpasswd="p4ss"\n');
    const c = capture();
    expect(await runConfigTest(f, 'dump', c.io)).toBe(0);
    const text = c.out.join('');
    for (const s of ['hunter2', 's3cr3t-radius', 'p4ss', 'sm7p-pw']) expect(text).not.toContain(s);
    const cfg = JSON.parse(text);
    expect(cfg.virtuals[0].passwd).toBe('********');
    expect(cfg.virtuals[1].secret).toBe('********');
    expect(cfg.virtuals[0].login).toBe('u');
    expect(cfg.global.smtpExtra).toEqual({ port: 587, user: 'alerts', password: '********' });
  });

  it('prints the normalised model as JSON', async () => {
    const c = capture();
    expect(await runConfigTest(seed('failover-ldirectord.cf'), 'dump', c.io)).toBe(0);
    const cfg = JSON.parse(c.out.join(''));
    expect(cfg.global).toMatchObject({ checkTimeout: 3, checkInterval: 5, autoreload: true, quiescent: true, logfile: '/var/log/ldirectord.log' });
    expect(cfg.virtuals[0]).toMatchObject({
      key: { kind: 'addr', af: 'inet', protocol: 'tcp', address: '10.15.16.113', port: 80 },
      scheduler: 'wlc', service: 'http', checkType: 'negotiate', request: '/index.html', receive: 'fake', checkTimeout: 3, negotiateTimeout: 3,
    });
    expect(cfg.virtuals[0].reals.map((r: { address: string; weight: number }) => [r.address, r.weight])).toEqual([['10.15.16.39', 1], ['10.15.16.43', 1]]);
  });
});

describe('the system resolver', () => {
  it('parses /etc/services text: names and aliases, per protocol, first line wins', () => {
    const t = parseServices('# c\nhttp\t80/tcp\twww # WorldWideWeb\nhttp 80/udp\ndomain 53/tcp\ndomain 53/udp\nsip 5060/udp\nfoo 1/tcp\nfoo 2/tcp\n');
    expect([t.get('www')?.tcp, t.get('domain')?.udp, t.get('sip')?.tcp, t.get('sip')?.any, t.get('foo')?.tcp]).toEqual([80, 53, undefined, 5060, 1]);
  });

  it('resolves localhost from /etc/hosts and a service name from a services file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ldcf-'));
    writeFileSync(join(dir, 'services'), 'www-ish 8081/tcp\n');
    const r = systemResolver({ servicesFile: join(dir, 'services') });
    expect(await r.resolveHost('localhost', 'inet')).toBe('127.0.0.1');
    expect([await r.resolveService('www-ish', 'tcp'), await r.resolveService('www-ish', 'udp'), await r.resolveService('www-ish', '')]).toEqual([8081, undefined, 8081]);
  });
});
