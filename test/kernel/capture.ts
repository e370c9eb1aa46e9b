// Run inside the QEMU guest (make capture-ipvs): programs the contract's feature set through netlink
// and records the real kernel's reply bytes and ipvsadm's views of it as fixtures.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetlinkIpvs } from '../../src/ipvs/index.js';
import { openRawTransport } from '../../src/ipvs/netlink/socket.js';
import type { NetlinkTransport } from '../../src/ipvs/netlink/socket.js';
import { FEATURE_OPS } from '../contract/ipvs.contract.js';

const root = process.argv[2] ?? '.';

function hexDump(title: string, bufs: readonly Buffer[]): string {
  const lines = [`# ${title}`, '# captured from the kernel in the QEMU guest by test/kernel/capture.ts'];
  for (const b of bufs) {
    lines.push(`# datagram of ${b.length} bytes`);
    for (let i = 0; i < b.length; i += 16) lines.push([...b.subarray(i, i + 16)].map((x) => x.toString(16).padStart(2, '0')).join(' '));
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const raw = await openRawTransport();
  let tape: Buffer[] = [];
  const tap: NetlinkTransport = {
    send: (b) => raw.send(b),
    onData: (cb) => raw.onData((b) => {
      tape.push(Buffer.from(b));
      cb(b);
    }),
    onError: (cb) => raw.onError(cb),
    close: () => raw.close(),
  };
  const ipvs = new NetlinkIpvs({ transport: async () => tap });
  await ipvs.flush();
  const results = await ipvs.apply(FEATURE_OPS);
  if (results.some((r) => !r.ok)) throw new Error(`feature ops failed: ${JSON.stringify(results)}`);
  await ipvs.snapshot();
  tape = [];
  await ipvs.snapshot();
  // tape: [service dump datagram(s)..., then one or more per dest dump]
  writeFileSync(join(root, 'fixtures/netlink/kernel-snapshot.hex'), hexDump('every reply datagram of one snapshot() of the contract feature set (service dump, then one dest dump per service in dump order)', tape));
  tape = [];
  const first = FEATURE_OPS[0];
  if (first?.op === 'addService') await ipvs.addService(first.svc).catch(() => undefined);
  writeFileSync(join(root, 'fixtures/netlink/kernel-eexist.hex'), hexDump('reply to NEW_SERVICE for an existing service (EEXIST)', tape));
  const save = execFileSync('ipvsadm', ['-S', '-n'], { encoding: 'utf8' });
  writeFileSync(join(root, 'fixtures/ipvsadm/kernel-features.save'), save);
  const list = execFileSync('ipvsadm', ['-L', '-n', '--exact', '--thresholds'], { encoding: 'utf8' });
  writeFileSync(join(root, 'fixtures/ipvsadm/kernel-features.thresholds.txt'), list);
  process.stdout.write(`== ipvsadm -S -n ==\n${save}== ipvsadm -L -n --exact --thresholds ==\n${list}`);
  // libipvs sorts with wrapping int subtraction: see where 192.168.0.1 lands against 10.0.0.1.
  await ipvs.flush();
  for (const addr of ['10.0.0.1', '192.168.0.1', '172.16.0.1', '1.2.3.4']) {
    await ipvs.addService({ key: { kind: 'addr', af: 'inet', protocol: 'tcp', addr, port: 80 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: 32 });
  }
  const order = execFileSync('ipvsadm', ['-S', '-n'], { encoding: 'utf8' });
  writeFileSync(join(root, 'fixtures/ipvsadm/kernel-sort-order.save'), order);
  process.stdout.write(`== sort order ==\n${order}`);
  await ipvs.flush();
  await ipvs.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
