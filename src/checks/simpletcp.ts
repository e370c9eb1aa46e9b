// service=simpletcp: send request (literal "\n" → LF), half-close, read lines; up when a line matches receive.
import { compileReceive, down, quote, up, describeError } from './result.js';
import { dialogue } from './tcp.js';
import { udpExchange } from './udp.js';
import { hostPort } from '../model/keys.js';
import type { Checker, CheckSpec } from './types.js';

/** Upstream's request text: leading "/" dropped, every two-character "\n" turned into a line feed. */
export function simpleRequest(spec: CheckSpec): string {
  return spec.request.replace(/^\//, '').replace(/\\n/g, '\n');
}

/**
 * Up when some reply line matches receive. An empty receive means "any reply line" — upstream's empty
 * Perl pattern re-used the last successful regex and matched blindly.
 */
export const check: Checker = async (spec, signal) => {
  const proto = spec.protocol === 'udp' ? 'udp' : 'tcp';
  const label = `simpletcp ${proto} ${hostPort(spec.host, spec.port)}`;
  const re = compileReceive(spec.receive);
  if (!(re instanceof RegExp)) return down(`${label}: ${re.error}`);
  const request = simpleRequest(spec);
  const matches = (line: string): boolean => (spec.receive === '' ? true : re.test(line));
  const sent = `sent ${quote(request, 60)}`;
  if (proto === 'udp') {
    try {
      const { reply } = await udpExchange({ host: spec.host, port: spec.port, signal, timeoutMs: spec.negotiateTimeoutMs, build: () => Buffer.from(request, 'latin1') });
      const lines = reply.toString('latin1').split(/\r?\n/);
      const hit = lines.find(matches);
      return hit !== undefined ? up(hit.slice(0, 80)) : down(`${label}: ${sent}, expected /${spec.receive}/, got ${quote(reply.toString('latin1'))}`);
    } catch (err) {
      return down(`${label}: ${sent}: ${describeError(err)}`);
    }
  }
  return dialogue(label, { host: spec.host, port: spec.port, timeoutMs: spec.negotiateTimeoutMs }, signal, async (c) => {
    c.send(request);
    c.endWrite();
    const seen: string[] = [];
    for (;;) {
      const line = await c.readLine();
      if (line === null) break;
      if (matches(line)) return up(line.slice(0, 80));
      if (seen.length < 3) seen.push(line);
    }
    return down(`${label}: ${sent}, expected ${spec.receive === '' ? 'a reply line' : `/${spec.receive}/`}, got ${seen.length === 0 ? 'nothing' : quote(seen.join('\\n'))}`);
  });
};
