// external-perl's compile-once worker: one perl process per script compiles it once (as upstream caches
// `sub { @ARGV = @_; <file> }` for the daemon's life) and forks a child per check that calls the sub.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

// The worker: reads the file once, compiles it into a sub, then for each "<id>\t<args…>" line forks;
// the child calls the sub (exit(n) inside it exits the child with n; die → 1; falling off the end → 0),
// the parent prints "<id>\tpid\t<pid>" at once and "<id>\texit\t<status>" when the child is reaped.
const WORKER = String.raw`
use strict; use warnings; use POSIX ();
my $file = shift @ARGV;
open(my $fh, '<', $file) or do { print "compile\tcannot open $file: $!\n"; exit 1 };
my $code = do { local $/; <$fh> }; close $fh;
my $sub = eval "package main; no strict; no warnings; sub { \@ARGV = \@_;\n#line 1 \"$file\"\n$code\n}";
if (!$sub) { my $e = $@; $e =~ s/\s+/ /g; print "compile\t$e\n"; exit 1 }
$| = 1;
my %ids;
$SIG{CHLD} = sub { while ((my $p = waitpid(-1, POSIX::WNOHANG())) > 0) { my $id = delete $ids{$p}; print "$id\texit\t$?\n" if defined $id } };
print "ready\n";
my $block = POSIX::SigSet->new(POSIX::SIGCHLD());
while (defined(my $line = <STDIN>)) {
  chomp $line; my ($id, @args) = split /\t/, $line, -1;
  POSIX::sigprocmask(POSIX::SIG_BLOCK(), $block);
  my $pid = fork();
  if (!defined $pid) { POSIX::sigprocmask(POSIX::SIG_UNBLOCK(), $block); print "$id\texit\t-1\n"; next }
  if ($pid == 0) {
    $SIG{CHLD} = 'DEFAULT'; POSIX::sigprocmask(POSIX::SIG_UNBLOCK(), $block);
    open(my $report, '>&', \*STDOUT); open(STDIN, '<', '/dev/null'); open(STDOUT, '>', '/dev/null');
    my $ok = eval { $sub->(@args); 1 };
    if (!$ok) { my $e = substr("$@", 0, 200); $e =~ s/[\t\n]+/ /g; $e =~ s/ $//; syswrite($report, "$id\tdie\t$e\n"); POSIX::_exit(255) }
    POSIX::_exit(0);
  }
  $ids{$pid} = $id; print "$id\tpid\t$pid\n";
  POSIX::sigprocmask(POSIX::SIG_UNBLOCK(), $block);
}
`;

/** How one call ended: the child's wait status (and die message), or why there was no child. */
export type PerlCallResult = { readonly status: number; readonly died?: string } | { readonly error: string };

interface Pending {
  pid?: number;
  died?: string;
  resolve: (r: PerlCallResult) => void;
}

/** One script's worker; `call` forks a check child and resolves with its wait status. */
export class PerlWorker {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, Pending>();
  private next = 1;
  private failure: string | undefined;
  private readonly ready: Promise<void>;

  constructor(readonly file: string) {
    this.proc = spawn('perl', ['-e', WORKER, file], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr.resume(); // the checks' own warnings and dies: not ours to keep
    this.proc.stdin.on('error', () => {});
    let onReady!: () => void;
    this.ready = new Promise((r) => (onReady = r));
    this.proc.on('error', (e) => this.fail(`cannot run perl: ${e.message}`, onReady));
    this.proc.on('close', () => this.fail(this.failure ?? 'perl worker exited', onReady));
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      const [id, kind, value] = line.split('\t');
      if (id === 'ready') return onReady();
      if (id === 'compile') return this.fail(`compiling ${file}: ${kind ?? ''}`, onReady);
      const p = this.pending.get(Number(id));
      if (!p) return;
      if (kind === 'pid') p.pid = Number(value);
      else if (kind === 'die') p.died = value ?? '';
      else if (kind === 'exit') {
        this.pending.delete(Number(id));
        p.resolve({ status: Number(value), ...(p.died !== undefined ? { died: p.died } : {}) });
      }
    });
    // Nothing of the worker may hold the process up (a stopping daemon, a test run that ends): the
    // child and all three pipes are unref'd; a pending check keeps its own timer.
    this.proc.unref();
    for (const s of [this.proc.stdin, this.proc.stdout, this.proc.stderr]) (s as unknown as { unref?: () => void }).unref?.();
  }

  private fail(why: string, onReady: () => void): void {
    this.failure ??= why;
    onReady();
    for (const p of this.pending.values()) p.resolve({ error: this.failure });
    this.pending.clear();
  }

  /** Resolves once the script is compiled (or failed to); upstream compiles before its alarm starts. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** Runs the compiled script once with `args`; `signal` aborting kills that check's child (SIGTERM). */
  async call(args: readonly string[], signal: AbortSignal): Promise<PerlCallResult> {
    await this.ready;
    if (this.failure !== undefined) return { error: this.failure };
    const id = this.next++;
    return new Promise<PerlCallResult>((resolve) => {
      const entry: Pending = { resolve };
      const onAbort = (): void => {
        if (entry.pid !== undefined) {
          try {
            process.kill(entry.pid, 'SIGTERM');
          } catch {
            // already gone
          }
        }
      };
      entry.resolve = (r) => {
        signal.removeEventListener('abort', onAbort);
        resolve(r);
      };
      this.pending.set(id, entry);
      signal.addEventListener('abort', onAbort, { once: true });
      this.proc.stdin.write(`${id}\t${args.map((a) => a.replace(/[\t\n]/g, ' ')).join('\t')}\n`);
    });
  }

  /** Ends the worker (tests; the daemon keeps it for its life). */
  close(): void {
    this.proc.stdin.end();
    this.proc.kill('SIGTERM');
  }
}

const workers = new Map<string, PerlWorker>();

/** The worker of `file`, started on first use and kept for the daemon's life (upstream's cache). */
export function perlWorker(file: string): PerlWorker {
  let w = workers.get(file);
  if (!w) {
    w = new PerlWorker(file);
    workers.set(file, w);
  }
  return w;
}

/** Forgets and ends every worker (tests). */
export function closePerlWorkers(): void {
  for (const w of workers.values()) w.close();
  workers.clear();
}
