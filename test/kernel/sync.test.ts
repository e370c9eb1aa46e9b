// syncdaemon=both through the whole daemon on a real kernel: `ipvsadm -L --daemon` shows the master
// and the backup as the kernel reports them; an unknown interface is logged and the table still
// works; cleanstop stops them. Runs only inside the QEMU guest (`make test-kernel`).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NetlinkIpvs } from '../../src/ipvs/index.js';
import { MemoryLogger } from '../../src/log/types.js';
import { startTestDaemon } from '../support/daemon.js';

const run = promisify(execFile);
const enabled = process.env.LDNG_KERNEL === '1';
const timeoutMs = 180_000;
const IFACE = 'ldsync1';

async function ipvsadm(...args: string[]): Promise<string> {
  return (await run('ipvsadm', args)).stdout;
}

async function withDaemon(configText: string, body: (logger: MemoryLogger) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ldird-ksync-'));
  const cfg = join(dir, 'sync.cf');
  writeFileSync(cfg, configText);
  const ipvs = new NetlinkIpvs({ timeoutMs: 60_000 });
  const logger = new MemoryLogger();
  const daemon = await startTestDaemon({ configPath: cfg, ipvs, logger, resyncMs: 600_000 });
  try {
    await body(logger);
  } finally {
    await daemon.stop('TERM');
    await ipvs.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const VIRTUAL = 'checkinterval=60\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tchecktype=on\n';

if (enabled) {
  describe('syncdaemon= on the real kernel', () => {
    beforeAll(async () => {
      await run('ip', ['link', 'add', IFACE, 'type', 'dummy']).catch(() => undefined);
      await run('ip', ['link', 'set', IFACE, 'mtu', '1500', 'up']);
      await run('ipvsadm', ['-C']);
      for (const s of ['master', 'backup']) await run('ipvsadm', ['--stop-daemon', s]).catch(() => undefined);
    }, timeoutMs);

    it('shows a master and a backup sync daemon in ipvsadm -L --daemon with syncdaemon=both, and cleanstop stops them', async () => {
      await withDaemon(`syncdaemon=both\nsyncinterface=${IFACE}\nsyncid=42\n${VIRTUAL}`, async () => {
        const listed = await ipvsadm('-L', '--daemon');
        process.stdout.write(`ipvsadm -L --daemon after start:\n${listed}`);
        expect(listed).toBe(
          `master sync daemon (mcast=${IFACE}, syncid=42, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n` +
            `backup sync daemon (mcast=${IFACE}, syncid=42, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n`,
        );
        expect(await ipvsadm('-S', '-n')).toBe('-A -t 10.0.0.1:80 -s wrr\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1\n');
      });
      expect(await ipvsadm('-L', '--daemon')).toBe('');
    }, timeoutMs);

    it('logs an unknown syncinterface with file:line and the kernel\'s ENODEV, and programs the table anyway', async () => {
      await withDaemon(`syncdaemon=master\nsyncinterface=ldnosuch9\n${VIRTUAL}`, async (logger) => {
        expect(logger.lines.filter((l) => l.includes('sync daemon'))).toEqual([
          expect.stringMatching(/^Failed to start master sync daemon \(mcast=ldnosuch9, syncid=0\): \/.*\/sync\.cf:2: syncinterface ldnosuch9 is not a network interface of this host \(.*ENODEV\)\)$/),
        ]);
        expect(await ipvsadm('-S', '-n')).toBe('-A -t 10.0.0.1:80 -s wrr\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1\n');
        expect(await ipvsadm('-L', '--daemon')).toBe('');
      });
    }, timeoutMs);
  });
} else if (process.env.VM_GUEST === '1') {
  // In the guest a lost LDNG_KERNEL must not turn this into "skipped, exit 0".
  describe('syncdaemon= on the real kernel', () => {
    it('runs: LDNG_KERNEL=1 is set in the guest', () => {
      throw new Error('VM_GUEST=1 but LDNG_KERNEL is not "1": the sync daemon kernel tests would be skipped (run `make test-kernel`)');
    });
  });
} else {
  describe.skip('syncdaemon= on the real kernel (needs LDNG_KERNEL=1: run `make test-kernel`)', () => {
    it('runs only inside the QEMU guest', () => undefined);
  });
}
