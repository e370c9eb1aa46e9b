// service=pop/pops: +OK greeting; with login= set, USER/PASS must succeed; QUIT.
import { down, quote, up } from './result.js';
import { negotiateDialogue, type Conn } from './tcp.js';
import type { Checker, CheckSpec } from './types.js';

async function ask(c: Conn, line: string, shown: string): Promise<string | undefined> {
  c.send(`${line}\r\n`);
  c.lastSent = shown; // never put a password into a reason
  const reply = await c.expectLine();
  return reply.startsWith('+OK') ? undefined : `sent ${shown}, got ${quote(reply)}`;
}

function pop(tls: boolean): Checker {
  return (spec: CheckSpec, signal) =>
    negotiateDialogue(
      tls ? 'pops' : 'pop',
      spec,
      signal,
      async (c, label) => {
        // Upstream reports a POP server up without login= even when nothing answers; we require +OK.
        const greeting = await c.expectLine();
        if (!greeting.startsWith('+OK')) return down(`${label}: expected +OK greeting, got ${quote(greeting)}`);
        if (spec.login !== '') {
          const userErr = await ask(c, `USER ${spec.login}`, `USER ${spec.login}`);
          if (userErr !== undefined) return down(`${label}: ${userErr}`);
          const passErr = await ask(c, `PASS ${spec.passwd}`, 'PASS <hidden>');
          if (passErr !== undefined) return down(`${label}: ${passErr}`);
        }
        await ask(c, 'QUIT', 'QUIT').catch(() => undefined);
        return up(greeting.slice(0, 80));
      },
      tls,
    );
}

/** service=pop. */
export const check: Checker = pop(false);
/** service=pops (POP3 over TLS, no certificate verification). */
export const checkPops: Checker = pop(true);
