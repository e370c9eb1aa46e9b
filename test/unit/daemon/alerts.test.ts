// E-mail alerts: SMTP dialogue against a real server on loopback; status bits, servicename, resend frequency.
import { ManualClock } from '../../../src/clock.js';
import { AlertSender, alertSubject } from '../../../src/daemon/hooks/email.js';
import { sendSmtp } from '../../../src/daemon/hooks/smtp.js';
import { MemoryLogger } from '../../../src/log/index.js';
import type { Config, VirtualService } from '../../../src/model/config.js';
import type { ReconcileEvent } from '../../../src/reconcile/index.js';
import { startSmtpRecorder as smtpServer } from '../../support/smtp.js';

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
