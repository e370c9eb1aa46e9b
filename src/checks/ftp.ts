// service=ftp: login, CWD /, TYPE I, passive RETR <request>; up when the transfer completes and the content matches receive.
import { isIPv6 } from 'node:net';
import { CheckFailure, compileReceive, down, perlMatch, quote, up } from './result.js';
import { command, readCodedReply, showReply } from './coded-reply.js';
import { dial, dialogue, type Conn } from './tcp.js';
import { hostPort } from '../model/keys.js';
import type { Checker, CheckSpec } from './types.js';

/** Data port from a 227 (PASV) or 229 (EPSV) reply; the address in a 227 is ignored (NAT-safe, like most clients). */
function passivePort(code: number, text: string): number | undefined {
  if (code === 229) {
    const m = /\(([^\d])\1\1(\d+)\1\)/.exec(text);
    return m?.[2] !== undefined ? Number(m[2]) : undefined;
  }
  const m = /(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)/.exec(text);
  return m?.[5] !== undefined && m[6] !== undefined ? Number(m[5]) * 256 + Number(m[6]) : undefined;
}

async function step(c: Conn, line: string, ok: (code: number) => boolean, shown = line): Promise<void> {
  c.send(`${line}\r\n`);
  c.lastSent = shown; // never put a password into a reason
  const r = await readCodedReply(c);
  if (!ok(r.code)) throw new CheckFailure(`sent ${shown}, got ${showReply(r)}`);
}

/**
 * Up when login succeeds, CWD / works and RETR <request> completes with content matching receive.
 * Unlike upstream (whose empty receive re-uses Perl's last regex and matched anything, even a closed
 * port), an empty receive means "the transfer completed", and no request means "login and CWD worked".
 */
export const check: Checker = (spec: CheckSpec, signal) => {
  const label = `ftp ${hostPort(spec.host, spec.port)}`;
  const re = compileReceive(spec.receive);
  if (!(re instanceof RegExp)) return Promise.resolve(down(`${label}: ${re.error}`));
  const login = spec.login !== '' ? spec.login : 'anonymous';
  const passwd = spec.passwd !== '' ? spec.passwd : `ldirectord@${spec.hostname}`;
  return dialogue(label, { host: spec.host, port: spec.port, timeoutMs: spec.negotiateTimeoutMs }, signal, async (c) => {
    try {
      const greeting = await readCodedReply(c);
      if (greeting.code !== 220) return down(`${label}: expected a 220 greeting, got ${showReply(greeting)}`);
      const user = await command(c, `USER ${login}`);
      if (user.code === 331 || user.code === 332) await step(c, `PASS ${passwd}`, (n) => n === 230 || n === 202, 'PASS <hidden>');
      else if (user.code !== 230) throw new CheckFailure(`sent USER ${login}, got ${showReply(user)}`);
      await step(c, 'CWD /', (n) => n === 250);
      if (spec.request === '' || spec.request === '/') {
        if (spec.receive !== '') return down(`${label}: receive= set but no request= file to fetch`);
        await command(c, 'QUIT').catch(() => undefined);
        return up('logged in');
      }
      await step(c, 'TYPE I', (n) => n === 200);
      // EPSV for IPv6 (PASV cannot express it), PASV for IPv4 as Net::FTP does.
      const pasvCmd = isIPv6(spec.host) ? 'EPSV' : 'PASV';
      const pasv = await command(c, pasvCmd);
      const dataPort = pasv.code === 227 || pasv.code === 229 ? passivePort(pasv.code, pasv.text) : undefined;
      if (dataPort === undefined) throw new CheckFailure(`sent ${pasvCmd}, got ${showReply(pasv)}`);
      const data = await dial({ host: spec.host, port: dataPort, signal: c.signal });
      try {
        const retr = await command(c, `RETR ${spec.request}`);
        if (retr.code !== 150 && retr.code !== 125) throw new CheckFailure(`sent RETR ${spec.request}, got ${showReply(retr)}`);
        const content = (await data.readToEnd()).toString('latin1');
        const done = await readCodedReply(c);
        if (done.code !== 226 && done.code !== 250) throw new CheckFailure(`RETR ${spec.request} did not complete: ${showReply(done)}`);
        await command(c, 'QUIT').catch(() => undefined);
        if (spec.receive !== '' && !perlMatch(re, content)) return down(`${label}: RETR ${spec.request}: expected /${spec.receive}/, got ${quote(content)}`);
        return up(`RETR ${spec.request}: ${content.length} bytes`);
      } finally {
        data.close();
      }
    } catch (err) {
      if (err instanceof CheckFailure) return down(`${label}: ${err.message}`);
      throw err;
    }
  });
};
