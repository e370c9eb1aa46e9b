// Property tests: arbitrary bytes and mutated real configs never throw; they give a Config or diagnostics.
import fc from 'fast-check';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from './helpers.js';

const seedDir = join(process.cwd(), 'fixtures', 'seed');
const validDir = join(process.cwd(), 'fixtures', 'configs', 'valid');
const corpusDir = join(process.cwd(), '..', 'shared', 'corpus');
const seeds = [seedDir, validDir, corpusDir]
  .filter((d) => existsSync(d))
  .flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.cf')).map((f) => readFileSync(join(d, f), 'utf8')));

async function wellFormed(text: string): Promise<boolean> {
  const r = await parse(text);
  if (r.ok) return Array.isArray(r.config.virtuals) && r.warnings.every((d) => d.severity === 'warning');
  return r.diagnostics.length > 0 && r.diagnostics.some((d) => d.severity === 'error') &&
    r.diagnostics.every((d) => Number.isInteger(d.line) && d.line >= 0 && typeof d.message === 'string' && d.message.length > 0);
}

const fragments = fc.constantFrom(
  'virtual=', 'virtual6=', 'real=', 'real6=', '\t', '    ', ' ', '\n', '\r\n', '#', '"', ':', '->', '[', ']', '=', '10.0.0.1',
  '::1', ':80', ':www', ' gate', ' masq 5', ' l:3', ' u:9', 'checktype=', 'service=', 'fallback=', 'request="/x"', 'quiescent=yes',
  '65536', '0', 'web1', '9999999999', 'supervised', 'emailalertstatus=none,all', 'protocol=fwm',
);

describe('the parser never throws', () => {
  it('on arbitrary strings', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 400 }), wellFormed), { numRuns: 300 });
  });

  it('on arbitrary line soups built from ldirectord.cf fragments', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fragments, { maxLength: 60 }).map((a) => a.join('')), wellFormed), { numRuns: 400 });
  });

  it('on real configs with lines deleted, duplicated, re-indented or cut', async () => {
    expect(seeds.length).toBeGreaterThan(0);
    const mutation = fc.record({
      seed: fc.nat({ max: seeds.length - 1 }),
      ops: fc.array(fc.tuple(fc.constantFrom('delete', 'dup', 'indent', 'dedent', 'cut', 'insert'), fc.nat(), fc.string({ maxLength: 12 })), { maxLength: 8 }),
    });
    await fc.assert(
      fc.asyncProperty(mutation, async ({ seed, ops }) => {
        const lines = seeds[seed]!.split('\n');
        for (const [op, at, s] of ops) {
          const i = lines.length === 0 ? 0 : at % lines.length;
          if (op === 'delete') lines.splice(i, 1);
          else if (op === 'dup') lines.splice(i, 0, lines[i] ?? '');
          else if (op === 'indent') lines[i] = `\t${lines[i] ?? ''}`;
          else if (op === 'dedent') lines[i] = (lines[i] ?? '').replace(/^\s+/, '');
          else if (op === 'cut') lines[i] = (lines[i] ?? '').slice(0, s.length);
          else lines.splice(i, 0, s);
        }
        return wellFormed(lines.join('\n'));
      }),
      { numRuns: 300 },
    );
  });
});
