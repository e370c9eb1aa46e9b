// Public surface of the IPVS layer: the interface, the three backends and createIpvs().
import { FakeIpvs } from './fake.js';
import { IpvsadmIpvs } from './ipvsadm.js';
import type { IpvsadmIpvsOptions } from './ipvsadm.js';
import { NetlinkIpvs } from './netlink/index.js';
import type { NetlinkIpvsOptions } from './netlink/index.js';
import { IpvsError } from './types.js';
import type { Ipvs } from './types.js';

export { IpvsError, isAlreadyExists, isNotFound } from './types.js';
export type { Ipvs, IpvsErrno, IpvsInfo, IpvsOpResult } from './types.js';
export { FakeIpvs, KERNEL_SCHEDULERS, KERNEL_PES, formatFakeCall, runOp } from './fake.js';
export type { FakeCall, FakeCounters, FakeDaemonCall, FakeFault, FakeInterface, FakeIpvsOptions } from './fake.js';
export { NetlinkIpvs } from './netlink/index.js';
export type { NetlinkIpvsOptions, NetlinkTransport } from './netlink/index.js';
export { IpvsadmIpvs } from './ipvsadm.js';
export type { IpvsadmIpvsOptions } from './ipvsadm.js';
export { formatOp } from './ipvsadm.js';
export { normalizeDestSpec, normalizeServiceSpec } from './normalize.js';

/** Which backend createIpvs() builds; 'auto' = netlink if probe() works, else ipvsadm. */
export type IpvsKind = 'netlink' | 'ipvsadm' | 'auto';

/** Options for createIpvs(). */
export interface CreateIpvsOptions {
  readonly netlink?: NetlinkIpvsOptions;
  readonly ipvsadm?: IpvsadmIpvsOptions;
}

/**
 * Builds the real IPVS backend. 'auto' probes netlink first and falls back to ipvsadm; if neither
 * works it throws the netlink probe's IpvsError (code IPVS_UNAVAILABLE).
 */
export async function createIpvs(kind: IpvsKind, opts: CreateIpvsOptions = {}): Promise<Ipvs> {
  if (kind === 'netlink') return new NetlinkIpvs(opts.netlink);
  if (kind === 'ipvsadm') return new IpvsadmIpvs(opts.ipvsadm);
  const nl = new NetlinkIpvs(opts.netlink);
  try {
    await nl.probe();
    return nl;
  } catch (err) {
    await nl.close();
    const adm = new IpvsadmIpvs(opts.ipvsadm);
    try {
      await adm.probe();
      return adm;
    } catch {
      throw err instanceof IpvsError ? err : new IpvsError('ENOSYS', 'no IPVS backend works', { cause: err, code: 'IPVS_UNAVAILABLE' });
    }
  }
}

/** A fresh kernel-faithful fake (same as `new FakeIpvs()`), for tests above this layer. */
export function createFakeIpvs(text?: string): FakeIpvs {
  return text === undefined ? new FakeIpvs() : FakeIpvs.fromSave(text);
}
