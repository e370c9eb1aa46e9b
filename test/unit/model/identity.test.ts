// One identity for health and reconcile: a health result for a real reaches exactly that real's IPVS
// destination, whatever its forward method, address family, fwmark or port mapping.
import { ok } from '../parsers/helpers.js';
import { planChecks } from '../../../src/health/spec.js';
import { desiredState, targetsFromConfig } from '../../../src/reconcile/index.js';
import type { Health } from '../../../src/reconcile/index.js';
import { destKey, kernelPort, realKey, serviceKey, serviceKeyOf, virtualKey } from '../../../src/model/keys.js';
import type { ForwardMethod } from '../../../src/model/ipvs.js';

const FWD: Record<string, ForwardMethod> = { gate: 'route', masq: 'masq', ipip: 'tunnel' };

const CONFIG = [
  'quiescent=no',
  'virtual=10.0.0.1:80',
  '\treal=10.0.0.2:8080 gate',
  '\treal=10.0.0.3:8080 masq',
  '\treal=10.0.0.4:8081 ipip',
  '\treal=10.0.0.5 masq',
  'virtual6=[2001:db8::1]:443',
  '\treal6=[2001:db8::2]:8443 gate',
  '\treal6=[2001:db8::3]:8443 masq',
  '\treal6=[2001:db8::4]:8444 ipip',
  'virtual=5',
  '\treal=10.0.0.2 gate',
  '\treal=10.0.0.3:8080 masq',
  '\treal=10.0.0.6:9000 ipip',
  'virtual6=6',
  '\treal6=[2001:db8::5]:80 gate',
  '\treal6=[2001:db8::6] masq',
  'virtual=10.0.0.1:53',
  '\tprotocol=udp',
  '\treal=10.0.0.2:5353 masq',
  '\treal=10.0.0.7:5353 gate',
].map((l) => (l.startsWith('virtual') ? `${l}\n\tchecktype=on` : l)).join('\n') + '\n';

describe('shared identity of virtuals and reals', () => {
  it('a health result for one real changes exactly that real’s destination', async () => {
    const config = await ok(CONFIG);
    const jobs = planChecks(config, { hostname: 'director' });
    const targets = targetsFromConfig(config);
    const members = jobs.flatMap((j) => j.members);
    expect(members.length).toBe(config.virtuals.reduce((n, v) => n + v.reals.length, 0));
    for (const v of config.virtuals) {
      const svc = serviceKeyOf(v);
      for (const r of v.reals) {
        const member = members.find((m) => m.virtualKey === virtualKey(v) && m.realKey === realKey(r));
        expect(member).toBeDefined();
        // Only this member is up; every other real is down (quiescent=no: absent).
        const health = (sk: string, id: string): Health => (sk === member!.virtualKey && id === member!.realKey ? 'up' : 'down');
        const desired = desiredState(targets, health, { services: [] });
        const serving = desired.services.flatMap((s) => s.dests.filter((d) => d.weight > 0).map((d) => `${serviceKey(s.svc.key)} ${destKey(d)} ${d.fwd}`));
        const port = kernelPort(svc, FWD[r.forward]!, r.port);
        expect(serving).toEqual([`${serviceKey(svc)} ${destKey({ af: r.af, addr: r.address, port })} ${FWD[r.forward]}`]);
      }
    }
  });

  it('gate and ipip reals of address services take the virtual port; masq and fwmark reals keep theirs', () => {
    const addr = { kind: 'addr', af: 'inet', protocol: 'tcp', addr: '10.0.0.1', port: 80 } as const;
    const fwm = { kind: 'fwmark', af: 'inet', fwmark: 5 } as const;
    expect([kernelPort(addr, 'route', 8080), kernelPort(addr, 'tunnel', 8080), kernelPort(addr, 'masq', 8080)]).toEqual([80, 80, 8080]);
    expect([kernelPort(fwm, 'route', 8080), kernelPort(fwm, 'tunnel', 0), kernelPort(fwm, 'masq', 8080)]).toEqual([8080, 0, 8080]);
  });
});
