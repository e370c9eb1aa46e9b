import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '../../src/cli.js';

describe('bin/ldirectord', () => {
  it('before a build says to run make build, with no stack trace (issue 13 item 17)', () => {
    const root = mkdtempSync(join(tmpdir(), 'ldbin-'));
    try {
      mkdirSync(join(root, 'bin'));
      copyFileSync(join(process.cwd(), 'bin', 'ldirectord'), join(root, 'bin', 'ldirectord'));
      writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
      const r = spawnSync(process.execPath, [join(root, 'bin', 'ldirectord'), 'status'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('build first with "make build"');
      expect(r.stderr).not.toMatch(/^\s+at /m);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('parseArgs follows upstream option rules', () => {
  it.each([
    [['start'], { kind: 'daemon', debug: false, config: undefined, command: 'start' }],
    [['-d', 'my.cf', 'status'], { kind: 'daemon', debug: true, config: 'my.cf', command: 'status' }],
    [['--', 'x.cf', 'reload'], { kind: 'daemon', debug: false, config: 'x.cf', command: 'reload' }],
    [['-t'], { kind: 'config-test', config: undefined }],
    [['--config-test', 'a.cf'], { kind: 'config-test', config: 'a.cf' }],
    [['--dump-config', 'a.cf'], { kind: 'dump-config', config: 'a.cf' }],
    [['-v'], { kind: 'version' }],
    [['-?'], { kind: 'help' }],
  ])('%j', (argv, want) => {
    expect(parseArgs(argv)).toEqual(want);
  });

  it.each([[[]], [['bogus']], [['a.cf', 'Start']], [['-x', 'start']], [['--nope']]])(
    'rejects %j as a usage error',
    (argv) => {
      expect(parseArgs(argv).kind).toBe('usage');
    },
  );

  it('stops option processing at the first non-option (require_order)', () => {
    expect(parseArgs(['my.cf', '-d', 'start'])).toEqual({ kind: 'usage', reason: 'unknown command -d' });
  });
});
