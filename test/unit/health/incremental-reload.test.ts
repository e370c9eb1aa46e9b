// A one-line reload through the daemon's remembering parse (makeParse): the check plan, the targets and the
// reconcile pass treat unchanged virtuals by identity, so the re-plan costs what changed (issue 16 item 4).
import { jest } from '@jest/globals';
import { staticResolver } from '../../../parsers/ldirectord-cf/index.js';
import { ManualClock } from '../../../src/clock.js';
import type { CheckResult, CheckSpec } from '../../../src/checks/types.js';
import { makeParse } from '../../../src/config/load.js';
import { HealthScheduler } from '../../../src/health/index.js';
import { CheckPlanner, planChecks } from '../../../src/health/spec.js';
import type { Config } from '../../../src/model/config.js';
import { desiredState, plan, targetsFromConfig } from '../../../src/reconcile/index.js';

/** 8 virtuals of 3 reals; `w` is the weight of 10.2.7.3, `extra` adds a fourth real to virtual 7. */
function cf(w = 1, extra = false): string {
  let out = 'checkinterval=10\nnegotiatetimeout=4\nquiescent=no\n';
  for (let v = 0; v < 8; v++) {
    out += `virtual=10.1.${v}.1:80\n`;
    for (let r = 1; r <= 3; r++) out += `\treal=10.2.${v}.${r}:80 masq ${v === 7 && r === 3 ? w : 1}\n`;
    if (extra && v === 7) out += '\treal=10.2.7.4:80 masq 1\n';
    out += '\tservice=http\n\n';
  }
  return out;
}

const hosts = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => [1, 2, 3].map((r) => `10.2.${from + i}.${r}`)).flat();

async function parser(): Promise<(text: string) => Promise<Config>> {
  const parse = makeParse(staticResolver());
  return async (text) => {
    const r = await parse(text, '/etc/ha.d/ldirectord.cf');
    if (!r.ok) throw new Error(r.errors.join('\n'));
    return r.config;
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

describe('incremental reload (issue 16 item 4)', () => {
  it('the check planner keeps the job objects of unchanged virtuals; only the changed virtual is planned again', async () => {
    const parse = await parser();
    const planner = new CheckPlanner();
    const before = planner.plan(await parse(cf(1)), { hostname: 'director' });
    const b = await parse(cf(2));
    const delta = planner.replan(b, { hostname: 'director' })!;
    // Weight is part of upstream's real id: the changed real is a new job, its neighbours keep their ids (new jobs).
    expect(delta.removed).toEqual([before.find((j) => j.spec.host === '10.2.7.3')!.id]);
    expect(delta.added.map((j) => j.spec.host)).toEqual(['10.2.7.1', '10.2.7.2', '10.2.7.3']);
    expect(delta.added.filter((j) => before.some((o) => o.id === j.id)).map((j) => j.spec.host)).toEqual(['10.2.7.1', '10.2.7.2']);
    // The delta applied to the last plan is the fresh plan of the new config.
    const applied = new Map(before.map((j) => [j.id, j]));
    for (const id of delta.removed) applied.delete(id);
    for (const j of delta.added) applied.set(j.id, j);
    const fresh = planChecks(b, { hostname: 'director' });
    expect(new Map([...applied].map(([id, j]) => [id, [j.spec, j.members]]))).toEqual(new Map(fresh.map((j) => [j.id, [j.spec, j.members]])));
    // Nothing changed: an empty delta; a changed global: no delta (the caller plans everything).
    expect(planner.replan(b, { hostname: 'director' })).toEqual({ added: [], removed: [] });
    expect(planner.replan(await parse(cf(2).replace('checkinterval=10', 'checkinterval=11')), { hostname: 'director' })).toBeUndefined();
  });

  it('an id checked for two virtuals, or virtuals added or removed: no delta, the whole plan', async () => {
    const parse = await parser();
    const planner = new CheckPlanner();
    planner.plan(await parse(cf(1)), { hostname: 'director' });
    expect(planner.replan(await parse(`${cf(1)}virtual=10.1.9.1:80\n\treal=10.2.9.1:80 masq\n\tservice=http\n`), { hostname: 'director' })).toBeUndefined();
    planner.plan(await parse(`${cf(1)}virtual=10.1.9.1:80\n\treal=10.2.0.1:80 masq\n\tservice=http\n`), { hostname: 'director' });
    expect(planner.replan(await parse(`${cf(2)}virtual=10.1.9.1:80\n\treal=10.2.0.1:80 masq\n\tservice=http\n`), { hostname: 'director' })).toBeUndefined();
  });

  it('unchanged reals keep their state and schedule, a changed one is checked at once, a removed one stops', async () => {
    const parse = await parser();
    const clock = new ManualClock();
    const calls: { host: string; at: number }[] = [];
    const checker = (spec: CheckSpec): Promise<CheckResult> => {
      calls.push({ host: spec.host, at: clock.now() });
      return Promise.resolve({ ok: true });
    };
    const s = new HealthScheduler(await parse(cf(1, true)), { clock, checkers: () => checker, onTransition: () => undefined, staggerMs: 0, reverseLookup: () => Promise.resolve(undefined) });
    clock.advance(0);
    await settle();
    expect(calls).toHaveLength(25);
    clock.advance(3000);
    await settle();
    const replan = jest.spyOn(CheckPlanner.prototype, 'replan');
    s.update(await parse(cf(2)));
    clock.advance(0);
    await settle();
    // At once: only the changed real (new id); the others answer from memory, without a check.
    expect(calls.slice(25)).toEqual([{ host: '10.2.7.3', at: 3000 }]);
    expect(s.lookup('tcp:10.1.7.1:80', '10.2.7.3:80')).toBe('up');
    expect(s.lookup('tcp:10.1.0.1:80', '10.2.0.1:80')).toBe('up');
    expect(s.lookup('tcp:10.1.7.1:80', '10.2.7.4:80')).toBeUndefined();
    // Through the delta (one virtual changed), not the whole plan.
    expect(replan.mock.results.map((r) => r.value === undefined)).toEqual([false]);
    // The unchanged ones keep their phase: next checked at t = 10 s; the removed real never again.
    clock.advance(6999);
    await settle();
    expect(calls).toHaveLength(26);
    clock.advance(1);
    await settle();
    expect(calls.slice(26).map((c) => c.host).sort()).toEqual(hosts(0, 8).filter((h) => h !== '10.2.7.3'));
    clock.advance(30_000);
    await settle();
    expect(calls.filter((c) => c.host === '10.2.7.4')).toHaveLength(1);
    replan.mockRestore();
    await s.stop();
  });

  it('targets, desired services and their plans of unchanged virtuals are the same objects; the plan writes the one change', async () => {
    const parse = await parser();
    const a = await parse(cf(1));
    const b = await parse(cf(2));
    const ta = targetsFromConfig(a);
    const tb = targetsFromConfig(b);
    expect(tb.slice(0, 7).every((t, i) => t === ta[i])).toBe(true);
    expect(tb[7]).not.toBe(ta[7]);
    const observed = { services: [], daemons: [] };
    const up = (): 'up' => 'up';
    const da = desiredState(ta, up, observed);
    const db = desiredState(tb, up, observed);
    expect(db.services.slice(0, 7).every((s, i) => s === da.services[i])).toBe(true);
    expect(db.services[7]).not.toBe(da.services[7]);
    // Health is an input: a real going down gives a new desired service for its virtual only.
    const dc = desiredState(tb, (sk, id) => (id === '10.2.0.2:80' ? 'down' : 'up'), observed);
    expect(dc.services.map((s, i) => s === db.services[i])).toEqual([false, true, true, true, true, true, true, true]);
    expect(dc.services[0]!.dests).toHaveLength(2);
    expect(plan(db, observed).filter((p) => p.op.op === 'addDest')).toHaveLength(24);
  });
});
