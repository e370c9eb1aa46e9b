// Golden plans: fixtures/plans/<case>/{config.cf, observed.save, health.json[, programmed.json]} → expected.ops (as text); see test/support/golden.ts.
// programmed.json: the daemon's memory of reals it programmed, as ["<serviceKey>|<destKey>", …] (default none).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, staticResolver } from '../../../parsers/ldirectord-cf/index.js';
import { parseSave } from '../../../parsers/ipvsadm/index.js';
import { desiredState, eventMessage, formatOperation, plan, targetsFromConfig } from '../../../src/reconcile/index.js';
import type { Health } from '../../../src/reconcile/index.js';
import { expectGolden } from '../../support/golden.js';

const ROOT = join(process.cwd(), 'fixtures/plans');
const cases = existsSync(ROOT) ? readdirSync(ROOT).sort() : [];
const resolver = staticResolver({ services: { http: 80, https: 443 } });

describe('golden plans over fixtures/plans', () => {
  it.each(cases)('%s plans exactly expected.ops', async (name) => {
    const dir = join(ROOT, name);
    const parsed = await parseConfig(readFileSync(join(dir, 'config.cf'), 'utf8'), { file: 'config.cf', resolver });
    if (!parsed.ok) throw new Error(`config.cf does not parse: ${JSON.stringify(parsed.diagnostics)}`);
    const saved = parseSave(readFileSync(join(dir, 'observed.save'), 'utf8'));
    if (!saved.ok) throw new Error(`observed.save does not parse: ${JSON.stringify(saved.diagnostics)}`);
    const health = JSON.parse(readFileSync(join(dir, 'health.json'), 'utf8')) as Record<string, Health>;
    const lookup = (sk: string, id: string) => health[`${sk}|${id}`] ?? health[id];
    const observed = saved.state;
    const memFile = join(dir, 'programmed.json');
    const programmed = new Set(existsSync(memFile) ? (JSON.parse(readFileSync(memFile, 'utf8')) as string[]) : []);
    const ops = plan(desiredState(targetsFromConfig(parsed.config), lookup, observed, programmed), observed);
    const text = ops.map((p) => `${formatOperation(p.op)}\t# ${eventMessage(p.event)}\n`).join('');
    expectGolden(join(dir, 'expected.ops'), text);
  });
});
