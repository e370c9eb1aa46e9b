// Conformance: every real-world config in ../shared/corpus gets upstream's verdict (VERDICTS.md); skipped when absent.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, formatDiagnostic, type Resolver } from '../../parsers/ldirectord-cf/index.js';
import { countReals } from '../../src/model/config.js';

const corpus = join(process.cwd(), '..', 'shared', 'corpus');
const verdicts = join(corpus, 'VERDICTS.md');
const present = existsSync(verdicts);

/** Every host name resolves (as in upstream's verdict runs); trailing digits keep ranges like sql01->sql03 ascending. */
const anyHost: Resolver = {
  resolveHost(name, af) {
    const digits = /(\d+)$/.exec(name)?.[1];
    let h = 0;
    for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) % 250;
    const last = digits !== undefined ? Number(digits) % 250 : h;
    return Promise.resolve(af === 'inet' ? (digits !== undefined ? `10.9.0.${last}` : `10.8.${h}.1`) : `2001:db8:ffff::${last.toString(16)}`);
  },
  resolveService(name) {
    const table: Record<string, number> = { www: 80, http: 80, https: 443, domain: 53, mysql: 3306, ftp: 21, smtp: 25 };
    return Promise.resolve(table[name]);
  },
};

interface Verdict {
  file: string;
  accept: boolean;
  virtuals?: number;
  reals?: number;
  line?: number;
  message?: string;
}

function readVerdicts(): Verdict[] {
  const rows = readFileSync(verdicts, 'utf8').split('\n').filter((l) => /^\| \d{3}-/.test(l));
  return rows.map((row) => {
    const [file, verdict, detail] = row.split('|').slice(1, 4).map((c) => c.trim()) as [string, string, string];
    const counts = /virtuals=(\d+) reals=(\d+)/.exec(detail);
    const at = /^at line (\d+): (.*)$/.exec(detail);
    return {
      file,
      accept: verdict === 'accept',
      ...(counts ? { virtuals: Number(counts[1]), reals: Number(counts[2]) } : {}),
      ...(at ? { line: Number(at[1]), message: at[2]! } : {}),
    };
  });
}

const parse = (text: string, file: string) => parseConfig(text, { file, resolver: anyHost, hostname: 'director' });
const SIP_SAMPLE = '002-clusterlabs-ra-sample-uncommented-DERIVED.cf';

(present ? describe : describe.skip)('the corpus gets upstream verdicts', () => {
  const rows = present ? readVerdicts() : [];

  it('VERDICTS.md lists every corpus file', () => {
    expect(rows.length).toBeGreaterThanOrEqual(15);
  });

  it.each(rows.filter((r) => r.file !== SIP_SAMPLE).map((r) => [r.file, r] as const))('%s', async (file, want) => {
    const r = await parse(readFileSync(join(corpus, file), 'utf8'), file);
    if (want.accept) {
      if (!r.ok) throw new Error(r.diagnostics.map(formatDiagnostic).join('\n'));
      expect([r.config.virtuals.length, countReals(r.config)]).toEqual([want.virtuals, want.reals]);
    } else {
      expect(r.ok).toBe(false);
      if (r.ok) return;
      // upstream stops at its first error; we report all, and that one must be among them, verbatim
      expect(r.diagnostics.map((d) => `${d.line}: ${d.message}`)).toContain(`${want.line}: ${want.message}`);
    }
  });

  it(`${SIP_SAMPLE} is rejected only at its "::5060" reals, with a hint (documented deviation)`, async () => {
    const text = readFileSync(join(corpus, SIP_SAMPLE), 'utf8');
    const r = await parse(text, SIP_SAMPLE);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const lines = text.split('\n');
    const sipLines = lines.flatMap((l, i) => (/::5060/.test(l) ? [i + 1] : []));
    expect(sipLines.length).toBeGreaterThan(0);
    expect(r.diagnostics.map((d) => [d.line, d.code])).toEqual(sipLines.map((n) => [n, 'MISREAD']));
    expect(r.diagnostics[0]!.message).toMatch(/Did you mean real=[\d.]+:5060 gate\?/);
  });

  it(`${SIP_SAMPLE} with the hint applied has upstream's counts`, async () => {
    const want = rows.find((r) => r.file === SIP_SAMPLE)!;
    const r = await parse(readFileSync(join(corpus, SIP_SAMPLE), 'utf8').replace(/::5060/g, ':5060'), SIP_SAMPLE);
    if (!r.ok) throw new Error(r.diagnostics.map(formatDiagnostic).join('\n'));
    expect([r.config.virtuals.length, countReals(r.config)]).toEqual([want.virtuals, want.reals]);
  });
});
