// Config → kernel service specs: scheduler, persistence and netmask, one-packet, scheduler flags, forwarding, fallback.
import { parseConfig, staticResolver } from '../../../parsers/ldirectord-cf/index.js';
import { netmaskPrefix, targetsFromConfig } from '../../../src/reconcile/index.js';
import type { VirtualTarget } from '../../../src/reconcile/index.js';

async function targets(text: string): Promise<VirtualTarget[]> {
  const r = await parseConfig(text, { file: 't.cf', resolver: staticResolver({ services: { http: 80, domain: 53 } }) });
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return targetsFromConfig(r.config);
}

describe('netmaskPrefix', () => {
  it.each([
    ['255.255.255.0', 'inet', 24],
    ['255.255.255.255', 'inet', 32],
    ['255.255.240.0', 'inet', 20],
    ['0.0.0.0', 'inet', 0],
    ['64', 'inet6', 64],
    [undefined, 'inet6', 128],
  ] as const)('%s (%s) is /%i', (mask, af, want) => {
    expect(netmaskPrefix(mask, af)).toBe(want);
  });
});

describe('targetsFromConfig', () => {
  it('maps persistence, netmask, scheduler flags and forwarding methods', async () => {
    const [t] = await targets(
      'virtual=10.0.0.1:80\n\treal=10.0.0.2:8080 masq 5 l:10 u:100\n\treal=10.0.0.3:80 ipip\n\tscheduler=sh\n\tschedflags=sh-port\n\tpersistent=300\n\tnetmask=255.255.255.0\n\tservice=http\n',
    );
    expect(t!.svc).toEqual({ key: { kind: 'addr', af: 'inet', protocol: 'tcp', addr: '10.0.0.1', port: 80 }, scheduler: 'sh', flags: 0x10, timeout: 300, netmask: 24 });
    expect(t!.reals.map((r) => [r.addr, r.port, r.fwd, r.weight, r.uThresh, r.lThresh])).toEqual([
      ['10.0.0.2', 8080, 'masq', 5, 100, 10],
      ['10.0.0.3', 80, 'tunnel', 1, 0, 0],
    ]);
  });

  it('sets one-packet scheduling only for udp with ops=yes', async () => {
    const [u] = await targets('virtual=10.0.0.1:53\n\treal=10.0.0.2:53 gate\n\tprotocol=udp\n\tops=yes\n\tscheduler=rr\n');
    expect(u!.svc.flags).toBe(0x4);
    expect(u!.svc.key).toMatchObject({ protocol: 'udp' });
  });

  it('keys fwmark services by mark and gives them the global fallback', async () => {
    const [f] = await targets('fallback=127.0.0.1:80 gate\nvirtual=7\n\treal=10.0.0.2 gate\n\tscheduler=wlc\n');
    expect(f!.svc.key).toEqual({ kind: 'fwmark', af: 'inet', fwmark: 7 });
    expect(f!.label).toBe('7');
    expect(f!.fallback).toMatchObject({ addr: '127.0.0.1', fwd: 'route' });
  });
});
