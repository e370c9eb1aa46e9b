// The daemon's start path stays light: heavy check drivers load only when a config uses them; the bench's recording fake.
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { recordingFake } from '../../../src/daemon/main.js';
import { getChecker, hasChecker, preloadCheckers } from '../../../src/checks/index.js';
import { parseIpvsadmLog } from '../../../bench/lib/record.js';
import type { CheckSpec } from '../../../src/checks/index.js';
import { runDaemonCommand } from '../../../src/cli/daemon-commands.js';
import { makeParse } from '../../../src/config/load.js';
import type { ForegroundRequest } from '../../../src/daemon/main.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const HEAVY = ['got', 'mysql2', 'pg', 'oracledb', 'ldapts'];

/** Static imports reachable from `entry` (relative .js specifiers mapped to .ts; dynamic import() not followed). */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const f = todo.pop()!;
    if (files.has(f)) continue;
    files.add(f);
    const src = readFileSync(f, 'utf8');
    // `import x from '…'`, `import type …` (skipped: erased), `export … from '…'`.
    for (const m of src.matchAll(/^(?:import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)'|^import\s+'([^']+)'/gms)) {
      if (m[1]) continue;
      const spec = m[2] ?? m[3] ?? '';
      if (spec.startsWith('.')) {
        const ts = path.resolve(path.dirname(f), spec).replace(/\.js$/, '.ts');
        if (existsSync(ts)) todo.push(ts);
      } else if (!spec.startsWith('node:')) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
  }
  return { files, packages };
}

describe('daemon start path', () => {
  it('the daemon reloads with the parse that read the config at start, so its first reload reuses unchanged blocks', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ldng-start-parse-'));
    try {
      const cf = path.join(dir, 'ldirectord.cf');
      const text = (w: number) => `supervised=yes\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\nvirtual=10.0.0.9:80\n\treal=10.0.0.3:80 gate ${w}\n`;
      writeFileSync(cf, text(1));
      const parse = makeParse();
      let got: ForegroundRequest | undefined;
      const code = await runDaemonCommand(
        { kind: 'daemon', debug: false, config: cf, command: 'start' },
        { parse, runDir: dir, controlDir: dir, configDirs: [], stdout: () => undefined, stderr: () => undefined, runForeground: async (o) => ((got = o), 0) },
      );
      expect(code).toBe(0);
      expect(got?.parse).toBe(parse);
      const next = await got!.parse!(text(2), cf);
      if (!next.ok) throw new Error(next.errors.join('\n'));
      expect(next.config.virtuals[0]).toBe(got!.initial!.config.virtuals[0]);
      expect(next.config.virtuals[1]).not.toBe(got!.initial!.config.virtuals[1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('imports no check driver statically (got, mysql2, pg, oracledb, ldapts load only when configured)', () => {
    // The walk itself sees drivers where they are imported …
    expect(staticGraph(path.join(ROOT, 'src/checks/mysql.ts')).packages.has('mysql2')).toBe(true);
    const g = staticGraph(path.join(ROOT, 'src/daemon/main.ts'));
    // … and reaches the registry from the daemon's composition root.
    expect(g.files.has(path.join(ROOT, 'src/checks/index.ts'))).toBe(true);
    expect([...g.packages].filter((p) => HEAVY.includes(p))).toEqual([]);
    expect([...g.files].filter((f) => /src\/checks\/(mysql|pgsql|oracle|ldap|http)\.ts$/.test(f))).toEqual([]);
  });
});

describe('lazy check registry', () => {
  const spec = { host: '127.0.0.1', port: 1, protocol: 'tcp', vip: '127.0.0.1', vport: 80, realPort: 1, request: '', receive: '',
    httpMethod: 'GET', login: '', passwd: '', database: '', secret: '', checkTimeoutMs: 500, negotiateTimeoutMs: 500, attempts: 1,
    hostname: 'h' } as const satisfies CheckSpec;

  it('returns the same checker for a name every time, and it runs its module once loaded', async () => {
    expect(getChecker('on')).toBe(getChecker('on'));
    await expect(getChecker('on')(spec, new AbortController().signal)).resolves.toMatchObject({ ok: true });
    await expect(getChecker('off')(spec, new AbortController().signal)).resolves.toMatchObject({ ok: false });
  });

  it('resolves an unknown name down without loading anything', async () => {
    expect(hasChecker('gopher' as never)).toBe(false);
    await expect(getChecker('gopher' as never)(spec, new AbortController().signal)).resolves.toMatchObject({ ok: false });
  });

  it('preloads the modules of the named checks, so their first check runs without waiting for an import', async () => {
    // 'none' is not called before this test: without the preload its first call waits for import().
    await expect(preloadCheckers(['none', 'gopher' as never])).resolves.toBeUndefined();
    let settled: unknown;
    void getChecker('none')(spec, new AbortController().signal).then((r) => (settled = r));
    // A loaded checker answers within a few microtask turns; an import takes far more (module loading is I/O).
    for (let i = 0; i < 3; i++) await Promise.resolve();
    expect(settled).toMatchObject({ ok: true });
    expect(hasChecker('gopher' as never)).toBe(false);
  });
});

describe('recordingFake (LDIRD_FAKE_RECORD)', () => {
  it('appends successful calls in the recording ipvsadm format the bench replays', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ldng-rec-'));
    try {
      const file = path.join(dir, 'calls.log');
      const fake = recordingFake(file);
      const svc = { kind: 'addr', af: 'inet', protocol: 'tcp', addr: '10.0.0.1', port: 80 } as const;
      const before = Date.now();
      await fake.addService({ key: svc, scheduler: 'wrr', flags: 0, timeout: 0, netmask: 32, pe: '' } as never);
      await fake.addDest(svc, { af: 'inet', addr: '127.0.0.2', port: 8080, fwd: 'masq', weight: 3, uThresh: 0, lThresh: 0 } as never);
      await expect(fake.deleteDest(svc, { af: 'inet', addr: '127.0.0.9', port: 1 })).rejects.toThrow(); // not recorded
      await fake.snapshot();
      await fake.deleteDest(svc, { af: 'inet', addr: '127.0.0.2', port: 8080 });
      const r = parseIpvsadmLog(readFileSync(file, 'utf8'));
      expect(r.calls).toBe(4);
      expect(r.reads).toBe(1);
      expect(r.events.map((e) => (e.kind === 'dest' ? `${e.svc}|${e.dest}=${e.weight}` : `svc ${e.svc}`))).toEqual([
        'svc 10.0.0.1:80',
        '10.0.0.1:80|127.0.0.2:8080=3',
        '10.0.0.1:80|127.0.0.2:8080=null',
      ]);
      for (const e of r.events) expect(Math.abs(e.t - before)).toBeLessThan(5000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
