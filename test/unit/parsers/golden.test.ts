// Golden files: fixtures/configs/valid/*.cf -> *.json (the normalised Config), invalid/*.cf -> *.diag.txt.
// A missing expected file fails; UPDATE_GOLDEN=1 rewrites them and fails the run (review the diff, run again).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, formatDiagnostic } from '../../../parsers/ldirectord-cf/index.js';
import { resolver } from './helpers.js';
import { expectGolden } from '../../support/golden.js';

const root = join(process.cwd(), 'fixtures', 'configs');
const cases = (dir: string) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.cf')).sort();

async function parseFixture(dir: string, name: string) {
  const text = readFileSync(join(root, dir, name), 'utf8');
  return parseConfig(text, { file: `${dir}/${name}`, resolver, hostname: 'director' });
}

describe('valid fixtures normalise to their golden JSON', () => {
  it.each(cases('valid'))('%s', async (name) => {
    const r = await parseFixture('valid', name);
    if (!r.ok) throw new Error(r.diagnostics.map(formatDiagnostic).join('\n'));
    expectGolden(join(root, 'valid', name.replace(/\.cf$/, '.json')), `${JSON.stringify(r.config, null, 2)}\n`);
  });
});

describe('invalid fixtures give their golden diagnostics', () => {
  it.each(cases('invalid'))('%s', async (name) => {
    const r = await parseFixture('invalid', name);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expectGolden(join(root, 'invalid', name.replace(/\.cf$/, '.diag.txt')), `${r.diagnostics.map(formatDiagnostic).join('\n')}\n`);
  });
});
