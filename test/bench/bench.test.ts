// The benchmark's pure parts: scenario generation, replay of recorded IPVS writes, table and chart rendering.
import { describe, expect, it } from '@jest/globals';
import { detectionLatencies, opsBetween, parseIpvsadmLog, percentile, programmedAt, diffSnapshots } from '../../bench/lib/record.js';
import { keepalivedConf, ldirectordCf, makeScenario, realAddr, reloadTarget } from '../../bench/lib/scenario.js';
import { parseProcIpvs } from '../../bench/lib/peers.js';
import { chart, table, verdicts } from '../../bench/lib/report.js';
import type { RunResult } from '../../bench/run.js';

describe('scenario', () => {
  it.each([10, 100, 1000, 10000])('N=%i has N reals over N/10 virtuals with 5 %% closed and 5 %% black holes (at least one)', (n) => {
    const s = makeScenario(n);
    expect(s.reals).toHaveLength(n);
    expect(s.virtuals).toHaveLength(n / 10);
    const count = (role: string): number => s.reals.filter((r) => r.role === role).length;
    expect(count('closed')).toBe(Math.max(1, n / 20));
    expect(count('blackhole')).toBe(Math.max(1, n / 20));
    expect(new Set(s.reals.map((r) => r.addr)).size).toBe(n);
  });

  it.each([
    [0, '127.20.0.1'],
    [249, '127.20.0.250'],
    [250, '127.20.1.1'],
    [64000, '127.21.0.1'],
  ])('real %i lives on %s (never a .0 or .255 host octet)', (i, addr) => {
    expect(realAddr(i)).toBe(addr);
  });

  it('writes one ldirectord block per virtual with its 10 reals, ended by a blank line', () => {
    const cf = ldirectordCf(makeScenario(20), { logfile: '/tmp/x.log' });
    expect(cf.match(/^virtual=/gm)).toHaveLength(2);
    expect(cf.match(/^\treal=127\.20\.0\.\d+:18480 masq 1$/gm)).toHaveLength(20);
    expect(cf).toContain('checkinterval=2\nchecktimeout=1\nnegotiatetimeout=1');
    expect(cf).toContain('logfile="/tmp/x.log"');
    expect(cf.split('\n\n').length).toBeGreaterThanOrEqual(3);
  });

  it('changes exactly one line for the reload, in both dialects', () => {
    const s = makeScenario(100);
    const t = reloadTarget(s);
    const diff = (a: string, b: string): number => a.split('\n').filter((l, i) => l !== b.split('\n')[i]).length;
    expect(diff(ldirectordCf(s, { logfile: '/l' }), ldirectordCf(s, { logfile: '/l', weightOverride: { real: t, weight: 2 } }))).toBe(1);
    expect(diff(keepalivedConf(s), keepalivedConf(s, { weightOverride: { real: t, weight: 2 } }))).toBe(1);
    expect(s.reals[t]!.role).toBe('healthy');
  });

  it('gives keepalived the same reals, check and timing', () => {
    const k = keepalivedConf(makeScenario(10));
    expect(k.match(/real_server 127\.20\.0\.\d+ 18480 \{/g)).toHaveLength(10);
    expect(k).toMatch(/delay_loop 2\n/);
    expect(k).toMatch(/connect_timeout 1\n/);
    expect(k).toMatch(/retry 0\n/);
    expect(k).toMatch(/\n {2}alpha\n/);
  });
});

describe('replay of recorded ipvsadm calls', () => {
  const log = [
    '100.000 -L -n',
    '100.010 -A -t 10.200.0.1:80 -s wrr',
    '100.020 -a -t 10.200.0.1:80 -x 0 -y 0 -r 127.20.0.1:18480 -m -w 1',
    '100.030 -d -t 10.200.0.1:80 -r 127.20.0.1:18480',
    '100.040 -R',
    '100.041 -a -t 10.200.0.1:80 -r 127.20.0.1:18480 -m -w 1',
    '100.050 -a -t 10.200.0.1:80 -r 127.20.0.2:18480 -m -w 1',
    '103.000 -d -t 10.200.0.1:80 -r 127.20.0.2:18480',
    '104.000 -e -t 10.200.0.1:80 -r 127.20.0.1:18480 -m -w 0',
    '',
  ].join('\n');
  const { events, reads, calls } = parseIpvsadmLog(log);
  const a = '10.200.0.1:80|127.20.0.1:18480';
  const b = '10.200.0.1:80|127.20.0.2:18480';

  it('counts reads and calls and turns writes into events in ms', () => {
    expect(reads).toBe(1);
    expect(calls).toBe(9);
    expect(events).toHaveLength(7);
    expect(events[0]).toEqual({ t: 100010, kind: 'svc', svc: '10.200.0.1:80' });
  });

  it('finds the instant from which every healthy real stays programmed, ignoring an earlier transient add', () => {
    expect(programmedAt(events, new Set([a, b]), 102_000)).toEqual({ at: 100050, upAtEnd: 2 });
    expect(programmedAt(events, new Set([a, b])).at).toBeUndefined();
  });

  it('measures detection from the black-hole instant to the delete or weight 0', () => {
    const lat = detectionLatencies(events, 102_000, new Set([a, b]));
    expect(lat.get(b)).toBe(1000);
    expect(lat.get(a)).toBe(2000);
  });

  it('splits writes after a reload into the touched real, untouched reals and services', () => {
    expect(opsBetween(events, 100_040, 200_000, a)).toEqual({ touched: 2, untouchedDests: 2, services: 0, firstTouchedAt: 100041 });
  });

  it.each([
    [[1, 2, 3, 4], 50, 2],
    [[1, 2, 3, 4], 99, 4],
    [[5], 99, 5],
    [[], 50, undefined],
  ])('percentile(%j, %i) is %p (nearest rank)', (xs, p, want) => {
    expect(percentile(xs, p)).toBe(want);
  });
});

describe('kernel-side observation', () => {
  it('parses /proc/net/ip_vs hex addresses into the same ids the recorder uses', () => {
    const text = [
      'IP Virtual Server version 1.2.1 (size=4096)',
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port Forward Weight ActiveConn InActConn',
      'TCP  0AC80001:0050 wrr ',
      '  -> 7F140001:4830      Masq    1      0          0         ',
      '  -> 7F140002:4830      Masq    0      0          0         ',
    ].join('\n');
    expect([...parseProcIpvs(text)]).toEqual([
      ['10.200.0.1:80|127.20.0.1:18480', 1],
      ['10.200.0.1:80|127.20.0.2:18480', 0],
    ]);
  });

  it('turns two snapshots into add, change and delete events', () => {
    const ev = diffSnapshots(new Map([['s|a', 1], ['s|b', 1]]), new Map([['s|a', 2], ['s|c', 1]]), 5);
    expect(ev).toEqual([
      { t: 5, kind: 'dest', svc: 's', dest: 'a', weight: 2 },
      { t: 5, kind: 'dest', svc: 's', dest: 'c', weight: 1 },
      { t: 5, kind: 'dest', svc: 's', dest: 'b', weight: null },
    ]);
  });
});

describe('report', () => {
  const base = { virtuals: 100, healthy: 950, programmed: 950, startCapped: false, notes: [], reload: null, peakRssMiB: 50 };
  const results: RunResult[] = [
    { ...base, peer: 'ldirectord-ng', where: 'host', n: 1000, startS: 2, detection: { p50Ms: 1500, p99Ms: 2900, detected: 50, holes: 50, windowS: 60 }, cpu: { seconds: 1, childSeconds: 0, checks: 2000, windowS: 10, perThousandChecksS: 0.5 } },
    { ...base, peer: 'ldirectord', where: 'host', n: 1000, startS: 300, startCapped: true, detection: null, cpu: null },
  ];

  it('prints absolute figures and peer ÷ ours ratios, marking capped runs as lower bounds', () => {
    const t = table(results);
    expect(t).toContain('| host | 1,000 | start → all healthy programmed | 2 s | ≥ 300 s | not run | ≥ 150× | – |');
    expect(t).toContain('| host | 1,000 | detection p99 | 2900 ms | – | not run | – | – |');
  });

  it('judges the detection target and leaves the unmeasured ones pending', () => {
    const v = verdicts(results);
    expect(v[0]).toMatch(/^detection p99 ≤ 3100 ms at 1,000 reals \(host\): PASS/);
    expect(v.some((x) => x.startsWith('RSS ≤ 120 MB at 10,000 reals: PENDING'))).toBe(true);
  });

  it('draws an SVG with one hollow bar for the capped run', () => {
    const svg = chart(results);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(1);
  });
});
