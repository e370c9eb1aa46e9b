// IPVS benchmark (run in the QEMU guest by `make bench-ipvs`): program 10,000 destinations over
// 1,000 services and read them back, through netlink, ipvsadm one process per op (as ldirectord
// does), and one `ipvsadm -R` batch; prints ops/s and the ratios measured in the same guest.
import { execFileSync } from 'node:child_process';
import { IpvsadmIpvs, NetlinkIpvs } from '../src/ipvs/index.js';
import { GenlConnection, encodeOp, openRawTransport } from '../src/ipvs/netlink/index.js';
import * as dec from '../src/ipvs/netlink/decode.js';
import * as enc from '../src/ipvs/netlink/encode.js';
import type { Ipvs } from '../src/ipvs/index.js';
import type { IpvsOp, ServiceKey } from '../src/model/ipvs.js';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 1000);
const DESTS = Number(process.env.BENCH_DESTS ?? 10);
// One process per op costs ~0.1 s under TCG, so by default it runs on a sample of the services.
const PER_OP_SERVICES = Number(process.env.BENCH_PER_OP_SERVICES ?? 30);

function workload(services: number): IpvsOp[] {
  const ops: IpvsOp[] = [];
  for (let i = 0; i < services; i++) {
    const key: ServiceKey = { kind: 'addr', af: 'inet', protocol: 'tcp', addr: `10.${(i >> 8) & 255}.${i & 255}.1`, port: 80 };
    ops.push({ op: 'addService', svc: { key, scheduler: 'wlc', flags: 0, timeout: 0, netmask: 32 } });
    for (let j = 0; j < DESTS; j++) {
      ops.push({ op: 'addDest', svc: key, dest: { af: 'inet', addr: `172.16.${j >> 8}.${(j & 255) + 1}`, port: 8080, fwd: 'masq', weight: 1, uThresh: 0, lThresh: 0 } });
    }
  }
  return ops;
}

interface Row {
  readonly name: string;
  readonly ops: number;
  readonly writeS: number;
  readonly snapshotS: number;
  readonly services: number;
  readonly dests: number;
}

async function flush(): Promise<void> {
  execFileSync('ipvsadm', ['-C']);
}

async function measure(name: string, ipvs: Ipvs, ops: readonly IpvsOp[], write: (ops: readonly IpvsOp[]) => Promise<void>): Promise<Row> {
  await flush();
  const t0 = process.hrtime.bigint();
  await write(ops);
  const t1 = process.hrtime.bigint();
  const snap = await ipvs.snapshot();
  const t2 = process.hrtime.bigint();
  const dests = snap.services.reduce((n, s) => n + s.dests.length, 0);
  const wantDests = ops.filter((o) => o.op === 'addDest').length;
  if (snap.services.length !== ops.length - wantDests || dests !== wantDests) {
    throw new Error(`${name}: read back ${snap.services.length} services / ${dests} dests, wanted ${ops.length - wantDests} / ${wantDests}`);
  }
  return { name, ops: ops.length, writeS: Number(t1 - t0) / 1e9, snapshotS: Number(t2 - t1) / 1e9, services: snap.services.length, dests };
}

async function main(): Promise<void> {
  const full = workload(SERVICES);
  const sample = workload(Math.min(PER_OP_SERVICES, SERVICES));
  const netlink = new NetlinkIpvs({ timeoutMs: 120_000 });
  const adm = new IpvsadmIpvs({ timeoutMs: 1_800_000 });
  const rows: Row[] = [];
  let wireS = 0;

  // The first run pays for V8 compiling our code (slow under TCG); a daemon runs warm.
  for (const label of ['netlink apply() first run (cold JIT)', 'netlink apply() warm']) {
    rows.push(
      await measure(label, netlink, full, async (ops) => {
        const r = await netlink.apply(ops);
        if (r.some((x) => !x.ok)) throw new Error('netlink apply failed');
      }),
    );
  }
  // The floor for netlink: the same ops encoded beforehand, so only the socket and kernel count.
  const wire = await openRawTransport();
  const conn = new GenlConnection(wire, { timeoutMs: 120_000 });
  const famReply = await conn.request(enc.encodeGetFamily('IPVS', conn.nextSeq()), 'family');
  const family = dec.decodeFamily(famReply[0] as dec.NlMessage).id;
  rows.push(
    await measure('netlink pre-encoded (wire only)', netlink, full, async (ops) => {
      const bufs = ops.map((op) => encodeOp(op, family, conn.nextSeq()));
      const t = process.hrtime.bigint();
      for (let i = 0; i < bufs.length; i += 256) {
        const errs = await conn.batch(bufs.slice(i, i + 256), 'bench');
        if (errs.some((e) => e)) throw new Error('wire batch failed');
      }
      wireS = Number(process.hrtime.bigint() - t) / 1e9;
    }),
  );
  conn.close();
  rows.push(
    await measure('netlink one op at a time', netlink, sample, async (ops) => {
      for (const op of ops) {
        if (op.op === 'addService') await netlink.addService(op.svc);
        else if (op.op === 'addDest') await netlink.addDest(op.svc, op.dest);
      }
    }),
  );
  rows.push(
    await measure('ipvsadm -R batch', adm, full, async (ops) => {
      const r = await adm.apply(ops);
      if (r.some((x) => !x.ok)) throw new Error('ipvsadm -R failed');
    }),
  );
  rows.push(
    await measure('ipvsadm one process per op', adm, sample, async (ops) => {
      for (const op of ops) {
        if (op.op === 'addService') await adm.addService(op.svc);
        else if (op.op === 'addDest') await adm.addDest(op.svc, op.dest);
      }
    }),
  );
  await flush();
  await netlink.close();

  // Where netlink's time goes: encoding alone (no I/O) on the same ops, in the same guest.
  const e0 = process.hrtime.bigint();
  full.forEach((op, i) => encodeOp(op, 0x22, i + 1));
  const encodeS = Number(process.hrtime.bigint() - e0) / 1e9;

  const rate = (r: Row): number => r.ops / r.writeS;
  const out: string[] = [`IPVS benchmark: ${SERVICES} services x ${DESTS} dests (${full.length} ops); per-op runs on ${sample.length} ops`];
  out.push('backend                         ops     write s   ops/s      snapshot s (services/dests)');
  for (const r of rows) out.push(`${r.name.padEnd(31)} ${String(r.ops).padStart(6)}  ${r.writeS.toFixed(2).padStart(8)}  ${rate(r).toFixed(0).padStart(8)}   ${r.snapshotS.toFixed(2).padStart(8)} (${r.services}/${r.dests})`);
  const [cold, nl, , , batch, perOp] = rows;
  if (cold && nl && batch && perOp) {
    out.push(`ratio netlink (warm) / ipvsadm one-process-per-op: ${(rate(nl) / rate(perOp)).toFixed(1)}x (target >= 50x; cold: ${(rate(cold) / rate(perOp)).toFixed(1)}x)`);
    out.push(`ratio netlink (warm) / ipvsadm -R batch:           ${(rate(nl) / rate(batch)).toFixed(1)}x (target >= 5x; cold: ${(rate(cold) / rate(batch)).toFixed(1)}x)`);
    out.push(`netlink encoding alone: ${encodeS.toFixed(2)} s for ${full.length} ops (${(full.length / encodeS).toFixed(0)} ops/s); socket + kernel alone: ${wireS.toFixed(2)} s (${(full.length / wireS).toFixed(0)} ops/s)`);
    out.push(`snapshot netlink vs ipvsadm (-S + -L) for ${nl.services} services: ${nl.snapshotS.toFixed(2)} s vs ${batch.snapshotS.toFixed(2)} s`);
  }
  process.stdout.write(`${out.join('\n')}\n${JSON.stringify({ rows, encodeS, wireS }, null, 0)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
