// Merges host and guest results into bench/results/{results.json,summary.md,bench.svg} and prints the table.
//
// Usage: node dist/bench/report.js [RESULT.json ...]   (default: bench/results/host.json and guest.json)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib/peers.js';
import { chart, compareTable, perfTable, table, verdicts } from './lib/report.js';
import { GUEST_TIMING, TIMING } from './lib/scenario.js';
import type { RunResult } from './run.js';

const dir = path.join(ROOT, 'bench', 'results');
const inputs = process.argv.length > 2 ? process.argv.slice(2) : ['host.json', 'guest.json'].map((f) => path.join(dir, f));
const runs: { file: string; where: string; date: string; results: RunResult[] }[] = [];
for (const f of inputs) {
  if (!existsSync(f)) continue;
  const j = JSON.parse(readFileSync(f, 'utf8')) as { where: string; date: string; results: RunResult[] };
  runs.push({ file: path.basename(f), where: j.where, date: j.date, results: j.results });
}
const results = runs.flatMap((r) => r.results);
// The figures before issue 17's fair setup and issue 16's work, kept to print old and new side by side.
const baselineFile = process.env.BENCH_BASELINE ?? path.join(dir, 'baseline-2026-11-25', 'results.json');
const baseline = existsSync(baselineFile) ? (JSON.parse(readFileSync(baselineFile, 'utf8')) as { runs: { where: string; date: string }[]; results: RunResult[] }) : undefined;
const notes = results.flatMap((r) => r.notes.filter((n) => !n.startsWith('workdir')).map((n) => `- ${r.where} ${r.peer} N=${r.n}: ${n}`));
const md = [
  '# ldirectord-ng benchmark (issues 7, 16, 17)',
  '',
  `Runs: ${runs.map((r) => `${r.where} ${r.date}`).join(', ') || 'none'}. Check timing, the same for every peer (checkinterval/delay_loop, checktimeout=negotiatetimeout/connect_timeout): host ${TIMING.checkInterval} s/${TIMING.checkTimeout} s, guest ${GUEST_TIMING.checkInterval} s/${GUEST_TIMING.checkTimeout} s; failurecount 1 / retry 0; reals on loopback, 5 % closed, 5 % black holes.`,
  'Backends: in the guest every daemon writes the real kernel; on the host ldirectord and ldirectord-ng (its ipvsadm backend) both call the same recording ipvsadm stand-in, so host ratios compare like with like; "ng, in-memory IPVS" is ldirectord-ng alone on its in-memory fake (its own figures, the host goals and the growth curve; never a ratio). See bench/README.md.',
  'Ratios are peer ÷ ldirectord-ng (above 1 = ldirectord-ng better); "≥" marks a capped run (lower bound).',
  '',
  table(results),
  '',
  '## Goals (issue 16 item 5)',
  '',
  ...verdicts(results, TIMING).map((v) => `- ${v}`),
  '',
  '## ldirectord-ng from the inside (status --json "perf")',
  '',
  perfTable(results),
  '',
  ...(baseline
    ? [
        `## Old and new (baseline ${path.relative(dir, baselineFile)}: ${baseline.runs.map((r) => `${r.where} ${r.date}`).join(', ')})`,
        '',
        'Every figure whose ldirectord-ng value or ratio moved by more than 5 %. Host: "ng" is ldirectord-ng on its in-memory IPVS then and now (like with like); the old ratios divided Perl ldirectord on the stand-in by that in-memory run, the new ones by ldirectord-ng on the same stand-in (issue 17 item 6). Guest: the old keepalived ran with its default warmup and a status-code-only check, the new one with warmup 0 and a body regex (item 7).',
        '',
        compareTable(baseline.results, results),
        '',
      ]
    : []),
  '## Notes',
  '',
  ...(notes.length ? notes : ['- none']),
  '',
  '![chart](bench.svg)',
  '',
].join('\n');
writeFileSync(path.join(dir, 'results.json'), `${JSON.stringify({ runs: runs.map(({ file, where, date }) => ({ file, where, date })), timing: { host: TIMING, guest: GUEST_TIMING }, results }, null, 2)}\n`);
writeFileSync(path.join(dir, 'summary.md'), md);
writeFileSync(path.join(dir, 'bench.svg'), chart(results));
process.stdout.write(`${md}\nwritten: bench/results/results.json, summary.md, bench.svg\n`);
