// A NetlinkTransport that plays the kernel: decodes our requests with the kernel's rules, runs
// them on a FakeIpvs and answers in the kernel's reply shape, with scriptable faults.
import * as dec from '../../../src/ipvs/netlink/decode.js';
import * as C from '../../../src/ipvs/netlink/constants.js';
import type { NetlinkTransport } from '../../../src/ipvs/netlink/socket.js';
import * as ref from './reference-encoder.js';
import { FakeIpvs, IpvsError } from '../../../src/ipvs/index.js';
import { mask4ToPrefix, formatIp } from '../../../src/net/ip.js';
import type { Af, DestSpec, ForwardMethod, IpvsDest, IpvsService, ServiceKey, ServiceSpec } from '../../../src/model/ipvs.js';
import { constants as osConstants } from 'node:os';

/** Faults the fake kernel can be told to produce. */
export interface KernelFaults {
  /** IPVS family not registered (module not loaded). */
  noFamily?: boolean;
  /** Every IPVS command answers EPERM (no CAP_NET_ADMIN). */
  eperm?: boolean;
  /** The next N dumps carry NLM_F_DUMP_INTR. */
  dumpIntr?: number;
  /** Swallow replies to the next N requests (so the caller times out). */
  drop?: number;
  /** Replace the next reply datagram with these bytes. */
  garble?: Buffer;
  /** Split every reply datagram into chunks of this many bytes. */
  chunk?: number;
  /** Coalesce every datagram with the next one into a single read. */
  merge?: boolean;
}

const FAMILY = 0x2a;
const FWD: readonly ForwardMethod[] = ['masq', 'local', 'tunnel', 'route', 'bypass'];

function errnoNum(name: string): number {
  return (osConstants.errno as Record<string, number>)[name] ?? 22;
}

class Invalid extends Error {}

function need(a: Map<number, Buffer>, t: number): Buffer {
  const v = a.get(t);
  if (!v) throw new Invalid(`attribute ${t} missing`);
  return v;
}

function afOf(n: number): Af {
  if (n === C.AF_INET) return 'inet';
  if (n === C.AF_INET6) return 'inet6';
  throw new IpvsError('EAFNOSUPPORT', `af ${n}`);
}

// ip_vs_genl_parse_service
function parseService(nest: Buffer | undefined, full: boolean): ServiceSpec | ServiceKey {
  if (!nest) throw new Invalid('no service');
  const a = dec.parseAttrs(nest);
  const af = afOf(need(a, C.IPVS_SVC_ATTR_AF).readUInt16LE(0));
  const fw = a.get(C.IPVS_SVC_ATTR_FWMARK);
  let key: ServiceKey;
  if (fw && fw.readUInt32LE(0) !== 0) key = { kind: 'fwmark', af, fwmark: fw.readUInt32LE(0) };
  else {
    const proto = need(a, C.IPVS_SVC_ATTR_PROTOCOL).readUInt16LE(0);
    const addr = Buffer.alloc(16);
    need(a, C.IPVS_SVC_ATTR_ADDR).copy(addr);
    key = { kind: 'addr', af, protocol: proto === 17 ? 'udp' : proto === 132 ? 'sctp' : 'tcp', addr: formatIp(af, addr.subarray(0, af === 'inet' ? 4 : 16)), port: need(a, C.IPVS_SVC_ATTR_PORT).readUInt16BE(0) };
  }
  if (!full) return key;
  const sched = need(a, C.IPVS_SVC_ATTR_SCHED_NAME);
  const flags = need(a, C.IPVS_SVC_ATTR_FLAGS).readUInt32LE(0);
  const timeout = need(a, C.IPVS_SVC_ATTR_TIMEOUT).readUInt32LE(0);
  const nm = need(a, C.IPVS_SVC_ATTR_NETMASK);
  const pe = a.get(C.IPVS_SVC_ATTR_PE_NAME);
  const str = (b: Buffer): string => b.subarray(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0)).toString();
  return {
    key,
    scheduler: str(sched),
    flags: flags & ~0x3,
    timeout: flags & 1 ? timeout : 0,
    netmask: af === 'inet' ? (mask4ToPrefix(nm.subarray(0, 4)) ?? 32) : nm.readUInt32LE(0),
    ...(pe && str(pe) ? { pe: str(pe) } : {}),
  };
}

// ip_vs_genl_parse_dest
function parseDest(nest: Buffer | undefined, svcAf: Af, full: boolean): DestSpec {
  if (!nest) throw new Invalid('no dest');
  const a = dec.parseAttrs(nest);
  const fam = a.get(C.IPVS_DEST_ATTR_ADDR_FAMILY);
  const af = fam ? afOf(fam.readUInt16LE(0)) : svcAf;
  const addr = Buffer.alloc(16);
  need(a, C.IPVS_DEST_ATTR_ADDR).copy(addr);
  const base = { af, addr: formatIp(af, addr.subarray(0, af === 'inet' ? 4 : 16)), port: need(a, C.IPVS_DEST_ATTR_PORT).readUInt16BE(0) };
  if (!full) return { ...base, fwd: 'route', weight: 0, uThresh: 0, lThresh: 0 };
  return {
    ...base,
    fwd: FWD[need(a, C.IPVS_DEST_ATTR_FWD_METHOD).readUInt32LE(0) & 7] ?? 'masq',
    weight: need(a, C.IPVS_DEST_ATTR_WEIGHT).readInt32LE(0),
    uThresh: need(a, C.IPVS_DEST_ATTR_U_THRESH).readUInt32LE(0),
    lThresh: need(a, C.IPVS_DEST_ATTR_L_THRESH).readUInt32LE(0),
  };
}

function pad16(a: Buffer): Buffer {
  const full = Buffer.alloc(16);
  a.subarray(4, a.readUInt16LE(0)).copy(full);
  return full;
}

function serviceReply(svc: IpvsService, seq: number, flags: number): Buffer {
  const nest = ref.serviceFullAttrs(svc).map((a) => {
    const t = a.readUInt16LE(2);
    if (t === C.IPVS_SVC_ATTR_ADDR) return ref.attr(t, pad16(a));
    if (t === C.IPVS_SVC_ATTR_FLAGS) {
      const c = Buffer.from(a);
      c.writeUInt32LE(c.readUInt32LE(4) | 0x2, 4);
      return c;
    }
    return a;
  });
  return ref.encodeRequest({ family: FAMILY, flags, seq, pid: 1, cmd: C.IPVS_CMD_NEW_SERVICE, attrs: [ref.attrNested(C.IPVS_CMD_ATTR_SERVICE, nest)] });
}

function destReply(d: IpvsDest, seq: number, flags: number): Buffer {
  const nest = ref.destFullAttrs(d).map((a) => (a.readUInt16LE(2) === C.IPVS_DEST_ATTR_ADDR ? ref.attr(C.IPVS_DEST_ATTR_ADDR, pad16(a)) : a));
  nest.push(ref.attrU32(C.IPVS_DEST_ATTR_ACTIVE_CONNS, d.activeConns), ref.attrU32(C.IPVS_DEST_ATTR_INACT_CONNS, d.inactConns), ref.attrU32(C.IPVS_DEST_ATTR_PERSIST_CONNS, d.persistConns));
  return ref.encodeRequest({ family: FAMILY, flags, seq, pid: 1, cmd: C.IPVS_CMD_NEW_DEST, attrs: [ref.attrNested(C.IPVS_CMD_ATTR_DEST, nest)] });
}

function errorMsg(errno: number, req: dec.NlMessage): Buffer {
  const b = Buffer.alloc(36);
  b.writeUInt32LE(36, 0);
  b.writeUInt16LE(C.NLMSG_ERROR, 4);
  b.writeUInt16LE(C.NLM_F_CAPPED, 6);
  b.writeUInt32LE(req.seq, 8);
  b.writeUInt32LE(1, 12);
  b.writeInt32LE(-errno, 16);
  b.writeUInt32LE(req.payload.length + 16, 20);
  b.writeUInt16LE(req.type, 24);
  b.writeUInt16LE(req.flags, 26);
  b.writeUInt32LE(req.seq, 28);
  return b;
}

function done(seq: number, flags: number): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(20, 0);
  b.writeUInt16LE(C.NLMSG_DONE, 4);
  b.writeUInt16LE(C.NLM_F_MULTI | flags, 6);
  b.writeUInt32LE(seq, 8);
  b.writeUInt32LE(1, 12);
  return b;
}

/** The fake kernel; `fake` is its IPVS table, `faults` can be changed between calls. */
export class FakeKernelTransport implements NetlinkTransport {
  readonly faults: KernelFaults;
  requests = 0;
  private data: ((b: Buffer) => void) | undefined;
  private held: Buffer | undefined;
  /** A dump of this socket is running until its replies are delivered (netlink_dump_start: one per socket). */
  private dumping = false;

  constructor(
    readonly fake: FakeIpvs = new FakeIpvs(),
    faults: KernelFaults = {},
  ) {
    this.faults = faults;
  }

  onData(cb: (buf: Buffer) => void): void {
    this.data = cb;
  }

  onError(): void {}

  close(): void {}

  async send(buf: Buffer): Promise<void> {
    this.requests++;
    // Like netlink_rcv_skb: every message of the datagram, in order; ACKs only when asked for.
    const replies: Buffer[] = [];
    for (const req of dec.decodeMessages(buf)) {
      const isDump = req.type !== C.GENL_ID_CTRL && (req.flags & C.NLM_F_DUMP) === C.NLM_F_DUMP;
      // __netlink_dump_start: a second dump on a socket whose dump has not finished is refused with EBUSY.
      if (isDump && this.dumping) {
        replies.push(errorMsg(16, req));
        continue;
      }
      if (isDump) this.dumping = true;
      for (const r of await this.handle(req)) {
        const isAck = r.readUInt16LE(4) === C.NLMSG_ERROR && r.readInt32LE(16) === 0;
        if (!isAck || req.flags & C.NLM_F_ACK) replies.push(r);
      }
    }
    if (this.faults.drop && this.faults.drop > 0) {
      this.faults.drop--;
      return;
    }
    setImmediate(() => this.deliver(Buffer.concat(replies)));
  }

  private deliver(datagram: Buffer): void {
    this.dumping = false;
    let out = datagram;
    if (this.faults.garble) {
      out = this.faults.garble;
      delete this.faults.garble;
    }
    if (this.faults.merge) {
      if (!this.held) {
        this.held = out;
        return;
      }
      out = Buffer.concat([this.held, out]);
      this.held = undefined;
    }
    const step = this.faults.chunk ?? out.length;
    for (let i = 0; i < out.length; i += step) this.data?.(out.subarray(i, i + step));
  }

  private async handle(req: dec.NlMessage): Promise<Buffer[]> {
    if (req.type === C.GENL_ID_CTRL) {
      if (this.faults.noFamily) return [errorMsg(2, req)];
      const reply = ref.encodeRequest({ family: C.GENL_ID_CTRL, flags: 0, seq: req.seq, pid: 1, cmd: C.CTRL_CMD_NEWFAMILY, version: 2, attrs: [ref.attrU16(C.CTRL_ATTR_FAMILY_ID, FAMILY), ref.attrString(C.CTRL_ATTR_FAMILY_NAME, 'IPVS'), ref.attrU32(C.CTRL_ATTR_VERSION, 1)] });
      return [reply, errorMsg(0, req)];
    }
    if (req.type !== FAMILY || this.faults.noFamily) return [errorMsg(2, req)];
    if (this.faults.eperm) return [errorMsg(1, req)];
    const g = dec.decodeGenl(req);
    const dump = (req.flags & C.NLM_F_DUMP) === C.NLM_F_DUMP;
    try {
      switch (g.cmd) {
        case C.IPVS_CMD_GET_INFO: {
          const r = ref.encodeRequest({ family: FAMILY, flags: 0, seq: req.seq, pid: 1, cmd: C.IPVS_CMD_SET_INFO, attrs: [ref.attrU32(C.IPVS_INFO_ATTR_VERSION, 0x010201), ref.attrU32(C.IPVS_INFO_ATTR_CONN_TAB_SIZE, 4096)] });
          return [r, errorMsg(0, req)];
        }
        case C.IPVS_CMD_GET_SERVICE: {
          if (!dump) throw new IpvsError('EOPNOTSUPP', 'doit not faked');
          const intr = this.takeIntr();
          const snap = await this.fake.snapshot();
          return [...snap.services.map((s) => serviceReply(s, req.seq, C.NLM_F_MULTI | intr)), done(req.seq, intr)];
        }
        case C.IPVS_CMD_GET_DEST: {
          if (!dump) throw new IpvsError('EOPNOTSUPP', 'GET_DEST needs NLM_F_DUMP');
          const key = parseService(g.attrs.get(C.IPVS_CMD_ATTR_SERVICE), false) as ServiceKey;
          const snap = await this.fake.snapshot();
          const svc = snap.services.find((s) => JSON.stringify(s.key) === JSON.stringify(key));
          return [...(svc?.dests ?? []).map((d) => destReply(d, req.seq, C.NLM_F_MULTI)), done(req.seq, 0)];
        }
        case C.IPVS_CMD_FLUSH: {
          const snap = await this.fake.snapshot();
          for (const s of snap.services) await this.fake.deleteService(s.key);
          return [errorMsg(0, req)];
        }
        case C.IPVS_CMD_NEW_SERVICE:
        case C.IPVS_CMD_SET_SERVICE: {
          const spec = parseService(g.attrs.get(C.IPVS_CMD_ATTR_SERVICE), true) as ServiceSpec;
          await (g.cmd === C.IPVS_CMD_NEW_SERVICE ? this.fake.addService(spec) : this.fake.editService(spec));
          return [errorMsg(0, req)];
        }
        case C.IPVS_CMD_DEL_SERVICE:
          await this.fake.deleteService(parseService(g.attrs.get(C.IPVS_CMD_ATTR_SERVICE), false) as ServiceKey);
          return [errorMsg(0, req)];
        case C.IPVS_CMD_NEW_DEST:
        case C.IPVS_CMD_SET_DEST:
        case C.IPVS_CMD_DEL_DEST: {
          const key = parseService(g.attrs.get(C.IPVS_CMD_ATTR_SERVICE), false) as ServiceKey;
          const d = parseDest(g.attrs.get(C.IPVS_CMD_ATTR_DEST), key.af, g.cmd !== C.IPVS_CMD_DEL_DEST);
          if (g.cmd === C.IPVS_CMD_NEW_DEST) await this.fake.addDest(key, d);
          else if (g.cmd === C.IPVS_CMD_SET_DEST) await this.fake.editDest(key, d);
          else await this.fake.deleteDest(key, d);
          return [errorMsg(0, req)];
        }
        default:
          throw new IpvsError('EOPNOTSUPP', `cmd ${g.cmd}`);
      }
    } catch (err) {
      if (err instanceof Invalid) return [errorMsg(22, req)];
      if (err instanceof IpvsError) return [errorMsg(errnoNum(err.errno), req)];
      throw err;
    }
  }

  private takeIntr(): number {
    if (this.faults.dumpIntr && this.faults.dumpIntr > 0) {
      this.faults.dumpIntr--;
      return C.NLM_F_DUMP_INTR;
    }
    return 0;
  }
}
