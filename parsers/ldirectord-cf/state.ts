// Mutable parse state mirroring upstream's globals and %vsrv, before resolution and ld_setup.
import type { Af, EmailAlertStatus, Forward, MetricsListen, ServiceName, SmtpExtra, SyncDaemonMode } from '../../src/model/config.js';

/** Upstream's DAEMON_STATUS bits for emailalertstatus. */
export const STATUS_BITS: Readonly<Record<EmailAlertStatus, number>> = {
  starting: 1,
  running: 2,
  stopping: 4,
  reloading: 8,
};
/** All emailalertstatus bits. */
export const STATUS_ALL = 15;

/** A fallback= value split into parts, not yet resolved. */
export interface RawFallback {
  readonly line: number;
  readonly server: string;
  /** Port text; undefined when absent (global) — per-virtual ones default to the virtual's raw port. */
  readonly port: string | undefined;
  readonly forward: Forward;
}

/** The sync directives as written (values checked; cross-checks in syncConfig()). */
export interface RawSync {
  mode?: SyncDaemonMode | 'no';
  iface?: string;
  syncid?: number;
  maxlen?: number;
  group?: string;
  port?: number;
  ttl?: number;
}

/** Global directives as upstream's set_defaults + read_config leave them. */
export interface GState {
  checktimeout: number;
  negotiatetimeout: number;
  checkinterval: number;
  checkcount: number;
  failurecount: number;
  fallback: RawFallback | undefined;
  fallback6: RawFallback | undefined;
  fallbackcommand: string | undefined;
  autoreload: boolean;
  callback: string | undefined;
  logfile: string;
  execute: string[];
  fork: boolean;
  supervised: boolean;
  quiescent: boolean;
  readdquiescent: boolean;
  emailalert: string;
  emailalertfreq: number;
  emailalertstatus: number;
  emailalertfrom: string | undefined;
  cleanstop: boolean;
  smtp: string | undefined;
  smtpExtra: SmtpExtra | undefined;
  maintenancedir: string | undefined;
  /** syncdaemon= and friends (extension, issue 11). */
  sync: RawSync;
  metrics: MetricsListen | undefined;
}

/** Fresh globals with upstream's defaults (set_defaults). */
export function initialGlobals(): GState {
  return {
    checktimeout: -1,
    negotiatetimeout: -1,
    checkinterval: 10,
    checkcount: 1,
    failurecount: 1,
    fallback: undefined,
    fallback6: undefined,
    fallbackcommand: undefined,
    autoreload: false,
    callback: undefined,
    logfile: '/var/log/ldirectord.log',
    execute: [],
    fork: false,
    supervised: false,
    quiescent: false,
    readdquiescent: false,
    emailalert: '',
    emailalertfreq: 0,
    emailalertstatus: STATUS_ALL,
    emailalertfrom: undefined,
    cleanstop: true,
    smtp: undefined,
    smtpExtra: undefined,
    maintenancedir: undefined,
    sync: {},
    metrics: undefined,
  };
}

/** One virtual block as upstream's %vsrv holds it while reading the block. */
export interface VState {
  af: Af;
  line: number;
  /** "host:port" text for address services (upstream's $ip_port); undefined for fwmark or invalid. */
  ipPort: string | undefined;
  /** Raw port text (may be a service name), "0" for fwmark. */
  port: string;
  fwm: string | undefined;
  protocol: 'tcp' | 'udp' | 'fwm';
  service: ServiceName | undefined;
  /** True once a service= line was read. */
  serviceExplicit: boolean;
  checktype: string;
  numConnects: number;
  checkcommand: string;
  request: string;
  receive: string;
  login: string;
  passwd: string;
  database: string;
  secret: string;
  load: string | undefined;
  checktimeout: number;
  negotiatetimeout: number;
  checkcount: number;
  failurecount: number;
  checkinterval: number | undefined;
  checkport: number | undefined;
  scheduler: string;
  persistent: number | undefined;
  netmask: string | undefined;
  schedflags: string | undefined;
  ops: boolean;
  httpmethod: 'GET' | 'HEAD';
  virtualhost: string | undefined;
  fallback: RawFallback | undefined;
  fallbackcommand: string | undefined;
  quiescent: boolean | undefined;
  emailalert: string | undefined;
  emailalertfreq: number | undefined;
  emailalertstatus: number | undefined;
  monitorfile: string | undefined;
  cleanstop: boolean | undefined;
  smtp: string | undefined;
  smtpExtra: SmtpExtra | undefined;
  servicename: string | undefined;
  comment: string | undefined;
  /** real=/real6= values with their lines, parsed after the block as upstream does. */
  reals: { value: string; line: number }[];
  /** Directive name -> line of its last occurrence in the block. */
  lines: Record<string, number>;
}
