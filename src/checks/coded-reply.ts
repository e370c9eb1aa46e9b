// Numeric-code replies (SMTP, FTP, NNTP): reading a multi-line reply and sending a command.
import { CheckFailure, quote } from './result.js';
import type { Conn } from './tcp.js';

/** A numeric-code reply (SMTP, FTP, NNTP): its code and text of every line. */
export interface CodedReply {
  readonly code: number;
  readonly text: string;
}

/**
 * Read an RFC 959/5321 reply: "NNN-text" continuation lines until "NNN text". A line that does not
 * start with three digits is garbage and fails the check.
 */
export async function readCodedReply(conn: Conn): Promise<CodedReply> {
  const lines: string[] = [];
  for (;;) {
    const line = await conn.expectLine();
    const m = /^(\d{3})([ -]?)(.*)$/.exec(line);
    if (m === null) {
      if (lines.length > 0) {
        lines.push(line); // FTP allows free text inside a multi-line reply
        if (lines.length > 1000) throw new CheckFailure(`reply has more than 1000 lines`);
        continue;
      }
      throw new CheckFailure(`expected a numeric reply, got ${quote(line)}`);
    }
    lines.push(m[3] ?? '');
    if (m[2] !== '-') return { code: Number(m[1]), text: lines.join(' | ') };
    if (lines.length > 1000) throw new CheckFailure(`reply has more than 1000 lines`);
  }
}

/** Send a command line (CRLF added) and read its coded reply. */
export async function command(conn: Conn, line: string): Promise<CodedReply> {
  conn.send(`${line}\r\n`);
  return readCodedReply(conn);
}

/** Text of a coded reply for reasons: `220 "text"`. */
export function showReply(r: CodedReply): string {
  return `${r.code} ${quote(r.text)}`;
}
