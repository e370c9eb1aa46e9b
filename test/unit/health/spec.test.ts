// Config -> check jobs: ld_checkport, HTTP URL (spec §3.4), timeouts (§2.7), check kind (§3.2) and real ids (§3.8).
import { parseConfig, staticResolver } from '../../../parsers/ldirectord-cf/index.js';
import { CheckPlanner, planChecks } from '../../../src/health/spec.js';
import type { Config } from '../../../src/model/config.js';

async function configOf(text: string): Promise<Config> {
  const r = await parseConfig(text, { file: 'test.cf', resolver: staticResolver({ services: { http: 80 } }), hostname: 'director' });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.config;
}

const plan = async (text: string) => planChecks(await configOf(text), { hostname: 'director' });

describe('planChecks builds each real\'s CheckSpec as upstream', () => {
  test.each([
    [
      'the default URL is <service>://<rip>:<checkport>/<request>',
      'virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\trequest="index.html"\n\treceive="Test"\n',
      { url: 'http://10.0.0.2:80/index.html', port: 80, request: '/index.html', receive: 'Test' },
    ],
    [
      'checkport overrides the real port, in the URL too',
      'virtual=10.0.0.1:443\n\treal=10.0.0.2:443 masq\n\tcheckport=8443\n',
      { url: 'https://10.0.0.2:8443/', port: 8443 },
    ],
    [
      'an IPv6 real is bracketed in the URL',
      'virtual6=[2001:db8::1]:80\n\treal6=[2001:db8::2]:80 gate\n',
      { url: 'http://[2001:db8::2]:80/', host: '2001:db8::2', vip: '[2001:db8::1]' },
    ],
    [
      'a per-real absolute URL is used as is',
      'virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate 1 "http://www.example.com/x.html", "ok"\n',
      { url: 'http://www.example.com/x.html', receive: 'ok' },
    ],
    [
      'http_proxy fetches the virtual request as an absolute URL through the real',
      'virtual=10.0.0.1:3128\n\treal=10.0.0.2:3128 gate\n\trequest="http://www.example.org/proxied"\n',
      { url: 'http://www.example.org/proxied', port: 3128 },
    ],
    [
      'a fwmark real without port is checked on the service\'s well-known port',
      'virtual=7\n\treal=10.0.0.2 gate\n\tservice=https\n',
      { port: 443, url: 'https://10.0.0.2:443/', vip: '7', vport: 0, realPort: 0, protocol: 'fwm' },
    ],
    [
      'timeouts follow the asymmetric lookup: global checktimeout=3 + virtual negotiatetimeout=20 gives 20 and 20',
      'checktimeout=3\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tnegotiatetimeout=20\n',
      { checkTimeoutMs: 20000, negotiateTimeoutMs: 20000 },
    ],
    [
      'defaults are checktimeout 5 s and negotiatetimeout 30 s',
      'virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n',
      { checkTimeoutMs: 5000, negotiateTimeoutMs: 30000, httpMethod: 'GET' },
    ],
    [
      'virtualhost becomes the spec\'s virtualHost (Host header and SNI)',
      'virtual=10.0.0.1:443\n\treal=10.0.0.2:443 gate\n\tvirtualhost=www.example.com\n\thttpmethod=head\n',
      { virtualHost: 'www.example.com', httpMethod: 'HEAD' },
    ],
  ])('%s', async (_name, text, expected) => {
    const [job] = await plan(text);
    expect(job?.spec).toMatchObject(expected);
  });
});

describe('planChecks picks the check each checktype runs', () => {
  test.each([
    ['negotiate runs the service', 'service=ldap\n', { type: 'single', name: 'ldap' }],
    ['connect on TCP is a TCP connect', 'checktype=connect\n', { type: 'single', name: 'connect' }],
    ['a number N alternates negotiate and connect', 'checktype=3\nservice=http\n', { type: 'combined', n: 3, negotiate: 'http', connect: 'connect' }],
    ['external runs the command', 'checktype=external\ncheckcommand="/bin/true"\n', { type: 'single', name: 'external' }],
    ['an unlisted port without service= is none (no check), as upstream', '', { type: 'single', name: 'none' }],
  ])('%s', async (_name, extra, kind) => {
    const text = `virtual=10.0.0.1:8080\n\treal=10.0.0.2:8080 gate\n${extra.split('\n').filter(Boolean).map((l) => `\t${l}\n`).join('')}`;
    const [job] = await plan(text);
    expect(job?.kind).toEqual(kind);
  });

  test('connect on a UDP virtual pings instead, as upstream', async () => {
    const [job] = await plan('virtual=10.0.0.1:53\n\treal=10.0.0.2:53 gate\n\tprotocol=udp\n\tchecktype=connect\n');
    expect(job?.kind).toEqual({ type: 'single', name: 'ping' });
  });
});

describe('planChecks groups reals by upstream real id', () => {
  test('the same real with the same check in two virtuals is one job with two members', async () => {
    const jobs = await plan(
      'virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\nvirtual=10.0.0.9:80\n\treal=10.0.0.2:80 gate\n',
    );
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.members.map((m) => [m.virtualKey, m.realKey])).toEqual([
      ['tcp:10.0.0.1:80', '10.0.0.2:80'],
      ['tcp:10.0.0.9:80', '10.0.0.2:80'],
    ]);
  });

  test('a different weight or receive makes a different real id', async () => {
    const jobs = await plan(
      'virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate 1\n\nvirtual=10.0.0.9:80\n\treal=10.0.0.2:80 gate 2\n\nvirtual=10.0.0.8:80\n\treal=10.0.0.2:80 gate 1\n\treceive="x"\n',
    );
    expect(jobs).toHaveLength(3);
  });

  test('checkinterval is global unless fork=yes', async () => {
    const text = 'checkinterval=7\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tcheckinterval=3\n';
    expect((await plan(text))[0]?.intervalMs).toBe(7000);
    expect((await plan(`fork=yes\n${text}`))[0]?.intervalMs).toBe(3000);
  });
});

describe('CheckPlanner (incremental re-plan on reload)', () => {
  const text = (w: number, extra = '') =>
    `${extra}virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tservice=http\nvirtual=10.0.0.9:80\n\treal=10.0.0.3:80 gate ${w}\n\treal=10.0.0.4:80 gate\n\tservice=http\n`;

  test('an unchanged virtual gives back the same job objects; a changed one is planned again; result as planChecks', async () => {
    const planner = new CheckPlanner();
    const a = planner.plan(await configOf(text(1)), { hostname: 'director' });
    const next = await configOf(text(2));
    const b = planner.plan(next, { hostname: 'director' });
    expect(b).toEqual(planChecks(next, { hostname: 'director' }));
    expect(b[0]).toBe(a[0]); // 10.0.0.2: its virtual did not change
    expect(b[1]!.id).not.toBe(a[1]!.id); // 10.0.0.3's weight is part of its id
    expect(b[2]).not.toBe(a[2]); // same virtual, planned again (equal content)
    expect(b[2]).toEqual(a[2]);
  });

  test('lines added above move source positions only: nothing is planned again', async () => {
    const planner = new CheckPlanner();
    const a = planner.plan(await configOf(text(1)), { hostname: 'director' });
    const b = planner.plan(await configOf(text(1, '# a comment\n\n')), { hostname: 'director' });
    expect(b.every((j, i) => j === a[i])).toBe(true);
  });

  test('a global that every job depends on (checkinterval, the host name) plans everything again', async () => {
    const planner = new CheckPlanner();
    const a = planner.plan(await configOf(text(1)), { hostname: 'director' });
    const b = planner.plan(await configOf(text(1, 'checkinterval=7\n')), { hostname: 'director' });
    expect(b.map((j) => j.intervalMs)).toEqual([7000, 7000, 7000]);
    expect(b[0]).not.toBe(a[0]);
    const c = planner.plan(await configOf(text(1, 'checkinterval=7\n')), { hostname: 'other' });
    expect(c[0]!.spec.hostname).toBe('other');
  });
});
