// service=nntp: connect and read the greeting (≤64 bytes) within negotiatetimeout; up when it starts with "2".
import { down, quote, up } from './result.js';
import { negotiateDialogue } from './tcp.js';
import type { Checker } from './types.js';

/** Up when the greeting's first byte is "2"; unlike upstream, the connect itself honours the timeout. */
export const check: Checker = (spec, signal) =>
  negotiateDialogue('nntp', spec, signal, async (c, label) => {
    const first = await c.readSome(64);
    if (first === null) return down(`${label}: connection closed without a greeting`);
    const text = first.toString('latin1');
    return text.startsWith('2') ? up(text.trim()) : down(`${label}: expected a 2xx greeting, got ${quote(text)}`);
  });
