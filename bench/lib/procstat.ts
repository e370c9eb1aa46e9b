// CPU seconds and peak RSS of a process tree, read from /proc (Linux only).
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU use of one process: its own and that of its reaped children, in seconds. */
export interface CpuSample {
  readonly self: number;
  readonly children: number;
}

function statFields(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: fields start after the last ')'.
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Every pid whose parent chain leads to `root`, root included. */
export function processTree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const f = statFields(Number(d));
    if (f) parent.set(Number(d), Number(f[1]));
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [p, pp] of parent) if (pp === out[i]) out.push(p);
  return out.filter((p) => parent.has(p));
}

/** Sums user+system time over the tree: live processes' own time plus time of children they reaped. */
export function cpuOfTree(root: number): CpuSample {
  let self = 0;
  let children = 0;
  for (const pid of processTree(root)) {
    const f = statFields(pid);
    if (!f) continue;
    // After the comm field: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
    self += (Number(f[11]) + Number(f[12])) / CLK_TCK;
    children += (Number(f[13]) + Number(f[14])) / CLK_TCK;
  }
  return { self, children };
}

/** Sum of VmHWM (peak resident set) over the live tree, in MiB; a transient ipvsadm child is not the daemon's. */
export function peakRssMiB(root: number): number {
  let kb = 0;
  for (const pid of processTree(root)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (/^Name:\s+ipvsadm$/m.test(status)) continue;
      const m = /VmHWM:\s+(\d+) kB/.exec(status);
      if (m) kb += Number(m[1]);
    } catch {
      // exited between listing and reading
    }
  }
  return kb / 1024;
}
