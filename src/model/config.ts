// The typed, frozen Config model: what ldirectord.cf says, with upstream's defaults and derived values applied.
import type { Af } from './ipvs.js';

export type { Af };

/** ldirectord's negotiate service names (spec §3.3). */
export const SERVICE_NAMES = [
  'dns', 'ftp', 'http', 'https', 'http_proxy', 'imap', 'imaps', 'ldap', 'ldaps', 'mysql', 'nntp', 'none',
  'oracle', 'pgsql', 'pop', 'pops', 'radius', 'simpletcp', 'sip', 'smtp', 'submission',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Where a node came from: config file path and 1-based line number. */
export interface Position {
  readonly file: string;
  readonly line: number;
}

/** Forwarding method as written in ldirectord.cf (ipvsadm -g, -m, -i). */
export type Forward = 'gate' | 'masq' | 'ipip';

/** checktype= values; "combined" is the numeric form (checktype=N). */
export type CheckType = 'connect' | 'negotiate' | 'ping' | 'off' | 'on' | 'external' | 'external-perl' | 'combined';

/** Virtual-service protocol as ldirectord names it (fwm for firewall-mark services). */
export type VirtualProtocol = 'tcp' | 'udp' | 'fwm';

/** emailalertstatus= tokens. */
export type EmailAlertStatus = 'starting' | 'running' | 'stopping' | 'reloading';

/** Identity of a virtual service: protocol+address+port or a firewall mark (addresses canonical, IPv6 without brackets). */
export type VirtualKey =
  | { readonly kind: 'addr'; readonly af: Af; readonly protocol: 'tcp' | 'udp'; readonly address: string; readonly port: number }
  | { readonly kind: 'fwmark'; readonly af: Af; readonly fwmark: number };

/** One real server (real=/real6=), after range expansion: a range line yields one RealServer per address. */
export interface RealServer {
  readonly pos: Position;
  /** real= is inet, real6= is inet6. */
  readonly af: Af;
  /** Resolved address, canonical text (IPv6 compressed, lower case, no brackets). */
  readonly address: string;
  /** Port; 0 when the line has none (meant for fwmark services). */
  readonly port: number;
  /** Forwarding method word (gate|masq|ipip). */
  readonly forward: Forward;
  /** Weight (default 1). */
  readonly weight: number;
  /** l:N lower connection threshold (ipvsadm -y); undefined = not set (sent as 0). */
  readonly lowerThreshold?: number;
  /** u:N upper connection threshold (ipvsadm -x); undefined = not set (sent as 0). */
  readonly upperThreshold?: number;
  /** Per-real "request" override (leading "/" added as upstream); undefined = the virtual's. */
  readonly request?: string;
  /** Per-real "receive" override; undefined = the virtual's. */
  readonly receive?: string;
  /** Effective request for checks: own request, else the virtual's. */
  readonly effectiveRequest: string;
  /** Effective receive for checks: own receive, else the virtual's. */
  readonly effectiveReceive: string;
  /** Host text as written (before resolution), for messages. */
  readonly host: string;
}

/** A fallback server (fallback=/fallback6=): weight 1, no thresholds. */
export interface Fallback {
  readonly pos: Position;
  readonly af: Af;
  /** Resolved address, canonical text. */
  readonly address: string;
  /** Port; undefined when a global fallback has none (the virtual's port is used then). */
  readonly port?: number;
  /** Forwarding method (default gate). */
  readonly forward: Forward;
}

/** The global fallback= (or fallback6=) resolved once per protocol, as upstream's $FALLBACK{tcp,udp}. */
export interface GlobalFallback {
  readonly tcp: Fallback;
  readonly udp: Fallback;
}

/** One virtual=/virtual6= block with every per-virtual directive, defaults and derived values applied. */
export interface VirtualService {
  readonly pos: Position;
  readonly af: Af;
  readonly key: VirtualKey;
  /** protocol= (tcp, udp; fwm for fwmark); default tcp, udp for port 53/domain. */
  readonly protocol: VirtualProtocol;
  /** Virtual address, canonical text (undefined for fwmark services). */
  readonly address?: string;
  /** Virtual port (0 for fwmark services). */
  readonly port: number;
  /** Firewall mark (fwmark services only). */
  readonly fwmark?: number;
  /** Upstream's virtual id: tcp:1.2.3.4:80, udp:[::1]:53, fwm:5, fwm6:5 (spec §3.8). */
  readonly id: string;
  /** Human form used in log lines: ip:port ([v6]:port) or the mark. */
  readonly display: string;
  /** service= (explicit), else derived from the port (spec §2.8); fwmark: none. */
  readonly service: ServiceName;
  /** True when service= was written in the block. */
  readonly serviceExplicit: boolean;
  /** checktype= (default negotiate; a number N gives combined). */
  readonly checkType: CheckType;
  /** checktype=N: negotiate every N-th check, connect otherwise (upstream's num_connects). */
  readonly combinedCount?: number;
  /** checkcommand= (default /bin/true). */
  readonly checkCommand: string;
  /** Effective checktimeout in seconds (spec §2.7 lookup order). */
  readonly checkTimeout: number;
  /** Effective negotiatetimeout in seconds (spec §2.7 lookup order). */
  readonly negotiateTimeout: number;
  /** Effective checkcount (ping attempts). */
  readonly checkCount: number;
  /** Effective failurecount. */
  readonly failureCount: number;
  /** Per-virtual checkinterval= (honoured only with fork=yes); undefined = global. */
  readonly checkInterval?: number;
  /** checkport= (1..65535); undefined = the real's port. */
  readonly checkPort?: number;
  /** request= (leading "/" added; default "/"). */
  readonly request: string;
  /** receive= (a Perl regex; default ""). */
  readonly receive: string;
  /** login= (ftp default anonymous, sip default ldirectord@HOSTNAME; else ""). */
  readonly login: string;
  /** passwd= (ftp default ldirectord@HOSTNAME; else ""). */
  readonly passwd: string;
  /** database= (default ""). */
  readonly database: string;
  /** secret= (default ""). */
  readonly secret: string;
  /** load= (accepted and ignored by upstream). */
  readonly load?: string;
  /** scheduler= (default wrr). */
  readonly scheduler: string;
  /** persistent= timeout in seconds; undefined = not persistent. */
  readonly persistent?: number;
  /** netmask= as written (dotted quad for inet, prefix length text for inet6); only used with persistent. */
  readonly netmask?: string;
  /** schedflags= (ipvsadm -b). */
  readonly schedFlags?: string;
  /** ops=yes (one-packet scheduling; only effective with udp). */
  readonly ops: boolean;
  /** httpmethod= (default GET). */
  readonly httpMethod: 'GET' | 'HEAD';
  /** virtualhost= (HTTP Host header). */
  readonly virtualHost?: string;
  /** fallback=/fallback6= in this block. */
  readonly fallback?: Fallback;
  /** Fallback in effect: own, else the global one for this AF and protocol, with the virtual's port if it has none. */
  readonly effectiveFallback?: Fallback;
  /** fallbackcommand= (per-virtual, else global). */
  readonly fallbackCommand?: string;
  /** quiescent= (per-virtual, else global; default no). */
  readonly quiescent: boolean;
  /** emailalert= (per-virtual, else global; "" = off). */
  readonly emailAlert: string;
  /** emailalertfreq= (per-virtual, else global; default 0). */
  readonly emailAlertFreq: number;
  /** emailalertstatus= (per-virtual, else global; default all). */
  readonly emailAlertStatus: readonly EmailAlertStatus[];
  /** monitorfile= path. */
  readonly monitorFile?: string;
  /** cleanstop= (per-virtual, else global; default yes). */
  readonly cleanStop: boolean;
  /** smtp= (per-virtual, else global). */
  readonly smtp?: string;
  /** Port and credentials of the extended smtp=[user[:password]@]host[:port] form (with smtp=, from the same line). */
  readonly smtpExtra?: SmtpExtra;
  /** servicename= (raw rest of line). */
  readonly serviceName?: string;
  /** comment= (raw rest of line). */
  readonly comment?: string;
  /** real=/real6= lines after range expansion, in file order. */
  readonly reals: readonly RealServer[];
  /** Line of the last occurrence of each directive written in the block (directive name -> line). */
  readonly lines?: Readonly<Record<string, number>>;
}

/** syncdaemon= values that run a daemon: `both` runs a master and a backup on this director. */
export type SyncDaemonMode = 'master' | 'backup' | 'both';

/**
 * Connection sync managed by ldirectord-ng (extension directives syncdaemon=, syncinterface=,
 * syncid=, syncmaxlen=, syncgroup=, syncport=, syncttl=). Optional values left unset get the
 * kernel's defaults (maxlen from the MTU, group 224.0.0.81, port 8848, ttl 1).
 */
export interface SyncConfig {
  /** Where syncdaemon= is. */
  readonly pos: Position;
  readonly mode: SyncDaemonMode;
  /** syncinterface= (required). */
  readonly iface: string;
  /** Where syncinterface= is (the place to fix when the kernel does not know the interface). */
  readonly ifacePos: Position;
  /** syncid= 0..255 (default 0). */
  readonly syncid: number;
  readonly maxlen?: number;
  /** IPv4 or IPv6 multicast group, canonical text. */
  readonly group?: string;
  readonly port?: number;
  readonly ttl?: number;
}

/** Where the metrics/status HTTP listener binds (address in canonical text). */
export interface MetricsListen {
  readonly address: string;
  readonly port: number;
}

/** Global (outer-context) directives with upstream's defaults. */
export interface GlobalConfig {
  /** checktimeout= ; undefined = unset (see VirtualService.checkTimeout). */
  readonly checkTimeout?: number;
  /** negotiatetimeout= ; undefined = unset. */
  readonly negotiateTimeout?: number;
  /** checkinterval= (default 10). */
  readonly checkInterval: number;
  /** checkcount= (default 1). */
  readonly checkCount: number;
  /** failurecount= (default 1). */
  readonly failureCount: number;
  /** fallback= (inet). */
  readonly fallback?: GlobalFallback;
  /** fallback6= (inet6). */
  readonly fallback6?: GlobalFallback;
  /** fallbackcommand= (raw; quotes kept). */
  readonly fallbackCommand?: string;
  /** autoreload= (default no). */
  readonly autoreload: boolean;
  /** callback= (quoted). */
  readonly callback?: string;
  /** logfile= : absolute path = file, else a syslog facility (default /var/log/ldirectord.log). */
  readonly logfile: string;
  /** execute= values (repeatable; quotes kept). */
  readonly execute: readonly string[];
  /** fork= (default no). */
  readonly fork: boolean;
  /** supervised= (default no; bare "supervised" = yes). */
  readonly supervised: boolean;
  /** quiescent= (default no). */
  readonly quiescent: boolean;
  /** readdquiescent= (default no). */
  readonly readdQuiescent: boolean;
  /** emailalert= (default "" = off). */
  readonly emailAlert: string;
  /** emailalertfreq= (default 0). */
  readonly emailAlertFreq: number;
  /** emailalertstatus= (default all). */
  readonly emailAlertStatus: readonly EmailAlertStatus[];
  /** emailalertfrom= (quotes kept). */
  readonly emailAlertFrom?: string;
  /** cleanstop= (default yes). */
  readonly cleanStop: boolean;
  /** smtp= host. */
  readonly smtp?: string;
  /** Port and credentials of the extended smtp= form. */
  readonly smtpExtra?: SmtpExtra;
  /** maintenancedir= (quotes kept). */
  readonly maintenanceDir?: string;
  /** Connection sync (extension); undefined = syncdaemon=no, the kernel's sync daemons left alone. */
  readonly sync?: SyncConfig;
  /** metrics= (extension, issue 14): the status page and /metrics listener; absent = off. */
  readonly metrics?: MetricsListen;
  /** Line of the last occurrence of each global directive written (directive name -> line). */
  readonly lines?: Readonly<Record<string, number>>;
}

/** The whole configuration file. */
export interface Config {
  readonly pos: Position;
  readonly global: GlobalConfig;
  readonly virtuals: readonly VirtualService[];
}

/** Number of real servers after range expansion (fallbacks excluded). */
export function countReals(config: Config): number {
  let n = 0;
  for (const v of config.virtuals) n += v.reals.length;
  return n;
}

/**
 * What the extended `smtp=[user[:password]@]host[:port]` form adds to the host (extension, issue 13 item 16):
 * upstream reads only the leading host name and always speaks to port 25 without AUTH.
 */
export interface SmtpExtra {
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
}
