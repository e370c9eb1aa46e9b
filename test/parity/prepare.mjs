// Parity harness, step 1 (guest): one ldirectord.cf → a runnable copy plus what the reals must serve.
//   node test/parity/prepare.mjs CONFIG OUTDIR
// Writes OUTDIR/ldirectord.cf (a copy: short fixed timings, our log file, no autoreload/mail, see
// REWRITE below), OUTDIR/servers.json ([{af, addr, port, kind, paths: {path: body}}]) and
// OUTDIR/plan.json (which reals are down / change in each state; `passes`: how many full check
// passes a state needs before it can have settled, the largest failurecount + 1). Exits 3 with a reason on stdout
// when the config cannot run in the guest (upstream rejects it, host names, no checked real).
// Real addresses are kept as written: run.sh binds them in the guest's reals namespace only.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { parseCopy } from './parse.mjs';

const [file, out] = process.argv.slice(2);
if (!file || !out) {
  console.error('usage: prepare.mjs CONFIG OUTDIR');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const skip = (why) => {
  console.log(`skip: ${why}`);
  process.exit(3);
};

// Global and per-virtual lines the copy replaces (timings, where the log goes) or drops (mail,
// autoreload, supervision): both daemons then run the same short, quiet copy.
const REWRITE = /^\s*(checkinterval|checktimeout|negotiatetimeout|connecttimeout|logfile|autoreload|supervised|fork|emailalert|emailalertfreq|emailalertstatus|emailalertfrom|smtp|callback|maintenancedir|monitorfile)\s*=/;
const text = readFileSync(file, 'utf8').replace(/\r\n/g, '\n');
const kept = text.split('\n').filter((l) => !REWRITE.test(l.replace(/#.*$/, '')));
// checktimeout 5 s: under TCG on a loaded host a Perl HTTP(S) check of a live server has taken over
// 3 s (LWP/TLS in an emulated CPU), which turned "all up" into timeouts; the cost is paid only by the
// one black-holed listener per config (see MODES below), once per serial Perl pass.
const header = ['checkinterval=2', 'checktimeout=5', 'negotiatetimeout=5', `logfile="${join(out, 'ldirectord.log')}"`, 'autoreload=no'];
const copy = `${header.join('\n')}\n${kept.join('\n')}`;
writeFileSync(join(out, 'ldirectord.cf'), copy);

// Host names the guest cannot resolve get addresses of their own, written to OUTDIR/hosts: run.sh
// bind-mounts them over /etc/hosts for both daemons. A name ending in digits N gets 10.254.0.N, so a
// range "sql01->sql03" spans 10.254.0.1-3 as upstream's range of the two resolved ends would.
const hosts = {};
let spare = 1;
for (const m of copy.matchAll(/^\s*real\s*=\s*([^\s:]+)/gm)) {
  for (const name of m[1].split('->')) {
    if (isIP(name) || !/^[A-Za-z][A-Za-z0-9.-]*$/.test(name) || hosts[name]) continue;
    const n = /(\d+)$/.exec(name);
    hosts[name] = [n && Number(n[1]) >= 1 && Number(n[1]) <= 254 ? `10.254.0.${Number(n[1])}` : `10.254.1.${spare++}`];
  }
}
if (Object.keys(hosts).length) writeFileSync(join(out, 'hosts'), Object.entries(hosts).map(([n, [a]]) => `${a} ${n}\n`).join(''));

const parsed = await parseCopy(copy, join(out, 'ldirectord.cf'), hosts);
if (!parsed.ok) skip(`does not parse here: ${parsed.diagnostics.map((d) => d.message).join('; ').slice(0, 200)}`);

const byKey = new Map(); // "addr|port" → server
for (const v of parsed.config.virtuals) {
  const udp = v.protocol === 'udp';
  const kind =
    v.service === 'http' || v.service === 'http_proxy' ? 'http' : v.service === 'https' ? 'https' : udp ? 'udp' : v.service === 'smtp' || v.service === 'submission' ? 'smtp' : 'tcp';
  for (const r of v.reals) {
    if (!isIP(r.address) || r.address.startsWith('127.') || r.address === '::1') continue;
    const port = v.checkPort ?? (r.port || v.port);
    if (!port || kind === 'udp') {
      // No listener (UDP checks, portless fwmark reals): the address still answers ping in every state.
      const k = `${r.address}|0`;
      if (!byKey.has(k)) byKey.set(k, { af: r.af, addr: r.address, port: 0, kind: 'none', paths: {} });
      continue;
    }
    const k = `${r.address}|${port}`;
    const s = byKey.get(k) ?? { af: r.af, addr: r.address, port, kind, paths: {} };
    byKey.set(k, s);
    const req = r.effectiveRequest || v.request || '/';
    let path;
    try {
      path = /^https?:\/\//i.test(req) ? new URL(req).pathname + new URL(req).search : `/${req.replace(/^\/+/, '')}`;
    } catch {
      path = '/';
    }
    s.paths[path] = (r.effectiveReceive || v.receive || 'ok').replace(/\\(.)/g, '$1');
  }
}
const servers = [...byKey.values()];
if (servers.length === 0) skip('no real server the guest can host (only loopback or names)');
writeFileSync(join(out, 'servers.json'), JSON.stringify(servers, null, 1));

// States: "down" takes every second listener down, cycling closed port → black hole → wrong
// content; "change" starts as "down" and, once settled, flips while running: listeners 3, 7, …
// come back up, 0, 4, … close, 1, 5, … stay down. One black hole per config (listener 3, which
// comes back in "change"): Perl checks serially, so each black hole costs a full checktimeout per
// pass, and one is enough to compare a timed-out check; later black-hole slots close instead.
const MODES = ['closed', 'blackhole', 'wrong'];
const down = {};
const change = {};
servers.forEach((s, i) => {
  const k = `${s.addr}|${s.port}`;
  if (i % 2 === 1) {
    let m = MODES[((i - 1) / 2) % 3];
    if (m === 'blackhole' && i !== 3) m = 'closed';
    down[k] = m === 'wrong' && s.kind !== 'http' && s.kind !== 'https' ? 'closed' : m;
  }
  if (i % 4 === 0) change[k] = 'closed';
  else if (i % 4 === 1) change[k] = down[k];
});
const passes = 1 + Math.max(1, ...parsed.config.virtuals.map((v) => v.failureCount));
writeFileSync(join(out, 'plan.json'), JSON.stringify({ up: {}, down, change, passes }, null, 1));
console.log(`ok: ${parsed.config.virtuals.length} virtuals, ${servers.length} listeners`);
