// The manual (issue 15): ldirectord.cf(5) documents every directive the parser knows, each with its
// default, marks the extensions; both pages render with man(1) without a single warning.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { GLOBAL_DIRECTIVES, VIRTUAL_DIRECTIVES } from '../../../parsers/ldirectord-cf/directives.js';

const CF5 = 'docs/ldirectord.cf.5';
const MAN8 = 'docs/ldirectord.8';
const page = readFileSync(CF5, 'utf8');
/** Directives other issues add (issue 11: connection sync; issue 14: metrics): extensions. */
const EXTENSIONS = ['syncdaemon', 'syncinterface', 'syncid', 'syncmaxlen', 'syncgroup', 'syncport', 'syncttl', 'metrics'];
const BLOCK_LINES = ['virtual', 'virtual6', 'real', 'real6', 'fallback', 'fallback6'];

/** Each `.TP` entry: the directive names its tag lines (.B/.BI/.BR, before `.PD`) introduce, and its text. */
function entries(text: string): { names: string[]; body: string }[] {
  return text.split(/^\.TP\n/m).slice(1).map((chunk) => {
    const tag = /^\.B[IR]? ([a-z0-9]+)(?:=|\\|\s|$)/.exec(chunk);
    return { names: tag ? [tag[1]!] : [], body: chunk };
  });
}
const documented = new Set(entries(page).flatMap((e) => e.names));

describe('ldirectord.cf(5)', () => {
  it('documents every directive the parser accepts', () => {
    const known = [...GLOBAL_DIRECTIVES.keys(), ...VIRTUAL_DIRECTIVES.keys(), ...BLOCK_LINES];
    expect(known.filter((n) => !documented.has(n))).toEqual([]);
  });

  it('documents nothing that is neither a directive nor a listed extension', () => {
    const known = new Set([...GLOBAL_DIRECTIVES.keys(), ...VIRTUAL_DIRECTIVES.keys(), ...BLOCK_LINES, ...EXTENSIONS]);
    expect([...documented].filter((n) => !known.has(n))).toEqual([]);
  });

  it('gives a default for every entry (removed and ignored directives say so)', () => {
    // Tags grouped with .PD 0 share the text of the group's last tag: only entries with text count.
    const hasText = (body: string) => body.split('\n').slice(1).some((l) => l !== '' && !l.startsWith('.PD'));
    const missing = entries(page)
      .filter((e) => e.names.length > 0 && hasText(e.body))
      .filter((e) => !/Default:|Removed directives|Accepted and ignored|Starts a virtual service block|Repeatable/.test(e.body))
      .map((e) => e.names[0]);
    expect(missing).toEqual([]);
  });

  it('lists the extensions in their own section, after the Perl directives', () => {
    const ext = page.slice(page.indexOf('.SS Extensions (ldirectord-ng only)'), page.indexOf('.SH VIRTUAL SERVICES'));
    expect(ext.length).toBeGreaterThan(100);
    for (const n of EXTENSIONS) expect(ext).toMatch(new RegExp(`^\\.B[IR]? ${n}=`, 'm'));
  });

  it('states the limits the checks enforce', () => {
    expect(page).toContain('1 MiB');
    expect(page).toMatch(/200 header lines/);
    expect(page).toMatch(/65536 addresses/);
  });
});

const haveMan = spawnSync('man', ['--version']).status === 0;
(haveMan ? describe : describe.skip)('man -l renders both pages without warnings', () => {
  it.each([CF5, MAN8])('%s', (file) => {
    const r = spawnSync('man', ['--warnings', '-l', file], { env: { ...process.env, MANWIDTH: '80', LC_ALL: 'C.UTF-8', MANPAGER: 'cat', PAGER: 'cat' }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.length).toBeGreaterThan(2000);
    expect(execFileSync('lexgrog', [file], { encoding: 'utf8' })).toMatch(/: "ldirectord(\.cf)? - /);
  });
});
