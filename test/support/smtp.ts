// A real SMTP server (the smtp-server package) on loopback for the e-mail alert tests: each delivered message
// with its envelope, EHLO name, whether the session was encrypted, and the message parsed by mailparser.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One message as the server received it. */
export interface ReceivedMail {
  readonly mailFrom: string;
  readonly rcptTo: string[];
  /** The client's EHLO/HELO name. */
  readonly helo: string;
  /** True when the message came over a STARTTLS-upgraded session. */
  readonly secure: boolean;
  /** The user the session authenticated as (AUTH), if any. */
  readonly user: string | undefined;
  /** The message as sent (CRLF line ends, transfer-encoded). */
  readonly raw: string;
  readonly parsed: ParsedMail;
}

/** A running server. */
export interface MailServer {
  readonly port: number;
  /** Every message accepted so far, in order. */
  readonly mails: ReceivedMail[];
  close(): Promise<void>;
}

/**
 * Starts a server on host:port (port 0 = any); `tls` offers STARTTLS with that certificate, else no STARTTLS;
 * `auth` requires AUTH PLAIN/LOGIN with these credentials (offered only after STARTTLS when `tls` is set).
 */
export async function startMailServer(opts: { host?: string; port?: number; tls?: { cert: string; key: string }; auth?: { user: string; pass: string } } = {}): Promise<MailServer> {
  const mails: ReceivedMail[] = [];
  const auth = opts.auth;
  const server = new SMTPServer({
    logger: false,
    authOptional: auth === undefined,
    disableReverseLookup: true,
    disabledCommands: [...(auth ? [] : ['AUTH']), ...(opts.tls ? [] : ['STARTTLS'])],
    ...(auth && !opts.tls ? { allowInsecureAuth: true } : {}),
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(a, _session, done) {
      if (auth && a.username === auth.user && a.password === auth.pass) done(null, { user: a.username });
      else done(new Error('Invalid username or password'));
    },
    ...(opts.tls ? { key: readFileSync(opts.tls.key), cert: readFileSync(opts.tls.cert) } : {}),
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('latin1');
        void simpleParser(Buffer.concat(chunks)).then((parsed) => {
          const from = session.envelope.mailFrom;
          mails.push({
            mailFrom: from ? from.address : '',
            rcptTo: session.envelope.rcptTo.map((r) => r.address),
            helo: session.hostNameAppearsAs,
            secure: session.secure,
            user: typeof session.user === 'string' ? session.user : undefined,
            raw,
            parsed,
          });
          done();
        }, done);
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
