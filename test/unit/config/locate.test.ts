// Config lookup (spec §1.4): the search directories first, then the path as typed, from the working directory.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { locateConfig } from '../../../src/config/locate.js';

let root: string;
let cwd: string;
const a = () => join(root, 'a');
const b = () => join(root, 'b');
const work = () => join(root, 'work');

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ldlocate-'));
  for (const d of [a(), b(), work(), join(work(), 'sub')]) mkdirSync(d, { recursive: true });
  cwd = process.cwd();
  process.chdir(work());
});
afterEach(() => {
  process.chdir(cwd);
  rmSync(root, { recursive: true, force: true });
});

describe('locateConfig', () => {
  it('prefers the first search directory, then the second, then the working directory', () => {
    for (const d of [a(), b(), work()]) writeFileSync(join(d, 'x.cf'), 'virtual=10.0.0.1:80\n');
    expect(locateConfig('x.cf', [a(), b()])).toBe(join(a(), 'x.cf'));
    rmSync(join(a(), 'x.cf'));
    expect(locateConfig('x.cf', [a(), b()])).toBe(join(b(), 'x.cf'));
    rmSync(join(b(), 'x.cf'));
    expect(locateConfig('x.cf', [a(), b()])).toBe(join(work(), 'x.cf'));
  });

  it('falls back to a relative path under the working directory and returns it absolute', () => {
    writeFileSync(join(work(), 'sub', 'y.cf'), '');
    expect(locateConfig('sub/y.cf', [a(), b()])).toBe(join(work(), 'sub', 'y.cf'));
    expect(locateConfig('./sub/../sub/y.cf', [a()])).toBe(join(work(), 'sub', 'y.cf'));
  });

  it('skips a directory named like the config and reports nothing found as undefined', () => {
    mkdirSync(join(a(), 'z.cf'));
    writeFileSync(join(b(), 'z.cf'), '');
    expect(locateConfig('z.cf', [a(), b()])).toBe(join(b(), 'z.cf'));
    expect(locateConfig('missing.cf', [a(), b()])).toBeUndefined();
    expect(locateConfig('sub', [])).toBeUndefined();
  });
});
