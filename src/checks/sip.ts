// service=sip: send upstream's OPTIONS request over the virtual's protocol (udp or tcp); up on "SIP/2.0 200 OK".
import { randomBytes } from 'node:crypto';
import { describeError, down, quote, up } from './result.js';
import { dialogue } from './tcp.js';
import { udpExchange } from './udp.js';
import { bracketed, hostPort } from '../model/keys.js';
import type { Checker, CheckSpec } from './types.js';

/** Upstream's OPTIONS request (spec §3.3), CRLF line endings; `transport` names the Via protocol. */
export function optionsRequest(spec: CheckSpec, local: { address: string; port: number }, transport: 'UDP' | 'TCP'): string {
  const login = spec.login !== '' ? spec.login : `ldirectord@${spec.hostname}`;
  const laddr = bracketed(local.address);
  return [
    `OPTIONS sip:${login} SIP/2.0`,
    `Via: SIP/2.0/${transport} ${laddr}:${local.port};branch=z9hG4bKhjhs8ass877`,
    'Max-Forwards: 70',
    `To: <sip:${login}>`,
    `From: <sip:${login}>;tag=1928301774`,
    `Call-ID: ${randomBytes(8).toString('hex')}`,
    'CSeq: 63104 OPTIONS',
    `Contact: <sip:${login}>`,
    'Accept: application/sdp',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

const OK = /^SIP\/2\.0 200 OK/;

/** Up when the first reply line is "SIP/2.0 200 OK". */
export const check: Checker = async (spec, signal) => {
  const proto = spec.protocol === 'udp' ? 'udp' : 'tcp';
  const label = `sip ${proto} ${hostPort(spec.host, spec.port)}`;
  if (proto === 'udp') {
    try {
      const { reply } = await udpExchange({
        host: spec.host, port: spec.port, signal, timeoutMs: spec.negotiateTimeoutMs,
        build: (local) => Buffer.from(optionsRequest(spec, local, 'UDP'), 'latin1'),
      });
      const first = reply.toString('latin1').split(/\r?\n/)[0] ?? '';
      return OK.test(first) ? up(first) : down(`${label}: sent OPTIONS, expected "SIP/2.0 200 OK", got ${quote(first)}`);
    } catch (err) {
      return down(`${label}: sent OPTIONS: ${describeError(err)}`);
    }
  }
  return dialogue(label, { host: spec.host, port: spec.port, timeoutMs: spec.negotiateTimeoutMs }, signal, async (c) => {
    c.send(optionsRequest(spec, c.local(), 'TCP'));
    c.lastSent = 'OPTIONS';
    const first = await c.expectLine();
    return OK.test(first) ? up(first) : down(`${label}: sent OPTIONS, expected "SIP/2.0 200 OK", got ${quote(first)}`);
  });
};
