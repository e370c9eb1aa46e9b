// E-mail alerts: SMTP dialogue against a real server on loopback; status bits, servicename, resend frequency.
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { ManualClock } from '../../../src/clock.js';
import { AlertSender, alertSubject } from '../../../src/alerts/email.js';
import { sendSmtp } from '../../../src/alerts/smtp.js';
import { MemoryLogger } from '../../../src/log/index.js';
import type { Config, VirtualService } from '../../../src/model/config.js';
import type { ReconcileEvent } from '../../../src/reconcile/index.js';

/** A tiny SMTP server that records each session's commands and message. */
function smtpServer(opts: { rejectRcpt?: boolean } = {}): Promise<{ server: Server; port: number; sessions: { cmds: string[]; data: string }[] }> {
  const sessions: { cmds: string[]; data: string }[] = [];
  const server = createServer((sock) => {
    const s = { cmds: [] as string[], data: '' };
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
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res({ server, port: (server.address() as AddressInfo).port, sessions })));
}

describe('sendSmtp', () => {
  it('delivers a message with HELO, MAIL FROM, RCPT TO and DATA', async () => {
    const s = await smtpServer();
    const ok = await sendSmtp({
      server: `127.0.0.1:${s.port}`,
      heloName: 'director',
      envelopeFrom: 'root@director',
      rcpt: 'ops@example.org',
      headers: [['From', 'root@director'], ['To', 'ops@example.org'], ['Subject', 'Deleted real server: 10.0.0.2:80 (10.0.0.1:80)']],
      body: 'ldirectord host: director\n.dot line\n',
    });
    // QUIT is sent without waiting for the reply: give it a moment to arrive.
    for (let i = 0; i < 50 && s.sessions[0]?.cmds.at(-1) !== 'QUIT'; i++) await new Promise((r) => setTimeout(r, 10));
    s.server.close();
    expect(ok).toBe(true);
    expect(s.sessions[0]!.cmds).toEqual(['HELO director', 'MAIL FROM:<root@director>', 'RCPT TO:<ops@example.org>', 'DATA', 'QUIT']);
    expect(s.sessions[0]!.data).toContain('Subject: Deleted real server: 10.0.0.2:80 (10.0.0.1:80)\n\nldirectord host: director\n..dot line\n');
  });

  it('reports failure when the server refuses the recipient or nobody listens', async () => {
    const s = await smtpServer({ rejectRcpt: true });
    const msg = { heloName: 'h', envelopeFrom: 'a@h', rcpt: 'x@y', headers: [] as [string, string][], body: 'b' };
    expect(await sendSmtp({ ...msg, server: `127.0.0.1:${s.port}` })).toBe(false);
    s.server.close();
    expect(await sendSmtp({ ...msg, server: `127.0.0.1:${s.port}` })).toBe(false);
  });
});

const V = {
  display: '10.0.0.1:80',
  emailAlert: 'ops@example.org',
  emailAlertFreq: 10,
  emailAlertStatus: ['starting', 'running', 'stopping', 'reloading'],
  serviceName: 'web',
} as unknown as VirtualService;
const CONFIG = { global: { emailAlertFrom: 'lvs@example.org' }, virtuals: [V] } as unknown as Config;

function sender() {
  const clock = new ManualClock();
  const logger = new MemoryLogger();
  const sent: { to: string; from?: string; subject: string; body: string }[] = [];
  const a = new AlertSender({ logger, clock, hostname: 'director', transport: async (m) => (sent.push(m), true) });
  return { a, clock, logger, sent };
}

const quiesce: ReconcileEvent = { kind: 'quiesceReal', rs: '10.0.0.2:80', v: '10.0.0.1:80' };
const restore: ReconcileEvent = { kind: 'restoreReal', rs: '10.0.0.2:80', v: '10.0.0.1:80', weight: 1 };

describe('AlertSender', () => {
  it('mails each IPVS change with [servicename] and the upstream body, and logs "emailalert: …"', async () => {
    const { a, logger, sent } = sender();
    a.onEvents([quiesce], 'running', CONFIG);
    await a.flush();
    expect(sent).toEqual([
      {
        to: 'ops@example.org',
        from: 'lvs@example.org',
        subject: '[web] Quiescent real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 0)',
        body: 'ldirectord host: director\nLog-Message: [web] Quiescent real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 0)\nDaemon-Status: running\n\nService name: web\nComment: \n\n',
      },
    ]);
    expect(logger.lines).toEqual(['emailalert: [web] Quiescent real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 0)']);
  });

  it('resends "Inaccessible real server" every emailalertfreq seconds until the real is restored', async () => {
    const { a, clock, sent } = sender();
    a.onEvents([quiesce], 'running', CONFIG);
    clock.advance(10_000);
    clock.advance(10_000);
    a.onEvents([restore], 'running', CONFIG);
    clock.advance(30_000);
    await a.flush();
    expect(sent.map((m) => m.subject)).toEqual([
      '[web] Quiescent real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 0)',
      '[web] Inaccessible real server: 10.0.0.2:80 (10.0.0.1:80)',
      '[web] Inaccessible real server: 10.0.0.2:80 (10.0.0.1:80)',
      '[web] Restored real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 1)',
    ]);
  });

  it('sends nothing in a phase missing from emailalertstatus', async () => {
    const { a, sent } = sender();
    const cfg = { ...CONFIG, virtuals: [{ ...V, emailAlertStatus: ['running'] }] } as unknown as Config;
    a.onEvents([quiesce], 'starting', cfg);
    await a.flush();
    expect(sent).toEqual([]);
  });

  it('mails Readd Quiescent as "Quiescent …" as upstream does', () => {
    expect(alertSubject({ kind: 'readdQuiescent', rs: '10.0.0.2:80', v: '10.0.0.1:80' })).toBe('Quiescent real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 0)');
  });
});
