// E-mail alerts (emailalert, emailalertfreq, emailalertstatus, emailalertfrom, smtp) as upstream's ld_emailalert_*.
import { userInfo } from 'node:os';
import type { Clock, TimerHandle } from '../../clock.js';
import type { Logger } from '../../log/types.js';
import { msg } from '../../log/messages.js';
import type { Config, SmtpExtra, VirtualService } from '../../model/config.js';
import { eventMessage } from '../../reconcile/messages.js';
import type { ReconcileEvent } from '../../reconcile/operations.js';
import { deliverMail, type AlertMail } from './mail.js';

/** Daemon phase as the alert body and emailalertstatus name it. */
export type AlertPhase = 'starting' | 'running' | 'stopping' | 'reloading';

/** Delivers one alert; rejects on failure (tests inject a recorder). */
export type MailTransport = (m: AlertMail, smtpHost: string | undefined) => Promise<void>;

/** Options of the alert sender. */
export interface AlertOptions {
  readonly logger: Logger;
  readonly clock: Clock;
  readonly hostname: string;
  /** Replaces SMTP/sendmail delivery (tests). */
  readonly transport?: MailTransport;
  /** SMTP port (tests; upstream and the config always use 25). */
  readonly smtpPort?: number;
  /** Bound of one delivery (default 120 s). */
  readonly mailTimeoutMs?: number;
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

/** Perl truth of a directive value: unset, "" and "0" are false (upstream's `if ($v->{servicename})`). */
function perlTrue(s: string | undefined): s is string {
  return s !== undefined && s !== '' && s !== '0';
}

/** Upstream's body (_ld_virtual_server_details adds only the lines whose value is set). */
export function alertBody(hostname: string, subject: string, phase: AlertPhase, v: Pick<VirtualService, 'serviceName' | 'comment'>): string {
  let details = '';
  if (perlTrue(v.serviceName)) details += `Service name: ${v.serviceName}\n`;
  if (perlTrue(v.comment)) details += `Comment: ${v.comment}\n`;
  const body = `ldirectord host: ${hostname}\nLog-Message: ${subject}\nDaemon-Status: ${phase}\n`;
  return details ? `${body}\n${details}\n` : body;
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
    const byDisplay = virtualsByDisplay(config);
    for (const e of events) {
      if (!ALERTING.has(e.kind)) continue;
      const v = byDisplay.get(e.v);
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
    // Upstream logs the subject before it gets the [servicename] prefix.
    this.o.logger.log(msg.emailAlert(subject0));
    const subject = perlTrue(v.serviceName) ? `[${v.serviceName}] ${subject0}` : subject0;
    const from = this.config?.global.emailAlertFrom;
    const m: AlertMail = { to, subject, body: alertBody(this.o.hostname, subject, this.phase, v), ...(from !== undefined ? { from } : {}) };
    const deliver = this.o.transport ?? ((x: AlertMail, smtpHost: string | undefined) => this.deliver(x, smtpHost, v.smtpExtra));
    // One mail at a time, off the daemon's path: a slow relay delays later alerts, never the checks.
    this.pending = this.pending.then(() =>
      deliver(m, v.smtp).catch((e: unknown) => {
        const line = v.smtp ? msg.smtpFailed() : msg.mailFailed();
        this.o.logger.log(line);
        this.o.logger.debug(2, `${line}: ${e instanceof Error ? e.message : String(e)}`);
      }),
    );
  }

  private deliver(m: AlertMail, smtpHost: string | undefined, extra: SmtpExtra | undefined): Promise<void> {
    const smtpPort = extra?.port ?? this.o.smtpPort;
    return deliverMail(m, {
      ...(smtpHost !== undefined ? { smtpHost } : {}),
      ...(smtpPort !== undefined ? { smtpPort } : {}),
      ...(extra?.user !== undefined ? { smtpAuth: { user: extra.user, pass: extra.password ?? '' } } : {}),
      ...(this.o.mailTimeoutMs !== undefined ? { timeoutMs: this.o.mailTimeoutMs } : {}),
      user: userInfo().username,
      hostname: this.o.hostname,
    });
  }

  /** Resolves when every queued mail has been handed over. */
  flush(): Promise<unknown> {
    return this.pending;
  }

  /** As flush, but waits at most `ms` (at stop: upstream mailed synchronously, we must not hang the exit). */
  settle(ms: number): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    });
    return Promise.race([this.pending, bound]).finally(() => clearTimeout(timer));
  }

  /** Stops resending. */
  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}

// A start at 10,000 reals applies 10,000 events at once: a scan of the virtuals per event took ~0.5 s of event loop.
const displayIndex = new WeakMap<Config, ReadonlyMap<string, VirtualService>>();

/** The virtuals of a (frozen) config by their log label, the first of equal labels winning as find() did. */
function virtualsByDisplay(config: Config): ReadonlyMap<string, VirtualService> {
  let m = displayIndex.get(config);
  if (!m) {
    const built = new Map<string, VirtualService>();
    for (const v of config.virtuals) if (!built.has(v.display)) built.set(v.display, v);
    displayIndex.set(config, (m = built));
  }
  return m;
}
