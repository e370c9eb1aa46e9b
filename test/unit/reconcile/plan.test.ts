// Table-driven tests of desiredState + plan: each case's operations compared as ipvsadm-style text.
import { desiredState } from '../../../src/reconcile/desired.js';
import type { Health, VirtualTarget } from '../../../src/reconcile/desired.js';
import { plan } from '../../../src/reconcile/plan.js';
import type { RetiredService } from '../../../src/reconcile/plan.js';
import { eventMessage, formatOperation } from '../../../src/reconcile/messages.js';
import type { IpvsDest, IpvsService, IpvsState, ServiceSpec } from '../../../src/model/ipvs.js';

const VIP = { kind: 'addr', af: 'inet', protocol: 'tcp', addr: '10.0.0.1', port: 80 } as const;
const SVC: ServiceSpec = { key: VIP, scheduler: 'wlc', flags: 0, timeout: 0, netmask: 32 };

function real(addr: string, weight = 1, port = 80, fwd: 'route' | 'masq' = 'route') {
  return { id: `${addr}:${port}`, af: 'inet', addr, port, fwd, weight, uThresh: 0, lThresh: 0 } as const;
}

function vs(over: Partial<VirtualTarget> = {}): VirtualTarget {
  return { svc: SVC, label: '10.0.0.1:80', reals: [real('10.0.0.2'), real('10.0.0.3')], quiescent: true, readdQuiescent: false, ...over };
}

function dest(addr: string, weight: number, port = 80, fwd: IpvsDest['fwd'] = 'route'): IpvsDest {
  return { af: 'inet', addr, port, fwd, weight, uThresh: 0, lThresh: 0, activeConns: 3, inactConns: 7, persistConns: 0 };
}

function svc(dests: IpvsDest[], over: Partial<ServiceSpec> = {}): IpvsService {
  return { ...SVC, ...over, dests };
}

const FOREIGN: IpvsService = { ...SVC, key: { ...VIP, addr: '192.168.1.1' }, dests: [dest('192.168.1.9', 5)] };

interface Case {
  name: string;
  targets: VirtualTarget[];
  health: Record<string, Health>;
  observed: IpvsService[];
  retired?: RetiredService[];
  want: string[];
}

const cases: Case[] = [
  {
    name: 'a fresh start adds the service but no unchecked real and no fallback yet',
    targets: [vs({ fallback: { af: 'inet', addr: '127.0.0.1', port: 80, fwd: 'route' } })],
    health: {},
    observed: [],
    want: ['-A -t 10.0.0.1:80 -s wlc | Added virtual server: 10.0.0.1:80'],
  },
  {
    name: 'healthy reals are added at their configured weight',
    targets: [vs({ reals: [real('10.0.0.2'), real('10.0.0.3', 3)] })],
    health: { '10.0.0.2:80': 'up', '10.0.0.3:80': 'up' },
    observed: [],
    want: [
      '-A -t 10.0.0.1:80 -s wlc | Added virtual server: 10.0.0.1:80',
      '-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1 | Added real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 1)',
      '-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 3 | Added real server: 10.0.0.3:80 (10.0.0.1:80) (Weight set to 3)',
    ],
  },
  {
    name: 'starting over an existing healthy table changes nothing while checks are pending',
    targets: [vs()],
    health: {},
    observed: [svc([dest('10.0.0.2', 1), dest('10.0.0.3', 0)]), FOREIGN],
    want: [],
  },
  {
    name: 'a down real is quiesced to weight 0 when quiescent=yes',
    targets: [vs()],
    health: { '10.0.0.2:80': 'down', '10.0.0.3:80': 'up' },
    observed: [svc([dest('10.0.0.2', 1), dest('10.0.0.3', 1)])],
    want: ['-e -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 0 | Quiescent real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 0)'],
  },
  {
    name: 'a down real is deleted when quiescent=no',
    targets: [vs({ quiescent: false })],
    health: { '10.0.0.2:80': 'down', '10.0.0.3:80': 'up' },
    observed: [svc([dest('10.0.0.2', 1), dest('10.0.0.3', 1)])],
    want: ['-d -t 10.0.0.1:80 -r 10.0.0.2:80 | Deleted real server: 10.0.0.2:80 (10.0.0.1:80)'],
  },
  {
    name: 'a recovered real is restored to its weight',
    targets: [vs()],
    health: { '10.0.0.2:80': 'up', '10.0.0.3:80': 'up' },
    observed: [svc([dest('10.0.0.2', 0), dest('10.0.0.3', 1)])],
    want: ['-e -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1 | Restored real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 1)'],
  },
  {
    name: 'foreign services are untouched and foreign reals in an owned service are purged',
    targets: [vs()],
    health: { '10.0.0.2:80': 'up', '10.0.0.3:80': 'up' },
    observed: [svc([dest('10.0.0.2', 1), dest('10.0.0.3', 1), dest('10.0.0.99', 1)]), FOREIGN],
    want: ['-d -t 10.0.0.1:80 -r 10.0.0.99:80 | Purged real server (start): 10.0.0.99:80 (10.0.0.1:80)'],
  },
  {
    name: 'the fallback is added before the last real is quiesced',
    targets: [vs({ fallback: { af: 'inet', addr: '127.0.0.1', port: 80, fwd: 'route' } })],
    health: { '10.0.0.2:80': 'down', '10.0.0.3:80': 'down' },
    observed: [svc([dest('10.0.0.2', 0), dest('10.0.0.3', 1)])],
    want: [
      '-a -t 10.0.0.1:80 -r 127.0.0.1:80 -g -w 1 | Added fallback server: 127.0.0.1:80 (10.0.0.1:80) (Weight set to 1)',
      '-e -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 0 | Quiescent real server: 10.0.0.3:80 (10.0.0.1:80) (Weight set to 0)',
    ],
  },
  {
    name: 'the fallback is deleted once a real is up again',
    targets: [vs({ fallback: { af: 'inet', addr: '127.0.0.1', port: 8081, fwd: 'route' } })],
    health: { '10.0.0.2:80': 'up', '10.0.0.3:80': 'down' },
    observed: [svc([dest('10.0.0.2', 0), dest('10.0.0.3', 0), dest('127.0.0.1', 1)])],
    want: [
      '-e -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1 | Restored real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 1)',
      '-d -t 10.0.0.1:80 -r 127.0.0.1:80 | Deleted fallback server: 127.0.0.1:80 mapped from 127.0.0.1:8081 (10.0.0.1:80)',
    ],
  },
  {
    name: 'a gate real on another port matches the kernel entry stored with the virtual port',
    targets: [vs({ reals: [real('10.0.0.2', 1, 8080)] })],
    health: { '10.0.0.2:8080': 'down' },
    observed: [svc([dest('10.0.0.2', 1, 80)])],
    want: ['-e -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 0 | Quiescent real server: 10.0.0.2:80 mapped from 10.0.0.2:8080 (10.0.0.1:80) (Weight set to 0)'],
  },
  {
    name: 'a masq real keeps its own port',
    targets: [vs({ reals: [real('10.0.0.2', 2, 8080, 'masq')] })],
    health: { '10.0.0.2:8080': 'up' },
    observed: [svc([])],
    want: ['-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 2 | Added real server: 10.0.0.2:8080 (10.0.0.1:80) (Weight set to 2)'],
  },
  {
    name: 'a changed scheduler and persistence edit the service in place',
    targets: [vs({ svc: { ...SVC, scheduler: 'rr', timeout: 300, netmask: 24 } })],
    health: {},
    observed: [svc([dest('10.0.0.2', 1), dest('10.0.0.3', 1)])],
    want: ['-E -t 10.0.0.1:80 -s rr -p 300 -M 255.255.255.0 | Changed virtual server: 10.0.0.1:80'],
  },
  {
    name: 'a down real removed by hand stays removed when readdquiescent=no',
    targets: [vs()],
    health: { '10.0.0.2:80': 'down', '10.0.0.3:80': 'up' },
    observed: [svc([dest('10.0.0.3', 1)])],
    want: [],
  },
  {
    name: 'a down real removed by hand is re-added at weight 0 when readdquiescent=yes',
    targets: [vs({ readdQuiescent: true })],
    health: { '10.0.0.2:80': 'down', '10.0.0.3:80': 'up' },
    observed: [svc([dest('10.0.0.3', 1)])],
    want: ['-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 0 | Readd Quiescent real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 0)'],
  },
  {
    name: 'a service removed from the config is purged, a foreign one is not',
    targets: [],
    health: {},
    observed: [svc([dest('10.0.0.2', 1)]), FOREIGN],
    retired: [{ key: VIP, label: '10.0.0.1:80' }],
    want: ['-D -t 10.0.0.1:80 | Purged virtual server (start): 10.0.0.1:80'],
  },
  {
    name: 'the same real in two virtuals follows each virtual’s own health',
    targets: [vs({ reals: [real('10.0.0.2')] }), vs({ svc: { ...SVC, key: { ...VIP, port: 443 } }, label: '10.0.0.1:443', reals: [real('10.0.0.2', 1, 443)] })],
    health: { 'tcp:10.0.0.1:80|10.0.0.2:80': 'up', 'tcp:10.0.0.1:443|10.0.0.2:443': 'down' },
    observed: [svc([dest('10.0.0.2', 0)]), svc([dest('10.0.0.2', 1, 443)], { key: { ...VIP, port: 443 } })],
    want: [
      '-e -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1 | Restored real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 1)',
      '-e -t 10.0.0.1:443 -r 10.0.0.2:443 -g -w 0 | Quiescent real server: 10.0.0.2:443 (10.0.0.1:443) (Weight set to 0)',
    ],
  },
];

describe('plan turns config, health and the observed table into ipvsadm operations', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const observed: IpvsState = { services: c.observed };
    const lookup = (sk: string, id: string) => c.health[`${sk}|${id}`] ?? c.health[id];
    const ops = plan(desiredState(c.targets, lookup, observed), observed, c.retired ? { retired: c.retired } : {});
    expect(ops.map((p) => `${formatOperation(p.op)} | ${eventMessage(p.event)}`)).toEqual(c.want);
  });

  it('is idempotent: planning against the result of applying a plan yields nothing', () => {
    const targets = [vs({ fallback: { af: 'inet', addr: '127.0.0.1', port: 80, fwd: 'route' } })];
    const health = (_s: string, id: string): Health => (id === '10.0.0.2:80' ? 'up' : 'down');
    const desired = desiredState(targets, health, { services: [] });
    const after: IpvsState = {
      services: desired.services.map((s) => ({ ...s.svc, dests: s.dests.map((d) => ({ ...d, activeConns: 0, inactConns: 0, persistConns: 0 })) })),
    };
    expect(plan(desiredState(targets, health, after), after)).toEqual([]);
  });
});
