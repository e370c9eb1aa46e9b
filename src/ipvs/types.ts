// The one interface to IPVS (netlink, ipvsadm and fake implement it) and its typed error.
import { LdirdError } from '../errors.js';
import type { DestKey, DestSpec, IpvsOp, IpvsState, ServiceKey, ServiceSpec, SyncDaemon, SyncState } from '../model/ipvs.js';

/** What probe() learned about the kernel's IPVS. */
export interface IpvsInfo {
  /** Version as "major.minor.patch" (kernel IP_VS_VERSION_CODE). */
  readonly version: string;
  /** Connection hash table size. */
  readonly connTableSize: number;
}

/** Outcome of one operation inside apply(). */
export type IpvsOpResult = { readonly ok: true } | { readonly ok: false; readonly error: IpvsError };

/** IPVS, whatever speaks to it. Every kernel error is an IpvsError carrying the errno name. */
export interface Ipvs {
  /** Which backend this is ("netlink", "ipvsadm", "fake"), for logs. */
  readonly name: string;
  /** Checks that IPVS is there and usable; throws IpvsError (code IPVS_UNAVAILABLE) if not. */
  probe(): Promise<IpvsInfo>;
  /** Every service with its destinations; never a half-read table (retries or throws). */
  snapshot(): Promise<IpvsState>;
  addService(svc: ServiceSpec): Promise<void>;
  editService(svc: ServiceSpec): Promise<void>;
  deleteService(key: ServiceKey): Promise<void>;
  addDest(svc: ServiceKey, dest: DestSpec): Promise<void>;
  editDest(svc: ServiceKey, dest: DestSpec): Promise<void>;
  deleteDest(svc: ServiceKey, dest: DestKey): Promise<void>;
  /** Runs ops in order, continuing after a failure; one result per op (backends may batch). */
  apply(ops: readonly IpvsOp[]): Promise<IpvsOpResult[]>;
  /** The running connection-sync daemons as the kernel reports them: master first, then backup. */
  listDaemons(): Promise<SyncDaemon[]>;
  /** Starts a sync daemon (EEXIST if one of that state runs, ENODEV for an unknown interface). */
  startDaemon(daemon: SyncDaemon): Promise<void>;
  /** Stops the sync daemon of a state (ESRCH if none runs). */
  stopDaemon(state: SyncState): Promise<void>;
  close(): Promise<void>;
}

/** Errno names the kernel's IPVS code returns (ip_vs_ctl.c) plus transport-level ones. */
export type IpvsErrno =
  | 'EEXIST'
  | 'ESRCH'
  | 'ENOENT'
  | 'ERANGE'
  | 'EINVAL'
  | 'EPERM'
  | 'EAFNOSUPPORT'
  | 'ENOMEM'
  | 'EBUSY'
  | 'EOPNOTSUPP'
  | 'EPROTONOSUPPORT'
  | 'ETIMEDOUT'
  | 'EINTR'
  | 'EPROTO'
  | 'ENODEV'
  | string;

/** A kernel (or kernel-equivalent) failure, with the errno name as its stable identity. */
export class IpvsError extends LdirdError {
  readonly errno: IpvsErrno;
  constructor(
    errno: IpvsErrno,
    message: string,
    options?: { cause?: unknown; code?: 'IPVS_KERNEL' | 'IPVS_UNAVAILABLE' | 'IPVS_PROTOCOL' | 'IPVS_TIMEOUT' | 'IPVS_DUMP_INTERRUPTED' },
  ) {
    super(options?.code ?? 'IPVS_KERNEL', `${message} (${errno})`, options);
    this.name = 'IpvsError';
    this.errno = errno;
  }
}

/** True for the "it is already gone" errnos a delete may tolerate. */
export function isNotFound(err: unknown): boolean {
  return err instanceof IpvsError && (err.errno === 'ESRCH' || err.errno === 'ENOENT');
}

/** True for the "it is already there" errno an add may tolerate. */
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof IpvsError && err.errno === 'EEXIST';
}
