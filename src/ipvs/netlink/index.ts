// NetlinkIpvs: the Ipvs interface over the kernel's "IPVS" generic-netlink family.
import { compareDests, compareServices } from '../../../parsers/ipvsadm/index.js';
import type { DestKey, DestSpec, IpvsOp, IpvsService, IpvsState, ServiceKey, ServiceSpec, SyncDaemon, SyncState } from '../../model/ipvs.js';
import { normalizeDestKey, normalizeDestSpec, normalizeServiceKey, normalizeServiceSpec, normalizeSyncDaemon } from '../normalize.js';
import { IpvsError } from '../types.js';
import type { Ipvs, IpvsInfo, IpvsOpResult } from '../types.js';
import { decodeDest, decodeFamily, decodeInfo, decodeService } from './decode.js';
import type { NlMessage } from './decode.js';
import * as enc from './encode.js';
import { encodeOp } from './encode.js';
import * as C from './constants.js';
import { decodeDaemon, encodeDelDaemon, encodeDumpDaemons, encodeNewDaemon } from './daemon.js';
import { GenlConnection, openRawTransport } from './socket.js';
import type { NetlinkTransport } from './socket.js';

/** Options for NetlinkIpvs. */
export interface NetlinkIpvsOptions {
  /** Per-request timeout in milliseconds (default 10 s; the emulated test guest is slow). */
  readonly timeoutMs?: number;
  /** How often a snapshot is retried after NLM_F_DUMP_INTR before giving up (default 3). */
  readonly dumpRetries?: number;
  /** Ops sent per datagram inside apply() (default 256); order is kept by the kernel. */
  readonly batchSize?: number;
  /** Transport factory (tests inject a fake kernel; default: the real socket). */
  readonly transport?: () => Promise<NetlinkTransport>;
}

/** IPVS over generic netlink: per-op errnos, full fidelity, no process spawns. */
export class NetlinkIpvs implements Ipvs {
  readonly name = 'netlink';
  private conn: GenlConnection | undefined;
  private connecting: Promise<GenlConnection> | undefined;
  private family: number | undefined;
  private readonly opts: NetlinkIpvsOptions;

  constructor(opts: NetlinkIpvsOptions = {}) {
    this.opts = opts;
  }

  async probe(): Promise<IpvsInfo> {
    try {
      const conn = await this.connection();
      const family = await this.familyId(conn);
      const replies = await conn.request(enc.encodeGetInfo(family, conn.nextSeq()), 'IPVS_CMD_GET_INFO');
      const first = replies[0];
      if (!first) throw new IpvsError('EPROTO', 'GET_INFO returned no message', { code: 'IPVS_PROTOCOL' });
      return decodeInfo(first);
    } catch (err) {
      if (err instanceof IpvsError && err.code === 'IPVS_KERNEL') {
        throw new IpvsError(err.errno, 'IPVS is not usable', { cause: err, code: 'IPVS_UNAVAILABLE' });
      }
      throw err;
    }
  }

  async snapshot(): Promise<IpvsState> {
    const retries = this.opts.dumpRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.snapshotOnce();
      } catch (err) {
        if (!(err instanceof IpvsError && err.code === 'IPVS_DUMP_INTERRUPTED') || attempt >= retries) throw err;
      }
    }
  }

  async addService(svc: ServiceSpec): Promise<void> {
    const s = normalizeServiceSpec(svc);
    await this.command((f, seq) => enc.encodeSetService(C.IPVS_CMD_NEW_SERVICE, f, seq, s), 'IPVS_CMD_NEW_SERVICE');
  }

  async editService(svc: ServiceSpec): Promise<void> {
    const s = normalizeServiceSpec(svc);
    await this.command((f, seq) => enc.encodeSetService(C.IPVS_CMD_SET_SERVICE, f, seq, s), 'IPVS_CMD_SET_SERVICE');
  }

  async deleteService(key: ServiceKey): Promise<void> {
    const k = normalizeServiceKey(key);
    await this.command((f, seq) => enc.encodeDelService(f, seq, k), 'IPVS_CMD_DEL_SERVICE');
  }

  async addDest(svc: ServiceKey, dest: DestSpec): Promise<void> {
    const k = normalizeServiceKey(svc);
    const d = normalizeDestSpec(k, dest);
    await this.command((f, seq) => enc.encodeSetDest(C.IPVS_CMD_NEW_DEST, f, seq, k, d), 'IPVS_CMD_NEW_DEST');
  }

  async editDest(svc: ServiceKey, dest: DestSpec): Promise<void> {
    const k = normalizeServiceKey(svc);
    const d = normalizeDestSpec(k, dest);
    await this.command((f, seq) => enc.encodeSetDest(C.IPVS_CMD_SET_DEST, f, seq, k, d), 'IPVS_CMD_SET_DEST');
  }

  async deleteDest(svc: ServiceKey, dest: DestKey): Promise<void> {
    const k = normalizeServiceKey(svc);
    const d = normalizeDestKey(dest);
    await this.command((f, seq) => enc.encodeDelDest(f, seq, k, d), 'IPVS_CMD_DEL_DEST');
  }

  /**
   * Runs ops in order, `batchSize` to a datagram: the kernel handles a datagram's requests in
   * order and reports each failure, so one send and one ACK cover a whole batch.
   */
  async apply(ops: readonly IpvsOp[]): Promise<IpvsOpResult[]> {
    const conn = await this.connection();
    const family = await this.familyId(conn);
    const size = Math.max(1, this.opts.batchSize ?? 256);
    const settled: IpvsOpResult[] = [];
    let batch: { index: number; buf: Buffer }[] = [];
    const flushBatch = async (): Promise<void> => {
      if (batch.length === 0) return;
      const errs = await conn.batch(batch.map((b) => b.buf), 'apply');
      batch.forEach((b, i) => {
        const e = errs[i];
        settled[b.index] = e ? { ok: false, error: e } : { ok: true };
      });
      batch = [];
    };
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i] as IpvsOp;
      try {
        batch.push({ index: i, buf: encodeOp(op, family, conn.nextSeq()) });
      } catch (err) {
        if (!(err instanceof IpvsError)) throw err;
        settled[i] = { ok: false, error: err };
      }
      if (batch.length >= size) await flushBatch();
    }
    await flushBatch();
    // A stale family id (module reloaded) answers ENOENT for everything: re-resolve, then redo those.
    if (settled.some((r) => !r.ok && r.error.errno === 'ENOENT') && (await this.familyChanged(conn, family))) {
      for (let i = 0; i < ops.length; i++) {
        const r = settled[i];
        const op = ops[i];
        if (r && op && !r.ok && r.error.errno === 'ENOENT') settled[i] = await this.applyOne(op);
      }
    }
    return settled;
  }

  async listDaemons(): Promise<SyncDaemon[]> {
    const msgs = await this.command((f, seq) => encodeDumpDaemons(f, seq), 'IPVS_CMD_GET_DAEMON dump');
    return msgs.map(decodeDaemon).sort((a, b) => (a.state === b.state ? 0 : a.state === 'master' ? -1 : 1));
  }

  async startDaemon(daemon: SyncDaemon): Promise<void> {
    const d = normalizeSyncDaemon(daemon);
    await this.command((f, seq) => encodeNewDaemon(f, seq, d), 'IPVS_CMD_NEW_DAEMON');
  }

  async stopDaemon(state: SyncState): Promise<void> {
    await this.command((f, seq) => encodeDelDaemon(f, seq, state), 'IPVS_CMD_DEL_DAEMON');
  }

  async close(): Promise<void> {
    this.conn?.close();
    this.conn = undefined;
    this.connecting = undefined;
    this.family = undefined;
  }

  /** Deletes every service in this network namespace (for tests that own their namespace). */
  async flush(): Promise<void> {
    await this.command((f, seq) => enc.encodeFlush(f, seq), 'IPVS_CMD_FLUSH');
  }

  private async applyOne(op: IpvsOp): Promise<IpvsOpResult> {
    try {
      const conn = await this.connection();
      const family = await this.familyId(conn);
      await conn.request(encodeOp(op, family, conn.nextSeq()), op.op);
      return { ok: true };
    } catch (err) {
      if (err instanceof IpvsError) return { ok: false, error: err };
      throw err;
    }
  }

  private async connection(): Promise<GenlConnection> {
    if (this.conn) return this.conn;
    this.connecting ??= (async () => {
      const transport = await (this.opts.transport ?? openRawTransport)();
      this.conn = new GenlConnection(transport, this.opts.timeoutMs !== undefined ? { timeoutMs: this.opts.timeoutMs } : {});
      return this.conn;
    })();
    try {
      return await this.connecting;
    } finally {
      this.connecting = undefined;
    }
  }

  private async familyId(conn: GenlConnection, refresh = false): Promise<number> {
    if (this.family !== undefined && !refresh) return this.family;
    try {
      const replies = await conn.request(enc.encodeGetFamily(C.IPVS_GENL_NAME, conn.nextSeq()), 'CTRL_CMD_GETFAMILY IPVS');
      const first = replies[0];
      if (!first) throw new IpvsError('EPROTO', 'GETFAMILY returned no message', { code: 'IPVS_PROTOCOL' });
      this.family = decodeFamily(first).id;
      return this.family;
    } catch (err) {
      if (err instanceof IpvsError && err.errno === 'ENOENT') {
        throw new IpvsError('ENOENT', 'generic netlink family "IPVS" is not registered (ip_vs module not loaded?)', { cause: err, code: 'IPVS_UNAVAILABLE' });
      }
      throw err;
    }
  }

  private async familyChanged(conn: GenlConnection, old: number): Promise<boolean> {
    try {
      return (await this.familyId(conn, true)) !== old;
    } catch {
      return false;
    }
  }

  private async command(build: (family: number, seq: number) => Buffer, what: string): Promise<NlMessage[]> {
    const conn = await this.connection();
    const family = await this.familyId(conn);
    try {
      return await conn.request(build(family, conn.nextSeq()), what);
    } catch (err) {
      if (err instanceof IpvsError && err.errno === 'ENOENT' && (await this.familyChanged(conn, family))) {
        return conn.request(build(this.family ?? family, conn.nextSeq()), what);
      }
      throw err;
    }
  }

  private async snapshotOnce(): Promise<IpvsState> {
    const svcMsgs = await this.command((f, seq) => enc.encodeDumpServices(f, seq), 'IPVS_CMD_GET_SERVICE dump');
    const services: IpvsService[] = [];
    for (const m of svcMsgs) {
      const svc = decodeService(m);
      const destMsgs = await this.command((f, seq) => enc.encodeDumpDests(f, seq, svc.key), 'IPVS_CMD_GET_DEST dump');
      const dests = destMsgs.map((d) => decodeDest(d, svc.key.af)).sort(compareDests);
      services.push({ ...svc, dests });
    }
    services.sort((a, b) => compareServices(a.key, b.key));
    return { services };
  }
}

export { encodeOp } from './encode.js';
export { GenlConnection, openRawTransport } from './socket.js';
export type { NetlinkTransport } from './socket.js';
