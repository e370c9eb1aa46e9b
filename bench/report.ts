// Merges host and guest results into bench/results/{results.json,summary.md,bench.svg} and prints the table.
//
// Usage: node dist/bench/report.js [RESULT.json ...]   (default: bench/results/host.json and guest.json)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib/peers.js';
import { chart, table, verdicts } from './lib/report.js';
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
const notes = results.flatMap((r) => r.notes.filter((n) => !n.startsWith('workdir')).map((n) => `- ${r.where} ${r.peer} N=${r.n}: ${n}`));
const md = [
  '# ldirectord-ng benchmark (issue 7)',
  '',
  `Runs: ${runs.map((r) => `${r.where} ${r.date}`).join(', ') || 'none'}. Check timing, the same for every peer (checkinterval/delay_loop, checktimeout=negotiatetimeout/connect_timeout): host ${TIMING.checkInterval} s/${TIMING.checkTimeout} s, guest ${GUEST_TIMING.checkInterval} s/${GUEST_TIMING.checkTimeout} s; failurecount 1 / retry 0; reals on loopback, 5 % closed, 5 % black holes.`,
  'Ratios are peer ÷ ldirectord-ng (above 1 = ldirectord-ng better); "≥" marks a capped run (lower bound).',
  '',
  table(results),
  '',
  '## Targets',
  '',
  ...verdicts(results).map((v) => `- ${v}`),
  '',
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
