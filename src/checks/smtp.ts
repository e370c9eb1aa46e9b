// service=smtp/submission: greeting 2xx, EHLO (HELO if refused) 250, QUIT — what Net::SMTP->new checks.
import { command, readCodedReply, showReply } from './coded-reply.js';
import { negotiateDialogue } from './tcp.js';
import { up, down } from './result.js';
import type { Checker } from './types.js';

/** Up when the server greets with 2xx and accepts EHLO or HELO. */
export const check: Checker = (spec, signal) =>
  negotiateDialogue('smtp', spec, signal, async (c, label) => {
    const greeting = await readCodedReply(c);
    if (greeting.code < 200 || greeting.code > 299) return down(`${label}: expected a 2xx greeting, got ${showReply(greeting)}`);
    const helo = spec.hostname !== '' ? spec.hostname : 'localhost.localdomain';
    let hello = await command(c, `EHLO ${helo}`);
    if (hello.code !== 250) {
      const ehlo = hello;
      hello = await command(c, `HELO ${helo}`);
      if (hello.code !== 250) {
        return down(`${label}: sent EHLO ${helo}, got ${showReply(ehlo)}; sent HELO ${helo}, got ${showReply(hello)}`);
      }
    }
    // QUIT is courtesy; its answer does not change the verdict.
    await command(c, 'QUIT').catch(() => undefined);
    return up(`${greeting.code} ${greeting.text.slice(0, 80)}`);
  });
