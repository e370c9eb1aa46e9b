// Pure IP address text <-> bytes helpers, canonical as the model wants (IPv6 RFC 5952, lower case).
// A leaf library: it imports nothing from the project, so every layer (parsers, checks, the IPVS
// codec) may use it without an upward import.

/** An address family, spelled as the model spells it (structurally the model's `Af`). */
export type IpFamily = 'inet' | 'inet6';

/** An address as raw network-order bytes with its family. */
export interface IpBytes {
  readonly af: IpFamily;
  readonly bytes: Uint8Array;
}

// The same few thousand addresses are parsed on every reconcile pass; a bounded memo keeps
// that off the hot path (results are shared: callers must not modify `bytes`).
const MEMO_MAX = 8192;
const parsed = new Map<string, IpBytes | undefined>();
const canonical = new Map<string, string | undefined>();

/** Parses dotted IPv4 or IPv6 text (no brackets, no zone); undefined when it is neither. */
export function parseIp(text: string): IpBytes | undefined {
  if (parsed.has(text)) return parsed.get(text);
  if (parsed.size >= MEMO_MAX) parsed.clear();
  const ip = parseIpUncached(text);
  parsed.set(text, ip);
  return ip;
}

function parseIpUncached(text: string): IpBytes | undefined {
  if (text.includes(':')) {
    const bytes = parseV6(text);
    return bytes ? { af: 'inet6', bytes } : undefined;
  }
  const bytes = parseV4(text);
  return bytes ? { af: 'inet', bytes } : undefined;
}

function parseV4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] ?? '';
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseV6(text: string): Uint8Array | undefined {
  let head = text;
  let v4tail: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    v4tail = parseV4(text.slice(lastColon + 1));
    if (!v4tail) return undefined;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = head.split('::');
  if (dbl.length > 2) return undefined;
  const left = dbl[0] === '' ? [] : (dbl[0] ?? '').split(':');
  const right = dbl.length === 2 ? (dbl[1] === '' ? [] : (dbl[1] ?? '').split(':')) : [];
  const groups = dbl.length === 2 ? 8 - left.length - right.length : 0;
  if (dbl.length === 2 ? groups < 1 : left.length !== 8) return undefined;
  const all = [...left, ...Array<string>(groups).fill('0'), ...right];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = all[i] ?? '';
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  }
  if (v4tail) out.set(v4tail, 12);
  return out;
}

/** Formats bytes canonically as glibc's inet_ntop does (IPv6: longest zero run compressed, lower case). */
export function formatIp(af: IpFamily, bytes: Uint8Array): string {
  if (af === 'inet') return `${bytes[0] ?? 0}.${bytes[1] ?? 0}.${bytes[2] ?? 0}.${bytes[3] ?? 0}`;
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(((bytes[i * 2] ?? 0) << 8) | (bytes[i * 2 + 1] ?? 0));
  // RFC 5952: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  // glibc inet_ntop (what ipvsadm prints): IPv4-compatible and IPv4-mapped keep a dotted tail.
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && groups[5] === 0xffff))) {
    const tail = `${bytes[12] ?? 0}.${bytes[13] ?? 0}.${bytes[14] ?? 0}.${bytes[15] ?? 0}`;
    return bestLen === 6 ? `::${tail}` : `::ffff:${tail}`;
  }
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Canonical text of an address, or undefined when it does not parse. */
export function canonicalIp(text: string): string | undefined {
  if (canonical.has(text)) return canonical.get(text);
  if (canonical.size >= MEMO_MAX) canonical.clear();
  const ip = parseIp(text);
  const out = ip ? formatIp(ip.af, ip.bytes) : undefined;
  canonical.set(text, out);
  return out;
}

/** IPv4 prefix length -> mask bytes (network order). */
export function prefixToMask4(prefix: number): Uint8Array {
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff;
  }
  return out;
}

/** IPv4 mask bytes -> prefix length, or undefined when the mask is not contiguous. */
export function mask4ToPrefix(mask: Uint8Array): number | undefined {
  let prefix = 0;
  let ended = false;
  for (let i = 0; i < 4; i++) {
    for (let b = 7; b >= 0; b--) {
      const set = (((mask[i] ?? 0) >> b) & 1) === 1;
      if (set && ended) return undefined;
      if (set) prefix++;
      else ended = true;
    }
  }
  return prefix;
}
