// One farm child process (bench/farm.ts, built into dist/bench) and its JSON-lines replies: the bench, the
// reload measure (bench/reload-profile.ts) and the host check-load script (test/perf/checkload.ts) drive the same farm.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from './peers.js';

export class FarmProcess {
  private readonly child: ChildProcess;
  private readonly waiting: ((o: Record<string, unknown>) => void)[] = [];
  constructor(spec: string) {
    this.child = spawn(process.execPath, [path.join(ROOT, 'dist', 'bench', 'farm.js'), spec], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: this.child.stdout! }).on('line', (l) => this.waiting.shift()?.(JSON.parse(l) as Record<string, unknown>));
  }
  next(): Promise<Record<string, unknown>> {
    return new Promise((r) => this.waiting.push(r));
  }
  send(o: object): Promise<Record<string, unknown>> {
    const p = this.next();
    this.child.stdin!.write(`${JSON.stringify(o)}\n`);
    return p;
  }
  /** HTTP requests the farm has answered so far. */
  async requests(): Promise<number> {
    return Number((await this.send({ cmd: 'stats' })).requests);
  }
  stop(): void {
    this.child.stdin!.end();
  }
}

/**
 * Most healthy reals one farm process serves: each needs a listener and, while checked, a connection,
 * and a process may hold only `ulimit -Hn` descriptors (20,000 on the machine this was written on).
 */
const FARM_SHARD = 8000;

/** The farm: one process per FARM_SHARD healthy reals, driven as one. */
export class Farm {
  private readonly shards: FarmProcess[];
  constructor(dir: string, addrs: readonly string[], port: number) {
    this.shards = [];
    for (let i = 0; i < addrs.length; i += FARM_SHARD) {
      const spec = path.join(dir, `farm-${i / FARM_SHARD}.json`);
      writeFileSync(spec, JSON.stringify({ addrs: addrs.slice(i, i + FARM_SHARD), port }));
      this.shards.push(new FarmProcess(spec));
    }
  }
  /** Resolves when every shard listens; throws with the first shard's error otherwise. */
  async ready(): Promise<void> {
    for (const r of await Promise.all(this.shards.map((f) => f.next()))) if (r.ready !== true) throw new Error(`farm failed: ${JSON.stringify(r)}`);
  }
  /** Requests served so far by all shards; `at` = the latest shard's stamp. */
  async stats(): Promise<{ requests: number; at: number }> {
    const rs = await Promise.all(this.shards.map((f) => f.send({ cmd: 'stats' })));
    return { requests: rs.reduce((a, r) => a + Number(r.requests), 0), at: Math.max(...rs.map((r) => Number(r.at))) };
  }
  /** Turns `addrs` into black holes; returns the earliest shard's stamp (latencies are never understated). */
  async blackhole(addrs: readonly string[]): Promise<number> {
    const rs = await Promise.all(this.shards.map((f) => f.send({ cmd: 'blackhole', addrs })));
    return Math.min(...rs.map((r) => Number(r.at)));
  }
  stop(): void {
    for (const f of this.shards) f.stop();
  }
}
