// A recording SMTP server on loopback for the e-mail alert tests: each session's commands and each delivered message.
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';

/** One SMTP session as the server saw it. */
export interface SmtpSession {
  readonly cmds: string[];
  data: string;
}

/** A running recorder. */
export interface SmtpRecorder {
  readonly server: Server;
  readonly port: number;
  readonly sessions: SmtpSession[];
  /** Every message completed with "." so far, in order. */
  readonly messages: string[];
}

/** Starts the recorder on host:port (port 0 = any); `rejectRcpt` answers RCPT with 550. */
export function startSmtpRecorder(opts: { host?: string; port?: number; rejectRcpt?: boolean } = {}): Promise<SmtpRecorder> {
  const sessions: SmtpSession[] = [];
  const messages: string[] = [];
  const server = createServer((sock) => {
    const s: SmtpSession = { cmds: [], data: '' };
    sessions.push(s);
    let inData = false;
    let buf = '';
    sock.write('220 test ESMTP\r\n');
    sock.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      let nl;
      while ((nl = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            messages.push(s.data);
            sock.write('250 queued\r\n');
          } else s.data += `${line}\n`;
          continue;
        }
        s.cmds.push(line);
        if (line === 'DATA') {
          inData = true;
          sock.write('354 go ahead\r\n');
        } else if (line === 'QUIT') sock.end('221 bye\r\n');
        else if (line.startsWith('RCPT') && opts.rejectRcpt) sock.write('550 no such user\r\n');
        else sock.write('250 ok\r\n');
      }
    });
  });
  return new Promise((res, rej) =>
    server.once('error', rej).listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () =>
      res({ server, port: (server.address() as AddressInfo).port, sessions, messages }),
    ),
  );
}
