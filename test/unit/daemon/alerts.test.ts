// E-mail alerts: the text of each alert (upstream's subject, body and log line), status bits, resend frequency.
// Delivery against real SMTP servers and a sendmail program: mail-delivery.test.ts.
import { ManualClock } from '../../../src/clock.js';
import { AlertSender, alertBody, alertSubject } from '../../../src/daemon/hooks/email.js';
import type { AlertMail } from '../../../src/daemon/hooks/mail.js';
import { MemoryLogger } from '../../../src/log/index.js';
import type { Config, VirtualService } from '../../../src/model/config.js';
import type { ReconcileEvent } from '../../../src/reconcile/index.js';

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
  const sent: AlertMail[] = [];
  const a = new AlertSender({ logger, clock, hostname: 'director', transport: async (m) => void sent.push(m) });
  return { a, clock, logger, sent };
}

const quiesce: ReconcileEvent = { kind: 'quiesceReal', rs: '10.0.0.2:80', v: '10.0.0.1:80' };
const restore: ReconcileEvent = { kind: 'restoreReal', rs: '10.0.0.2:80', v: '10.0.0.1:80', weight: 1 };

describe('AlertSender', () => {
  it('mails each IPVS change with [servicename] and the upstream body, and logs "emailalert: …" without the prefix', async () => {
    const { a, logger, sent } = sender();
    a.onEvents([quiesce], 'running', CONFIG);
    await a.flush();
    expect(sent).toEqual([
      {
        to: 'ops@example.org',
        from: 'lvs@example.org',
        subject: '[web] Quiescent real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 0)',
        body: 'ldirectord host: director\nLog-Message: [web] Quiescent real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 0)\nDaemon-Status: running\n\nService name: web\n\n',
      },
    ]);
    // ld_emailalert_send logs the subject before it adds "[servicename] ".
    expect(logger.lines).toEqual(['emailalert: Quiescent real server: 10.0.0.2:80 (10.0.0.1:80) (Weight set to 0)']);
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

describe('alertBody', () => {
  it('adds only the Service name / Comment lines whose value is set, as _ld_virtual_server_details', () => {
    const head = 'ldirectord host: h\nLog-Message: s\nDaemon-Status: stopping\n';
    expect(alertBody('h', 's', 'stopping', {})).toBe(head);
    expect(alertBody('h', 's', 'stopping', { comment: 'rack 4' })).toBe(`${head}\nComment: rack 4\n\n`);
    expect(alertBody('h', 's', 'stopping', { serviceName: 'web', comment: 'rack 4' })).toBe(`${head}\nService name: web\nComment: rack 4\n\n`);
    // Perl's truth: "0" is false.
    expect(alertBody('h', 's', 'stopping', { serviceName: '0' })).toBe(head);
  });
});
