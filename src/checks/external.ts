// checktype=external and external-perl: run checkcommand with upstream's argv (vip vport rip rport), no shell.
import { describeOutcome, runChild } from './child.js';
import { down, up } from './result.js';
import { bracketed, hostPort } from '../model/keys.js';
import type { Checker, CheckSpec } from './types.js';

/** Upstream's argv: <vip|fwmark> <vport> <rip> <rport>; IPv6 addresses bracketed, missing ports 0. */
export function externalArgs(spec: CheckSpec): string[] {
  const rip = bracketed(spec.host);
  return [spec.vip, String(spec.vport), rip, String(spec.realPort)];
}

function run(label: string, file: string, args: string[], spec: CheckSpec, signal: AbortSignal) {
  return runChild(file, args, spec.checkTimeoutMs, signal).then((o) =>
    o.code === 0 && o.killReason === undefined && o.spawnError === undefined
      ? up(`${label} exit status 0`)
      : down(`${label} ${args.join(' ')} for ${hostPort(spec.host, spec.port)}: ${describeOutcome(o)}${o.stderr !== '' ? `: ${JSON.stringify(o.stderr.trim().slice(0, 200))}` : ''}`),
  );
}

/** checktype=external: exec checkcommand (one path, no arguments, as upstream); exit 0 → up. */
export const check: Checker = (spec, signal) => {
  if (spec.checkCommand === undefined || spec.checkCommand === '') return Promise.resolve(down('external: no checkcommand configured'));
  return run(spec.checkCommand, spec.checkCommand, externalArgs(spec), spec, signal);
};

/**
 * checktype=external-perl: run the script with perl in a child (re-read each time, unlike upstream's
 * cache); exit 0 or falling off the end → up; non-zero exit, die or timeout → down.
 */
export const checkPerl: Checker = (spec, signal) => {
  if (spec.checkCommand === undefined || spec.checkCommand === '') return Promise.resolve(down('external-perl: no checkcommand configured'));
  return run(`perl ${spec.checkCommand}`, 'perl', [spec.checkCommand, ...externalArgs(spec)], spec, signal);
};
