// The one netlink message writer: every request (and every future command) is built with it.
import * as C from './constants.js';

/** Rounds a length up to netlink's 4-byte attribute alignment. */
export function align(n: number): number {
  return (n + C.NLA_ALIGNTO - 1) & ~(C.NLA_ALIGNTO - 1);
}

/**
 * Writes one generic-netlink request (nlmsghdr + genlmsghdr + attributes) into a single growing
 * buffer: the write path encodes thousands of ops per reconcile, and one allocation per message
 * beats one per attribute. Header fields and attributes are host order (little-endian on the
 * hosts we ship for) except `be16` (ports); every attribute is padded to 4 bytes, nla_len
 * excluding the padding.
 *
 * Usage, nested attributes included (IPVS does not need NLA_F_NESTED and libipvs does not send it):
 *
 *   const w = new NlWriter(family, NLM_F_REQUEST | NLM_F_ACK, seq, IPVS_CMD_NEW_DAEMON);
 *   w.nested(IPVS_CMD_ATTR_DAEMON, () => {
 *     w.u32(IPVS_DAEMON_ATTR_STATE, state);
 *     w.str(IPVS_DAEMON_ATTR_MCAST_IFN, ifname);
 *   });
 *   const bytes = w.finish();
 *
 * `nested(type, fn)` writes the attribute header, runs `fn` (which writes the children, nests
 * included, through the same writer) and then fills in the nest's length.
 */
export class NlWriter {
  // room()/head() may replace `buf` when it grows: always take the offset before touching it.
  private buf = Buffer.alloc(128);
  private off = 0;

  constructor(family: number, flags: number, seq: number, cmd: number, version: number = C.IPVS_GENL_VERSION) {
    this.buf.writeUInt16LE(family, 4);
    this.buf.writeUInt16LE(flags, 6);
    this.buf.writeUInt32LE(seq >>> 0, 8);
    this.buf.writeUInt8(cmd, 16);
    this.buf.writeUInt8(version, 17);
    this.off = C.NLMSG_HDRLEN + C.GENL_HDRLEN;
  }

  /** u8 attribute. */
  u8(type: number, v: number): void {
    const at = this.head(type, 1);
    this.buf.writeUInt8(v & 0xff, at);
  }

  /** u16 attribute, host order. */
  u16(type: number, v: number): void {
    const at = this.head(type, 2);
    this.buf.writeUInt16LE(v, at);
  }

  /** u16 attribute, network order (ports). */
  be16(type: number, v: number): void {
    const at = this.head(type, 2);
    this.buf.writeUInt16BE(v, at);
  }

  /** u32 attribute, host order. */
  u32(type: number, v: number): void {
    const at = this.head(type, 4);
    this.buf.writeUInt32LE(v >>> 0, at);
  }

  /** Attribute with a raw payload. */
  bytes(type: number, b: Uint8Array): void {
    const at = this.head(type, b.length);
    this.buf.set(b, at);
  }

  /** NUL-terminated string attribute. */
  str(type: number, s: string): void {
    const n = Buffer.byteLength(s);
    const at = this.head(type, n + 1);
    this.buf.write(s, at, 'utf8');
  }

  /** Nested attribute: `fn` writes its children through this writer. */
  nested(type: number, fn: () => void): void {
    const at = this.room(0);
    this.buf.writeUInt16LE(type, at + 2);
    this.off = at + C.NLA_HDRLEN;
    fn();
    this.buf.writeUInt16LE(this.off - at, at);
  }

  /** Attributes written earlier by another writer (see `attributes()`), copied as they are. */
  raw(b: Uint8Array): void {
    const at = this.room(b.length);
    this.buf.set(b, at);
    this.off = at + b.length;
  }

  /** The whole message, its length filled in. The writer must not be used afterwards. */
  finish(): Buffer {
    this.buf.writeUInt32LE(this.off, 0);
    return this.buf.subarray(0, this.off);
  }

  /** Only the attributes written so far (for caching a block to replay with `raw()`). */
  attributes(): Buffer {
    return Buffer.from(this.buf.subarray(C.NLMSG_HDRLEN + C.GENL_HDRLEN, this.off));
  }

  private room(payload: number): number {
    const need = this.off + align(C.NLA_HDRLEN + payload);
    if (need > this.buf.length) {
      const grown = Buffer.alloc(Math.max(need, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.off);
      this.buf = grown;
    }
    return this.off;
  }

  private head(type: number, payload: number): number {
    const at = this.room(payload);
    this.buf.writeUInt16LE(C.NLA_HDRLEN + payload, at);
    this.buf.writeUInt16LE(type, at + 2);
    this.off = at + align(C.NLA_HDRLEN + payload);
    return at + C.NLA_HDRLEN;
  }
}
