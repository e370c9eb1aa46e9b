// service=imap/imaps: "* OK" greeting; with login= set, LOGIN must succeed; LOGOUT.
import { CheckFailure, down, quote, up } from './result.js';
import { negotiateDialogue, type Conn } from './tcp.js';
import type { Checker, CheckSpec } from './types.js';

/** An IMAP quoted string (RFC 3501): backslash and double quote escaped. */
function imapQuote(s: string): string {
  return `"${s.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
}

/** Read untagged lines until the tagged completion for `tag`; returns its status line. */
async function tagged(c: Conn, tag: string): Promise<string> {
  for (let i = 0; i < 1000; i++) {
    const line = await c.expectLine();
    if (line.startsWith(`${tag} `)) return line.slice(tag.length + 1);
  }
  throw new CheckFailure(`no tagged reply to ${tag} after 1000 lines`);
}

function imap(tls: boolean): Checker {
  return (spec: CheckSpec, signal) =>
    negotiateDialogue(
      tls ? 'imaps' : 'imap',
      spec,
      signal,
      async (c, label) => {
        const greeting = await c.expectLine();
        if (!/^\* (OK|PREAUTH)\b/i.test(greeting)) return down(`${label}: expected "* OK" greeting, got ${quote(greeting)}`);
        if (spec.login !== '') {
          c.send(`a1 LOGIN ${imapQuote(spec.login)} ${imapQuote(spec.passwd)}\r\n`);
          c.lastSent = `a1 LOGIN ${spec.login} <hidden>`;
          const res = await tagged(c, 'a1');
          if (!/^OK\b/i.test(res)) return down(`${label}: sent LOGIN ${spec.login}, got ${quote(`a1 ${res}`)}`);
        }
        c.send('a2 LOGOUT\r\n');
        await tagged(c, 'a2').catch(() => undefined);
        return up(greeting.slice(0, 80));
      },
      tls,
    );
}

/** service=imap. */
export const check: Checker = imap(false);
/** service=imaps (IMAP over TLS, no certificate verification). */
export const checkImaps: Checker = imap(true);
