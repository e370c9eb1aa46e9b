// Golden bytes of the sync daemon messages (written out by hand from ip_vs.h and ip_vs_ctl.c, not
// from the encoder), and the decoding of a GET_DAEMON reply as a 6.1 kernel sends it.
import { decodeDaemon, encodeDelDaemon, encodeDumpDaemons, encodeNewDaemon } from '../../../src/ipvs/netlink/daemon.js';
import { decodeMessages } from '../../../src/ipvs/netlink/decode.js';
import type { NlMessage } from '../../../src/ipvs/netlink/decode.js';
import { IpvsError } from '../../../src/ipvs/index.js';

const hex = (s: string): string => s.replace(/#.*$/gm, '').replace(/\s+/g, '');

describe('sync daemon requests', () => {
  it('NEW_DAEMON with every attribute', () => {
    const got = encodeNewDaemon(0x22, 5, { state: 'master', iface: 'eth1', syncid: 7, maxlen: 1400, group: '239.1.2.3', port: 9000, ttl: 3 });
    expect(got.toString('hex')).toBe(hex(`
      54000000 2200 0500 05000000 00000000   # nlmsghdr: 84 bytes, family 0x22, REQUEST|ACK, seq 5
      09 01 0000                             # genlmsghdr: IPVS_CMD_NEW_DAEMON, version 1
      4000 0300                              # IPVS_CMD_ATTR_DAEMON, 64 bytes
        0800 0100 01000000                   # STATE = 1 (master), host order
        0900 0200 65746831 00 000000         # MCAST_IFN "eth1\\0", padded
        0800 0300 07000000                   # SYNC_ID = 7
        0600 0400 7805 0000                  # SYNC_MAXLEN = 1400, host order
        0800 0500 ef010203                   # MCAST_GROUP = 239.1.2.3, raw in_addr
        0600 0700 2823 0000                  # MCAST_PORT = 9000, host order (the kernel htons() it)
        0500 0800 03 000000                  # MCAST_TTL = 3
    `));
  });

  it('NEW_DAEMON leaves out what is not given (the kernel defaults it, or refuses a missing required one)', () => {
    const got = encodeNewDaemon(0x22, 6, { state: 'backup', iface: 'lo', syncid: 0 });
    expect(got.toString('hex')).toBe(hex(`
      30000000 2200 0500 06000000 00000000
      09 01 0000
      1c00 0300
        0800 0100 02000000                   # STATE = 2 (backup)
        0700 0200 6c6f00 00                  # MCAST_IFN "lo\\0"
        0800 0300 00000000                   # SYNC_ID = 0
    `));
  });

  it('NEW_DAEMON with an IPv6 group uses MCAST_GROUP6', () => {
    const got = encodeNewDaemon(0x22, 1, { state: 'backup', iface: 'lo', syncid: 0, group: 'ff02::81' });
    expect(got.subarray(got.length - 20).toString('hex')).toBe(hex('1400 0600 ff020000000000000000000000000081'));
  });

  it('DEL_DAEMON carries only the state; GET_DAEMON is a dump', () => {
    expect(encodeDelDaemon(0x22, 2, 'backup').toString('hex')).toBe(hex('20000000 2200 0500 02000000 00000000 0a 01 0000 0c00 0300 0800 0100 02000000'));
    expect(encodeDumpDaemons(0x22, 3).toString('hex')).toBe(hex('14000000 2200 0103 03000000 00000000 0b 01 0000'));
  });
});

describe('GET_DAEMON replies', () => {
  const reply = (nest: string): NlMessage => {
    const body = hex(`09 01 0000 ${nest}`);
    const len = 16 + body.length / 2;
    return decodeMessages(Buffer.from(`${len.toString(16).padStart(2, '0')}000000 2200 0200 03000000 00000000 ${body}`.replace(/\s+/g, ''), 'hex'))[0]!;
  };

  it('decodes every value a 6.1 kernel reports (ip_vs_genl_fill_daemon)', () => {
    const m = reply(`
      4000 0300
        0800 0100 02000000
        0c00 0200 6c6473796e633000           # "ldsync0\\0"
        0800 0300 2a000000                   # 42
        0600 0400 c005 0000                  # 1472
        0600 0700 9022 0000                  # 8848
        0500 0800 01 000000                  # 1
        0800 0500 e0000051                   # 224.0.0.81
    `);
    expect(decodeDaemon(m)).toEqual({ state: 'backup', iface: 'ldsync0', syncid: 42, maxlen: 1472, group: '224.0.0.81', port: 8848, ttl: 1 });
  });

  it('decodes a pre-4.3 reply (state, interface and id only)', () => {
    const m = reply('1c00 0300 0800 0100 01000000 0800 0200 65746800 0800 0300 00000000');
    expect(decodeDaemon(m)).toEqual({ state: 'master', iface: 'eth', syncid: 0 });
  });

  it('refuses a reply without the daemon nest or with an unknown state', () => {
    expect(() => decodeDaemon(reply(''))).toThrow(IpvsError);
    expect(() => decodeDaemon(reply('1c00 0300 0800 0100 03000000 0800 0200 65746800 0800 0300 00000000'))).toThrow(/unknown daemon state 3/);
  });
});
