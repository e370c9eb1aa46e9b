// The IPVS contract on a real kernel through netlink and through ipvsadm. Runs only inside the
// QEMU guest (`make test-kernel` sets LDNG_KERNEL=1); anywhere else it skips.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { IpvsadmIpvs, NetlinkIpvs } from '../../src/ipvs/index.js';
import type { Ipvs } from '../../src/ipvs/index.js';
import { runIpvsContract } from '../contract/ipvs.contract.js';

const run = promisify(execFile);
const enabled = process.env.LDNG_KERNEL === '1';
// Everything is 15-50x slower under TCG emulation.
const timeoutMs = 180_000;

async function rawSave(): Promise<string> {
  return (await run('ipvsadm', ['-S', '-n'])).stdout;
}

/** The guest has only lo: the sync daemon cases get a dummy interface (up, MTU 1500, an address). */
const SYNC_IFACE = 'ldsync0';
let syncIface: Promise<void> | undefined;
function ensureSyncInterface(): Promise<void> {
  syncIface ??= (async () => {
    await run('ip', ['link', 'add', SYNC_IFACE, 'type', 'dummy']).catch(() => undefined);
    await run('ip', ['link', 'set', SYNC_IFACE, 'mtu', '1500', 'up']);
    await run('ip', ['addr', 'replace', '10.99.0.1/24', 'dev', SYNC_IFACE]);
  })();
  return syncIface;
}

/** Every test starts with no sync daemon running (they outlive a flush). */
async function stopDaemons(ipvs: Ipvs): Promise<void> {
  for (const d of await ipvs.listDaemons()) await ipvs.stopDaemon(d.state);
}

if (enabled) {
  runIpvsContract(
    'netlink on the real kernel',
    async () => {
      // The guest's IPVS table is ours alone: start every test from an empty one.
      const ipvs = new NetlinkIpvs({ timeoutMs: 60_000 });
      await ensureSyncInterface();
      await stopDaemons(ipvs);
      await ipvs.flush();
      return ipvs;
    },
    { rawSave, timeoutMs, syncInterface: SYNC_IFACE },
  );
  runIpvsContract(
    'ipvsadm on the real kernel',
    async () => {
      const ipvs = new IpvsadmIpvs({ timeoutMs: 60_000 });
      await ensureSyncInterface();
      await stopDaemons(ipvs);
      await run('ipvsadm', ['-C']);
      return ipvs;
    },
    { rawSave, timeoutMs, syncInterface: SYNC_IFACE },
  );
} else {
  describe.skip('IPVS contract on the real kernel (needs LDNG_KERNEL=1: run `make test-kernel`)', () => {
    it('runs only inside the QEMU guest', () => undefined);
  });
}
