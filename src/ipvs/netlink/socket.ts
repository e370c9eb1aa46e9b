// Generic-netlink I/O only: a transport over the `netlink` package's raw socket, sequence
// matching, multipart dumps, NLMSG_ERROR -> errno, NLM_F_DUMP_INTR and timeouts.
import type * as NetlinkModule from 'netlink';
import { IpvsError } from '../types.js';
import { MessageSplitter, decodeError, errnoName } from './decode.js';
import type { NlMessage } from './decode.js';
import { NETLINK_GENERIC, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN, NLM_F_ACK, NLM_F_DUMP, NLM_F_DUMP_INTR } from './constants.js';

/** The bytes-in, bytes-out boundary: the real socket, or a fake kernel in tests. */
export interface NetlinkTransport {
  send(buf: Buffer): Promise<void>;
  /** Registers the receiver of every datagram (a datagram may hold several messages). */
  onData(cb: (buf: Buffer) => void): void;
  onError(cb: (err: Error) => void): void;
  close(): void;
}

/** Opens a NETLINK_GENERIC socket through the `netlink` package's N-API addon. */
export async function openRawTransport(): Promise<NetlinkTransport> {
  let mod: typeof NetlinkModule;
  try {
    mod = await import('netlink');
  } catch (err) {
    throw new IpvsError('ENOSYS', 'the netlink native addon could not be loaded', { cause: err, code: 'IPVS_UNAVAILABLE' });
  }
  let sock: InstanceType<typeof mod.RawNetlinkSocket>;
  try {
    // Dump replies can reach ~32 KiB per datagram; peeking sizes the buffer for each read.
    sock = new mod.RawNetlinkSocket(NETLINK_GENERIC, { messagePeeking: true, recvBufferSize: 1 << 20, sendBufferSize: 1 << 20 });
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'EPROTONOSUPPORT';
    throw new IpvsError(code, 'cannot open a generic netlink socket', { cause: err, code: 'IPVS_UNAVAILABLE' });
  }
  return {
    send: (buf) =>
      new Promise((resolve, reject) => {
        sock.send(buf, {}, (err) => (err ? reject(new IpvsError(err.code || 'EIO', 'netlink send failed', { cause: err })) : resolve()));
      }),
    onData: (cb) => {
      sock.on('message', (msg) => cb(msg));
      sock.on('truncatedMessage', (msg) => cb(msg));
    },
    onError: (cb) => {
      sock.on('error', (err) => cb(err));
    },
    close: () => sock.close(),
  };
}

interface Pending {
  readonly msgs: NlMessage[];
  readonly resolve: (msgs: NlMessage[]) => void;
  readonly reject: (err: Error) => void;
  /** Per-request timer; batch entries share the batch's own timer instead. */
  readonly timer: NodeJS.Timeout | undefined;
  readonly what: string;
  interrupted: boolean;
}

/** Options for GenlConnection. */
export interface GenlConnectionOptions {
  /** Milliseconds before a request without a complete reply fails with ETIMEDOUT. */
  readonly timeoutMs?: number;
}

/**
 * Request/reply over one netlink socket. A request resolves with its family messages once the
 * kernel's ACK (errno 0) or NLMSG_DONE arrives; NLMSG_ERROR rejects with the errno's name.
 */
export class GenlConnection {
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private readonly pending = new Map<number, Pending>();
  private readonly splitter = new MessageSplitter();
  private readonly timeoutMs: number;
  private closed = false;
  /**
   * The end of the last dump sent: the kernel runs one dump per socket and answers a second with EBUSY
   * (__netlink_dump_start), so a status read during a reconcile pass's table read must wait its turn.
   */
  private dumpTail: Promise<unknown> | undefined;

  constructor(
    private readonly transport: NetlinkTransport,
    opts: GenlConnectionOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    transport.onData((buf) => this.receive(buf));
    transport.onError((err) => this.failAll(new IpvsError((err as { code?: string }).code ?? 'EIO', 'netlink socket error', { cause: err })));
  }

  /** The next sequence number (requests are matched to replies by it). */
  nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0;
    if (this.seq === 0) this.seq = 1;
    return this.seq;
  }

  /** Sends one encoded request (its seq must come from nextSeq()) and waits for its replies; dumps one at a time. */
  request(buf: Buffer, what: string): Promise<NlMessage[]> {
    if ((buf.readUInt16LE(6) & NLM_F_DUMP) !== NLM_F_DUMP) return this.send1(buf, what);
    // Sent at once when no dump is running (callers and tests see the datagram go out synchronously).
    const p = this.dumpTail ? this.dumpTail.then(() => this.send1(buf, what)) : this.send1(buf, what);
    const tail = p.catch(() => undefined);
    this.dumpTail = tail;
    void tail.then(() => {
      if (this.dumpTail === tail) this.dumpTail = undefined;
    });
    return p;
  }

  private send1(buf: Buffer, what: string): Promise<NlMessage[]> {
    if (this.closed) return Promise.reject(new IpvsError('EBADF', `${what}: connection closed`));
    const seq = buf.readUInt32LE(8);
    return new Promise<NlMessage[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new IpvsError('ETIMEDOUT', `${what}: no complete reply within ${this.timeoutMs} ms`, { code: 'IPVS_TIMEOUT' }));
      }, this.timeoutMs);
      this.pending.set(seq, { msgs: [], resolve, reject, timer, what, interrupted: false });
      this.transport.send(buf).catch((err: unknown) => this.settle(seq, err instanceof Error ? err : new Error(String(err))));
    });
  }

  /**
   * Sends several requests in one datagram and settles each: only the last asks for an ACK, so
   * the kernel stays silent on success and its reply to the last one proves every earlier one
   * was handled (netlink_rcv_skb runs a datagram's messages in order and always reports errors).
   * Each buffer must carry its own nextSeq() and is modified (its ACK flag). Resolves with one
   * entry per request: undefined for success, else its IpvsError.
   */
  batch(bufs: readonly Buffer[], what: string): Promise<(IpvsError | undefined)[]> {
    if (bufs.length === 0) return Promise.resolve([]);
    if (this.closed) return Promise.reject(new IpvsError('EBADF', `${what}: connection closed`));
    const seqs = bufs.map((b) => b.readUInt32LE(8));
    const results: (IpvsError | undefined)[] = bufs.map(() => undefined);
    const last = bufs.length - 1;
    // The flags are rewritten in place: the caller hands its freshly encoded requests over.
    bufs.forEach((b, i) => {
      const flags = b.readUInt16LE(6);
      b.writeUInt16LE(i === last ? flags | NLM_F_ACK : flags & ~NLM_F_ACK, 6);
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        for (const seq of seqs) this.pending.delete(seq);
        reject(new IpvsError('ETIMEDOUT', `${what}: no reply to a batch of ${bufs.length} within ${this.timeoutMs} ms`, { code: 'IPVS_TIMEOUT' }));
      }, this.timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        for (const seq of seqs) this.pending.delete(seq);
        resolve(results);
      };
      seqs.forEach((seq, i) => {
        this.pending.set(seq, {
          msgs: [],
          what,
          interrupted: false,
          timer: undefined,
          resolve: () => {
            if (i === last) done();
          },
          reject: (err) => {
            if (!(err instanceof IpvsError) || err.code !== 'IPVS_KERNEL') {
              clearTimeout(timer);
              for (const s of seqs) this.pending.delete(s);
              reject(err);
              return;
            }
            results[i] = err;
            if (i === last) done();
          },
        });
      });
      this.transport.send(Buffer.concat(bufs)).catch((err: unknown) => {
        clearTimeout(timer);
        for (const seq of seqs) this.pending.delete(seq);
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new IpvsError('EBADF', 'connection closed'));
    this.transport.close();
  }

  private settle(seq: number, result: Error | NlMessage[]): void {
    const p = this.pending.get(seq);
    if (!p) return;
    this.pending.delete(seq);
    if (p.timer) clearTimeout(p.timer);
    if (result instanceof Error) p.reject(result);
    else p.resolve(result);
  }

  private failAll(err: Error): void {
    for (const seq of [...this.pending.keys()]) this.settle(seq, err);
  }

  private receive(buf: Buffer): void {
    let msgs: NlMessage[];
    try {
      msgs = this.splitter.push(buf);
    } catch (err) {
      // A garbled stream cannot be resynchronised: every waiter gets the protocol error.
      this.failAll(err as Error);
      return;
    }
    for (const m of msgs) this.dispatch(m);
  }

  private dispatch(m: NlMessage): void {
    let seq = m.seq;
    if (m.type === NLMSG_ERROR) {
      let decoded: { errno: number; requestSeq: number | undefined };
      try {
        decoded = decodeError(m);
      } catch (err) {
        this.settle(seq, err as Error);
        return;
      }
      seq = decoded.requestSeq ?? seq;
      const p = this.pending.get(seq);
      if (!p) return;
      if (decoded.errno === 0) this.finish(seq, p);
      else this.settle(seq, new IpvsError(errnoName(decoded.errno), `${p.what} failed`));
      return;
    }
    const p = this.pending.get(seq);
    if (!p) return; // a late reply to a request that already timed out
    if (m.flags & NLM_F_DUMP_INTR) p.interrupted = true;
    if (m.type === NLMSG_DONE) {
      const err = m.payload.length >= 4 ? m.payload.readInt32LE(0) : 0;
      if (err < 0) this.settle(seq, new IpvsError(errnoName(-err), `${p.what} dump failed`));
      else this.finish(seq, p);
      return;
    }
    if (m.type === NLMSG_OVERRUN) {
      this.settle(seq, new IpvsError('ENOBUFS', `${p.what}: netlink overrun`, { code: 'IPVS_PROTOCOL' }));
      return;
    }
    if (m.type === NLMSG_NOOP) return;
    p.msgs.push(m);
  }

  private finish(seq: number, p: Pending): void {
    if (p.interrupted) {
      this.settle(seq, new IpvsError('EINTR', `${p.what}: dump interrupted by a concurrent change`, { code: 'IPVS_DUMP_INTERRUPTED' }));
    } else this.settle(seq, p.msgs);
  }
}
