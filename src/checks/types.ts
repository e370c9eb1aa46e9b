// The one signature every check implements, and what it is given.

import type { ServiceName } from '../model/config.js';

export { SERVICE_NAMES, type ServiceName } from '../model/config.js';

/** Check kinds other than a negotiate service (checktype values; "combined" is scheduling, not a check). */
export type BasicCheckName = 'connect' | 'ping' | 'external' | 'external-perl' | 'on' | 'off';

/** Registry key: a negotiate service or a basic check. */
export type CheckName = ServiceName | BasicCheckName;

/**
 * Everything one check of one real server needs, already resolved from the config
 * (ports from names, defaults applied, HTTP URL built as upstream's ld_setup does).
 */
export interface CheckSpec {
  /** Real server address (IPv6 without brackets). */
  readonly host: string;
  /** Port to check (ld_checkport: checkport, else real port, else the service's well-known port). */
  readonly port: number;
  /** The virtual service's protocol; simpletcp/sip/dns use udp when it is udp. */
  readonly protocol: 'tcp' | 'udp' | 'sctp' | 'fwm';
  /** External checks' argv: virtual address (bracketed IPv6) or fwmark, virtual port (0 for fwmark). */
  readonly vip: string;
  readonly vport: number;
  /** The real's configured port (0 when not configured), for external checks' argv. */
  readonly realPort: number;
  /** request= (as upstream keeps it, usually with a leading "/"); "" when unset. */
  readonly request: string;
  /** receive= as a regular-expression source; "" when unset. */
  readonly receive: string;
  /** HTTP only: the full URL to fetch (spec §3.4). */
  readonly url?: string;
  readonly httpMethod: 'GET' | 'HEAD';
  /** virtualhost= : HTTP Host header and TLS SNI; undefined when unset. */
  readonly virtualHost?: string;
  readonly login: string;
  readonly passwd: string;
  readonly database: string;
  readonly secret: string;
  /** checkcommand= for external / external-perl. */
  readonly checkCommand?: string;
  /** checktimeout in ms (connect, ping, external, LDAP/RADIUS outer bound). */
  readonly checkTimeoutMs: number;
  /** negotiatetimeout in ms (service dialogues). */
  readonly negotiateTimeoutMs: number;
  /** ping attempts (checkcount). */
  readonly attempts: number;
  /** This director's host name (FTP/SIP default login). */
  readonly hostname: string;
}

/** A check's verdict. A down server resolves { ok: false }; checks reject only on programmer error. */
export type CheckResult =
  | { readonly ok: true; readonly message?: string }
  | {
      readonly ok: false;
      readonly reason: string;
      /** A line upstream itself logs at every such check (an exec that failed in its forked child), logged as is. */
      readonly log?: string;
    };

/** One check: closes every socket and child process when `signal` aborts. */
export type Checker = (spec: CheckSpec, signal: AbortSignal) => Promise<CheckResult>;
