// The order libipvs lists services and destinations in (ipvsadm -L/-S, GET_* dumps), shared by
// every backend and the ipvsadm text format so all of them list a table identically.
import type { Af, Protocol, ServiceKey } from './ipvs.js';
import { parseIp } from '../net/ip.js';

const PROTO_NUM: Record<Protocol, number> = { tcp: 6, udp: 17, sctp: 132 };
const AF_NUM: Record<Af, number> = { inet: 2, inet6: 10 };

// Sorting a dump compares every address many times (n log n parses of 10,000 reals per read): the
// words of each address text are computed once. Bounded: cleared when it holds too many.
const wordsCache = new Map<string, number[]>();
const WORDS_CACHE_MAX = 200_000;

function addrWords(af: Af, addr: string): number[] {
  const key = af === 'inet6' ? `6${addr}` : addr;
  const hit = wordsCache.get(key);
  if (hit) return hit;
  const words = computeWords(af, addr);
  if (wordsCache.size >= WORDS_CACHE_MAX) wordsCache.clear();
  wordsCache.set(key, words);
  return words;
}

function computeWords(af: Af, addr: string): number[] {
  const ip = parseIp(addr);
  const b = ip?.bytes ?? new Uint8Array(16);
  const words: number[] = [];
  const n = af === 'inet6' ? 4 : 1;
  for (let i = 0; i < n; i++) words.push((((b[i * 4] ?? 0) << 24) | ((b[i * 4 + 1] ?? 0) << 16) | ((b[i * 4 + 2] ?? 0) << 8) | (b[i * 4 + 3] ?? 0)) >>> 0);
  return words;
}

// libipvs compares with C int subtraction of unsigned values, so large differences wrap;
// `| 0` reproduces that, which decides e.g. whether 10.0.0.1 sorts before 192.168.0.1.
function cmpAddr(af: Af, a: string, b: string): number {
  const wa = addrWords(af, a);
  const wb = addrWords(af, b);
  for (let i = 0; i < wa.length; i++) {
    const r = ((wa[i] ?? 0) - (wb[i] ?? 0)) | 0;
    if (r !== 0) return r;
  }
  return 0;
}

/** ipvs_cmp_services: fwmark, af, protocol, address, port. */
export function compareServices(a: ServiceKey, b: ServiceKey): number {
  const fa = a.kind === 'fwmark' ? a.fwmark : 0;
  const fb = b.kind === 'fwmark' ? b.fwmark : 0;
  let r = (fa - fb) | 0;
  if (r !== 0) return r;
  r = AF_NUM[a.af] - AF_NUM[b.af];
  if (r !== 0) return r;
  const pa = a.kind === 'addr' ? PROTO_NUM[a.protocol] : 6;
  const pb = b.kind === 'addr' ? PROTO_NUM[b.protocol] : 6;
  r = pa - pb;
  if (r !== 0) return r;
  if (a.kind === 'addr' && b.kind === 'addr') {
    r = cmpAddr(a.af, a.addr, b.addr);
    if (r !== 0) return r;
    return a.port - b.port;
  }
  return 0;
}

/** ipvs_cmp_dests: address (in the first destination's family), then port. */
export function compareDests(a: { af: Af; addr: string; port: number }, b: { af: Af; addr: string; port: number }): number {
  const r = cmpAddr(a.af, a.addr, b.addr);
  return r !== 0 ? r : a.port - b.port;
}

