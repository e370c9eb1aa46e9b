// service=smtp/submission: greeting 2xx, EHLO (HELO if refused) 250, QUIT — what Net::SMTP->new checks.
import { command, dialogue, hostPort, readCodedReply, showReply, up, down } from './net.js';
import type { Checker } from './types.js';

/** Up when the server greets with 2xx and accepts EHLO or HELO. */
export const check: Checker = (spec, signal) =>
  dialogue(`smtp ${hostPort(spec.host, spec.port)}`, { host: spec.host, port: spec.port, timeoutMs: spec.negotiateTimeoutMs }, signal, async (c) => {
    const greeting = await readCodedReply(c);
    if (greeting.code < 200 || greeting.code > 299) return down(`smtp ${hostPort(spec.host, spec.port)}: expected a 2xx greeting, got ${showReply(greeting)}`);
    const helo = spec.hostname !== '' ? spec.hostname : 'localhost.localdomain';
    let hello = await command(c, `EHLO ${helo}`);
    if (hello.code !== 250) {
      const ehlo = hello;
      hello = await command(c, `HELO ${helo}`);
      if (hello.code !== 250) {
        return down(`smtp ${hostPort(spec.host, spec.port)}: sent EHLO ${helo}, got ${showReply(ehlo)}; sent HELO ${helo}, got ${showReply(hello)}`);
      }
    }
    // QUIT is courtesy; its answer does not change the verdict.
    await command(c, 'QUIT').catch(() => undefined);
    return up(`${greeting.code} ${greeting.text.slice(0, 80)}`);
  });
