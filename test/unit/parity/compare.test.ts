// The parity harness's judge (test/parity/compare.mjs): tables as sets, logs as multisets, only listed deviations pass.
// @ts-expect-error plain-Node helper script without type declarations
import { compareRun, perlQuirks } from '../../../test/parity/compare.mjs';
import { parseConfig, staticResolver } from '../../../parsers/ldirectord-cf/index.js';

interface Verdict {
  verdict: 'same' | 'deviation' | 'DIFFERENT';
  ids: string[];
  details: string[];
}
interface Quirks {
  absent: Set<string>;
  absentLabels: Set<string>;
  shared: Set<string>;
}
const judge = compareRun as (perl: { table: string; log: string }, ng: { table: string; log: string }, quirks?: Quirks) => Verdict;

const TABLE = '-A -t 10.15.16.113:80 -s wlc\n-a -t 10.15.16.113:80 -r 10.15.16.39:80 -g -w 1\n-a -t 10.15.16.113:80 -r 10.15.16.43:80 -g -w 0\n';
const reorder = (t: string) => t.trim().split('\n').reverse().join('\n');
const log = (pid: number, lines: string[]) => lines.map((l) => `[Mon Dec  7 14:00:0${pid % 10} 2026|ldirectord.cf|${pid}] ${l}`).join('\n');

describe('parity compare', () => {
  it('equal tables in another order and equal messages with other timestamps/pids are "same"', () => {
    const lines = ['Invoking ldirectord invoked as: /usr/sbin/ldirectord x.cf start ', 'Added virtual server: 10.15.16.113:80'];
    const ng = ['Invoking ldirectord invoked as: /opt/bin/ldirectord x.cf start ', 'Added virtual server: 10.15.16.113:80'];
    expect(judge({ table: TABLE, log: log(11, lines) }, { table: reorder(TABLE), log: log(22, ng) }).verdict).toBe('same');
  });

  it('any table difference is DIFFERENT, whatever the logs', () => {
    const r = judge({ table: TABLE, log: '' }, { table: TABLE.replace('-w 0', '-w 1'), log: '' });
    expect(r.verdict).toBe('DIFFERENT');
    expect(r.details).toContain('table only in perl: -a -t 10.15.16.113:80 -r 10.15.16.43:80 -g -w 0');
  });

  it("Perl's start-up churn is deviation P1; an unlisted message is DIFFERENT", () => {
    const perl = log(1, ['Added real server: 10.15.16.43:80 (10.15.16.113:80) (Weight set to 1)', 'Quiescent real server: 10.15.16.43:80 (10.15.16.113:80) (Weight set to 0)']);
    const ng = log(2, ['Quiescent real server: 10.15.16.43:80 (10.15.16.113:80) (Weight set to 0)']);
    expect(judge({ table: TABLE, log: perl }, { table: TABLE, log: ng })).toEqual({ verdict: 'deviation', ids: ['P1'], details: [] });
    // readdquiescent=yes: upstream's forced-down add at start reads "Readd Quiescent real server".
    const readd = log(1, ['Readd Quiescent real server: 10.15.16.39:80 (10.15.16.113:80) (Weight set to 0)', 'Restored real server: 10.15.16.39:80 (10.15.16.113:80) (Weight set to 1)']);
    expect(judge({ table: TABLE, log: readd }, { table: TABLE, log: log(2, ['Added real server: 10.15.16.39:80 (10.15.16.113:80) (Weight set to 1)']) })).toEqual({ verdict: 'deviation', ids: ['P1'], details: [] });
    const odd = judge({ table: TABLE, log: perl }, { table: TABLE, log: `${ng}\n${log(2, ['Purged real server (start): 10.15.16.9:80 (10.15.16.113:80)'])}` });
    expect(odd.verdict).toBe('DIFFERENT');
  });

  it("upstream's failed '-r :0' fallback on a fwmark virtual is deviation P6, only on Perl's side", () => {
    const line = 'system(/sbin/ipvsadm -a -f 42 -x 0 -y 0 -r :0   -w 1) failed: ';
    expect(judge({ table: TABLE, log: log(1, [line]) }, { table: TABLE, log: '' })).toEqual({ verdict: 'deviation', ids: ['P6'], details: [] });
    expect(judge({ table: TABLE, log: '' }, { table: TABLE, log: log(2, [line]) }).verdict).toBe('DIFFERENT');
    expect(judge({ table: TABLE, log: log(1, [line.replace('-r :0', '-r 10.0.0.1:80')]) }, { table: TABLE, log: '' }).verdict).toBe('DIFFERENT');
  });

  it("a per-check line (a checkcommand exec failure) compares as a set: 5 against 4 is the same, absent on one side is DIFFERENT", () => {
    const line = 'Exiting with exit_status 127: exec(/opt/check.sh 192.168.1.0 22 192.168.1.1 22) failed: No such file or directory';
    expect(judge({ table: TABLE, log: log(1, Array<string>(5).fill(line)) }, { table: TABLE, log: log(2, Array<string>(4).fill(line)) }).verdict).toBe('same');
    const r = judge({ table: TABLE, log: log(1, [line, line]) }, { table: TABLE, log: '' });
    expect(r.verdict).toBe('DIFFERENT');
    expect(r.details).toEqual([`log only in perl: ${line}`]);
    // Other repeated lines still count one for one.
    const added = 'Added virtual server: 10.15.16.113:80';
    expect(judge({ table: TABLE, log: log(1, [added, added]) }, { table: TABLE, log: log(2, [added]) }).verdict).toBe('DIFFERENT');
  });
});

describe('P7, P8: a real listed in several virtuals (Perl shares one state object per real id)', () => {
  const CF = [
    'quiescent=yes',
    'virtual=10.15.16.113:80', '\treal=10.15.16.39:80 gate 1', '\treal=10.15.16.43:80 gate 1', '\tservice=http', '\tprotocol=tcp',
    'virtual=10.15.16.114:80', '\treal=10.15.16.39:80 gate 2', '\tservice=http', '\tprotocol=tcp',
    'virtual=10.15.16.115:80', '\treal=10.15.16.39:80 gate 2', '\tservice=http', '\tprotocol=tcp',
    'virtual=10.15.16.116:80', '\treal=10.15.16.43:80 gate 1', '\tservice=http', '\tprotocol=tcp',
    'virtual=10.15.16.117:80', '\treal=10.15.16.44:80 gate 1', '\tservice=http', '\tprotocol=tcp',
  ].join('\n');
  const quirks = async (): Promise<Quirks> => {
    const parsed = await parseConfig(CF, { file: 'x.cf', resolver: staticResolver({ services: {} }) });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.diagnostics));
    return (perlQuirks as (c: unknown) => Quirks)(parsed.config);
  };

  it('absent: the listings whose real id (weight, check, …) differs from the last listing of that address:port', async () => {
    // .39: last listing in .115 at weight 2, same id as .114's → only .113's (weight 1) is left out.
    // .43: last in .116 at weight 1, same id as .113's → none.
    const q = await quirks();
    expect([...q.absent]).toEqual(['-t 10.15.16.113:80 -r 10.15.16.39:80']);
    expect([...q.absentLabels]).toEqual(['10.15.16.39:80 (10.15.16.113:80)']);
    // shared: a real id listed in more than one virtual (.39 at weight 2 twice, .43 at weight 1 twice); not .44.
    expect([...q.shared].sort()).toEqual(['10.15.16.39:80', '10.15.16.43:80']);
  });

  it('P7 explains a weight-0 line only ours has for such a pair, and its later "Restored" line; nothing else', async () => {
    const q = await quirks();
    const perl = '-A -t 10.15.16.113:80 -s wlc\n-a -t 10.15.16.114:80 -r 10.15.16.39:80 -g -w 0\n';
    const ours = `${perl}-a -t 10.15.16.113:80 -r 10.15.16.39:80 -g -w 0\n`;
    expect(judge({ table: perl, log: '' }, { table: ours, log: '' }, q)).toEqual({ verdict: 'deviation', ids: ['P7'], details: [] });
    // Without the config's pairs, or at a weight other than 0, or a pair Perl does program: DIFFERENT.
    expect(judge({ table: perl, log: '' }, { table: ours, log: '' }).verdict).toBe('DIFFERENT');
    expect(judge({ table: perl, log: '' }, { table: ours.replace(/-w 0\n$/, '-w 1\n'), log: '' }, q).verdict).toBe('DIFFERENT');
    const other = `${perl}-a -t 10.15.16.116:80 -r 10.15.16.43:80 -g -w 0\n`;
    expect(judge({ table: perl, log: '' }, { table: other, log: '' }, q).verdict).toBe('DIFFERENT');
    // A line only Perl has is never explained by P7.
    expect(judge({ table: ours, log: '' }, { table: perl, log: '' }, q).verdict).toBe('DIFFERENT');
    // When the real answers: Perl adds the pair ("Added", P1), ours restores it from weight 0.
    const restored = (v: string) => log(2, [`Restored real server: 10.15.16.39:80 (${v}) (Weight set to 1)`]);
    expect(judge({ table: TABLE, log: '' }, { table: TABLE, log: restored('10.15.16.113:80') }, q)).toEqual({ verdict: 'deviation', ids: ['P7'], details: [] });
    expect(judge({ table: TABLE, log: '' }, { table: TABLE, log: restored('10.15.16.114:80') }, q).verdict).toBe('DIFFERENT');
  });

  it('P8 explains our "Resetting soft failure count" for a shared real only, and only on our side', async () => {
    const q = await quirks();
    const reset = (r: string) => log(2, [`Resetting soft failure count: ${r} (tcp:10.15.16.114:80)`]);
    expect(judge({ table: TABLE, log: '' }, { table: TABLE, log: reset('10.15.16.39:80') }, q)).toEqual({ verdict: 'deviation', ids: ['P8'], details: [] });
    expect(judge({ table: TABLE, log: '' }, { table: TABLE, log: reset('10.15.16.44:80') }, q).verdict).toBe('DIFFERENT');
    expect(judge({ table: TABLE, log: '' }, { table: TABLE, log: reset('10.15.16.39:80') }).verdict).toBe('DIFFERENT');
  });
});
