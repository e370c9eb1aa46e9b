// Numeric address handling as glibc getaddrinfo does it (inet_aton forms for IPv4), and canonical text.
import { isIPv6 } from 'node:net';

const QUAD_RE = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

/** True for a dotted quad with octets 0..255 and no leading zeros: getaddrinfo returns it unchanged. */
export function isPlainQuad(s: string): boolean {
  const q = QUAD_RE.exec(s);
  return q !== null && +q[1]! < 256 && +q[2]! < 256 && +q[3]! < 256 && +q[4]! < 256;
}

/** Parses an IPv4 literal the way inet_aton does (1-4 parts, octal/hex parts); undefined if not one. */
export function inetAton(s: string): number | undefined {
  if (s === '' || s.length > 64) return undefined;
  const q = QUAD_RE.exec(s);
  if (q) {
    // fast path: plain dotted quad without leading zeros (the common case, hot with 100,000 reals)
    const a = +q[1]!, b = +q[2]!, c = +q[3]!, d = +q[4]!;
    return a > 255 || b > 255 || c > 255 || d > 255 ? undefined : ((a * 256 + b) * 256 + c) * 256 + d;
  }
  const parts = s.split('.');
  if (parts.length > 4) return undefined;
  const vals: number[] = [];
  for (const p of parts) {
    let v: number;
    if (/^0[xX][0-9a-fA-F]*$/.test(p)) v = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) v = parseInt(p, 8);
    else if (/^[1-9][0-9]*$/.test(p)) v = parseInt(p, 10);
    else return undefined;
    if (!Number.isFinite(v)) return undefined;
    vals.push(v);
  }
  const last = vals.pop()!;
  for (const v of vals) if (v > 255) return undefined;
  const lastMax = 2 ** (8 * (4 - vals.length)) - 1;
  if (last > lastMax) return undefined;
  let n = 0;
  for (const v of vals) n = n * 256 + v;
  return n * 2 ** (8 * (4 - vals.length)) + last;
}

/** Dotted-quad text of a 32-bit integer. */
export function intToIp(n: number): string {
  return `${Math.floor(n / 16777216) % 256}.${Math.floor(n / 65536) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`;
}

/** Canonical IPv6 text (RFC 5952: lower case, longest zero run compressed), or undefined if not IPv6. */
export function canonicalIPv6(s: string): string | undefined {
  if (!isIPv6(s) || s.includes('%')) return undefined;
  try {
    return new URL(`http://[${s}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}
