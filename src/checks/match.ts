// receive= matching with a bounded time: a pattern that could backtrack (any quantifier or alternation)
// runs in one shared worker thread; the worker is terminated when a match outlives its deadline, so
// `receive="(a+)+$"` against "aaaa…b" costs a check its timeout, never the daemon its event loop.
// Quantifier-free patterns (nearly every real config: receive="test") match inline, at native speed.
import { Worker } from 'node:worker_threads';
import { CheckFailure } from './result.js';
import { testTranslated, type PerlRegex } from '../model/perl-regex.js';

interface Job {
  readonly msg: { id: number; body: string; flags: string; dollar: boolean; texts: string[] };
  readonly resolve: (hit: boolean) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

// CommonJS source for the worker: compiles with the translation the main thread made (one source of truth).
const WORKER = `
const { parentPort } = require('node:worker_threads');
const cache = new Map();
${testTranslated.toString()}
parentPort.on('message', (m) => {
  const key = m.flags + '/' + m.body;
  let re = cache.get(key);
  if (re === undefined) { re = new RegExp(m.body, m.flags); if (cache.size > 1000) cache.clear(); cache.set(key, re); }
  parentPort.postMessage({ id: m.id, hit: m.texts.some((t) => testTranslated(re, m.dollar, t)) });
});`;

let worker: Worker | undefined;
let nextId = 1;
const jobs = new Map<number, Job>();

function spawn(): Worker {
  const w = new Worker(WORKER, { eval: true });
  w.unref(); // never keeps the process alive: `stop` is not held by a pending match
  w.on('message', (m: { id: number; hit: boolean }) => {
    const job = jobs.get(m.id);
    if (job === undefined) return;
    jobs.delete(m.id);
    clearTimeout(job.timer);
    job.resolve(m.hit);
  });
  w.on('error', (err) => {
    // Not expected (the patterns compiled on the main thread); fail the jobs rather than hang them.
    if (worker === w) worker = undefined;
    for (const [id, job] of jobs) {
      jobs.delete(id);
      clearTimeout(job.timer);
      job.reject(new CheckFailure(`receive matcher failed: ${err.message}`));
    }
  });
  return w;
}

/** Kill the worker stuck on `id`'s match and give the other queued matches to a fresh one. */
function expire(id: number, ms: number, source: string): void {
  const job = jobs.get(id);
  if (job === undefined) return;
  jobs.delete(id);
  job.reject(new CheckFailure(`receive /${source}/ did not finish matching within ${ms} ms`));
  const old = worker;
  worker = undefined;
  void old?.terminate();
  if (jobs.size > 0) {
    const w = (worker = spawn());
    for (const other of jobs.values()) w.postMessage(other.msg);
  }
}

/**
 * True when some text matches the receive= pattern. Rejects with a CheckFailure when the match takes
 * longer than `timeoutMs` (the worker doing it is terminated; the event loop was never blocked).
 */
export function matchReceive(re: PerlRegex, texts: string | readonly string[], timeoutMs: number): Promise<boolean> {
  const list = typeof texts === 'string' ? [texts] : [...texts];
  if (re.inline) return Promise.resolve(list.some((t) => re.test(t)));
  return new Promise((resolve, reject) => {
    const id = nextId++;
    const ms = timeoutMs > 0 && Number.isFinite(timeoutMs) ? timeoutMs : 5000;
    const msg = { id, body: re.body, flags: re.flags, dollar: re.dollar, texts: list };
    const timer = setTimeout(() => expire(id, ms, re.source), ms);
    jobs.set(id, { msg, resolve, reject, timer });
    (worker ??= spawn()).postMessage(msg);
  });
}
