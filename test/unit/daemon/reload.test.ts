// Parse-then-swap reload: unchanged content does nothing, a broken file keeps the old config, a good one swaps.
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigHolder } from '../../../src/config/reload.js';
import { makeParse } from '../../../src/config/load.js';
import { staticResolver } from '../../../parsers/ldirectord-cf/index.js';

const parse = makeParse(staticResolver({ services: { http: 80 } }));
const GOOD = 'virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tservice=http\n';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ldreload-'));
  file = join(dir, 'l.cf');
  writeFileSync(file, GOOD);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function holder(): Promise<ConfigHolder> {
  const r = await ConfigHolder.load(file, parse);
  if (!('holder' in r)) throw new Error(r.errors.join('\n'));
  return r.holder;
}

describe('ConfigHolder', () => {
  it('ignores a touch: same content is not a change', async () => {
    const h = await holder();
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(await h.changedOnDisk()).toBe(false);
    expect((await h.reload(false)).kind).toBe('unchanged');
  });

  it('re-reads unchanged content when forced (SIGHUP)', async () => {
    const h = await holder();
    expect((await h.reload(true)).kind).toBe('reloaded');
  });

  it('keeps the running config when the new file does not parse, and reports file:line errors', async () => {
    const h = await holder();
    const before = h.config;
    writeFileSync(file, `${GOOD}\tbogus=1\n`);
    const r = await h.reload(false);
    expect(r.kind).toBe('failed');
    expect(r.kind === 'failed' && r.errors[0]).toMatch(/l\.cf:4: /);
    expect(h.config).toBe(before);
    // The broken content is remembered: it is not retried until the file changes again.
    expect((await h.reload(false)).kind).toBe('unchanged');
  });

  it('swaps in a config that parses', async () => {
    const h = await holder();
    writeFileSync(file, GOOD.replace('10.0.0.2', '10.0.0.3'));
    const r = await h.reload(false);
    expect(r.kind).toBe('reloaded');
    expect(h.config.virtuals[0]!.reals[0]!.address).toBe('10.0.0.3');
  });

  it('reports an unreadable file at start-up instead of throwing', async () => {
    const r = await ConfigHolder.load(join(dir, 'missing.cf'), parse);
    expect('errors' in r && r.errors[0]).toMatch(/can not open file/);
  });

  it('warns about a missing maintenancedir at start-up and at reload, as -t does', async () => {
    writeFileSync(file, `maintenancedir=${join(dir, 'absent')}\n${GOOD}`);
    const r = await ConfigHolder.load(file, parse);
    expect('warnings' in r && r.warnings).toEqual([`${file}:1: warning: maintenance directory does not exist`]);
    if (!('holder' in r)) throw new Error('no holder');
    const again = await r.holder.reload(true);
    expect(again.kind === 'reloaded' && again.warnings).toEqual([`${file}:1: warning: maintenance directory does not exist`]);
  });

  it('starts from a config the caller already parsed, without reading the file again', async () => {
    const first = await ConfigHolder.load(file, parse);
    if (!('holder' in first)) throw new Error('no holder');
    rmSync(file);
    const r = await ConfigHolder.load(file, parse, { config: first.holder.config, text: GOOD, warnings: [] });
    expect('holder' in r && r.holder.config).toBe(first.holder.config);
  });
});
