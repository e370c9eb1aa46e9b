// The reconcile loop against FakeIpvs: programs the table, repairs drift, tolerates races, cleans up on stop.
import { ManualClock } from '../../../src/clock.js';
import { FakeIpvs } from '../../../src/ipvs/fake.js';
import { TableModel } from '../../../src/reconcile/table-model.js';
import { MemoryLogger } from '../../../src/log/index.js';
import { Reconciler, targetsFromConfig } from '../../../src/reconcile/index.js';
import { parseConfig, staticResolver } from '../../../parsers/ldirectord-cf/index.js';
import type { Health, VirtualTarget } from '../../../src/reconcile/index.js';

const KEY = { kind: 'addr', af: 'inet', protocol: 'tcp', addr: '10.0.0.1', port: 80 } as const;
const real = (addr: string) => ({ id: `${addr}:80`, af: 'inet', addr, port: 80, fwd: 'route', weight: 1, uThresh: 0, lThresh: 0 }) as const;
const target = (over: Partial<VirtualTarget> = {}): VirtualTarget => ({
  svc: { key: KEY, scheduler: 'rr', flags: 0, timeout: 0, netmask: 32 },
  label: '10.0.0.1:80',
  reals: [real('10.0.0.2'), real('10.0.0.3')],
  quiescent: true,
  readdQuiescent: false,
  ...over,
});

function setup(over: Partial<VirtualTarget> = {}) {
  const ipvs = new FakeIpvs();
  const logger = new MemoryLogger();
  const clock = new ManualClock();
  const health = new Map<string, Health>([
    ['10.0.0.2:80', 'up'],
    ['10.0.0.3:80', 'up'],
  ]);
  const commands: string[] = [];
  const rec = new Reconciler({
    ipvs,
    logger,
    clock,
    health: (_sk, id) => health.get(id),
    runCommand: async (c) => void commands.push(c),
    resyncMs: 1000,
  });
  rec.setTargets([target(over)]);
  return { ipvs, logger, clock, health, rec, commands };
}

const lines = (dump: string) => dump.trim().split('\n');

describe('Reconciler', () => {
  it('programs the configured service and healthy reals and logs upstream lines', async () => {
    const { ipvs, logger, rec } = setup();
    await rec.pass();
    expect(lines(ipvs.dump())).toEqual([
      '-A -t 10.0.0.1:80 -s rr',
      '-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1',
      '-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 1',
    ]);
    expect(logger.lines).toEqual([
      'Added virtual server: 10.0.0.1:80',
      'Added real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 1)',
      'Added real server: 10.0.0.3:80 (10.0.0.1:80) (Weight set to 1)',
    ]);
  });

  it('starting over a table left by a previous daemon changes nothing that is healthy (no flap)', async () => {
    const ipvs = new FakeIpvs();
    ipvs.load('-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1\n-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 1\n');
    const health = new Map<string, Health>();
    const logger = new MemoryLogger();
    const rec = new Reconciler({ ipvs, logger, clock: new ManualClock(), health: (_s, id) => health.get(id) });
    rec.setTargets([target()]);
    ipvs.clearCalls();
    await rec.pass(); // checks still pending
    health.set('10.0.0.2:80', 'up');
    health.set('10.0.0.3:80', 'up');
    await rec.pass(); // first checks passed
    expect(ipvs.ops).toEqual([]);
    expect(logger.lines).toEqual([]);
  });

  it('repairs a change made behind its back on the periodic resync', async () => {
    const { ipvs, clock, rec } = setup();
    rec.start();
    clock.advance(0);
    await rec.whenIdle();
    await ipvs.editDest(KEY, { ...real('10.0.0.2'), weight: 0 });
    await ipvs.deleteDest(KEY, real('10.0.0.3'));
    clock.advance(1000);
    await rec.whenIdle();
    expect(lines(ipvs.dump())).toContain('-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1');
    expect(lines(ipvs.dump())).toContain('-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 1');
    await rec.stop();
  });

  it('treats an add that races with someone else (EEXIST) as done', async () => {
    const { ipvs, logger, rec } = setup();
    ipvs.injectFault({ errno: 'EEXIST', op: 'addDest' });
    const report = await rec.pass();
    expect(report.failed).toBe(0);
    expect(logger.lines.filter((l) => l.includes('failed'))).toEqual([]);
  });

  it('logs a real failure and retries it on the next pass', async () => {
    const { ipvs, logger, rec } = setup();
    ipvs.injectFault({ errno: 'ENOMEM', op: 'addDest' });
    expect((await rec.pass()).failed).toBe(1);
    expect(logger.lines.some((l) => /^system\(ipvsadm -a -t 10\.0\.0\.1:80 -r 10\.0\.0\.2:80 -g -w 1\) failed: .*ENOMEM/.test(l))).toBe(true);
    expect((await rec.pass()).applied).toBe(1);
    expect(lines(ipvs.dump())).toHaveLength(3);
  });

  it('quiesces a real that goes down and restores it when it comes back', async () => {
    const { ipvs, health, logger, rec } = setup();
    await rec.pass();
    health.set('10.0.0.2:80', 'down');
    await rec.pass();
    expect(lines(ipvs.dump())).toContain('-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 0');
    health.set('10.0.0.2:80', 'up');
    await rec.pass();
    expect(logger.lines.slice(3)).toEqual([
      'Quiescent real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 0)',
      'Restored real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 1)',
    ]);
  });

  it('runs fallbackcommand only when the fallback state changes', async () => {
    const { health, rec, commands } = setup({ fallbackCommand: '/usr/local/bin/fb' });
    await rec.pass();
    await rec.pass();
    health.set('10.0.0.2:80', 'down');
    health.set('10.0.0.3:80', 'down');
    await rec.pass();
    await rec.pass();
    expect(commands).toEqual(['/usr/local/bin/fb stop 10.0.0.1:80 tcp', '/usr/local/bin/fb start 10.0.0.1:80 tcp']);
  });

  it('purges a service dropped from the config on the next pass but never a foreign one', async () => {
    const { ipvs, logger, rec } = setup();
    await ipvs.addService({ key: { ...KEY, addr: '10.9.9.9' }, scheduler: 'wlc', flags: 0, timeout: 0, netmask: 32 });
    await rec.pass();
    rec.setTargets([]);
    await rec.pass();
    expect(lines(ipvs.dump())).toEqual(['-A -t 10.9.9.9:80 -s wlc']);
    expect(logger.lines.at(-1)).toBe('Purged virtual server (start): 10.0.0.1:80');
  });

  it('cleanstop deletes the serving reals and the virtual; cleanstop=no leaves everything', async () => {
    const a = setup();
    await a.rec.pass();
    await a.rec.cleanStop();
    expect(a.ipvs.dump().trim()).toBe('');
    expect(a.logger.lines.slice(3)).toEqual([
      'Purged real server (stop): 10.0.0.2:80 (10.0.0.1:80)',
      'Purged real server (stop): 10.0.0.3:80 (10.0.0.1:80)',
      'Purged virtual server (stop): 10.0.0.1:80',
    ]);
    const b = setup({ cleanStop: false });
    await b.rec.pass();
    await b.rec.cleanStop();
    expect(lines(b.ipvs.dump())).toHaveLength(3);
  });

  describe('memory of what it programmed (quiescent=yes, readdquiescent=no)', () => {
    it('adds a real that is down at its first check at weight 0, never at full weight first', async () => {
      const { ipvs, logger, health, rec } = setup();
      health.delete('10.0.0.2:80');
      await rec.pass(); // 10.0.0.2 not checked yet: absent
      expect(lines(ipvs.dump())).toEqual(['-A -t 10.0.0.1:80 -s rr', '-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 1']);
      health.set('10.0.0.2:80', 'down');
      await rec.pass();
      expect(lines(ipvs.dump())).toContain('-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 0');
      expect(logger.lines).toContain('Quiescent real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 0)');
      expect(logger.lines.filter((l) => l.includes('10.0.0.2:80') && l.includes('Weight set to 1'))).toEqual([]);
    });

    it('leaves a real it programmed and someone removed by hand out, also after a reload', async () => {
      const { ipvs, health, rec } = setup();
      await rec.pass();
      await ipvs.deleteDest(KEY, real('10.0.0.2'));
      health.set('10.0.0.2:80', 'down');
      await rec.pass();
      rec.setTargets([target()]); // reload, same config
      await rec.pass();
      expect(lines(ipvs.dump())).toEqual(['-A -t 10.0.0.1:80 -s rr', '-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 1']);
    });

    it('a restart over a table holding our reals remembers them', async () => {
      const ipvs = new FakeIpvs();
      ipvs.load('-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1\n-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 1\n');
      const health = new Map<string, Health>();
      const rec = new Reconciler({ ipvs, logger: new MemoryLogger(), clock: new ManualClock(), health: (_s, id) => health.get(id) });
      rec.setTargets([target()]);
      await rec.pass(); // unchecked: table kept, our reals remembered
      await ipvs.deleteDest(KEY, real('10.0.0.2'));
      health.set('10.0.0.2:80', 'down');
      health.set('10.0.0.3:80', 'up');
      await rec.pass();
      expect(lines(ipvs.dump())).toEqual(['-A -t 10.0.0.1:80 -s rr', '-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 1']);
    });

    it('re-adds at weight 0 with readdquiescent=yes; forgets a real that leaves the config', async () => {
      const { ipvs, health, rec } = setup({ readdQuiescent: true });
      await rec.pass();
      await ipvs.deleteDest(KEY, real('10.0.0.2'));
      health.set('10.0.0.2:80', 'down');
      await rec.pass();
      expect(lines(ipvs.dump())).toContain('-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 0');
      const b = setup();
      await b.rec.pass();
      b.rec.setTargets([target({ reals: [real('10.0.0.3')] })]);
      await b.rec.pass(); // 10.0.0.2 purged
      b.health.set('10.0.0.2:80', 'down');
      b.rec.setTargets([target()]);
      await b.rec.pass(); // back in the config, down: new again, quiesced in
      expect(lines(b.ipvs.dump())).toContain('-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 0');
    });
  });

  it('times a verdict to the completion of the IPVS write carrying it; a verdict needing no write is not counted', async () => {
    const { ipvs, clock, health, rec } = setup();
    await rec.pass();
    expect(rec.verdictToWrite).toEqual({ p50: 0, p99: 0, max: 0, count: 0 });
    health.set('10.0.0.2:80', 'down');
    rec.verdict('tcp:10.0.0.1:80', '10.0.0.2:80');
    clock.advance(40);
    await rec.pass(); // quiesces 10.0.0.2: 40 ms after its verdict
    expect(lines(ipvs.dump())).toContain('-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 0');
    // The histogram keeps 3 significant digits (fixed memory), hence closeTo.
    const ms = (n: number) => expect.closeTo(n, 0);
    expect(rec.verdictToWrite).toEqual({ p50: ms(40), p99: ms(40), max: ms(40), count: 1 });
    // Down, then up again before any pass: the table already says up, nothing is written or counted.
    health.set('10.0.0.3:80', 'up');
    rec.verdict('tcp:10.0.0.1:80', '10.0.0.3:80');
    clock.advance(10);
    await rec.pass();
    expect(rec.verdictToWrite.count).toBe(1);
    // A write that fails is retried by the next pass, which counts from the verdict.
    health.set('10.0.0.2:80', 'up');
    rec.verdict('tcp:10.0.0.1:80', '10.0.0.2:80');
    const apply = ipvs.apply.bind(ipvs);
    ipvs.apply = () => Promise.reject(new Error('netlink socket closed'));
    clock.advance(5);
    await rec.pass();
    ipvs.apply = apply;
    clock.advance(100);
    await rec.pass();
    expect(rec.verdictToWrite).toEqual({ p50: ms(40), p99: ms(105), max: ms(105), count: 2 });
  });

  it('a one-line reload (one weight) at 1,000 reals plans exactly one write: 0 ops on untouched reals', async () => {
    const text = (w: number) =>
      Array.from({ length: 100 }, (_, v) =>
        `virtual=10.200.0.${v + 1}:80\n${Array.from({ length: 10 }, (_, r) => `\treal=127.20.${v}.${r + 1}:80 masq ${v === 99 && r === 9 ? w : 1}\n`).join('')}\tservice=http\n\tscheduler=wrr\n`,
      ).join('');
    const parsed = async (w: number) => {
      const r = await parseConfig(text(w), { file: 't.cf', resolver: staticResolver({ services: { http: 80 } }) });
      if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
      return targetsFromConfig(r.config);
    };
    const ipvs = new FakeIpvs();
    const rec = new Reconciler({ ipvs, logger: new MemoryLogger(), clock: new ManualClock(), health: () => 'up' });
    rec.setTargets(await parsed(1));
    await rec.pass();
    expect(ipvs.dump().split('\n').filter((l) => l.startsWith('-a '))).toHaveLength(1000);
    ipvs.clearCalls();
    rec.setTargets(await parsed(2));
    await rec.pass();
    expect(ipvs.ops).toEqual([
      { op: 'editDest', svc: { kind: 'addr', af: 'inet', protocol: 'tcp', addr: '10.200.0.100', port: 80 }, dest: { af: 'inet', addr: '127.20.99.10', port: 80, fwd: 'masq', weight: 2, uThresh: 0, lThresh: 0 } },
    ]);
  });
});

describe('Reconciler with readMs (passes plan against the last read plus its own writes, issue 16)', () => {
  function withModel() {
    const ipvs = new FakeIpvs();
    const clock = new ManualClock();
    const health = new Map<string, Health>([['10.0.0.2:80', 'up'], ['10.0.0.3:80', 'up']]);
    const rec = new Reconciler({ ipvs, logger: new MemoryLogger(), clock, health: (_sk, id) => health.get(id), resyncMs: 1000, readMs: 5000 });
    rec.setTargets([target()]);
    const reads = () => ipvs.calls.filter((c) => c.op.op === 'snapshot').length;
    return { ipvs, clock, health, rec, reads };
  }

  it('health passes inside readMs write only the change and do not read the kernel', async () => {
    const { ipvs, clock, health, rec, reads } = withModel();
    await rec.pass();
    expect(reads()).toBe(1);
    for (const [addr, h] of [['10.0.0.2', 'down'], ['10.0.0.2', 'up'], ['10.0.0.3', 'down']] as const) {
      clock.advance(500);
      health.set(`${addr}:80`, h);
      ipvs.clearCalls();
      await rec.pass();
      expect([reads(), ipvs.ops.length]).toEqual([0, 1]);
    }
    expect(lines(ipvs.dump())).toEqual(['-A -t 10.0.0.1:80 -s rr', '-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1', '-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 0']);
  });

  it('reads the kernel again after readMs, and repairs what changed behind its back', async () => {
    const { ipvs, clock, rec, reads } = withModel();
    await rec.pass();
    await ipvs.deleteDest(KEY, { af: 'inet', addr: '10.0.0.3', port: 80 });
    clock.advance(1000);
    ipvs.clearCalls();
    await rec.pass();
    expect([reads(), ipvs.ops.length]).toEqual([0, 0]); // the model does not know yet
    clock.advance(4000);
    await rec.pass();
    expect(reads()).toBe(1);
    expect(lines(ipvs.dump())).toContain('-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 1');
  });

  it('a failed write makes the next pass read the kernel', async () => {
    const { ipvs, clock, health, rec, reads } = withModel();
    await rec.pass();
    ipvs.injectFault({ errno: 'ENOMEM', op: 'editDest' });
    health.set('10.0.0.2:80', 'down');
    clock.advance(100);
    ipvs.clearCalls();
    await rec.pass();
    expect(reads()).toBe(0);
    clock.advance(100);
    ipvs.clearCalls();
    await rec.pass();
    expect(reads()).toBe(1);
    expect(lines(ipvs.dump())).toContain('-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 0');
  });

  it('a model starts from the objects of the read it copies: unchanged services stay the same objects until written', async () => {
    const ipvs = new FakeIpvs();
    const other = { ...KEY, addr: '10.0.0.9' };
    for (const key of [KEY, other]) {
      await ipvs.addService({ key, scheduler: 'rr', flags: 0, timeout: 0, netmask: 32 });
      await ipvs.addDest(key, { af: 'inet', addr: '10.0.0.2', port: 80, fwd: 'route', weight: 1, uThresh: 0, lThresh: 0 });
    }
    const read = await ipvs.snapshot();
    const model = (await TableModel.of(read, 0))!;
    const first = await model.snapshot();
    expect(first.services.map((s, i) => s === read.services[i])).toEqual([true, true]);
    await model.apply([{ op: 'editDest', svc: KEY, dest: { af: 'inet', addr: '10.0.0.2', port: 80, fwd: 'route', weight: 2, uThresh: 0, lThresh: 0 } }]);
    const next = await model.snapshot();
    expect(next.services.map((s, i) => s === read.services[i])).toEqual([false, true]);
    expect(next.services[0]!.dests[0]!.weight).toBe(2);
  });

  it('a read equal to the model keeps it (no rebuild, same objects); a read that differs replaces it', async () => {
    const ipvs = new FakeIpvs();
    await ipvs.addService({ key: KEY, scheduler: 'rr', flags: 0, timeout: 0, netmask: 32 });
    const read = await ipvs.snapshot();
    const model = (await TableModel.of(read, 0))!;
    const copy = JSON.parse(JSON.stringify(read)) as typeof read; // another read of the same content: equal, not the same objects
    expect(await model.matches(copy, 7)).toBe(true);
    expect(model.readAt).toBe(7);
    expect((await model.snapshot()).services[0]).toBe(read.services[0]);
    await ipvs.addDest(KEY, { af: 'inet', addr: '10.0.0.2', port: 80, fwd: 'route', weight: 1, uThresh: 0, lThresh: 0 });
    expect(await model.matches(await ipvs.snapshot(), 9)).toBe(false);
    expect(model.readAt).toBe(7);
  });

  it('the pass carrying a config change plans against the model even when a read is due; the next pass reads', async () => {
    const ipvs = new FakeIpvs();
    const clock = new ManualClock();
    const rec = new Reconciler({ ipvs, logger: new MemoryLogger(), clock, health: () => 'up', resyncMs: 100_000, readMs: 5000 });
    const reads = () => ipvs.calls.filter((c) => c.op.op === 'snapshot').length;
    rec.setTargets([target()]);
    rec.start();
    clock.advance(0);
    await rec.whenApplied();
    expect(reads()).toBe(1);
    clock.advance(6000);
    ipvs.clearCalls();
    rec.setTargets([target({ reals: [real('10.0.0.2'), { ...real('10.0.0.3'), weight: 2 }] })]);
    // Started on a microtask: no clock step is needed for a config change.
    await rec.whenApplied();
    expect([reads(), ipvs.ops.map((o) => o.op)]).toEqual([0, ['editDest']]);
    rec.request();
    clock.advance(100);
    await rec.whenIdle();
    expect(reads()).toBe(1);
    await rec.stop();
  });
});
