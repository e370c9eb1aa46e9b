// The connection sync extension directives (issue 11): values, defaults, cross-checks and -t output.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConfigTest } from '../../../src/cli/config-test.js';
import { errors, ok, parse } from './helpers.js';

const VIRTUAL = 'virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n';

describe('syncdaemon and friends', () => {
  it('are absent by default (the kernel\'s daemons are left alone)', async () => {
    expect((await ok(VIRTUAL)).global.sync).toBeUndefined();
  });

  it('syncdaemon=no is the same as none, with no warning', async () => {
    const r = await parse(`syncdaemon = no\n${VIRTUAL}`);
    expect(r.ok && r.config.global.sync === undefined && r.warnings.length === 0).toBe(true);
  });

  it('take the kernel defaults for what is not written, and syncid 0', async () => {
    const c = await ok(`syncdaemon = both\nsyncinterface = eth1\n${VIRTUAL}`);
    expect(c.global.sync).toEqual({ pos: { file: 't.cf', line: 1 }, mode: 'both', iface: 'eth1', ifacePos: { file: 't.cf', line: 2 }, syncid: 0 });
  });

  it('read every value, canonical group, trailing blanks and CR ignored', async () => {
    const c = await ok(
      `syncdaemon=master \r\nsyncinterface=bond0.100\nsyncid=255\nsyncmaxlen=1400\nsyncgroup=FF05::1:3\nsyncport=9000\nsyncttl=2\n${VIRTUAL}`,
    );
    expect(c.global.sync).toMatchObject({ mode: 'master', iface: 'bond0.100', syncid: 255, maxlen: 1400, group: 'ff05::1:3', port: 9000, ttl: 2 });
  });

  it.each([
    ['syncdaemon=on', "1: syncdaemon must be 'master', 'backup', 'both' or 'no' (got \"on\")"],
    ['syncdaemon=master\nsyncinterface=eth0:1', '2: syncinterface must be a network interface name (1 to 15 characters, no "/", ":" or blanks; got "eth0:1")'],
    ['syncdaemon=master\nsyncinterface=averyveryverylongname', '2: syncinterface must be a network interface name (1 to 15 characters, no "/", ":" or blanks; got "averyveryverylongname")'],
    ['syncdaemon=master\nsyncinterface=eth0\nsyncid=256', '3: syncid must be a number from 0 to 255 (got "256")'],
    ['syncdaemon=master\nsyncinterface=eth0\nsyncid=-1', '3: syncid must be a number from 0 to 255 (got "-1")'],
    ['syncdaemon=backup\nsyncinterface=eth0\nsyncmaxlen=0', '3: syncmaxlen must be a message length from 1 to 65507 (got "0")'],
    ['syncdaemon=backup\nsyncinterface=eth0\nsyncmaxlen=65500\nsyncgroup=ff02::1', '3: syncmaxlen must be at most 65487 with an IPv6 syncgroup (got 65500)'],
    ['syncdaemon=backup\nsyncinterface=eth0\nsyncgroup=10.0.0.1', '3: syncgroup must be an IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast address (got "10.0.0.1")'],
    ['syncdaemon=backup\nsyncinterface=eth0\nsyncgroup=2001:db8::1', '3: syncgroup must be an IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast address (got "2001:db8::1")'],
    ['syncdaemon=both\nsyncinterface=eth0\nsyncport=0', '3: syncport must be a UDP port from 1 to 65535 (got "0")'],
    ['syncdaemon=both\nsyncinterface=eth0\nsyncttl=256', '3: syncttl must be a TTL from 1 to 255 (got "256")'],
    ['syncdaemon=both', '1: syncdaemon = both needs syncinterface = the interface the sync multicast goes through'],
  ])('reject %j', async (text, want) => {
    expect(await errors(`${text}\n${VIRTUAL}`)).toEqual([want]);
  });

  it('warn that sync settings do nothing without syncdaemon', async () => {
    const r = await parse(`syncinterface=eth0\nsyncid=3\n${VIRTUAL}`);
    expect(r.ok && r.warnings.map((w) => `${w.line}: ${w.message}`)).toEqual([
      '1: syncinterface has no effect without syncdaemon = master, backup or both',
      '2: syncid has no effect without syncdaemon = master, backup or both',
    ]);
  });

  it('are global only', async () => {
    expect(await errors('virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tsyncdaemon=master\n')).toEqual([
      expect.stringMatching(/^3: Unknown command .*syncdaemon is a global directive, not valid inside a virtual block/),
    ]);
  });

  it('fail ldirectord -t with FILE:LINE: messages', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ldcf-'));
    const f = join(dir, 'sync.cf');
    writeFileSync(f, `syncdaemon=both\nsyncinterface=eth0\nsyncid=300\n${VIRTUAL}`);
    const err: string[] = [];
    const io = { stdout: { write: () => undefined }, stderr: { write: (s: string) => err.push(s) } };
    expect(await runConfigTest(f, 'test', io)).toBe(2);
    expect(err.join('')).toContain(`${f}:3: syncid must be a number from 0 to 255 (got "300")`);
  });
});
