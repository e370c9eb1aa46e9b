// The text of reconcile: upstream's log line per event (spec §5.2) and ipvsadm-style operation text.
import { daemonParams, formatOp, serviceKeyArgs, stopDaemonArgs } from '../../parsers/ipvsadm/index.js';
import type { IpvsOp, ServiceKey, SyncDaemon } from '../model/ipvs.js';
import type { ReconcileEvent } from './operations.js';

/** The upstream log line for an event, verbatim (spec §5.2). */
export function eventMessage(e: ReconcileEvent): string {
  const mapped = 'mappedFrom' in e && e.mappedFrom !== undefined ? `mapped from ${e.mappedFrom} ` : '';
  switch (e.kind) {
    case 'addVirtual':
      return `Added virtual server: ${e.v}`;
    case 'changeVirtual':
      return `Changed virtual server: ${e.v}`;
    case 'purgeVirtual':
      return `Purged virtual server (start): ${e.v}`;
    case 'purgeVirtualStop':
      return `Purged virtual server (stop): ${e.v}`;
    case 'addReal':
      return `Added real server: ${e.rs} (${e.v}) (Weight set to ${e.weight})`;
    case 'restoreReal':
      return `Restored real server: ${e.rs} (${e.v}) (Weight set to ${e.weight})`;
    case 'quiesceReal':
      return `Quiescent real server: ${e.rs} ${mapped}(${e.v}) (Weight set to 0)`;
    case 'readdQuiescent':
      return `Readd Quiescent real server: ${e.rs} ${mapped}(${e.v}) (Weight set to 0)`;
    case 'deleteReal':
      return `Deleted real server: ${e.rs} ${mapped}(${e.v})`;
    case 'addFallback':
      return `Added fallback server: ${e.rs} (${e.v}) (Weight set to 1)`;
    case 'restoreFallback':
      return `Restored fallback server: ${e.rs} (${e.v}) (Weight set to 1)`;
    case 'deleteFallback':
      return `Deleted fallback server: ${e.rs} ${mapped}(${e.v})`;
    case 'purgeReal':
      return `Purged real server (start): ${e.rs} (${e.v})`;
    case 'purgeRealStop':
      return `Purged real server (stop): ${e.rs} (${e.v})`;
  }
}

/** ipvsadm's service designation: "-t 10.0.0.1:80", "-u [::1]:53", "-f 5", "-f 5 -6". */
export function formatServiceKey(k: ServiceKey): string {
  return serviceKeyArgs(k).join(' ');
}

/** Renders an operation as ipvsadm arguments ("-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1"); one renderer, shared with the IPVS layer. */
export function formatOperation(op: IpvsOp): string {
  return formatOp(op);
}

/** What happened to a connection-sync daemon (syncdaemon=), for its log line. */
export type SyncEvent =
  | { readonly kind: 'started' | 'stopped'; readonly daemon: SyncDaemon }
  | { readonly kind: 'adopted'; readonly daemon: SyncDaemon; readonly where: string }
  | { readonly kind: 'foreign'; readonly running: SyncDaemon; readonly wanted: SyncDaemon; readonly where: string }
  | { readonly kind: 'startFailed' | 'stopFailed'; readonly daemon: SyncDaemon; readonly reason: string }
  | { readonly kind: 'listFailed'; readonly reason: string };

/** "master sync daemon (mcast=eth1, syncid=7, …)", as `ipvsadm -L --daemon` prints it. */
function daemonText(d: SyncDaemon): string {
  return `${d.state} sync daemon (${daemonParams(d)})`;
}

/** The log line for a sync daemon event, in the style of upstream's table lines. */
export function syncMessage(e: SyncEvent): string {
  switch (e.kind) {
    case 'started':
      return `Started ${daemonText(e.daemon)}`;
    case 'stopped':
      return `Stopped ${daemonText(e.daemon)}`;
    case 'adopted':
      return `Using running ${daemonText(e.daemon)}: it is what ${e.where} asks for`;
    case 'foreign':
      return `Leaving ${daemonText(e.running)} alone: it was not started by ldirectord and is not what ${e.where} asks for (${daemonParams(e.wanted)}); stop it (ipvsadm ${stopDaemonArgs(e.running.state).join(' ')}) to let ldirectord start its own`;
    case 'startFailed':
      return `Failed to start ${daemonText(e.daemon)}: ${e.reason}`;
    case 'stopFailed':
      return `Failed to stop ${daemonText(e.daemon)}: ${e.reason}`;
    case 'listFailed':
      return `Cannot list the IPVS sync daemons: ${e.reason}`;
  }
}
