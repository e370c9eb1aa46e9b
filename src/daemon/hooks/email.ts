// E-mail alerts (emailalert, emailalertfreq, emailalertstatus, emailalertfrom, smtp) as upstream's ld_emailalert_*.
import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import type { Clock, TimerHandle } from '../../clock.js';
import type { Logger } from '../../log/types.js';
import { msg } from '../../log/messages.js';
import type { Config, VirtualService } from '../../model/config.js';
import { eventMessage } from '../../reconcile/messages.js';
import type { ReconcileEvent } from '../../reconcile/operations.js';
import { sendSmtp } from './smtp.js';

/** Daemon phase as the alert body and emailalertstatus name it. */
export type AlertPhase = 'starting' | 'running' | 'stopping' | 'reloading';

/** Sends one alert; resolves false on failure (tests inject a recorder). */
export type MailTransport = (m: { to: string; from?: string; subject: string; body: string; smtp?: string }) => Promise<boolean>;

/** Options of the alert sender. */
export interface AlertOptions {
  readonly logger: Logger;
  readonly clock: Clock;
  readonly hostname: string;
  /** Replaces SMTP/sendmail delivery (tests). */
  readonly transport?: MailTransport;
  /** How often due resends are looked for (default 1 s). */
  readonly tickMs?: number;
}

const ALERTING: ReadonlySet<ReconcileEvent['kind']> = new Set([
  'addReal', 'restoreReal', 'quiesceReal', 'readdQuiescent', 'deleteReal', 'addFallback', 'restoreFallback', 'deleteFallback', 'purgeReal', 'purgeRealStop',
]);

/** Upstream's mail subject for an event (Readd Quiescent is mailed as "Quiescent …"). */
export function alertSubject(e: ReconcileEvent): string {
  const text = eventMessage(e);
  return e.kind === 'readdQuiescent' ? text.replace(/^Readd /, '') : text;
}

function alertId(e: ReconcileEvent): string | undefined {
  return 'rs' in e ? `${e.rs} (${e.v})` : undefined;
}

/** Default delivery: SMTP when smtp= is set, else sendmail -t (MailTools' usual choice). */
async function defaultTransport(m: { to: string; from?: string; subject: string; body: string; smtp?: string }, hostname: string): Promise<boolean> {
  const user = `${userInfo().username}@${hostname}`;
  const headers: [string, string][] = [
    ['From', m.from ?? user],
    ['To', m.to],
    ['Subject', m.subject],
  ];
  if (m.smtp) return sendSmtp({ server: m.smtp, heloName: hostname, envelopeFrom: user, rcpt: m.to, headers, body: m.body });
  return new Promise((resolve) => {
    const child = spawn('/usr/sbin/sendmail', ['-t'], { stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
    child.stdin.end(headers.map(([k, v]) => `${k}: ${v}\n`).join('') + '\n' + m.body);
  });
}

/** Turns applied IPVS events into e-mails and resends "Inaccessible real server" reminders. */
export class AlertSender {
  private resend = new Map<string, { v: VirtualService; at: number }>();
  private timer: TimerHandle | undefined;
  private config: Config | undefined;
  private phase: AlertPhase = 'starting';
  private pending: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: AlertOptions) {}

  /** Called with each applied batch. */
  onEvents(events: readonly ReconcileEvent[], phase: AlertPhase, config: Config): void {
    this.config = config;
    this.phase = phase;
    for (const e of events) {
      if (!ALERTING.has(e.kind)) continue;
      const v = config.virtuals.find((x) => x.display === e.v);
      if (!v) continue;
      const id = alertId(e);
      const remembers = (e.kind === 'quiesceReal' || e.kind === 'readdQuiescent' || e.kind === 'deleteReal') && v.emailAlertFreq > 0;
      if (id !== undefined) {
        if (remembers) this.resend.set(id, { v, at: this.o.clock.now() });
        else this.resend.delete(id);
      }
      this.send(v, alertSubject(e));
    }
    this.arm();
  }

  private arm(): void {
    if (this.timer || this.resend.size === 0) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      this.tick();
    }, this.o.tickMs ?? 1000);
  }

  private tick(): void {
    const now = this.o.clock.now();
    for (const [id, r] of this.resend) {
      if (now - r.at >= r.v.emailAlertFreq * 1000) {
        r.at = now;
        this.send(r.v, `Inaccessible real server: ${id}`);
      }
    }
    this.arm();
  }

  private send(v: VirtualService, subject0: string): void {
    if (!v.emailAlertStatus.includes(this.phase)) return;
    const to = v.emailAlert;
    if (!to) return;
    const subject = v.serviceName ? `[${v.serviceName}] ${subject0}` : subject0;
    this.o.logger.log(msg.emailAlert(subject));
    let body = `ldirectord host: ${this.o.hostname}\nLog-Message: ${subject}\nDaemon-Status: ${this.phase}\n`;
    if (v.serviceName || v.comment) body += `\nService name: ${v.serviceName ?? ''}\nComment: ${v.comment ?? ''}\n\n`;
    const from = this.config?.global.emailAlertFrom;
    const m = { to, subject, body, ...(from ? { from } : {}), ...(v.smtp ? { smtp: v.smtp } : {}) };
    const t = this.o.transport ?? ((x: typeof m) => defaultTransport(x, this.o.hostname));
    this.pending = this.pending.then(async () => {
      const ok = await t(m).catch(() => false);
      if (!ok) this.o.logger.log(v.smtp ? msg.smtpFailed() : msg.mailFailed());
    });
  }

  /** Resolves when every queued mail has been handed over. */
  flush(): Promise<unknown> {
    return this.pending;
  }

  /** Stops resending. */
  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
