// ParseMemo: a reload re-reads only the virtual blocks that changed, and its result is always the fresh parse's.
import { ParseMemo, parseConfig, staticResolver, type Resolver } from '../../../parsers/ldirectord-cf/index.js';
import type { Config } from '../../../src/model/config.js';

const opts = { file: '/etc/ha.d/ldirectord.cf', resolver: staticResolver({ hosts: { web: ['10.9.0.1'] } }), hostname: 'director' };

/** `n` virtuals of 3 reals; `w` is the weight of the last real of the last virtual. */
function cf(n: number, w = 1, head = 'checktimeout=3\n'): string {
  let out = `${head}quiescent=no\n`;
  for (let v = 0; v < n; v++) {
    out += `virtual=10.0.${v}.1:80\n`;
    for (let r = 1; r <= 3; r++) out += `\treal=10.1.${v}.${r}:80 masq ${v === n - 1 && r === 3 ? w : 1}\n`;
    out += '\tservice=http\n\t# a comment inside the block\n\trequest="/health"\n\treceive="OK"\n\n';
  }
  return out;
}

async function ok(text: string, memo?: ParseMemo, o: Partial<typeof opts> & { resolver?: Resolver } = {}): Promise<{ config: Config; warnings: readonly unknown[] }> {
  const r = await parseConfig(text, { ...opts, ...o, ...(memo ? { memo } : {}) });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r;
}

describe('ParseMemo (issue 16 item 4)', () => {
  it('a one-line change: unchanged virtuals are the same objects, the changed one is new, and all equals a fresh parse', async () => {
    const memo = new ParseMemo();
    const a = await ok(cf(5, 1), memo);
    const b = await ok(cf(5, 2), memo);
    expect(b).toEqual(await ok(cf(5, 2)));
    for (let i = 0; i < 4; i++) expect(b.config.virtuals[i]).toBe(a.config.virtuals[i]);
    expect(b.config.virtuals[4]).not.toBe(a.config.virtuals[4]);
    expect(b.config.virtuals[4]!.reals[2]!.weight).toBe(2);
    expect(Object.isFrozen(b.config) && Object.isFrozen(b.config.virtuals[4])).toBe(true);
  });

  it('a line inserted above moves every position: nothing stale is reused', async () => {
    const memo = new ParseMemo();
    await ok(cf(3), memo);
    const moved = await ok(`# a new first line\n${cf(3)}`, memo);
    expect(moved).toEqual(await ok(`# a new first line\n${cf(3)}`));
    expect(moved.config.virtuals[0]!.pos.line).toBe(4);
  });

  it('a changed global the virtuals inherit rebuilds them (same blocks, new objects, fresh values)', async () => {
    const memo = new ParseMemo();
    const a = await ok(cf(2), memo);
    const b = await ok(cf(2, 1, 'checktimeout=7\n'), memo);
    expect(b).toEqual(await ok(cf(2, 1, 'checktimeout=7\n')));
    expect(b.config.virtuals[0]).not.toBe(a.config.virtuals[0]);
    expect(b.config.virtuals[0]!.checkTimeout).toBe(7);
  });

  it('a reused block reports its warnings again', async () => {
    const memo = new ParseMemo();
    // "10.6.1" is read as 10.6.0.1 (inet_aton rules): a warning of the second block; the first changes.
    const text = (w: number) => `${cf(1, w)}virtual=10.5.0.1:80\n\treal=10.6.1:80 masq\n\tservice=http\n`;
    const a = await ok(text(1), memo);
    expect(a.warnings).toHaveLength(1);
    const b = await ok(text(2), memo);
    expect(b.config.virtuals[1]).toBe(a.config.virtuals[1]);
    expect(b.warnings).toEqual(a.warnings);
  });

  it('a block that asked the resolver is read again: a name may resolve differently now', async () => {
    const memo = new ParseMemo();
    let addr = '10.9.0.1';
    let calls = 0;
    const resolver: Resolver = { ...staticResolver(), resolveHost: async () => (calls++, addr) };
    const text = `${cf(1)}virtual=10.5.0.1:80\n\treal=web:80 masq\n\tservice=http\n`;
    await ok(text, memo, { resolver });
    addr = '10.9.0.2';
    const b = await ok(text, memo, { resolver });
    expect(calls).toBe(2);
    expect(b.config.virtuals[1]!.reals[0]!.address).toBe('10.9.0.2');
  });

  it('a failed parse leaves the memory of the last good one; errors are those of a fresh parse', async () => {
    const memo = new ParseMemo();
    const a = await ok(cf(3), memo);
    const bad = cf(3).replace('real=10.1.1.2:80 masq 1', 'real=10.1.1.2:80 masquerade 1');
    const r = await parseConfig(bad, { ...opts, memo });
    expect(r).toEqual(await parseConfig(bad, opts));
    expect(r.ok).toBe(false);
    const c = await ok(cf(3), memo);
    expect(c.config.virtuals[1]).toBe(a.config.virtuals[1]);
  });

  it('another file or director name is another scope', async () => {
    const memo = new ParseMemo();
    const a = await ok(cf(2), memo);
    const b = await ok(cf(2), memo, { file: '/etc/ha.d/other.cf' });
    expect(b.config.virtuals[0]).not.toBe(a.config.virtuals[0]);
    expect(b.config.virtuals[0]!.pos.file).toBe('/etc/ha.d/other.cf');
    const c = await ok(cf(2), memo, { file: '/etc/ha.d/other.cf', hostname: 'other' });
    expect(c.config.virtuals[0]).not.toBe(b.config.virtuals[0]);
  });
});
