// The winston-backed ldirectord logger: file (open/append/close per line), syslog, stderr (-d), stdout (supervised).
import { appendLogFile } from './file.js';
import { SyslogWriter } from './syslog.js';
import { Writable } from 'node:stream';
import winston from 'winston';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { chomp, fileLine, printable, supervisedLine } from './format.js';
import type { Logger } from './types.js';

/** Where log lines go (spec §5.1). */
export type LogTarget =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'syslog'; readonly facility: string }
  | { readonly kind: 'stderr' }
  | { readonly kind: 'stdout' };

/** Upstream's choice of destination: -d → stderr, supervised → stdout, "/…" → file, else a syslog facility. */
export function logTargetFor(o: { logfile: string; debug: boolean; supervised: boolean }): LogTarget {
  if (o.debug) return { kind: 'stderr' };
  if (o.supervised) return { kind: 'stdout' };
  if (o.logfile.startsWith('/')) return { kind: 'file', path: o.logfile };
  return { kind: 'syslog', facility: o.logfile };
}

/** Options of the ldirectord logger. */
export interface LdLoggerOptions {
  /** CFGNAME of the log prefix (spec §1.4). */
  readonly cfgName: string;
  readonly target: LogTarget;
  /** DEBUG<n> lines with n ≤ debugLevel are written (to stderr, -d only); 0 = none. */
  readonly debugLevel?: number;
  readonly clock?: Clock;
  /** The syslog client command (default `logger`, util-linux), run once and fed one message per stdin line (SyslogWriter). */
  readonly syslogCommand?: string;
  /** Where stderr/stdout lines go (tests); defaults to the process streams. */
  readonly stderr?: (s: string) => void;
  readonly stdout?: (s: string) => void;
}

/** ldirectord's logger; the target can change on reload (logfile=). */
export class LdLogger implements Logger {
  private target: LogTarget;
  private readonly winston: winston.Logger;
  private readonly clock: Clock;
  private readonly debugLevel: number;
  private syslog: { readonly facility: string; readonly writer: SyslogWriter } | undefined;

  constructor(private readonly opts: LdLoggerOptions) {
    this.target = opts.target;
    this.clock = opts.clock ?? systemClock;
    this.debugLevel = opts.debugLevel ?? 0;
    // winston's Stream transport hands each formatted message to a sink that knows the target.
    const sink = new Writable({
      write: (chunk: Buffer | string, _enc, cb) => {
        this.write(String(chunk).replace(/\r?\n$/, ''));
        cb();
      },
    });
    this.winston = winston.createLogger({
      level: 'info',
      format: winston.format.printf((info) => String(info.message)),
      transports: [new winston.transports.Stream({ stream: sink, eol: '\n' })],
    });
  }

  /** The current destination. */
  get currentTarget(): LogTarget {
    return this.target;
  }

  /** Switches destination (a reload changed logfile=, or the daemon detached from its terminal). */
  setTarget(target: LogTarget): void {
    this.target = target;
  }

  /**
   * Nothing to reopen: like upstream, the file is opened, appended and closed for every line,
   * so a logrotate move is followed at the next line without a signal. Kept for HUP symmetry.
   */
  reopen(): void {}

  log(message: string): void {
    // Upstream's -d mode prints each log line twice: as DEBUG2 and plain.
    if (this.target.kind === 'stderr' && this.debugLevel >= 2) this.winston.info(`DEBUG2: ${chomp(message)}`);
    this.winston.info(chomp(message));
  }

  debug(level: number, message: string): void {
    if (this.target.kind !== 'stderr' || level > this.debugLevel) return;
    this.winston.info(`DEBUG${level}: ${message}`);
  }

  /** Writes one message to the current target (called by the winston sink). */
  private write(raw: string): void {
    const message = printable(raw);
    const t = this.target;
    const err = this.opts.stderr ?? ((s: string) => void process.stderr.write(s));
    switch (t.kind) {
      case 'stderr':
        err(`${chomp(message)}\n`);
        return;
      case 'stdout':
        (this.opts.stdout ?? ((s: string) => void process.stdout.write(s)))(supervisedLine(this.clock.wallNow(), message));
        return;
      case 'file':
        try {
          appendLogFile(t.path, fileLine(this.clock.wallNow(), this.opts.cfgName, process.pid, message));
        } catch {
          err(`${chomp(message)}\n`); // upstream: an unopenable log file sends the line to STDERR
        }
        return;
      case 'syslog': {
        if (this.syslog?.facility !== t.facility) {
          void this.syslog?.writer.close();
          this.syslog = { facility: t.facility, writer: new SyslogWriter(t.facility, this.opts.syslogCommand ?? 'logger', (l) => err(`${l}\n`)) };
        }
        this.syslog.writer.write(chomp(message));
        return;
      }
    }
  }

  /** Flushes and closes winston, then the syslog writer. */
  async close(): Promise<void> {
    await new Promise<void>((res) => {
      this.winston.on('finish', () => res());
      this.winston.end();
    });
    await this.syslog?.writer.close();
    this.syslog = undefined;
  }
}
