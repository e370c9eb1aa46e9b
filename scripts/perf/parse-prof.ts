// Host micro-measure: parse the bench's N-real config `reps` times (run under --cpu-prof to see where parse time goes).
import { makeParse } from '../../src/config/load.js';
import { ldirectordCf, makeScenario } from '../../bench/lib/scenario.js';

const n = Number(process.argv[2] ?? 10_000);
const reps = Number(process.argv[3] ?? 20);
const text = ldirectordCf(makeScenario(n), { logfile: '/tmp/l.log', supervised: true });
const parse = makeParse();
const xs: number[] = [];
for (let i = 0; i < reps; i++) {
  const c0 = process.cpuUsage();
  const r = await parse(text, '/tmp/bench.cf');
  if (!r.ok) throw new Error(r.errors.join('\n'));
  const c = process.cpuUsage(c0);
  xs.push((c.user + c.system) / 1000);
}
xs.sort((a, b) => a - b);
console.log(`parse ${n} reals: cpu median ${xs[Math.floor(xs.length / 2)]!.toFixed(1)} ms, min ${xs[0]!.toFixed(1)} ms`);
