// The IPVS contract on a real kernel through netlink and through ipvsadm. Runs only inside the
// QEMU guest (`make test-kernel` sets LDNG_KERNEL=1); in the guest without it, it fails; anywhere else it skips.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { IpvsadmIpvs, NetlinkIpvs } from '../../src/ipvs/index.js';
import { runIpvsContract } from '../contract/ipvs.contract.js';

const run = promisify(execFile);
const enabled = process.env.LDNG_KERNEL === '1';
// Everything is 15-50x slower under TCG emulation.
const timeoutMs = 180_000;

async function rawSave(): Promise<string> {
  return (await run('ipvsadm', ['-S', '-n'])).stdout;
}

if (enabled) {
  runIpvsContract(
    'netlink on the real kernel',
    async () => {
      // The guest's IPVS table is ours alone: start every test from an empty one.
      const ipvs = new NetlinkIpvs({ timeoutMs: 60_000 });
      await ipvs.flush();
      return ipvs;
    },
    { rawSave, timeoutMs },
  );
  runIpvsContract(
    'ipvsadm on the real kernel',
    async () => {
      await run('ipvsadm', ['-C']);
      return new IpvsadmIpvs({ timeoutMs: 60_000 });
    },
    { rawSave, timeoutMs, maxWeight: 65535 },
  );
} else if (process.env.VM_GUEST === '1') {
  // In the guest (test/vm/run sets VM_GUEST=1) a lost LDNG_KERNEL must not turn the kernel run into "1 skipped, exit 0".
  describe('IPVS contract on the real kernel', () => {
    it('runs: LDNG_KERNEL=1 is set in the guest', () => {
      throw new Error('VM_GUEST=1 but LDNG_KERNEL is not "1": the kernel contract would be skipped (run `make test-kernel`)');
    });
  });
} else {
  describe.skip('IPVS contract on the real kernel (needs LDNG_KERNEL=1: run `make test-kernel`)', () => {
    it('runs only inside the QEMU guest', () => undefined);
  });
}
