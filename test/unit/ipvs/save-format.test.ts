// The `ipvsadm -S -n` parser/formatter, the thresholds listing parser and formatOp().
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatOp, formatSave, parseSave, parseThresholdList } from '../../../parsers/ipvsadm/index.js';
import { canonicalIp } from '../../../src/net/ip.js';
import type { IpvsOp } from '../../../src/model/ipvs.js';
import { SVC_FLAG } from '../../../src/model/ipvs.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/ipvsadm');
const read = (name: string): string => readFileSync(join(fixtures, name), 'utf8');

describe('the save format round-trips what the kernel printed', () => {
  it.each(['contract-features.save', 'kernel-features.save', 'kernel-sort-order.save'])('%s parses and prints back byte for byte (sort order included)', (name) => {
    const text = read(name);
    const parsed = parseSave(text);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(formatSave(parsed.state)).toBe(text);
  });

  it('sorts addresses as libipvs does, with its wrapping int subtraction', () => {
    const parsed = parseSave('-A -t 10.0.0.1:80 -s rr\n-A -t 1.2.3.4:80 -s rr\n-A -t 192.168.0.1:80 -s rr\n-A -t 172.16.0.1:80 -s rr\n');
    expect(parsed.ok && formatSave(parsed.state)).toBe(read('kernel-sort-order.save'));
  });

  it('reads the features: persistence, masks, flags, PE, fwmark families', () => {
    const parsed = parseSave(read('contract-features.save'));
    if (!parsed.ok) throw new Error('parse failed');
    const byKey = (k: string) => parsed.state.services.find((s) => JSON.stringify(s.key).includes(k));
    expect(byKey('10.0.0.4')).toMatchObject({ scheduler: 'sh', timeout: 300, netmask: 24, flags: SVC_FLAG.SCHED1 | SVC_FLAG.SCHED2 });
    expect(byKey('2001:db8::1')).toMatchObject({ timeout: 600, netmask: 64 });
    expect(byKey('10.0.0.5')).toMatchObject({ pe: 'sip', timeout: 60 });
    expect(byKey('10.0.0.2')).toMatchObject({ flags: SVC_FLAG.ONEPACKET });
    expect(byKey('"fwmark":6')).toMatchObject({ key: { kind: 'fwmark', af: 'inet6', fwmark: 6 } });
  });

  it.each([
    ['-A -t 10.0.0.1:80 -s rr -b sh-port', 'incompatible scheduler flag'],
    ['-A -t 10.0.0.1 -s rr -M 255.0.255.0 -p 1', 'illegal persistent mask'],
    ['-A -t [2001:db8::1]:80 -s rr -p 10 -M 129', 'illegal ipv6 netmask'],
    ['-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1', 'undefined service'],
    ['-A -t 10.0.0.300:80 -s rr', 'illegal virtual server address'],
    ['-A --bogus', 'unknown option'],
  ])('rejects "%s" with a diagnostic on its line', (line, message) => {
    const parsed = parseSave(`\n${line}\n`);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.diagnostics[0]).toEqual({ line: 2, message: expect.stringContaining(message) });
  });

  it('prints thresholds only when asked (ipvsadm -S never does)', () => {
    const parsed = parseSave('-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 3 -x 10 -y 2\n');
    if (!parsed.ok) throw new Error('parse failed');
    expect(formatSave(parsed.state)).toBe('-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 3\n');
    expect(formatSave(parsed.state, { thresholds: true })).toBe('-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 3 -x 10 -y 2\n');
  });
});

describe('the thresholds listing parser', () => {
  it('reads thresholds and connection counts per service and destination from the kernel capture', () => {
    const listed = parseThresholdList(read('kernel-features.thresholds.txt'));
    expect(listed.size).toBe(8);
    expect(listed.get('tcp:10.0.0.1:80')).toEqual([
      { addr: '10.0.1.1', port: 80, uThresh: 0, lThresh: 0, activeConns: 0, inactConns: 0 },
      { addr: '10.0.1.2', port: 8080, uThresh: 100, lThresh: 10, activeConns: 0, inactConns: 0 },
      { addr: '10.0.1.3', port: 80, uThresh: 0, lThresh: 0, activeConns: 0, inactConns: 0 },
    ]);
    expect(listed.get('fwm:inet6:6')?.map((d) => d.addr)).toEqual(['2001:db8::20']);
  });
});

describe('formatOp renders operations as ipvsadm arguments', () => {
  const web = { kind: 'addr', af: 'inet', protocol: 'tcp', addr: '10.0.0.1', port: 80 } as const;
  it.each<[IpvsOp, string]>([
    [{ op: 'addDest', svc: web, dest: { af: 'inet', addr: '10.0.0.2', port: 80, fwd: 'route', weight: 1, uThresh: 0, lThresh: 0 } }, '-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1'],
    [{ op: 'editDest', svc: web, dest: { af: 'inet', addr: '10.0.0.2', port: 8080, fwd: 'masq', weight: 0, uThresh: 100, lThresh: 10 } }, '-e -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 0 -x 100 -y 10'],
    [{ op: 'deleteDest', svc: { kind: 'fwmark', af: 'inet6', fwmark: 7 }, dest: { af: 'inet6', addr: '2001:db8::2', port: 0 } }, '-d -f 7 -6 -r [2001:db8::2]:0'],
    [{ op: 'addService', svc: { key: { ...web, protocol: 'udp' }, scheduler: 'sh', flags: SVC_FLAG.SCHED1 | SVC_FLAG.ONEPACKET, timeout: 60, netmask: 24 } }, '-A -u 10.0.0.1:80 -s sh -p 60 -M 255.255.255.0 -o -b sh-fallback'],
    [{ op: 'editService', svc: { key: { kind: 'addr', af: 'inet6', protocol: 'sctp', addr: '2001:db8::1', port: 9 }, scheduler: 'rr', flags: SVC_FLAG.SCHED3, timeout: 0, netmask: 128, pe: 'sip' } }, '-E --sctp-service [2001:db8::1]:9 -s rr --pe sip -b flag-3'],
    [{ op: 'deleteService', key: web }, '-D -t 10.0.0.1:80'],
  ])('%j -> %s', (op, text) => {
    expect(formatOp(op)).toBe(text);
  });
});

describe('addresses are canonical', () => {
  it.each([
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['::ffff:10.0.0.1', '::ffff:10.0.0.1'],
    ['0:0:0:0:0:0:a00:1', '::10.0.0.1'],
    ['::2', '::2'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['10.0.0.1', '10.0.0.1'],
    ['10.0.0.256', undefined],
    ['1::2::3', undefined],
  ])('%s -> %s', (text, want) => {
    expect(canonicalIp(text)).toBe(want);
  });
});
