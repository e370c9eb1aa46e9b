// `ipvsadm -L -n --exact --thresholds` text -> per-destination thresholds and connection counts.
import type { ServiceKey } from '../../src/model/ipvs.js';
import { serviceKey } from '../../src/model/keys.js';
import { parseHostPort } from './save-format.js';

/** What the thresholds listing adds to `-S -n`: thresholds and connection counts per destination. */
export interface ListedDest {
  readonly addr: string;
  readonly port: number;
  readonly uThresh: number;
  readonly lThresh: number;
  readonly activeConns: number;
  readonly inactConns: number;
}

const PROTO: Record<string, 'tcp' | 'udp' | 'sctp'> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };

function parseServiceLine(tokens: string[]): ServiceKey | undefined {
  const [proto, where, third] = tokens;
  if (proto === 'FWM' && where !== undefined && /^\d+$/.test(where)) {
    return { kind: 'fwmark', af: third === 'IPv6' ? 'inet6' : 'inet', fwmark: Number(where) };
  }
  const p = proto !== undefined ? PROTO[proto] : undefined;
  if (p === undefined || where === undefined) return undefined;
  const hp = parseHostPort(where);
  if (!hp || hp.port === undefined) return undefined;
  return { kind: 'addr', af: hp.af, protocol: p, addr: hp.addr, port: hp.port };
}

/** Parses the thresholds listing into serviceKey() -> destinations; unknown lines are skipped. */
export function parseThresholdList(text: string): Map<string, ListedDest[]> {
  const out = new Map<string, ListedDest[]>();
  let current: ListedDest[] | undefined;
  for (const raw of text.split('\n')) {
    const tokens = raw.trim().split(/\s+/).filter((t) => t !== '');
    if (tokens.length === 0) continue;
    if (tokens[0] === '->') {
      const hp = tokens[1] !== undefined ? parseHostPort(tokens[1]) : undefined;
      const nums = tokens.slice(2, 6).map(Number);
      if (!current || !hp || hp.port === undefined || nums.length !== 4 || nums.some((n) => !Number.isInteger(n))) continue;
      const [u, l, a, i] = nums as [number, number, number, number];
      current.push({ addr: hp.addr, port: hp.port, uThresh: u, lThresh: l, activeConns: a, inactConns: i });
      continue;
    }
    const key = parseServiceLine(tokens);
    if (key) {
      current = [];
      out.set(serviceKey(key), current);
    } else current = undefined;
  }
  return out;
}
