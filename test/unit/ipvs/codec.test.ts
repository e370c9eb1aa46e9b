// Golden-byte tests of the generic-netlink IPVS codec, including replies split and merged across reads.
import fc from 'fast-check';
import * as dec from '../../../src/ipvs/netlink/decode.js';
import * as enc from '../../../src/ipvs/netlink/encode.js';
import * as C from '../../../src/ipvs/netlink/constants.js';
import type { DestSpec, ServiceKey, ServiceSpec } from '../../../src/model/ipvs.js';
import { IpvsError } from '../../../src/ipvs/index.js';
import { canonicalIp } from '../../../src/net/ip.js';
import { readHex } from './hex.js';
import * as ref from './reference-encoder.js';

const svcKey: ServiceKey = { kind: 'addr', af: 'inet', protocol: 'tcp', addr: '192.0.2.10', port: 80 };

describe('the codec encodes requests byte for byte as the golden fixtures', () => {
  it.each([
    ['new-service-request', () => enc.encodeSetService(C.IPVS_CMD_NEW_SERVICE, 0x22, 1, { key: svcKey, scheduler: 'wlc', flags: 0, timeout: 300, netmask: 32 })],
    ['new-dest-request', () => enc.encodeSetDest(C.IPVS_CMD_NEW_DEST, 0x22, 2, svcKey, { af: 'inet', addr: '198.51.100.7', port: 80, fwd: 'route', weight: 100, uThresh: 0, lThresh: 0 })],
    ['del-dest-v6-request', () => enc.encodeDelDest(0x22, 3, { kind: 'fwmark', af: 'inet6', fwmark: 5 }, { af: 'inet6', addr: '2001:db8::2', port: 0 })],
    ['dump-services-request', () => enc.encodeDumpServices(0x22, 7)],
  ])('%s', (name, build) => {
    expect(build().toString('hex')).toBe(readHex(name).toString('hex'));
  });
});

describe('the single-buffer writer matches the reference per-attribute encoder', () => {
  const v6svc: ServiceKey = { kind: 'addr', af: 'inet6', protocol: 'sctp', addr: '2001:db8::1', port: 9 };
  const v6dest: DestSpec = { af: 'inet6', addr: '2001:db8::2', port: 9, fwd: 'masq', weight: 3, uThresh: 7, lThresh: 1 };
  const slow = (cmd: number, attrs: Buffer[]): string => ref.encodeRequest({ family: 0x22, flags: C.NLM_F_REQUEST | C.NLM_F_ACK, seq: 9, cmd, attrs }).toString('hex');

  it.each([
    ['NEW_DEST in an IPv6 service (grows past the first buffer)', () => enc.encodeSetDest(C.IPVS_CMD_NEW_DEST, 0x22, 9, v6svc, v6dest), () => slow(C.IPVS_CMD_NEW_DEST, [ref.attrNested(C.IPVS_CMD_ATTR_SERVICE, ref.serviceIdentityAttrs(v6svc)), ref.attrNested(C.IPVS_CMD_ATTR_DEST, ref.destFullAttrs(v6dest))])],
    ['the bulk NEW_DEST path (encodeOp)', () => enc.encodeOp({ op: 'addDest', svc: v6svc, dest: v6dest }, 0x22, 9), () => slow(C.IPVS_CMD_NEW_DEST, [ref.attrNested(C.IPVS_CMD_ATTR_SERVICE, ref.serviceIdentityAttrs(v6svc)), ref.attrNested(C.IPVS_CMD_ATTR_DEST, ref.destFullAttrs(v6dest))])],
    ['SET_SERVICE with a PE and a v6 prefix', () => enc.encodeSetService(C.IPVS_CMD_SET_SERVICE, 0x22, 9, { key: v6svc, scheduler: 'lblcr', flags: 4, timeout: 30, netmask: 48, pe: 'sip' }), () => slow(C.IPVS_CMD_SET_SERVICE, [ref.attrNested(C.IPVS_CMD_ATTR_SERVICE, ref.serviceFullAttrs({ key: v6svc, scheduler: 'lblcr', flags: 4, timeout: 30, netmask: 48, pe: 'sip' }))])],
  ])('for %s', (_what, fast, reference) => {
    expect(fast().toString('hex')).toBe(reference());
  });

  it('rewrites the port of a gatewayed destination on the bulk path (through the normaliser)', () => {
    const got = enc.encodeOp({ op: 'addDest', svc: svcKey, dest: { af: 'inet', addr: '198.51.100.7', port: 8080, fwd: 'route', weight: 100, uThresh: 0, lThresh: 0 } }, 0x22, 9);
    expect(got.subarray(4).toString('hex')).toBe(readHex('new-dest-request').subarray(4).toString('hex').replace(/^2200050002/, '2200050009'));
  });

  // Guards the growth path of the writer (a write into the buffer it just replaced once threw RangeError on IPv6 dests).
  it('gives the same bytes as the per-attribute path for every family, service kind and forwarding method', () => {
    const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
    const svc: fc.Arbitrary<ServiceKey> = fc.oneof(
      fc.record({ kind: fc.constant('addr' as const), af: fc.constant('inet' as const), protocol: fc.constantFrom('tcp' as const, 'udp' as const, 'sctp' as const), addr: v4, port: fc.nat(65535) }),
      fc.record({ kind: fc.constant('addr' as const), af: fc.constant('inet6' as const), protocol: fc.constantFrom('tcp' as const, 'udp' as const, 'sctp' as const), addr: fc.ipV6(), port: fc.nat(65535) }),
      fc.record({ kind: fc.constant('fwmark' as const), af: fc.constantFrom('inet' as const, 'inet6' as const), fwmark: fc.integer({ min: 1, max: 0xffffffff }) }),
    );
    const dest: fc.Arbitrary<DestSpec> = fc.record({
      af: fc.constantFrom('inet' as const, 'inet6' as const),
      addr: fc.constant(''),
      port: fc.nat(65535),
      fwd: fc.constantFrom('masq' as const, 'local' as const, 'tunnel' as const, 'route' as const, 'bypass' as const),
      weight: fc.nat(0x7fffffff),
      uThresh: fc.nat(0xffffffff),
      lThresh: fc.nat(0xffffffff),
    });
    fc.assert(
      fc.property(svc, dest, v4, fc.ipV6(), fc.constantFrom(C.IPVS_CMD_NEW_DEST, C.IPVS_CMD_SET_DEST), (s, d0, a4, a6, cmd) => {
        const d: DestSpec = { ...d0, addr: d0.af === 'inet' ? a4 : a6 };
        const wirePort = s.kind === 'addr' && (d.fwd === 'route' || d.fwd === 'tunnel') ? s.port : d.port;
        const reference = ref.encodeRequest({ family: 0x22, flags: C.NLM_F_REQUEST | C.NLM_F_ACK, seq: 9, cmd, attrs: [ref.attrNested(C.IPVS_CMD_ATTR_SERVICE, ref.serviceIdentityAttrs(s)), ref.attrNested(C.IPVS_CMD_ATTR_DEST, ref.destFullAttrs({ ...d, port: wirePort }))] });
        const op = cmd === C.IPVS_CMD_NEW_DEST ? ('addDest' as const) : ('editDest' as const);
        expect(enc.encodeOp({ op, svc: s, dest: d }, 0x22, 9).toString('hex')).toBe(reference.toString('hex'));
      }),
    );
  });
});

describe('the codec decodes kernel-shaped replies', () => {
  it('decodes a service dump: 16-byte address, HASHED stripped, /24 mask, STATS64 preferred, nested bit ignored', () => {
    const msgs = dec.decodeMessages(readHex('service-dump-reply'));
    expect(msgs.map((m) => m.type)).toEqual([0x22, 0x22, C.NLMSG_DONE]);
    const [a, b] = msgs.slice(0, 2).map((m) => dec.decodeService(m));
    expect(a).toEqual({
      key: svcKey,
      scheduler: 'wlc',
      flags: 0,
      timeout: 300,
      netmask: 24,
      dests: [],
      stats: { conns: 5n, inPkts: 10n, outPkts: 0n, inBytes: 2n ** 32n, outBytes: 7n },
    });
    expect(b).toEqual({ key: { kind: 'fwmark', af: 'inet6', fwmark: 5 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: 128, dests: [] });
  });

  it('decodes destinations, defaulting the family to the service family on old kernels', () => {
    const msgs = dec.decodeMessages(readHex('dest-dump-reply')).filter((m) => m.type !== C.NLMSG_DONE);
    expect(msgs.map((m) => dec.decodeDest(m, 'inet'))).toEqual([
      { af: 'inet', addr: '198.51.100.7', port: 80, fwd: 'route', weight: 100, uThresh: 1000, lThresh: 100, activeConns: 2, inactConns: 3, persistConns: 1 },
      { af: 'inet', addr: '198.51.100.8', port: 8080, fwd: 'masq', weight: 0, uThresh: 0, lThresh: 0, activeConns: 0, inactConns: 0, persistConns: 0 },
    ]);
  });

  it.each([
    ['error-eexist-reply', 17, 1],
    ['ack-reply', 0, 2],
  ])('decodes %s as errno %d for request seq %d', (name, errno, seq) => {
    const [m] = dec.decodeMessages(readHex(name));
    expect(m?.type).toBe(C.NLMSG_ERROR);
    expect(m && dec.decodeError(m)).toEqual({ errno, requestSeq: seq });
    expect(dec.errnoName(17)).toBe('EEXIST');
  });

  it('yields the same messages however a reply is split across reads', () => {
    const whole = Buffer.concat([readHex('service-dump-reply'), readHex('dest-dump-reply')]);
    const want = dec.decodeMessages(whole);
    for (let cut = 0; cut <= whole.length; cut++) {
      const s = new dec.MessageSplitter();
      const got = [...s.push(whole.subarray(0, cut)), ...s.push(whole.subarray(cut))];
      expect(got).toEqual(want);
      expect(s.pendingBytes).toBe(0);
    }
  });

  it('yields the same messages when fed one byte at a time', () => {
    const whole = readHex('dest-dump-reply');
    const s = new dec.MessageSplitter();
    const got = [...whole].flatMap((byte) => s.push(Buffer.from([byte])));
    expect(got).toEqual(dec.decodeMessages(whole));
  });

  it.each([
    ['a truncated reply', (b: Buffer) => b.subarray(0, b.length - 5)],
    ['a message length shorter than its header', (b: Buffer) => Buffer.concat([Buffer.from([4, 0, 0, 0]), b.subarray(4)])],
    ['an attribute overrunning its message', (b: Buffer) => { const c = Buffer.from(b); c.writeUInt16LE(0x400, 20); return c; }],
  ])('rejects %s with a typed protocol error', (_what, garble) => {
    const bad = garble(readHex('service-dump-reply'));
    let err: unknown;
    try {
      dec.decodeMessages(bad).forEach((m) => m.type === 0x22 && dec.decodeService(m));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IpvsError);
    expect((err as IpvsError).code).toBe('IPVS_PROTOCOL');
  });
});

// The kernel's reply shape for a request (ip_vs_genl_fill_service/_dest): 16-byte addresses, HASHED.
function kernelServiceReply(svc: ServiceSpec): Buffer {
  const nest = ref.serviceFullAttrs(svc).map((a) => {
    const type = a.readUInt16LE(2);
    if (type === C.IPVS_SVC_ATTR_ADDR) {
      const full = Buffer.alloc(16);
      a.subarray(4, a.readUInt16LE(0)).copy(full);
      return ref.attr(C.IPVS_SVC_ATTR_ADDR, full);
    }
    if (type === C.IPVS_SVC_ATTR_FLAGS) {
      const c = Buffer.from(a);
      c.writeUInt32LE(c.readUInt32LE(4) | 0x2, 4);
      return c;
    }
    return a;
  });
  return ref.encodeRequest({ family: 0x22, flags: C.NLM_F_MULTI, seq: 1, cmd: C.IPVS_CMD_NEW_SERVICE, attrs: [ref.attrNested(C.IPVS_CMD_ATTR_SERVICE, nest)] });
}

describe('encoding then decoding gives the spec back', () => {
  const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
  const v6 = fc.ipV6(); // any RFC 4291 text form; the decoder answers in canonical form
  const key: fc.Arbitrary<ServiceKey> = fc.oneof(
    fc.record({ kind: fc.constant('addr' as const), af: fc.constant('inet' as const), protocol: fc.constantFrom('tcp' as const, 'udp' as const, 'sctp' as const), addr: v4, port: fc.nat(65535) }),
    fc.record({ kind: fc.constant('addr' as const), af: fc.constant('inet6' as const), protocol: fc.constantFrom('tcp' as const, 'udp' as const, 'sctp' as const), addr: v6, port: fc.nat(65535) }),
    fc.record({ kind: fc.constant('fwmark' as const), af: fc.constantFrom('inet' as const, 'inet6' as const), fwmark: fc.integer({ min: 1, max: 0xffffffff }) }),
  );

  it('for services (any family, fwmark or address, flags, persistence, netmask)', () => {
    fc.assert(
      fc.property(key, fc.constantFrom('rr', 'wlc', 'sh', 'mh'), fc.constantFrom(0, 4, 8, 16, 24, 60), fc.nat(100000), fc.nat(128), (k, scheduler, flags, timeout, nm) => {
        const netmask = k.af === 'inet' ? nm % 33 : nm;
        const spec: ServiceSpec = { key: k, scheduler, flags, timeout, netmask };
        const got = dec.decodeService(dec.decodeMessages(kernelServiceReply(spec))[0] as dec.NlMessage);
        const canon: ServiceKey = k.kind === 'addr' ? { ...k, addr: canonicalIp(k.addr) ?? 'unparsable' } : k;
        expect(got).toEqual({ key: canon, scheduler, flags, timeout, netmask, dests: [] });
      }),
    );
  });

  it('for destinations', () => {
    fc.assert(
      fc.property(v4, fc.nat(65535), fc.constantFrom('masq' as const, 'local' as const, 'tunnel' as const, 'route' as const, 'bypass' as const), fc.nat(0x7fffffff), fc.nat(0xffffffff), fc.nat(0xffffffff), (addr, port, fwd, weight, u, l) => {
        const d: DestSpec = { af: 'inet', addr, port, fwd, weight, uThresh: u, lThresh: l };
        const nest = ref.destFullAttrs(d);
        const msg = ref.encodeRequest({ family: 0x22, flags: C.NLM_F_MULTI, seq: 1, cmd: C.IPVS_CMD_NEW_DEST, attrs: [ref.attrNested(C.IPVS_CMD_ATTR_DEST, nest)] });
        const got = dec.decodeDest(dec.decodeMessages(msg)[0] as dec.NlMessage, 'inet');
        expect(got).toEqual({ ...d, activeConns: 0, inactConns: 0, persistConns: 0 });
      }),
    );
  });
});
