// The sync daemon plan, table-driven: configured × running × ours → steps.
import { planSync, planSyncStop, runsAsAsked, syncTargetsFromConfig } from '../../../src/reconcile/index.js';
import type { SyncStep, SyncTarget } from '../../../src/reconcile/index.js';
import type { SyncDaemon, SyncState } from '../../../src/model/ipvs.js';
import { ok } from '../parsers/helpers.js';

const want = (state: SyncState, more: Partial<SyncDaemon> = {}): SyncDaemon => ({ state, iface: 'eth1', syncid: 7, ...more });
/** What a 6.1 kernel lists for want(state) started with the defaults (interface MTU 1500). */
const kernel = (state: SyncState, more: Partial<SyncDaemon> = {}): SyncDaemon => ({ state, iface: 'eth1', syncid: 7, maxlen: 1472, group: '224.0.0.81', port: 8848, ttl: 1, ...more });
const target = (d: SyncDaemon): SyncTarget => ({ daemon: d, where: 't.cf:1', ifaceWhere: 't.cf:2' });

/** Steps as short text, e.g. "start master", "foreign backup". */
function brief(steps: readonly SyncStep[]): string[] {
  return steps.map((s) => {
    switch (s.kind) {
      case 'start':
        return `start ${s.target.daemon.state}`;
      case 'change':
      case 'adopt':
      case 'foreign':
        return `${s.kind} ${s.running.state}`;
      case 'stop':
        return `stop ${s.running.state}`;
      case 'forget':
        return `forget ${s.state}`;
    }
  });
}

describe('planSync', () => {
  const M = want('master');
  const B = want('backup');
  it.each<[string, SyncDaemon[], SyncDaemon[], [SyncState, SyncDaemon][], string[]]>([
    ['nothing configured, nothing running', [], [], [], []],
    ['nothing configured, a daemon someone runs: left alone, silently', [], [kernel('master')], [], []],
    ['master configured, none running: start', [M], [], [], ['start master']],
    ['both configured, none running: master then backup', [M, B], [], [], ['start master', 'start backup']],
    ['running as configured, ours: nothing', [M, B], [kernel('master'), kernel('backup')], [['master', M], ['backup', B]], []],
    ['running as configured, not ours yet (an earlier instance): adopt', [M], [kernel('master')], [], ['adopt master']],
    ['ours, stopped by someone: start again', [M], [], [['master', M]], ['start master']],
    ['ours with the old syncid after a reload: change', [want('master', { syncid: 9 })], [kernel('master')], [['master', M]], ['change master']],
    ['ours with the old interface after a reload: change', [want('backup', { iface: 'eth2' })], [kernel('backup')], [['backup', B]], ['change backup']],
    ['someone else\'s with other parameters: foreign', [M], [kernel('master', { syncid: 3 })], [], ['foreign master']],
    ['ours replaced by someone else\'s: forget, then foreign', [M], [kernel('master', { iface: 'eth9' })], [['master', M]], ['forget master', 'foreign master']],
    ['both to master on reload: our backup stops', [M], [kernel('master'), kernel('backup')], [['master', M], ['backup', B]], ['stop backup']],
    ['syncdaemon=no on reload: ours stop', [], [kernel('master'), kernel('backup')], [['master', M], ['backup', B]], ['stop master', 'stop backup']],
    ['syncdaemon=no, ours was replaced by someone: forget, leave it', [], [kernel('master', { syncid: 1 })], [['master', M]], ['forget master']],
    ['ours gone and no longer configured: forget', [], [], [['backup', B]], ['forget backup']],
    ['a foreign master does not stop the backup from starting', [M, B], [kernel('master', { port: 9999 })], [], ['foreign master', 'start backup']],
  ])('%s', (_what, desired, observed, owned, steps) => {
    expect(brief(planSync({ desired: desired.map(target), observed, owned: new Map(owned) }))).toEqual(steps);
  });
});

describe('runsAsAsked', () => {
  it.each<[string, SyncDaemon, SyncDaemon, boolean]>([
    ['defaults', want('master'), kernel('master'), true],
    ['a pre-4.3 kernel reports only state, interface and syncid', want('backup', { port: 9000 }), { state: 'backup', iface: 'eth1', syncid: 7 }, true],
    ['another group', want('master', { group: '239.0.0.1' }), kernel('master'), false],
    ['the same group written out', want('master', { group: '224.0.0.81', port: 8848, ttl: 1 }), kernel('master'), true],
    ['another ttl', want('master', { ttl: 2 }), kernel('master'), false],
    ['a master with a non-default maxlen', want('master'), kernel('master', { maxlen: 1000 }), false],
    ['a backup follows a larger MTU by default', want('backup'), kernel('backup', { maxlen: 8972 }), true],
    ['a backup with less than the default', want('backup'), kernel('backup', { maxlen: 1200 }), false],
    ['a backup maxlen the kernel raised to 1024', want('backup', { maxlen: 600 }), kernel('backup', { maxlen: 1024 }), true],
    ['an IPv6 group leaves 1452 by default', want('master', { group: 'ff02::81' }), kernel('master', { group: 'ff02::81', maxlen: 1452 }), true],
  ])('%s: %s', (_what, w, running, match) => {
    expect(runsAsAsked(w, running)).toBe(match);
  });
});

describe('planSyncStop', () => {
  it('stops only ours that still run as we started them', () => {
    const owned = new Map<SyncState, SyncDaemon>([['master', want('master')], ['backup', want('backup')]]);
    expect(planSyncStop([kernel('master'), kernel('backup', { syncid: 2 })], owned).map((d) => d.state)).toEqual(['master']);
    expect(planSyncStop([kernel('master')], new Map())).toEqual([]);
  });
});

describe('syncTargetsFromConfig', () => {
  it('gives none for no sync, one per state with both, with the lines to point at', async () => {
    expect(syncTargetsFromConfig(await ok('virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n'))).toEqual([]);
    const c = await ok('syncdaemon=both\nsyncid=4\nsyncinterface=eth1\nsyncttl=2\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n');
    expect(syncTargetsFromConfig(c)).toEqual([
      { daemon: { state: 'master', iface: 'eth1', syncid: 4, ttl: 2 }, where: 't.cf:1', ifaceWhere: 't.cf:3' },
      { daemon: { state: 'backup', iface: 'eth1', syncid: 4, ttl: 2 }, where: 't.cf:1', ifaceWhere: 't.cf:3' },
    ]);
  });
});
