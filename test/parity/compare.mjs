// Parity harness, step 3 (host): compares what run.sh recorded, writes the parity table, fails on a difference.
//   node test/parity/compare.mjs OUT [REPORT.md]
// Tables: the lines of `ipvsadm -S -n` as a set (order-independent), must be equal (but for P7). Logs: the multiset
// of messages (the "[date|config|pid] " prefix stripped) must be equal, except lines a DEVIATIONS
// rule explains; each rule is a deliberate deviation listed in docs/compatibility.md (its id).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseOutdir } from './parse.mjs';

/**
 * Deliberate deviations (docs/compatibility.md, "Parity with Perl ldirectord"). `side` says whose
 * log has the extra line; `when(match, quirks)`, if present, must also hold: the line is about a real
 * the config's perlQuirks() name. Pinned by test/unit/parity/compare.test.ts and the tests named in the docs.
 */
export const DEVIATIONS = [
  {
    id: 'P1',
    side: 'perl',
    // Start-up "add at full weight, then force down" churn (spec §4.3, §7.2 items 15/16) and its echo:
    // the forced-down reals' "Resetting soft failure count" and the fallback's add/delete flaps.
    // With readdquiescent=yes the forced-down add is logged "Readd Quiescent real server".
    re: /^(Added real server|Quiescent real server|Readd Quiescent real server|Deleted real server|Restored real server|Resetting soft failure count|Added fallback server|Deleted fallback server): /,
    what: 'no start-up churn: Perl adds every real not in the table at full weight and forces it down before the first check; ours adds each real once, after its first check',
  },
  {
    id: 'P1',
    side: 'ng',
    // Without the churn, a real up at its first check is "Added" (Perl: "Restored" after quiescing).
    re: /^(Added real server|Quiescent real server): /,
    what: 'same cause: the first state of a real is logged as its add',
  },
  {
    id: 'P6',
    side: 'perl',
    // A global fallback= on a fwmark virtual: upstream's fallback has no address there (spec §2.4).
    re: /^system\(\/sbin\/ipvsadm -a -f \d+ .*-r :0 .*\) failed: /,
    what: 'global fallback on a fwmark virtual: upstream programs "-r :0", which ipvsadm refuses',
  },
  {
    id: 'P7',
    side: 'ng',
    // A pair Perl left out (perlQuirks().absent) that comes back up: Perl logs "Added" (P1 covers it), ours "Restored".
    re: /^Restored real server: (\S+) \((\S+)\) /,
    when: (m, q) => q.absentLabels.has(`${m[1]} (${m[2]})`),
    what: 'a real down at start that several virtuals list is at weight 0 in each (quiescent=yes); Perl programs it only in the virtuals sharing the last listing\'s real id (also a table rule: see compareRun)',
  },
  {
    id: 'P8',
    side: 'ng',
    // A real listed with the same real id in several virtuals: Perl's soft failure count lives on one listing's object.
    re: /^Resetting soft failure count: (\S+) \(/,
    when: (m, q) => q.shared.has(m[1]),
    what: 'a recovered real listed in several virtuals: ours logs the reset for every virtual, Perl at most for the first and never after a failure at start',
  },
  {
    id: 'P4',
    side: 'ng',
    // Issue 13 item 14: why a real is taken out is logged (Perl never logs a check's failure reason).
    re: /^Check failed: real server /,
    what: 'the reason a check failed is logged before the real is taken out',
  },
];

/**
 * Lines both daemons log at every check rather than at a transition: how many each wrote depends on
 * how many checks ran before the harness stopped it, so they compare as a set (each distinct line
 * present on both sides), not one for one.
 */
export const PER_CHECK = [/^Exiting with exit_status 127: exec\(.*\) failed: /];

/** The messages with every per-check line kept once. */
function onceEach(lines) {
  const seen = new Set();
  return lines.filter((l) => !PER_CHECK.some((re) => re.test(l)) || (!seen.has(l) && seen.add(l)));
}

export function parseTable(text) {
  return [...new Set(text.split('\n').map((l) => l.trim()).filter(Boolean))].sort();
}

export function messages(text) {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/^\[[^\]]*\] /, ''))
    // The program path differs by how each was run here (/usr/sbin/ldirectord vs bin/ldirectord).
    .map((l) => l.replace(/^(Invoking ldirectord invoked as: )\S+/, '$1<program>'));
}

/** Multiset difference: lines of a not matched one-for-one in b. */
function minus(a, b) {
  const left = new Map();
  for (const x of b) left.set(x, (left.get(x) ?? 0) + 1);
  const out = [];
  for (const x of a) {
    const n = left.get(x) ?? 0;
    if (n > 0) left.set(x, n - 1);
    else out.push(x);
  }
  return out;
}

/**
 * What Perl ldirectord does differently with a real listed in several virtuals (P7, P8), from the config.
 * Upstream keys a real by its "real id" (get_real_id_str: check, protocol, address, port, virtualhost,
 * checkport, weight, forward, request, receive); listings with the same id share one check and one
 * state object. P7, `absent`: its start (ld_start) collects the reals not in the table in a hash keyed
 * by "server:port" alone, so of a real listed in several virtuals only the last listing is forced up
 * and down (added at weight 0), through service_set: in every virtual whose listing has that listing's
 * real id. Every other listing stays absent while the real is down (service_down never adds a real
 * that is not up). Keys as `ipvsadm -S -n` writes the pair ("-t VIP:PORT -r RIP:PORT"), and
 * `absentLabels` as the log does ("RIP:PORT (VIP:PORT)"). P8, `shared`: "RIP:PORT" of reals whose
 * real id is listed in more than one virtual: the failcount _service_up resets is the checked (first)
 * listing's, so its "Resetting soft failure count" is logged for one virtual at most.
 * Upstream ldirectord.in: ld_start, get_real_id_str, service_set, _service_up, _service_down.
 */
export function perlQuirks(config) {
  const perlId = (v, r) => {
    const check = v.checkType === 'negotiate' || v.checkType === 'combined' ? `${v.checkType}:${v.service}` : v.checkType.startsWith('external') ? `${v.checkType}:${v.checkCommand}` : v.checkType;
    return [check, v.protocol, r.address, r.port, v.virtualHost ?? '', v.checkPort ?? '', r.weight, r.forward, r.request ?? v.request, r.receive ?? v.receive].join('\0');
  };
  const hostPort = (af, a, p) => (af === 'inet6' ? `[${a}]:${p}` : `${a}:${p}`);
  const vip = (v) => (v.protocol === 'fwm' ? String(v.fwmark) : hostPort(v.af, v.address, v.port));
  const pairs = config.virtuals.flatMap((v) => v.reals.map((r) => ({ v, r, at: `${r.address}:${r.port}`, id: perlId(v, r) })));
  const last = new Map(pairs.map((p) => [p.at, p.id]));
  const left = pairs.filter((p) => p.id !== last.get(p.at));
  const perId = new Map();
  for (const p of pairs) perId.set(p.id, (perId.get(p.id) ?? 0) + 1);
  return {
    absent: new Set(left.map(({ v, r }) => `${v.protocol === 'fwm' ? '-f' : `-${v.protocol[0]}`} ${vip(v)} -r ${hostPort(r.af, r.address, r.port)}`)),
    absentLabels: new Set(left.map(({ v, r }) => `${hostPort(r.af, r.address, r.port)} (${vip(v)})`)),
    shared: new Set(pairs.filter((p) => perId.get(p.id) > 1).map(({ r }) => hostPort(r.af, r.address, r.port))),
  };
}

const NO_QUIRKS = { absent: new Set(), absentLabels: new Set(), shared: new Set() };

/** "-a -t VIP -r RIP -g -w 0" → {key: "-t VIP -r RIP", weight: 0}, or undefined for other lines. */
function tableReal(line) {
  const m = /^-a (-[tuf] \S+)(?: -6)? -r (\S+) .*-w (\d+)/.exec(line);
  return m ? { key: `${m[1]} -r ${m[2]}`, weight: Number(m[3]) } : undefined;
}

/**
 * Compares one config × state; returns {verdict: 'same'|'deviation'|'DIFFERENT', ids, details}.
 * quirks: perlQuirks(config); its `absent` pairs may be table lines ours alone has, at weight 0 (P7).
 */
export function compareRun(perl, ng, quirks = NO_QUIRKS) {
  const details = [];
  const ids = new Set();
  const tp = parseTable(perl.table);
  const tn = parseTable(ng.table);
  for (const l of minus(tp, tn)) details.push(`table only in perl: ${l}`);
  for (const l of minus(tn, tp)) {
    const t = tableReal(l);
    if (t && t.weight === 0 && quirks.absent.has(t.key)) ids.add('P7');
    else details.push(`table only in ng:   ${l}`);
  }
  const mp = onceEach(messages(perl.log));
  const mn = onceEach(messages(ng.log));
  const explain = (side, lines) => {
    for (const l of lines) {
      const rule = DEVIATIONS.find((d) => {
        const m = (d.side === side || d.side === 'both') && d.re.exec(l);
        return m && (!d.when || d.when(m, quirks));
      });
      if (rule) ids.add(rule.id);
      else details.push(`log only in ${side}: ${l}`);
    }
  };
  explain('perl', minus(mp, mn));
  explain('ng', minus(mn, mp));
  const verdict = details.length ? 'DIFFERENT' : ids.size ? 'deviation' : 'same';
  return { verdict, ids: [...ids].sort(), details };
}

async function main() {
  const [out, report] = process.argv.slice(2);
  const rows = [];
  let bad = 0;
  // One directory per config (run.sh names it after the config file), in name order.
  const dirs = readdirSync(out)
    .filter((d) => existsSync(join(out, d, 'source')))
    .sort();
  for (const d of dirs) {
    const dir = join(out, d);
    const source = readFileSync(join(dir, 'source'), 'utf8').trim();
    // The fixtures' generic config.cf is named by its directory (as run.sh names the output).
    const name = basename(source) === 'config.cf' ? `${d}/config.cf` : basename(source);
    const prep = existsSync(join(dir, 'prepare.out')) ? readFileSync(join(dir, 'prepare.out'), 'utf8').trim() : '';
    if (!prep.startsWith('ok')) {
      rows.push(`| ${name} | – | skipped (${prep.replace(/\|/g, '/').slice(0, 120)}) |`);
      continue;
    }
    const parsed = await parseOutdir(dir);
    const quirks = parsed.ok ? perlQuirks(parsed.config) : NO_QUIRKS;
    for (const state of ['up', 'down', 'change']) {
      const read = (impl, ext) => {
        const f = join(dir, `${state}.${impl}.${ext}`);
        return existsSync(f) ? readFileSync(f, 'utf8') : undefined;
      };
      const perl = { table: read('perl', 'table'), log: read('perl', 'log') };
      const ng = { table: read('ng', 'table'), log: read('ng', 'log') };
      if ([perl.table, perl.log, ng.table, ng.log].some((x) => x === undefined)) {
        rows.push(`| ${name} | ${state} | DIFFERENT (run incomplete) |`);
        bad++;
        continue;
      }
      const r = compareRun(perl, ng, quirks);
      const tableLines = parseTable(perl.table).length;
      const cell = r.verdict === 'deviation' ? `deliberate deviation ${r.ids.join(', ')}` : r.verdict;
      rows.push(`| ${name} | ${state} | ${cell} (table ${tableLines} lines) |`);
      if (r.verdict === 'DIFFERENT') {
        bad++;
        console.error(`${source} ${state}:\n  ${r.details.join('\n  ')}`);
      }
    }
  }
  const text = [
    '# Parity run: Perl ldirectord vs ldirectord-ng (config × state)',
    '',
    'Written by `make test-parity` / `make check-slow` (test/parity/compare.mjs). "same": equal IPVS table',
    '(order-independent) and equal multiset of log messages; "deliberate deviation Pn": table and log',
    'differ only as docs/compatibility.md ("Parity with Perl ldirectord") lists (P7 is the one table rule);',
    'DIFFERENT fails the run.',
    '',
    '| config | state | result |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  if (report) writeFileSync(report, text);
  process.stdout.write(text);
  process.exitCode = bad ? 1 : 0;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) await main();
