// checktype=external and external-perl: run checkcommand with upstream's argv (vip vport rip rport), no shell.
import { describeOutcome, runChild } from './child.js';
import { perlWorker } from './perl-worker.js';
import { down, up, withTimeout } from './result.js';
import { bracketed, hostPort } from '../model/keys.js';
import type { Checker, CheckSpec } from './types.js';

/** Upstream's argv: <vip|fwmark> <vport> <rip> <rport>; IPv6 addresses bracketed, missing ports 0. */
export function externalArgs(spec: CheckSpec): string[] {
  const rip = bracketed(spec.host);
  return [spec.vip, String(spec.vport), rip, String(spec.realPort)];
}

/** strerror(3) texts of what execve(2) fails with: Perl's "$!" in upstream's line. */
const EXEC_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  ENOEXEC: 'Exec format error',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  E2BIG: 'Argument list too long',
  ENOMEM: 'Cannot allocate memory',
  ETXTBSY: 'Text file busy',
};

/**
 * The line upstream logs when checkcommand cannot be executed: its forked child's
 * `exec(@args) or ld_exit(127, "exec(@args) failed: $!")`, at every check (spec: system_wrapper).
 */
export function execFailedLine(file: string, args: readonly string[], code: string | undefined): string {
  return `Exiting with exit_status 127: exec(${[file, ...args].join(' ')}) failed: ${(code !== undefined ? EXEC_ERRORS[code] : undefined) ?? code ?? 'unknown error'}`;
}

function run(label: string, file: string, args: string[], spec: CheckSpec, signal: AbortSignal) {
  return runChild(file, args, spec.checkTimeoutMs, signal).then((o) => {
    if (o.code === 0 && o.killReason === undefined && o.spawnError === undefined) return up(`${label} exit status 0`);
    const r = down(`${label} ${args.join(' ')} for ${hostPort(spec.host, spec.port)}: ${describeOutcome(o)}${o.stderr !== '' ? `: ${JSON.stringify(o.stderr.trim().slice(0, 200))}` : ''}`);
    return o.spawnError === undefined ? r : { ...r, log: execFailedLine(file, args, o.spawnCode) };
  });
}

/** checktype=external: exec checkcommand (one path, no arguments, as upstream); exit 0 → up. */
export const check: Checker = (spec, signal) => {
  if (spec.checkCommand === undefined || spec.checkCommand === '') return Promise.resolve(down('external: no checkcommand configured'));
  return run(spec.checkCommand, spec.checkCommand, externalArgs(spec), spec, signal);
};

/**
 * checktype=external-perl: the script is compiled once per daemon life by a perl worker (upstream's
 * cache: edits need a restart, not a reload) and called with upstream's 4 arguments in a forked
 * child per check; exit 0 or falling off the end → up; non-zero exit, die or timeout → down.
 */
export const checkPerl: Checker = async (spec, signal) => {
  if (spec.checkCommand === undefined || spec.checkCommand === '') return down('external-perl: no checkcommand configured');
  const args = externalArgs(spec);
  const label = `external-perl ${spec.checkCommand} ${args.join(' ')} for ${hostPort(spec.host, spec.port)}`;
  const worker = perlWorker(spec.checkCommand);
  await worker.whenReady(); // compiling is not part of the check's time, as upstream's alarm
  const t = withTimeout(signal, spec.checkTimeoutMs);
  try {
    const r = await worker.call(args, t.signal);
    if ('error' in r) return down(`${label}: ${r.error}`);
    if (t.signal.aborted) return down(`${label}: timed out after ${spec.checkTimeoutMs} ms, killed`);
    if (r.status === 0) return up(`external-perl ${spec.checkCommand} exit status 0`);
    const how = r.status & 127 ? `killed by signal ${r.status & 127}` : `exit status ${r.status >> 8}`;
    return down(`${label}: ${how}${r.died !== undefined ? `: ${JSON.stringify(r.died)}` : ''}`);
  } finally {
    t.dispose();
  }
};
