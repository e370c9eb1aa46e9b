// HTTP, HTTPS and http_proxy checks against real nginx and squid on loopback (IPv4 and IPv6), plus silent and flooding peers.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check as http, checkHttps as https, checkProxy } from '../../src/checks/http.js';
import { freePort } from '../support/ports.js';
import { garbagePeer, silentPeer, eventually, type TestPeer } from '../support/peers.js';
import { startServer, type RunningServer } from '../support/process.js';
import { makeSpec, never } from '../support/spec.js';
import { tempDir } from '../support/tmp.js';
import { selfSigned } from '../support/tls.js';

let nginx: RunningServer;
let squid: RunningServer;
let httpPort: number;
let tlsPort: number;
let proxyPort: number;
let closed: number;
const tmp = tempDir('ldng-http-');

beforeAll(async () => {
  const d = tmp.dir;
  httpPort = await freePort();
  tlsPort = await freePort();
  proxyPort = await freePort();
  closed = await freePort();
  for (const sub of ['www', 'vhost', 'tmp']) mkdirSync(join(d, sub));
  writeFileSync(join(d, 'www/index.html'), 'This is a test\n');
  writeFileSync(join(d, 'vhost/index.html'), 'virtual host page\n');
  writeFileSync(join(d, 'www/big.bin'), Buffer.alloc(10 * 1024 * 1024, 'y'));
  const def = selfSigned(d, 'default', 'default.test');
  const sni = selfSigned(d, 'sni', 'www.example.test');
  const listen = (port: number, ssl = '') => `listen 127.0.0.1:${port}${ssl}; listen [::1]:${port}${ssl};`;
  // /hopN needs N redirects to reach /index.html.
  const hops = Array.from({ length: 8 }, (_, i) => `location = /hop${i + 1} { return 302 ${i === 0 ? '/index.html' : `/hop${i}`}; }`).join('\n    ');
  const statuses = [301, 303, 307, 308].map((s) => `location = /r${s} { return ${s} /index.html; }`).join('\n    ');
  const conf = `
user root; daemon off; master_process off; worker_processes 1;
pid ${d}/nginx.pid; error_log ${d}/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${d}/tmp/body; proxy_temp_path ${d}/tmp/proxy; fastcgi_temp_path ${d}/tmp/fcgi;
  uwsgi_temp_path ${d}/tmp/uwsgi; scgi_temp_path ${d}/tmp/scgi;
  default_type text/plain;
  server { ${listen(httpPort)} server_name _; root ${d}/www;
    location = /host { return 200 "host=$host\\n"; }
    location = /redir { return 302 /index.html; }
    location = /loop { return 302 /loop; }
    location = /oops { return 500 "oops\\n"; }
    location = /rawhost { return 200 "host=$http_host\\n"; }
    location = /redir-missing { return 302 /nope.html; }
    location = /to-v6 { return 302 http://[::1]:${httpPort}/rawhost; }
    ${hops}
    ${statuses}
  }
  server { ${listen(httpPort)} server_name www.example.test; root ${d}/vhost; }
  server { ${listen(tlsPort, ' ssl')} server_name _; root ${d}/www;
    ssl_certificate ${def.cert}; ssl_certificate_key ${def.key};
    location = /sni { return 200 "sni=$ssl_server_name\\n"; }
  }
  server { ${listen(tlsPort, ' ssl')} server_name www.example.test; root ${d}/vhost;
    ssl_certificate ${sni.cert}; ssl_certificate_key ${sni.key};
    location = /sni { return 200 "sni=$ssl_server_name\\n"; }
  }
}
`;
  writeFileSync(join(d, 'nginx.conf'), conf);
  nginx = await startServer('/usr/sbin/nginx', ['-c', join(d, 'nginx.conf'), '-p', d], { tcp: { host: '127.0.0.1', port: tlsPort } });
  writeFileSync(join(d, 'squid.conf'), `
http_port 127.0.0.1:${proxyPort}
http_port [::1]:${proxyPort}
acl localnet src 127.0.0.0/8 ::1
http_access allow localnet
http_access deny all
cache deny all
cache_mem 8 MB
pid_filename ${d}/squid.pid
access_log none
cache_log ${d}/cache.log
cache_effective_user proxy
coredump_dir ${d}
shutdown_lifetime 0 seconds
# pinger forks into its own session and would outlive the test
pinger_enable off
dns_nameservers 127.0.0.1
`);
  squid = await startServer('/usr/sbin/squid', ['-N', '-n', `ldng${proxyPort}`, '-f', join(d, 'squid.conf')], { tcp: { host: '127.0.0.1', port: proxyPort } }, { readyTimeoutMs: 30000 });
}, 60000);

afterAll(async () => {
  await nginx?.stop();
  await squid?.stop();
  tmp.cleanup();
});

const hosts = ['127.0.0.1', '::1'] as const;
const url = (host: string, port: number, path: string, scheme = 'http') => `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;

describe.each(hosts)('http against nginx on %s', (host) => {
  const cases: Array<{ name: string; path: string; receive?: string; vhost?: string; method?: 'GET' | 'HEAD'; ok: boolean; reason?: RegExp }> = [
    { name: 'a page whose body matches receive is up', path: '/index.html', receive: 'is a test', ok: true },
    { name: 'a page is up without receive', path: '/index.html', ok: true },
    { name: 'a page that does not match receive is down and the reason quotes the body', path: '/index.html', receive: 'fake', ok: false, reason: /expected \/fake\/, got 200 "This is a test/ },
    { name: 'a missing page is down with its status', path: '/nope.html', ok: false, reason: /expected 2xx, got 404/ },
    { name: 'a server error is down', path: '/oops', ok: false, reason: /got 500/ },
    { name: 'a redirect is followed as LWP does', path: '/redir', receive: 'This is a test', ok: true },
    { name: 'a redirect loop is down', path: '/loop', ok: false, reason: /redirect/i },
    { name: 'virtualhost is sent as the Host header', path: '/index.html', vhost: 'www.example.test', receive: 'virtual host page', ok: true },
    { name: 'the real address is the Host header without virtualhost', path: '/host', receive: `^host=${host === '::1' ? '\\[::1\\]' : '127\\.0\\.0\\.1'}$`, ok: true },
    { name: 'HEAD ignores the body', path: '/index.html', method: 'HEAD', ok: true },
    ...[301, 303, 307, 308].map((s) => ({ name: `a ${s} redirect is followed as LWP does`, path: `/r${s}`, receive: 'is a test', ok: true })),
    { name: 'seven redirects in a row are followed (LWP max_redirect)', path: '/hop7', receive: 'is a test', ok: true },
    { name: 'an eighth redirect is down', path: '/hop8', ok: false, reason: /got 302 Moved Temporarily after 7 redirects/ },
    { name: 'a redirect to a missing page is down, as 2xx is required after redirects', path: '/redir-missing', ok: false, reason: /expected 2xx, got 404/ },
    { name: 'HEAD follows redirects too', path: '/hop2', method: 'HEAD', ok: true },
    { name: 'the Host header is the bare real address, without the port', path: '/rawhost', receive: `^host=${host === '::1' ? '\\[::1\\]' : '127\\.0\\.0\\.1'}$`, ok: true },
    { name: 'a redirect to an IPv6 literal URL sends Host as [::1]:port', path: '/to-v6', receive: '^host=\\[::1\\]:\\d+$', ok: true },
    { name: 'a 10 MB body is read bounded and still matched at its start', path: '/big.bin', receive: '^yyyy', ok: true },
  ];
  test.each(cases)('$name', async (c) => {
    const spec = makeSpec(host, httpPort, {
      url: url(host, httpPort, c.path), request: c.path, receive: c.receive ?? '',
      ...(c.vhost !== undefined ? { virtualHost: c.vhost } : {}), ...(c.method !== undefined ? { httpMethod: c.method } : {}),
    });
    const r = await http(spec, never());
    expect(r.ok).toBe(c.ok);
    if (!r.ok && c.reason) expect(r.reason).toMatch(c.reason);
    if (!r.ok) expect(r.reason).toContain(`GET ${spec.url}`.replace('GET', c.method ?? 'GET'));
  });

  test('the URL is built from the real address and request when the spec carries none', async () => {
    const r = await http(makeSpec(host, httpPort, { request: '/index.html', receive: 'test' }), never());
    expect(r).toEqual({ ok: true, message: '200 OK' });
  });

  test('a closed port is down with connection refused', async () => {
    const r = await http(makeSpec(host, closed, { request: '/' }), never());
    expect(r).toEqual({ ok: false, reason: `GET ${url(host, closed, '/')}: connect to ${url(host, closed, '').slice(7)}: connection refused` });
  });
});

describe.each(hosts)('https against nginx on %s', (host) => {
  test('a self-signed certificate is accepted, as upstream does not verify', async () => {
    const r = await https(makeSpec(host, tlsPort, { url: url(host, tlsPort, '/index.html', 'https'), receive: 'is a test' }), never());
    expect(r.ok).toBe(true);
  });
  test('virtualhost is sent as TLS SNI (upstream sends none)', async () => {
    const r = await https(makeSpec(host, tlsPort, { url: url(host, tlsPort, '/sni', 'https'), virtualHost: 'www.example.test', receive: '^sni=www\\.example\\.test$' }), never());
    expect(r).toEqual({ ok: true, message: '200 OK' });
  });
  test('a virtualhost with a port sends only its name as SNI', async () => {
    const r = await https(makeSpec(host, tlsPort, { url: url(host, tlsPort, '/sni', 'https'), virtualHost: `www.example.test:${tlsPort}`, receive: '^sni=www\\.example\\.test$' }), never());
    expect(r).toEqual({ ok: true, message: '200 OK' });
  });
  test('no SNI is sent without virtualhost', async () => {
    const r = await https(makeSpec(host, tlsPort, { url: url(host, tlsPort, '/sni', 'https'), receive: 'sni=www' }), never());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/got 200 "sni="/);
  });
  test('plain HTTP spoken to a TLS check is down', async () => {
    const r = await https(makeSpec(host, httpPort, { url: url(host, httpPort, '/', 'https') }), never());
    expect(r.ok).toBe(false);
  });
});

describe.each(hosts)('http_proxy through squid on %s', (host) => {
  test('an absolute URL fetched through the proxy is up when it matches', async () => {
    const r = await checkProxy(makeSpec(host, proxyPort, { request: `/http://127.0.0.1:${httpPort}/index.html`, receive: 'is a test' }), never());
    expect(r).toEqual({ ok: true, message: '200 OK' });
  });
  test('a mismatch through the proxy is down and names the proxy', async () => {
    const r = await checkProxy(makeSpec(host, proxyPort, { request: `/http://127.0.0.1:${httpPort}/index.html`, receive: 'fake' }), never());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(new RegExp(`via proxy .*:${proxyPort}: GET http://127.0.0.1:${httpPort}/index.html: expected /fake/`));
  });
  test('an origin the proxy cannot reach is down with the proxy status', async () => {
    const r = await checkProxy(makeSpec(host, proxyPort, { request: `/http://127.0.0.1:${closed}/` }), never());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/expected 2xx, got 50[23]/);
  });
  test('an https URL goes through a CONNECT tunnel (TLS end to end, the proxy never sees the request)', async () => {
    const r = await checkProxy(makeSpec(host, proxyPort, { request: `/https://127.0.0.1:${tlsPort}/index.html`, receive: 'is a test' }), never());
    expect(r).toEqual({ ok: true, message: '200 OK' });
  });
  test('a CONNECT the proxy refuses is down with its status line', async () => {
    const r = await checkProxy(makeSpec(host, proxyPort, { request: `/https://127.0.0.1:${closed}/` }), never());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(new RegExp(`refused CONNECT 127\\.0\\.0\\.1:${closed}: "HTTP/1\\.1 50[23]`));
  });
  test('a proxy port that is closed is down', async () => {
    const r = await checkProxy(makeSpec(host, closed, { request: `/http://127.0.0.1:${httpPort}/` }), never());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/connection refused/);
  });
});

describe.each(hosts)('misbehaving HTTP peers on %s', (host) => {
  let silent: TestPeer;
  let junk: TestPeer;
  beforeAll(async () => {
    silent = await silentPeer(host);
    junk = await garbagePeer(host);
  });
  afterAll(async () => {
    await silent.close();
    await junk.close();
  });
  test('a silent server times out after negotiatetimeout and the socket is closed', async () => {
    const t0 = Date.now();
    const r = await http(makeSpec(host, silent.port, { negotiateTimeoutMs: 300 }), never());
    expect(r).toEqual({ ok: false, reason: `GET ${url(host, silent.port, '/')}: timed out after 300 ms` });
    expect(Date.now() - t0).toBeLessThan(3000);
    await eventually(() => silent.open() === 0);
  });
  test('an abort from the scheduler ends the check and closes the socket', async () => {
    const ac = new AbortController();
    const p = http(makeSpec(host, silent.port, { negotiateTimeoutMs: 60000 }), ac.signal);
    await eventually(() => silent.open() > 0);
    ac.abort();
    const r = await p;
    expect(r.ok).toBe(false);
    await eventually(() => silent.open() === 0);
  });
  test('10 MB of garbage is down without hanging', async () => {
    const r = await http(makeSpec(host, junk.port, { negotiateTimeoutMs: 5000 }), never());
    expect(r.ok).toBe(false);
  });
});
