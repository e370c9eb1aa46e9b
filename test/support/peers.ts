// Misbehaving loopback peers every check is tested against: silent (accepts, never answers) and garbage (floods junk).
import net from 'node:net';
import dgram from 'node:dgram';

/** A TCP server under test control; `open` counts connections the peer still has open. */
export interface TestPeer {
  readonly host: string;
  readonly port: number;
  /** Connections accepted so far. */
  accepted(): number;
  /** Connections still open on the server side. */
  open(): number;
  close(): Promise<void>;
}

async function serve(host: string, onConn: (s: net.Socket) => void, allowHalfOpen = false): Promise<TestPeer> {
  const sockets = new Set<net.Socket>();
  const all = new Set<net.Socket>();
  let accepted = 0;
  const srv = net.createServer({ allowHalfOpen }, (s) => {
    accepted++;
    sockets.add(s);
    all.add(s);
    // A FIN from the check counts as closed; a half-open peer keeps its side for close().
    s.on('end', () => sockets.delete(s));
    s.on('close', () => {
      sockets.delete(s);
      all.delete(s);
    });
    s.on('error', () => undefined);
    onConn(s);
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, host, () => resolve());
  });
  const addr = srv.address() as net.AddressInfo;
  return {
    host,
    port: addr.port,
    accepted: () => accepted,
    open: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of all) s.destroy();
        srv.close(() => resolve());
      }),
  };
}

/** Accepts and never says a word, even after the check half-closes (a hung real). */
export function silentPeer(host = '127.0.0.1'): Promise<TestPeer> {
  return serve(host, (s) => s.resume(), true); // flowing, so the peer notices our FIN
}

/** Sends `bytes` of junk without a newline (default 10 MB), then closes. */
export function garbagePeer(host = '127.0.0.1', bytes = 10 * 1024 * 1024): Promise<TestPeer> {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  return serve(host, (s) => {
    let left = bytes;
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!s.write(chunk.subarray(0, n))) {
          s.once('drain', pump);
          return;
        }
      }
      s.end();
    };
    pump();
  });
}

/** Answers each connection with a fixed text (e.g. a wrong greeting), then keeps it open. */
export function scriptedPeer(text: string, host = '127.0.0.1'): Promise<TestPeer> {
  return serve(host, (s) => {
    s.write(text);
    s.on('data', () => undefined);
  });
}

/** A UDP socket that receives and never answers. */
export async function silentUdpPeer(host = '127.0.0.1'): Promise<{ port: number; received(): number; close(): Promise<void> }> {
  const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  let n = 0;
  sock.on('message', () => n++);
  await new Promise<void>((resolve) => sock.bind(0, host, () => resolve()));
  return { port: sock.address().port, received: () => n, close: () => new Promise<void>((r) => sock.close(() => r())) };
}

/** Wait until `pred` holds (polling), failing after `ms`. */
export async function eventually(pred: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A listener whose accept queue is full, so further SYNs go unanswered and connect() hangs (a
 * black-holed real). Perl holds a listen(0) socket it never accepts on; we fill its queue.
 */
export async function blackholePeer(host = '127.0.0.1'): Promise<{ port: number; close: () => Promise<void> }> {
  const { spawn } = await import('node:child_process');
  const script = 'use IO::Socket::IP; my $s = IO::Socket::IP->new(LocalHost => $ARGV[0], LocalPort => 0, Listen => 0, ReuseAddr => 1) or die "listen: $@"; $| = 1; print $s->sockport, "\\n"; sleep 600;';
  const child = spawn('perl', ['-e', script, host], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (b: Buffer) => resolve(Number(b.toString().trim())));
    child.once('exit', (code) => reject(new Error(`perl listener exited ${code}`)));
  });
  const fillers: net.Socket[] = [];
  // Connections that complete the handshake fill the queue; the next SYNs are dropped.
  for (let i = 0; i < 8; i++) {
    const s = net.connect({ host, port });
    s.on('error', () => undefined);
    fillers.push(s);
  }
  await new Promise((r) => setTimeout(r, 100));
  return {
    port,
    close: async () => {
      for (const s of fillers) s.destroy();
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
