// logfile="<facility>": one long-lived util-linux `logger` per facility, fed one message per line on its stdin.
import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Why a `logger` child and not our own /dev/log datagrams: Node has no AF_UNIX SOCK_DGRAM, and the
 * native `unix-dgram` module would need a compiler at install time. One child for the daemon's life
 * (not one per line, issue 13 item 4) keeps lines in order at a pipe write each; `--socket-errors=off`
 * keeps it quiet while syslogd restarts. The child is unref'd, so it never holds the daemon up at exit.
 */
export class SyslogWriter {
  private child: ChildProcess | undefined;
  private broken = false;

  constructor(
    private readonly facility: string,
    private readonly command: string,
    /** Where a line goes when no `logger` can run (upstream: STDERR). */
    private readonly fallback: (line: string) => void,
  ) {}

  /** Sends one message (embedded newlines become spaces: one log call, one syslog message). */
  write(message: string): void {
    const line = message.replace(/\r?\n/g, ' ');
    const child = this.ensure();
    if (child === undefined || child.stdin === null || child.stdin.destroyed) {
      this.fallback(line);
      return;
    }
    child.stdin.write(`${line}\n`);
  }

  /** Ends the child's input and waits (bounded) for it to pass on what it has. */
  close(timeoutMs = 2000): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, timeoutMs);
      t.unref();
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      child.stdin?.end();
    });
  }

  /** The running child, started at the first line (and again after it died). */
  private ensure(): ChildProcess | undefined {
    if (this.broken) return undefined;
    if (this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null) return this.child;
    const child = spawn(this.command, ['--socket-errors=off', '-t', 'ldirectord', `--id=${process.pid}`, '-p', `${this.facility}.info`], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    child.on('error', () => {
      this.broken = true; // no logger binary: every later line goes to the fallback
      if (this.child === child) this.child = undefined;
    });
    child.on('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    child.stdin?.on('error', () => undefined); // EPIPE after the child died: the next line respawns it
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    this.child = child;
    return child;
  }
}
