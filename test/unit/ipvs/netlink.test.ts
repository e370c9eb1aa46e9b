// NetlinkIpvs end to end except the syscall: the contract over a fake kernel speaking real bytes,
// plus the faults a real kernel or socket can produce.
import { NetlinkIpvs, IpvsError, FakeIpvs } from '../../../src/ipvs/index.js';
import { runIpvsContract } from '../../contract/ipvs.contract.js';
import { FakeKernelTransport } from './fake-kernel.js';
import type { KernelFaults } from './fake-kernel.js';
import { GenlConnection } from '../../../src/ipvs/netlink/socket.js';
import * as enc from '../../../src/ipvs/netlink/encode.js';
import { readHex } from './hex.js';

runIpvsContract('netlink over a fake kernel', async () => {
  const kernel = new FakeKernelTransport();
  return new NetlinkIpvs({ transport: async () => kernel });
});

runIpvsContract('netlink over a fake kernel that splits every reply into 7-byte reads', async () => {
  const kernel = new FakeKernelTransport(new FakeIpvs(), { chunk: 7 });
  return new NetlinkIpvs({ transport: async () => kernel, batchSize: 3 });
});

function nl(faults: KernelFaults, fake = new FakeIpvs(), timeoutMs = 200): { ipvs: NetlinkIpvs; kernel: FakeKernelTransport } {
  const kernel = new FakeKernelTransport(fake, faults);
  return { ipvs: new NetlinkIpvs({ transport: async () => kernel, timeoutMs }), kernel };
}

async function failure(p: Promise<unknown>): Promise<{ code: string; errno: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof IpvsError) return { code: err.code, errno: err.errno };
    throw err;
  }
  return { code: 'none', errno: 'none' };
}

const fake3 = (): FakeIpvs => FakeIpvs.fromSave('-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -g -w 1\n-A -f 5 -s wlc\n');

describe('NetlinkIpvs turns kernel and socket faults into typed errors', () => {
  it.each([
    ['a kernel without the IPVS family', { noFamily: true }, (x: NetlinkIpvs) => x.probe(), { code: 'IPVS_UNAVAILABLE', errno: 'ENOENT' }],
    ['a write without IPVS loaded', { noFamily: true }, (x: NetlinkIpvs) => x.deleteService({ kind: 'fwmark', af: 'inet', fwmark: 1 }), { code: 'IPVS_UNAVAILABLE', errno: 'ENOENT' }],
    ['a probe without CAP_NET_ADMIN', { eperm: true }, (x: NetlinkIpvs) => x.probe(), { code: 'IPVS_UNAVAILABLE', errno: 'EPERM' }],
    ['a write without CAP_NET_ADMIN', { eperm: true }, (x: NetlinkIpvs) => x.deleteService({ kind: 'fwmark', af: 'inet', fwmark: 1 }), { code: 'IPVS_KERNEL', errno: 'EPERM' }],
    ['a reply that never comes', { drop: 5 }, (x: NetlinkIpvs) => x.snapshot(), { code: 'IPVS_TIMEOUT', errno: 'ETIMEDOUT' }],
    ['a garbled reply', { garble: Buffer.from([0x08, 0, 0, 0, 0x22, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]) }, (x: NetlinkIpvs) => x.snapshot(), { code: 'IPVS_PROTOCOL', errno: 'EPROTO' }],
    ['dumps interrupted more often than the retries allow', { dumpIntr: 10 }, (x: NetlinkIpvs) => x.snapshot(), { code: 'IPVS_DUMP_INTERRUPTED', errno: 'EINTR' }],
  ])('reports %s', async (_what, faults, call, want) => {
    const { ipvs } = nl(faults, fake3());
    expect(await failure(call(ipvs))).toEqual(want);
    await ipvs.close();
  });

  it('retries a dump interrupted by a concurrent change and returns the whole table', async () => {
    const { ipvs, kernel } = nl({ dumpIntr: 2 }, fake3());
    const snap = await ipvs.snapshot();
    expect(snap.services.map((s) => s.dests.length)).toEqual([1, 0]);
    expect(kernel.faults.dumpIntr).toBe(0);
  });

  it('two table reads at once on one socket both succeed (the kernel refuses a second running dump with EBUSY)', async () => {
    const fake = new FakeIpvs();
    await fake.addService({ key: { kind: 'addr', af: 'inet', protocol: 'tcp', addr: '10.0.0.1', port: 80 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: 32 });
    const { ipvs } = nl({}, fake);
    await ipvs.snapshot(); // the socket and the family id are ready: both reads below go out in the same turn
    const [a, b] = await Promise.all([ipvs.snapshot(), ipvs.snapshot()]);
    expect([a.services.length, b.services.length]).toEqual([1, 1]);
  });

  it('answers two requests whose replies arrive merged in one read', async () => {
    let deliver: (b: Buffer) => void = () => undefined;
    const sent: Buffer[] = [];
    const conn = new GenlConnection({ send: async (b) => void sent.push(b), onData: (cb) => (deliver = cb), onError: () => undefined, close: () => undefined }, { timeoutMs: 1000 });
    const first = conn.request(enc.encodeDumpServices(0x22, conn.nextSeq()), 'dump');
    const second = conn.request(enc.encodeGetInfo(0x22, conn.nextSeq()), 'info');
    const seqs = sent.map((b) => b.readUInt32LE(8));
    const reply = (seq: number, hex: string): Buffer => { const b = readHex(hex); b.writeUInt32LE(seq, 8); return b; };
    const svc = reply(seqs[0] ?? 0, 'service-dump-reply');
    // Every message of the dump gets the dump's seq, then the ACK of the second request follows.
    for (let off = 0; off < svc.length; off += svc.readUInt32LE(off)) svc.writeUInt32LE(seqs[0] ?? 0, off + 8);
    const ack = readHex('ack-reply');
    ack.writeUInt32LE(seqs[1] ?? 0, 8);
    ack.writeUInt32LE(seqs[1] ?? 0, 28);
    deliver(Buffer.concat([svc, ack]));
    expect((await first).length).toBe(2);
    expect(await second).toEqual([]);
  });

  it('keeps ops in order across several datagrams of batched requests', async () => {
    const { ipvs, kernel } = nl({});
    const ops = Array.from({ length: 200 }, (_, i) => ({ op: 'addDest' as const, svc: { kind: 'fwmark' as const, af: 'inet' as const, fwmark: 1 }, dest: { af: 'inet' as const, addr: `10.1.${i >> 8}.${(i & 255) + 1}`, port: 0, fwd: 'masq' as const, weight: 1, uThresh: 0, lThresh: 0 } }));
    const results = await ipvs.apply([{ op: 'addService', svc: { key: { kind: 'fwmark', af: 'inet', fwmark: 1 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: 32 } }, ...ops]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(kernel.fake.dump().split('\n').filter((l) => l.startsWith('-a')).length).toBe(200);
  });
});
