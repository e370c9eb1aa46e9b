// Alert delivery end to end: a real SMTP server (smtp-server) on loopback, plain and STARTTLS, a refused port, a
// silent server and a broken TLS handshake; and, without smtp=, a sendmail program found in $PATH.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { ManualClock } from '../../../src/clock.js';
import { AlertSender, type AlertOptions } from '../../../src/daemon/hooks/email.js';
import { findSendmail } from '../../../src/daemon/hooks/mail.js';
import { MemoryLogger } from '../../../src/log/index.js';
import type { Config, VirtualService } from '../../../src/model/config.js';
import type { ReconcileEvent } from '../../../src/reconcile/index.js';
import { eventually, silentPeer, type TestPeer } from '../../support/peers.js';
import { closedPort } from '../../support/ports.js';
import { startMailServer, type MailServer } from '../../support/smtp.js';
import { selfSigned } from '../../support/tls.js';
import { tempDir } from '../../support/tmp.js';

const USER = userInfo().username;
const quiesce: ReconcileEvent = { kind: 'quiesceReal', rs: '10.0.0.2:80', v: '10.0.0.1:80' };
const SUBJECT = 'Quiescent real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 0)';

function virtual(extra: Partial<Record<keyof VirtualService, unknown>> = {}): VirtualService {
  return {
    display: '10.0.0.1:80',
    emailAlert: 'ops@example.org, oncall@example.org',
    emailAlertFreq: 0,
    emailAlertStatus: ['starting', 'running', 'stopping', 'reloading'],
    ...extra,
  } as unknown as VirtualService;
}

function config(v: VirtualService, from?: string): Config {
  return { global: from !== undefined ? { emailAlertFrom: from } : {}, virtuals: [v] } as unknown as Config;
}

function sender(o: Partial<AlertOptions> = {}) {
  const logger = new MemoryLogger();
  const a = new AlertSender({ logger, clock: new ManualClock(), hostname: 'director', mailTimeoutMs: 5000, ...o });
  return { a, logger };
}

/** Sends the quiesce alert and waits until it was handed over (or given up). */
async function alert(a: AlertSender, v: VirtualService, from?: string): Promise<void> {
  a.onEvents([quiesce], 'running', config(v, from));
  await a.flush();
}

const { dir, cleanup } = tempDir('ldng-mail-');
const tls = selfSigned(dir, 'relay', 'relay.test');
afterAll(cleanup);

describe('alerts over SMTP (smtp=)', () => {
  let server: MailServer;
  afterEach(() => server?.close());

  it('plain SMTP: envelope user@host, one RCPT per recipient, Date/Message-ID/MIME headers and upstream text', async () => {
    server = await startMailServer();
    const { a, logger } = sender({ smtpPort: server.port });
    await alert(a, virtual({ smtp: '127.0.0.1', serviceName: 'web' }), 'lvs@example.org');
    expect(logger.lines).toEqual([`emailalert: ${SUBJECT}`]);
    expect(server.mails).toHaveLength(1);
    const m = server.mails[0]!;
    expect(m.secure).toBe(false);
    expect(m.helo).toBe('director');
    expect(m.mailFrom).toBe(`${USER}@director`);
    expect(m.rcptTo).toEqual(['ops@example.org', 'oncall@example.org']);
    expect(m.raw).toMatch(/^Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\r$/m);
    expect(m.raw).toMatch(/^Message-ID: <[^@\s>]+@[^>\s]+>\r$/m);
    expect(m.raw).toMatch(/^MIME-Version: 1\.0\r$/m);
    expect(m.raw).toMatch(/^Content-Type: text\/plain; charset=utf-8\r$/m);
    expect(m.parsed.from?.text).toBe('lvs@example.org');
    expect(m.parsed.to).toMatchObject({ text: 'ops@example.org, oncall@example.org' });
    expect(m.parsed.subject).toBe(`[web] ${SUBJECT}`);
    expect(m.parsed.text).toBe(`ldirectord host: director\nLog-Message: [web] ${SUBJECT}\nDaemon-Status: running\n\nService name: web\n\n`);
  });

  it('without emailalertfrom the From header is user@host, as upstream\'s SMTP path', async () => {
    server = await startMailServer();
    const { a } = sender({ smtpPort: server.port });
    await alert(a, virtual({ smtp: '127.0.0.1' }));
    expect(server.mails[0]!.parsed.from?.text).toBe(`${USER}@director`);
  });

  it('STARTTLS when the server offers it (self-signed certificate: encryption, no verification)', async () => {
    server = await startMailServer({ tls });
    const { a, logger } = sender({ smtpPort: server.port });
    await alert(a, virtual({ smtp: '127.0.0.1' }));
    expect(logger.lines).toEqual([`emailalert: ${SUBJECT}`]);
    expect(server.mails.map((m) => m.secure)).toEqual([true]);
    expect(server.mails[0]!.parsed.subject).toBe(SUBJECT);
  });

  it('AUTH with the credentials of the extended smtp= form, inside STARTTLS (issue 13 item 16)', async () => {
    server = await startMailServer({ tls, auth: { user: 'lvs alerts', pass: 'p@ss:w0rd' } });
    const { a, logger } = sender();
    await alert(a, virtual({ smtp: '127.0.0.1', smtpExtra: { port: server.port, user: 'lvs alerts', password: 'p@ss:w0rd' } }));
    expect(logger.lines).toEqual([`emailalert: ${SUBJECT}`]);
    expect(server.mails.map((m) => [m.secure, m.user])).toEqual([[true, 'lvs alerts']]);
  });

  it('wrong credentials are refused by the relay and logged as upstream\'s SMTP failure', async () => {
    server = await startMailServer({ tls, auth: { user: 'lvs', pass: 'right' } });
    const { a, logger } = sender();
    await alert(a, virtual({ smtp: '127.0.0.1', smtpExtra: { port: server.port, user: 'lvs', password: 'wrong' } }));
    expect(logger.lines).toEqual([`emailalert: ${SUBJECT}`, 'failed to send SMTP email message']);
    expect(server.mails).toHaveLength(0);
  });

  it('never sends the password in clear: a relay without STARTTLS gets no AUTH and no mail', async () => {
    server = await startMailServer({ auth: { user: 'lvs', pass: 'secret' } });
    const { a, logger } = sender();
    await alert(a, virtual({ smtp: '127.0.0.1', smtpExtra: { port: server.port, user: 'lvs', password: 'secret' } }));
    expect(logger.lines).toEqual([`emailalert: ${SUBJECT}`, 'failed to send SMTP email message']);
    expect(server.mails).toHaveLength(0);
  });

  it('RFC 2047-encodes a non-ASCII subject and sends a non-ASCII host name in a charset-labelled body', async () => {
    server = await startMailServer();
    const { a } = sender({ smtpPort: server.port, hostname: 'dïrectör.example' });
    await alert(a, virtual({ smtp: '127.0.0.1', serviceName: 'wéb — 東京', comment: 'Bâtiment 4' }));
    const m = server.mails[0]!;
    const header = /^Subject: ((?:.*\r\n[ \t].*)*.*)\r$/m.exec(m.raw)![1]!;
    expect(header).toMatch(/^[\x20-\x7e\r\n\t]+$/); // 7-bit on the wire
    expect(header).toContain('=?UTF-8?');
    expect(m.parsed.subject).toBe(`[wéb — 東京] ${SUBJECT}`);
    expect(m.parsed.text).toBe(
      `ldirectord host: dïrectör.example\nLog-Message: [wéb — 東京] ${SUBJECT}\nDaemon-Status: running\n\nService name: wéb — 東京\nComment: Bâtiment 4\n\n`,
    );
  });
});

describe('SMTP failures are logged as upstream and bounded', () => {
  const FAILED = 'failed to send SMTP email message';
  let peer: TestPeer | undefined;
  let tlsBreaker: net.Server | undefined;
  afterEach(async () => {
    await peer?.close();
    peer = undefined;
    await new Promise((r) => (tlsBreaker ? tlsBreaker.close(r) : r(undefined)));
    tlsBreaker = undefined;
  });

  it('connection refused: the upstream line, the reason at -d, and onEvents does not wait for it', async () => {
    const { a, logger } = sender({ smtpPort: await closedPort() });
    const t0 = Date.now();
    a.onEvents([quiesce], 'running', config(virtual({ smtp: '127.0.0.1' })));
    expect(Date.now() - t0).toBeLessThan(100);
    await a.flush();
    expect(logger.lines).toEqual([`emailalert: ${SUBJECT}`, FAILED]);
    expect(logger.debugLines).toEqual([expect.stringMatching(/^DEBUG2: failed to send SMTP email message: .*ECONNREFUSED/)]);
  });

  it('a server that accepts and never greets is given up after the bound', async () => {
    peer = await silentPeer();
    const { a, logger } = sender({ smtpPort: peer.port, mailTimeoutMs: 600 });
    const t0 = Date.now();
    await alert(a, virtual({ smtp: '127.0.0.1' }));
    const took = Date.now() - t0;
    expect(logger.lines).toEqual([`emailalert: ${SUBJECT}`, FAILED]);
    expect(took).toBeGreaterThanOrEqual(500);
    expect(took).toBeLessThan(3000);
    await eventually(() => peer!.open() === 0, 2000); // the connection is not leaked
  });

  it('a server that answers every command slowly is given up after the bound of the whole delivery', async () => {
    let open = 0;
    tlsBreaker = net.createServer((s) => {
      open++;
      s.on('close', () => open--);
      s.on('error', () => undefined);
      s.write('220 slow ESMTP\r\n');
      s.on('data', (c: Buffer) => {
        const n = c.toString('latin1').split('\r\n').length - 1;
        // Each reply within any per-command timeout, the dialogue as a whole far past the bound.
        setTimeout(() => s.writable && s.write('250 ok\r\n'.repeat(n)), 400);
      });
    });
    await new Promise<void>((r) => tlsBreaker!.listen(0, '127.0.0.1', () => r()));
    const { a, logger } = sender({ smtpPort: (tlsBreaker.address() as net.AddressInfo).port, mailTimeoutMs: 1000 });
    const t0 = Date.now();
    await alert(a, virtual({ smtp: '127.0.0.1' }));
    const took = Date.now() - t0;
    expect(logger.lines).toEqual([`emailalert: ${SUBJECT}`, FAILED]);
    expect(logger.debugLines).toEqual(['DEBUG2: failed to send SMTP email message: no answer within 1000 ms']);
    expect(took).toBeLessThan(2500);
    await eventually(() => open === 0, 2000);
  });

  it('a STARTTLS that answers with garbage instead of a handshake fails and is logged', async () => {
    tlsBreaker = net.createServer((s) => {
      s.on('error', () => undefined);
      s.write('220 relay ESMTP\r\n');
      let buf = '';
      s.on('data', (c: Buffer) => {
        buf += c.toString('latin1');
        let nl;
        while ((nl = buf.indexOf('\r\n')) >= 0) {
          const line = buf.slice(0, nl).toUpperCase();
          buf = buf.slice(nl + 2);
          if (line.startsWith('EHLO')) s.write('250-relay\r\n250 STARTTLS\r\n');
          else if (line === 'STARTTLS') {
            // Answer the client's ClientHello with text instead of a ServerHello.
            s.write('220 go ahead\r\n');
            s.removeAllListeners('data');
            s.once('data', () => s.write('this is not a TLS record at all\r\n'));
            return;
          } else s.write('250 ok\r\n'); // HELO, MAIL, RCPT...: a client that skips TLS is let through
        }
      });
    });
    await new Promise<void>((r) => tlsBreaker!.listen(0, '127.0.0.1', () => r()));
    const { a, logger } = sender({ smtpPort: (tlsBreaker.address() as net.AddressInfo).port, mailTimeoutMs: 3000 });
    await alert(a, virtual({ smtp: '127.0.0.1' }));
    expect(logger.lines).toEqual([`emailalert: ${SUBJECT}`, FAILED]);
    expect(logger.debugLines.join('\n')).toMatch(/SSL|TLS|wrong version|packet length/i);
  });
});

describe('alerts through sendmail (no smtp=)', () => {
  const savedPath = process.env['PATH'];
  afterEach(() => {
    process.env['PATH'] = savedPath;
  });

  /** A `sendmail` in its own directory, first in $PATH, that records argv and stdin and then runs `tail`. */
  function fakeSendmail(name: string, tail: string): { argv: string; stdin: string } {
    const bin = join(dir, name);
    const argv = join(dir, `${name}.argv`);
    const stdin = join(dir, `${name}.stdin`);
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'sendmail'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argv}'\ncat > '${stdin}'\n${tail}\n`);
    chmodSync(join(bin, 'sendmail'), 0o755);
    process.env['PATH'] = `${bin}:${savedPath}`;
    return { argv, stdin };
  }

  it('runs `sendmail -t -i` with the headers and upstream text; From only with emailalertfrom', async () => {
    const f = fakeSendmail('ok', 'exit 0');
    const { a, logger } = sender();
    await alert(a, virtual({ comment: 'rack 4' }));
    expect(logger.lines).toEqual([`emailalert: ${SUBJECT}`]);
    expect(readFileSync(f.argv, 'utf8')).toBe('-t\n-i\n');
    const raw = readFileSync(f.stdin, 'utf8');
    const head = raw.slice(0, raw.indexOf('\n\n'));
    expect(head).toMatch(/^To: ops@example\.org, oncall@example\.org$/m);
    expect(head).toMatch(/^Subject: Quiescent real server: 10\.0\.0\.2:80 \(10\.0\.0\.1:80\) \(Weight set to 0\)$/m);
    expect(head).toMatch(/^Date: /m);
    expect(head).toMatch(/^Message-ID: </m);
    expect(head).toMatch(/^MIME-Version: 1\.0$/m);
    expect(head).toMatch(/^Content-Type: text\/plain; charset=utf-8$/m);
    expect(head).not.toMatch(/^From:/m); // Mail::Send leaves it to sendmail
    expect((await simpleParser(raw)).text).toBe(`ldirectord host: director\nLog-Message: ${SUBJECT}\nDaemon-Status: running\n\nComment: rack 4\n\n`);

    await alert(a, virtual(), 'lvs@example.org');
    expect(readFileSync(f.stdin, 'utf8')).toMatch(/^From: lvs@example\.org$/m);
  });

  it('looks for sendmail in $PATH (absolute entries, executables only) before Mail::Mailer\'s list', () => {
    fakeSendmail('found', 'exit 0');
    const notExec = join(dir, 'notexec');
    mkdirSync(notExec, { recursive: true });
    writeFileSync(join(notExec, 'sendmail'), '#!/bin/sh\n');
    chmodSync(join(notExec, 'sendmail'), 0o644);
    expect(findSendmail(`relative:${notExec}:${join(dir, 'found')}`)).toBe(join(dir, 'found', 'sendmail'));
    expect(findSendmail(notExec)).not.toBe(join(notExec, 'sendmail'));
  });

  it('a failing sendmail is logged as "failed to send email message"', async () => {
    const f = fakeSendmail('fails', "echo 'queue directory: Permission denied' >&2; exit 75");
    const { a, logger } = sender();
    await alert(a, virtual());
    expect(existsSync(f.stdin)).toBe(true);
    expect(logger.lines).toEqual([`emailalert: ${SUBJECT}`, 'failed to send email message']);
    expect(logger.debugLines).toEqual([expect.stringMatching(/sendmail exited with 75: queue directory: Permission denied$/)]);
  });

  it('a sendmail that never exits is killed after the bound', async () => {
    fakeSendmail('hangs', 'exec sleep 30');
    const { a, logger } = sender({ mailTimeoutMs: 500 });
    const t0 = Date.now();
    await alert(a, virtual());
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(logger.lines).toEqual([`emailalert: ${SUBJECT}`, 'failed to send email message']);
    expect(logger.debugLines).toEqual([expect.stringMatching(/killed after 500 ms/)]);
  });
});

describe('stop', () => {
  it('settle waits for queued mail, but no longer than its bound', async () => {
    const peer = await silentPeer();
    try {
      const { a, logger } = sender({ smtpPort: peer.port, mailTimeoutMs: 10_000 });
      a.onEvents([quiesce], 'stopping', config(virtual({ smtp: '127.0.0.1' })));
      const t0 = Date.now();
      await a.settle(300);
      const took = Date.now() - t0;
      expect(took).toBeGreaterThanOrEqual(250);
      expect(took).toBeLessThan(2000);
      expect(logger.lines).toEqual([`emailalert: ${SUBJECT}`]);
    } finally {
      await peer.close();
    }
  });

  it('settle returns as soon as the mail is delivered', async () => {
    const server = await startMailServer();
    try {
      const { a } = sender({ smtpPort: server.port });
      a.onEvents([quiesce], 'stopping', config(virtual({ smtp: '127.0.0.1' })));
      const t0 = Date.now();
      await a.settle(10_000);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(server.mails.map((m) => m.parsed.text?.split('\n')[2])).toEqual(['Daemon-Status: stopping']);
    } finally {
      await server.close();
    }
  });
});
