// virtual=/virtual6= and real=/real6= lines (spec §2.2, §2.3), including the documented misread rejections.
import { ok, errors, warnings, block } from './helpers.js';

describe('virtual= values', () => {
  it.each([
    ['ip:port', 'virtual=10.0.0.1:80', { kind: 'addr', af: 'inet', protocol: 'tcp', address: '10.0.0.1', port: 80 }, 'http'],
    ['a service-name port', 'virtual=10.0.0.1:www', { kind: 'addr', af: 'inet', protocol: 'tcp', address: '10.0.0.1', port: 80 }, 'http'],
    ['port 53 (udp, dns)', 'virtual=10.0.0.1:53', { kind: 'addr', af: 'inet', protocol: 'udp', address: '10.0.0.1', port: 53 }, 'dns'],
    [':domain (udp, dns)', 'virtual=10.0.0.1:domain', { kind: 'addr', af: 'inet', protocol: 'udp', address: '10.0.0.1', port: 53 }, 'dns'],
    ['port 8080 (service none)', 'virtual=10.0.0.1:8080', { kind: 'addr', af: 'inet', protocol: 'tcp', address: '10.0.0.1', port: 8080 }, 'none'],
    ['a hostname', 'virtual=vip.example.com:443', { kind: 'addr', af: 'inet', protocol: 'tcp', address: '192.0.2.10', port: 443 }, 'https'],
    ['a trailing comment', 'virtual=10.0.0.1:25 # mail', { kind: 'addr', af: 'inet', protocol: 'tcp', address: '10.0.0.1', port: 25 }, 'smtp'],
    ['a firewall mark', 'virtual=5', { kind: 'fwmark', af: 'inet', fwmark: 5 }, 'none'],
    ['a firewall mark with a comment', 'virtual=5 # web farm', { kind: 'fwmark', af: 'inet', fwmark: 5 }, 'none'],
    ['an IPv6 address', 'virtual6=[2001:DB8:0::1]:80', { kind: 'addr', af: 'inet6', protocol: 'tcp', address: '2001:db8::1', port: 80 }, 'http'],
    ['an IPv6 hostname', 'virtual6=vip.example.com:80', { kind: 'addr', af: 'inet6', protocol: 'tcp', address: '2001:db8::10', port: 80 }, 'http'],
    ['an IPv6 firewall mark', 'virtual6=7', { kind: 'fwmark', af: 'inet6', fwmark: 7 }, 'none'],
  ])('reads %s', async (_n, line, key, service) => {
    const v = (await ok(`${line}\n`)).virtuals[0]!;
    expect(v.key).toEqual(key);
    expect(v.service).toBe(service);
  });

  it.each([
    ['virtual=10.0.0.1:80', 'tcp:10.0.0.1:80', '10.0.0.1:80'],
    ['virtual6=[::1]:53', 'udp:[::1]:53', '[::1]:53'],
    ['virtual=9', 'fwm:9', '9'],
    ['virtual6=9', 'fwm6:9', '9'],
  ])('%s has upstream id %s', async (line, id, display) => {
    const v = (await ok(`${line}\n`)).virtuals[0]!;
    expect([v.id, v.display]).toEqual([id, display]);
  });

  it.each([
    ['virtual=[::1]:80', 'cannot specify an IPv6 address here. please use "virtual6" instead.'],
    ['virtual6=[1:2:3]:80', 'invalid ipv6 address for virtual server'],
    ['virtual=:80', 'invalid address for virtual server'],
    ['virtual6=1.2.3.4:80', 'invalid address for virtual service'],
    ['virtual=nosuchhost:80', 'invalid address for virtual service'],
    ['virtual=10.0.0.1:nosuchservice', 'invalid address for virtual service'],
    ['virtual=10.0.0.1:70000', 'invalid address for virtual service'],
    ['virtual=10.0.0.300:80', 'invalid address for virtual service'],
  ])('rejects %s: %s', async (line, message) => {
    expect(await errors(`${line}\n`)).toEqual([`1: ${message}`]);
  });

  it.each([
    ['virtual=10.0.0.1', 'virtual=10.0.0.1:PORT'],
    ['virtual = 10.0.0.1 : 80', 'virtual=10.0.0.1:80'],
    ['virtual=10.0.0.1:', 'virtual=10.0.0.1:PORT'],
  ])('rejects %s, which upstream silently reads as firewall mark 10, and says what was meant', async (line, meant) => {
    const [e] = await errors(`${line}\n`);
    expect(e).toMatch(/^1: invalid address for virtual server: .*silently read it as firewall mark 10/);
    expect(e).toContain(meant);
  });
});

describe('real= lines', () => {
  const reals = async (line: string, virtual?: string) => (await ok(block([line], virtual))).virtuals[0]!.reals;

  it.each([
    ['real=10.0.0.2:80 gate', { address: '10.0.0.2', port: 80, forward: 'gate', weight: 1 }],
    ['real=10.0.0.2:80 masq 5', { address: '10.0.0.2', port: 80, forward: 'masq', weight: 5 }],
    ['real=10.0.0.2:80 ipip 0', { address: '10.0.0.2', port: 80, forward: 'ipip', weight: 0 }],
    ['real=10.0.0.2 gate', { address: '10.0.0.2', port: 0, forward: 'gate', weight: 1 }],
    ['real=10.0.0.2:www gate', { address: '10.0.0.2', port: 80, forward: 'gate', weight: 1 }],
    ['real=web1:8080 gate 2', { address: '10.0.0.11', port: 8080, forward: 'gate', weight: 2 }],
    ['real = 10.0.0.2:80   gate   3', { address: '10.0.0.2', port: 80, forward: 'gate', weight: 3 }],
    ['real=10.0.0.2:80 gate\r', { address: '10.0.0.2', port: 80, forward: 'gate', weight: 1 }],
  ])('reads %j', async (line, want) => {
    expect((await reals(line))[0]).toMatchObject(want);
  });

  it('reads l: and u: connection thresholds', async () => {
    expect((await reals('real=10.0.0.2:80 gate 2 l:5 u:10'))[0]).toMatchObject({ weight: 2, lowerThreshold: 5, upperThreshold: 10 });
  });

  it.each([
    ['comma-separated', 'real=10.0.0.2:80 gate 1 "health", "OK"'],
    ['space-separated', 'real=10.0.0.2:80 gate 1 "health" "OK"'],
  ])('reads a %s per-real request/receive and adds the leading "/"', async (_n, line) => {
    const r = (await reals(line))[0]!;
    expect([r.request, r.receive, r.effectiveRequest, r.effectiveReceive]).toEqual(['/health', 'OK', '/health', 'OK']);
  });

  it('gives reals without overrides the virtual request/receive', async () => {
    const r = (await ok(block(['real=10.0.0.2:80 gate', 'request="status"', 'receive="up"']))).virtuals[0]!.reals[0]!;
    expect([r.request, r.effectiveRequest, r.effectiveReceive]).toEqual([undefined, '/status', 'up']);
  });

  it('expands an IPv4 range into one real per address', async () => {
    const rs = await reals('real=192.168.6.2->192.168.6.7:80 gate 2');
    expect(rs.map((r) => r.address)).toEqual(['192.168.6.2', '192.168.6.3', '192.168.6.4', '192.168.6.5', '192.168.6.6', '192.168.6.7']);
    expect(rs.every((r) => r.port === 80 && r.weight === 2 && r.pos.line === 2)).toBe(true);
  });

  it('expands a range given by hostnames', async () => {
    expect((await reals('real=sql01->sql03:3306 gate 10')).map((r) => r.address)).toEqual(['10.1.0.1', '10.1.0.2', '10.1.0.3']);
  });

  it('reads real6 in a virtual6 block', async () => {
    const rs = await reals('real6=[2001:db8:0:1::4]:119 masq', 'virtual6=[2001:db8::1]:119');
    expect(rs[0]).toMatchObject({ af: 'inet6', address: '2001:db8:0:1::4', port: 119, forward: 'masq' });
  });

  it.each([
    ['real=10.0.0.2:80', 'invalid address for real server (wrong format)'],
    ['real=10.0.0.2:80 route', 'forward method must be gate, masq or ipip'],
    ['real=10.0.0.2:80 gate 5 extra', 'Invalid real server line, around " extra"'],
    ['real=10.0.0.2:80 "gate"', 'Invalid real server line, around """'],
    ['real=nosuch:80 gate', 'invalid address (nosuch) for real server (could not resolve host)'],
    ['real=10.0.0.2:99999 gate', 'invalid port (99999) for real server (could not resolve port)'],
    ['real=10.0.0.2:nosuchsvc gate', 'invalid port (nosuchsvc) for real server (could not resolve port)'],
    ['real=10.0.0.2->nosuch:80 gate', 'invalid address (nosuch) for real server (could not resolve end host)'],
    ['real=10.0.0.9->10.0.0.2:80 gate', 'Invalid Range: 10.0.0.9-10.0.0.2: First value must be greater than or equal to the second value'],
    ['real6=[::1]:80 gate', 'cannot specify "real6" here.  please use "real" instead'],
  ])('rejects %j: %s', async (line, message) => {
    expect(await errors(block([line]))).toEqual([`2: ${message}`]);
  });

  it.each([
    ['real=[::1]:80 gate', 'cannot specify "real" here.  please use "real6" instead'],
    ['real6=[::1]->[::3]:80 gate', 'Address range for IPv6 is not supported yet'],
    ['real6=10.0.0.2:80 gate', 'invalid address (10.0.0.2) for real server (could not resolve host)'],
  ])('in a virtual6 block rejects %j: %s', async (line, message) => {
    expect(await errors(block([line], 'virtual6=[::1]:80'))).toEqual([`2: ${message}`]);
  });

  it.each([
    ['real=192.168.6.2::5060 gate', /upstream ldirectord would skip "192\.168\.6\.2::" and read the real server as "5060"\. Did you mean real=192\.168\.6\.2:5060 gate\?/],
    ['real=2001:db8::4 gate', /would skip "2001:db8::" and read the real server as "4"\. IPv6 addresses need brackets and real6 in a virtual6 block: real6=\[2001:db8::4\]:PORT/],
    ['real=10.0.0.2:80 gate junk 5', /Invalid real server line, around "gate junk 5": upstream ldirectord would silently read this as "gate weight 5"/],
    ['real=10.0.0.2:80 gate 1 u:10 l:5', /around "gate 1 u:10 l:5": upstream ldirectord would silently read this as "gate weight 1 l:5".*l:N\] \[u:N\], in this order/],
    ['real=10.0.0.2:80 -gate', /around "-gate": upstream ldirectord would silently read this as "gate weight 1"/],
    ['real=10.0.0.2:80 gate, 5', /around "gate, 5": upstream ldirectord would silently read this as "gate weight 5"/],
  ])('rejects the silent misread %j with what was probably meant', async (line, re) => {
    const e = await errors(block([line]));
    expect(e).toHaveLength(1);
    expect(e[0]).toMatch(re);
  });

  it('warns when an address is read with inet_aton rules', async () => {
    expect(await warnings(block(['real=10.1:80 gate']))).toEqual(['2: "10.1" is read as the IPv4 address 10.0.0.1 (inet_aton rules, as upstream)']);
  });

  it('caps the reals of the whole config, fast, naming the lines past the cap (issue 13 item 7)', async () => {
    const wide = Array.from({ length: 300 }, (_, n) => `real=10.${n % 256}.${n >> 8}.0->10.${n % 256}.255.255:80 gate`);
    const t0 = Date.now();
    const errs = await errors(block(wide));
    expect(errs).toHaveLength(299);
    expect(errs[0]).toBe('3: Invalid Range: 10.1.0.0-10.1.255.255: the config would hold more than 65536 real servers in all');
    expect(Date.now() - t0).toBeLessThan(20_000);
    const c24 = Array.from({ length: 256 }, (_, n) => `real=10.0.${n}.0->10.0.${n}.255:80 gate`);
    expect((await ok(block(c24))).virtuals[0]!.reals).toHaveLength(65536); // at the cap: still a config
    expect(await errors(block([...c24, 'real=10.1.0.1:80 gate']))).toEqual(['258: too many real servers: the config would hold more than 65536 in all']);
  });

  it('refuses ranges too large to hold in memory', async () => {
    expect(await errors(block(['real=10.0.0.0->10.255.255.255:80 gate']))).toEqual([expect.stringMatching(/^2: Invalid Range: 10\.0\.0\.0-10\.255\.255\.255: 16777216 addresses, more than 65536/)]);
  });
});

describe('fallback=', () => {
  it.each([
    ['fallback=127.0.0.1:80', { address: '127.0.0.1', port: 80, forward: 'gate' }],
    ['fallback=127.0.0.1 masq', { address: '127.0.0.1', port: 80, forward: 'masq' }],
    ['fallback=web1:www ipip', { address: '10.0.0.11', port: 80, forward: 'ipip' }],
  ])('per-virtual %s defaults the port to the virtual port and the method to gate', async (line, want) => {
    const v = (await ok(block([line]))).virtuals[0]!;
    expect(v.fallback).toMatchObject(want);
    expect(v.effectiveFallback).toEqual(v.fallback);
  });

  it('a global fallback without a port takes each virtual port', async () => {
    const c = await ok('fallback=127.0.0.1\nvirtual=10.0.0.1:80\nvirtual=10.0.0.1:443\n');
    expect(c.global.fallback?.tcp).toMatchObject({ address: '127.0.0.1', forward: 'gate' });
    expect(c.global.fallback?.tcp.port).toBeUndefined();
    expect(c.virtuals.map((v) => v.effectiveFallback?.port)).toEqual([80, 443]);
  });

  it('a global fallback on a fwmark virtual is the tcp entry with its port (upstream: "-r :0", parity P6)', async () => {
    const c = await ok('fallback=127.0.0.1:80 gate\nvirtual=42\n\treal=10.0.0.2:80 gate\n');
    expect(c.virtuals[0]?.effectiveFallback).toMatchObject({ address: '127.0.0.1', port: 80, forward: 'gate' });
  });

  it('a global fallback6 applies to virtual6 services only', async () => {
    const c = await ok('fallback6=[::1]:8080\nvirtual=10.0.0.1:80\nvirtual6=[::2]:80\n');
    expect(c.virtuals.map((v) => v.effectiveFallback?.address)).toEqual([undefined, '::1']);
  });

  it.each([
    ['fallback=127.0.0.1:80 route', 'forward method must be gate, masq or ipip'],
    ['fallback=nosuch:80', 'invalid IPv4 address or could not resolve for fallback server: nosuch'],
    ['fallback=127.0.0.1:nosuchsvc', 'invalid port for fallback server'],
    ['fallback6=[::1]:80', 'cannot specify "fallback6" here.  please use "fallback" instead'],
  ])('rejects %s: %s', async (line, message) => {
    expect(await errors(block([line]))).toContain(`2: ${message}`);
  });

  it('a global fallback with a trailing comment breaks, as upstream', async () => {
    expect(await errors('fallback=127.0.0.1:80 # local\n')).toContain('1: forward method must be gate, masq or ipip');
  });
});
