// One UDP request/reply exchange for checks, bounded in time and size.
import { createSocket, type RemoteInfo } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { hostPort } from '../model/keys.js';
import { CheckFailure, abortText, describeError, withTimeout } from './result.js';

/** Options for udpExchange(). */
export interface UdpOptions {
  readonly host: string;
  readonly port: number;
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  /** Builds the datagram once the local address is known (SIP quotes it in Via). */
  readonly build: (local: { address: string; port: number }) => Buffer;
  /** Datagrams for which this returns false are ignored (e.g. wrong transaction id). */
  readonly accept?: (msg: Buffer) => boolean;
  /** Sends the same datagram again every this many ms until a reply or the timeout (UDP loses packets). */
  readonly retransmitMs?: number;
}

/**
 * Send one datagram to host:port (again every `retransmitMs`, if set) and resolve with the first
 * accepted reply from that peer.
 * ICMP port-unreachable surfaces as "connection refused". The socket is closed in every case.
 */
export function udpExchange(opts: UdpOptions): Promise<{ reply: Buffer; sent: Buffer }> {
  const { host, port } = opts;
  const t = withTimeout(opts.signal, opts.timeoutMs);
  const sock = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
  return new Promise<{ reply: Buffer; sent: Buffer }>((resolve, reject) => {
    let sent: Buffer = Buffer.alloc(0);
    let done = false;
    let resend: NodeJS.Timeout | undefined;
    const finish = (err: unknown, reply?: Buffer): void => {
      if (done) return;
      done = true;
      if (resend !== undefined) clearInterval(resend);
      t.signal.removeEventListener('abort', onAbort);
      t.dispose();
      try {
        sock.close();
      } catch {
        // already closed
      }
      if (reply !== undefined) resolve({ reply, sent });
      else reject(err instanceof CheckFailure ? err : new CheckFailure(describeError(err), { cause: err }));
    };
    const onAbort = (): void => finish(new CheckFailure(`${abortText(t.signal)} waiting for a UDP reply from ${hostPort(host, port)}`));
    if (t.signal.aborted) {
      onAbort();
      return;
    }
    t.signal.addEventListener('abort', onAbort, { once: true });
    sock.on('error', (err) => finish(err));
    sock.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
      if (rinfo.port !== port) return;
      if (opts.accept !== undefined && !opts.accept(msg)) return;
      finish(undefined, msg);
    });
    // connect() makes the kernel report ICMP unreachable as ECONNREFUSED and fixes the local address.
    sock.connect(port, host, () => {
      const a = sock.address();
      sent = opts.build({ address: a.address, port: a.port });
      const send = (): void => {
        if (!done) sock.send(sent, (err) => err && finish(err));
      };
      send();
      if (opts.retransmitMs !== undefined && opts.retransmitMs > 0 && !done) resend = setInterval(send, opts.retransmitMs);
    });
  });
}
