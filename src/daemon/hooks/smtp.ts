// A minimal SMTP client (HELO, MAIL, RCPT, DATA, QUIT) for emailalert with smtp=, as upstream's Net::SMTP use.
import { connect } from 'node:net';

/** One message to send. */
export interface SmtpMessage {
  /** "host" or "host:port" (port 25 by default). */
  readonly server: string;
  readonly heloName: string;
  /** Envelope sender (user@host). */
  readonly envelopeFrom: string;
  /** RCPT TO value as configured (upstream passes the whole recipient string). */
  readonly rcpt: string;
  readonly headers: readonly [string, string][];
  readonly body: string;
  readonly timeoutMs?: number;
}

function splitServer(s: string): { host: string; port: number } {
  const m = /^\[(.+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (m) return { host: m[1]!, port: Number(m[2]) };
  return { host: s.replace(/^\[|\]$/g, ''), port: 25 };
}

/** Sends one message; resolves true when the server accepted it (250 after DATA). */
export function sendSmtp(m: SmtpMessage): Promise<boolean> {
  const { host, port } = splitServer(m.server);
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    let buf = '';
    let step = 0;
    let settled = false;
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(m.timeoutMs ?? 30_000, () => finish(false));
    sock.on('error', () => finish(false));
    sock.on('close', () => finish(false));
    const data =
      m.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('') +
      '\r\n' +
      m.body
        .replace(/\r?\n/g, '\r\n')
        .split('\r\n')
        .map((l) => (l.startsWith('.') ? `.${l}` : l))
        .join('\r\n') +
      '\r\n.\r\n';
    // Expected reply class for each step, then what to send next.
    const script: [string, string | undefined][] = [
      ['2', `HELO ${m.heloName}\r\n`],
      ['2', `MAIL FROM:<${m.envelopeFrom}>\r\n`],
      ['2', `RCPT TO:<${m.rcpt}>\r\n`],
      ['2', 'DATA\r\n'],
      ['3', data],
      ['2', undefined],
    ];
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      for (;;) {
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (/^\d{3}-/.test(line)) continue; // continuation of a multi-line reply
        const entry = script[step];
        if (!entry) return;
        if (!line.startsWith(entry[0])) return finish(false);
        step++;
        if (step === script.length) {
          // The reply to the message body: accepted. Say goodbye politely, without waiting.
          settled = true;
          sock.end('QUIT\r\n');
          sock.setTimeout(2000, () => sock.destroy());
          return resolve(true);
        }
        if (entry[1] !== undefined) sock.write(entry[1]);
      }
    });
  });
}
