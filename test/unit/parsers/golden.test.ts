// Golden files: fixtures/configs/valid/*.cf -> *.json (the normalised Config), invalid/*.cf -> *.diag.txt.
// UPDATE_GOLDEN=1 rewrites the expected files; review the diff before committing it.
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, formatDiagnostic } from '../../../parsers/ldirectord-cf/index.js';
import { resolver } from './helpers.js';

const root = join(process.cwd(), 'fixtures', 'configs');
const update = process.env['UPDATE_GOLDEN'] === '1';
const cases = (dir: string) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.cf')).sort();

async function parseFixture(dir: string, name: string) {
  const text = readFileSync(join(root, dir, name), 'utf8');
  return parseConfig(text, { file: `${dir}/${name}`, resolver, hostname: 'director' });
}

function golden(path: string, actual: string): void {
  if (update || !existsSync(path)) writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

describe('valid fixtures normalise to their golden JSON', () => {
  it.each(cases('valid'))('%s', async (name) => {
    const r = await parseFixture('valid', name);
    if (!r.ok) throw new Error(r.diagnostics.map(formatDiagnostic).join('\n'));
    golden(join(root, 'valid', name.replace(/\.cf$/, '.json')), `${JSON.stringify(r.config, null, 2)}\n`);
  });
});

describe('invalid fixtures give their golden diagnostics', () => {
  it.each(cases('invalid'))('%s', async (name) => {
    const r = await parseFixture('invalid', name);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    golden(join(root, 'invalid', name.replace(/\.cf$/, '.diag.txt')), `${r.diagnostics.map(formatDiagnostic).join('\n')}\n`);
  });
});
