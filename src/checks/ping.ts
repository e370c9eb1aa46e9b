// checktype=ping: ICMP echo through iputils ping (raw sockets need root; Node has none), checkcount attempts of checktimeout each.
import { describeOutcome, runChild } from './child.js';
import { down, up } from './result.js';
import type { Checker } from './types.js';
import { isIPv6 } from 'node:net';

/** Path of the ping binary; iputils-ping handles both families with -4/-6. */
const PING = '/bin/ping';

/** Up when any of `attempts` echo requests, each waiting checktimeout, is answered. */
export const check: Checker = async (spec, signal) => {
  const attempts = Math.max(1, spec.attempts);
  const waitS = Math.max(1, Math.ceil(spec.checkTimeoutMs / 1000));
  const family = isIPv6(spec.host) ? '-6' : '-4';
  let last = '';
  for (let i = 0; i < attempts; i++) {
    if (signal.aborted) return down(`ping ${spec.host}: aborted`);
    // -W is whole seconds; the child's own bound is checktimeout (+1 s grace for ping to report).
    const o = await runChild(PING, [family, '-n', '-q', '-c', '1', '-W', String(waitS), spec.host], spec.checkTimeoutMs + 1000, signal);
    if (o.code === 0) return up(`ping ${spec.host}: echo reply`);
    const summary = o.stdout.split('\n').find((l) => l.includes('packets transmitted')) ?? o.stderr.trim();
    last = `${describeOutcome(o)}${summary !== '' ? ` (${summary.trim()})` : ''}`;
  }
  return down(`ping ${spec.host}: no echo reply to ${attempts} request(s) of ${waitS}s: ${last}`);
};
