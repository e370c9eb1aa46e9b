// Delivery of one alert mail, as upstream's ld_emailalert_net_smtp (smtp= set) and ld_emailalert_mail_send
// (Mail::Send, i.e. `sendmail -t`). nodemailer builds the message either way, so both paths carry Date,
// Message-ID, MIME-Version and a charset, and a non-ASCII subject or address name is RFC 2047-encoded.
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import nodemailer from 'nodemailer';

/** What upstream puts in an alert: recipient string as configured, optional From, subject and body. */
export interface AlertMail {
  readonly to: string;
  readonly from?: string;
  readonly subject: string;
  readonly body: string;
}

/** How to deliver. */
export interface MailRoute {
  /** smtp= host (upstream: Net::SMTP to port 25); unset = the local sendmail. */
  readonly smtpHost?: string;
  /** SMTP port: 25 as upstream unless the extended smtp=host:port form names one. */
  readonly smtpPort?: number;
  /** AUTH credentials (extended smtp= form only): sent only inside STARTTLS, never in clear. */
  readonly smtpAuth?: { readonly user: string; readonly pass: string };
  /** Envelope sender and EHLO name come from `<user>@<hostname>` as upstream's getpwuid($<)@hostname. */
  readonly user: string;
  readonly hostname: string;
  /** Upper bound of one delivery, connect to QUIT or spawn to exit (default 120 s, Net::SMTP's Timeout). */
  readonly timeoutMs?: number;
}

/** Why a delivery failed (stable codes; the log line itself is upstream's fixed text). */
export class MailError extends Error {
  constructor(
    readonly code: 'SMTP_FAILED' | 'NO_SENDMAIL' | 'SENDMAIL_FAILED' | 'TIMEOUT',
    message: string,
  ) {
    super(message);
    this.name = 'MailError';
  }
}

const DEFAULT_TIMEOUT_MS = 120_000;
// What of sendmail's complaint goes into the -d reason.
const STDERR_KEPT = 512;

// Mail::Mailer's candidates (MailTools), tried after $PATH so an administrator's PATH wins.
const MAILER_SENDMAILS = ['/usr/lib/sendmail', '/usr/sbin/sendmail', '/usr/ucblib/sendmail'];

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The sendmail program to run, or undefined when there is none. */
export function findSendmail(path = process.env['PATH'] ?? ''): string | undefined {
  const inPath = path
    .split(delimiter)
    .filter((d) => d.startsWith('/'))
    .map((d) => join(d, 'sendmail'));
  return [...inPath, ...MAILER_SENDMAILS].find(isExecutable);
}

function headers(m: AlertMail, envelopeFrom: string) {
  // Upstream's SMTP path writes From: <emailalertfrom or user@host>; Mail::Send writes From only when
  // emailalertfrom is set and lets sendmail fill it in.
  return { to: m.to, subject: m.subject, text: m.body, ...(m.from !== undefined ? { from: m.from } : {}), envelope: { from: envelopeFrom, to: m.to } };
}

async function viaSmtp(m: AlertMail, r: MailRoute & { smtpHost: string }, timeoutMs: number): Promise<void> {
  const envelopeFrom = `${r.user}@${r.hostname}`;
  const t = nodemailer.createTransport({
    host: r.smtpHost,
    port: r.smtpPort ?? 25,
    secure: false,
    name: r.hostname,
    // STARTTLS whenever the server offers it. Upstream speaks plain SMTP and never checks a certificate,
    // so refusing a relay's self-signed certificate would lose mail upstream delivers: encryption only.
    tls: { rejectUnauthorized: false },
    // AUTH only with credentials from the extended smtp= form, and then only over TLS: a relay that offers no
    // STARTTLS fails the delivery rather than receive the password in clear.
    ...(r.smtpAuth ? { auth: { user: r.smtpAuth.user, pass: r.smtpAuth.pass }, requireTLS: true } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    dnsTimeout: timeoutMs,
    logger: false,
  });
  // The whole delivery, not each phase, is bounded: the signal closes the connection wherever it stands.
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    await t.sendMail({ ...headers(m, envelopeFrom), from: m.from ?? envelopeFrom, signal });
  } catch (e) {
    if (signal.aborted) throw new MailError('TIMEOUT', `no answer within ${timeoutMs} ms`);
    throw new MailError('SMTP_FAILED', (e as Error).message);
  } finally {
    t.close();
  }
}

async function viaSendmail(m: AlertMail, r: MailRoute, timeoutMs: number): Promise<void> {
  const exe = findSendmail();
  if (!exe) throw new MailError('NO_SENDMAIL', 'no sendmail program found');
  const composed = await nodemailer
    .createTransport({ streamTransport: true, buffer: true, newline: 'unix' })
    .sendMail(headers(m, `${r.user}@${r.hostname}`));
  const raw = composed.message as Buffer;
  await new Promise<void>((resolve, reject) => {
    // Mail::Mailer runs `sendmail -t` (recipients from the headers); -i keeps a lone "." line in the body.
    const child = spawn(exe, ['-t', '-i'], { stdio: ['pipe', 'ignore', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let said = '';
    child.stderr.on('data', (c: Buffer) => {
      if (said.length < STDERR_KEPT) said += c.toString('utf8').slice(0, STDERR_KEPT - said.length);
    });
    child.on('error', (e) => reject(new MailError('SENDMAIL_FAILED', `${exe}: ${e.message}`)));
    // 'close' (not 'exit'): stderr has been read to its end by then.
    child.on('close', (code, signal) => {
      const why = said.trim() ? `: ${said.trim().replace(/\s+/g, ' ')}` : '';
      if (code === 0) resolve();
      else if (signal === 'SIGKILL') reject(new MailError('TIMEOUT', `${exe} killed after ${timeoutMs} ms`));
      else reject(new MailError('SENDMAIL_FAILED', `${exe} exited with ${code ?? signal}${why}`));
    });
    child.stdin.on('error', () => undefined); // EPIPE: the exit status tells what happened
    child.stdin.end(raw);
  });
}

/** Delivers one alert; rejects with a MailError (never hangs past the route's timeout). */
export function deliverMail(m: AlertMail, r: MailRoute): Promise<void> {
  const timeoutMs = r.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return r.smtpHost !== undefined ? viaSmtp(m, { ...r, smtpHost: r.smtpHost }, timeoutMs) : viaSendmail(m, r, timeoutMs);
}
