// One farm child process (bench/farm.ts, built into dist/bench) and its JSON-lines replies: the bench and
// the host check-load script (test/perf/checkload.ts) drive the same farm.
import { spawn, type ChildProcess } from 'node:child_process';
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
