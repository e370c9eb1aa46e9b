// Decodes reply bytes captured from Debian's 6.1 kernel (fixtures/netlink/kernel-*.hex) and checks
// them against the golden ipvsadm text the same kernel printed.
import { readFileSync } from 'node:fs';
import { formatSave } from '../../../parsers/ipvsadm/index.js';
import * as dec from '../../../src/ipvs/netlink/decode.js';
import * as C from '../../../src/ipvs/netlink/constants.js';
import type { IpvsService } from '../../../src/model/ipvs.js';
import { FEATURES_SAVE } from '../../contract/ipvs.contract.js';
import { readHex } from './hex.js';

describe('replies captured from the real kernel', () => {
  it('decode to exactly the state ipvsadm -S -n printed', () => {
    const msgs = dec.decodeMessages(readHex('kernel-snapshot'));
    const bySeq = new Map<number, dec.NlMessage[]>();
    for (const m of msgs) bySeq.set(m.seq, [...(bySeq.get(m.seq) ?? []), m]);
    const groups = [...bySeq.values()];
    expect(groups.every((g) => g.at(-1)?.type === C.NLMSG_DONE)).toBe(true);
    const [svcGroup, ...destGroups] = groups.map((g) => g.filter((m) => m.type !== C.NLMSG_DONE));
    const services: IpvsService[] = (svcGroup ?? []).map((m, i) => {
      const svc = dec.decodeService(m);
      return { ...svc, dests: (destGroups[i] ?? []).map((d) => dec.decodeDest(d, svc.key.af)) };
    });
    expect(services.length).toBe(8);
    expect(formatSave({ services })).toBe(readFileSync(FEATURES_SAVE, 'utf8'));
    const web = services.find((s) => s.key.kind === 'addr' && s.key.addr === '10.0.0.1');
    expect(web?.dests.find((d) => d.port === 8080)).toMatchObject({ fwd: 'masq', weight: 5, uThresh: 100, lThresh: 10 });
    expect(web?.stats).toEqual({ conns: 0n, inPkts: 0n, outPkts: 0n, inBytes: 0n, outBytes: 0n });
  });

  it('carry EEXIST for adding an existing service', () => {
    const [m] = dec.decodeMessages(readHex('kernel-eexist'));
    expect(m && m.type === C.NLMSG_ERROR && dec.errnoName(dec.decodeError(m).errno)).toBe('EEXIST');
  });
});
