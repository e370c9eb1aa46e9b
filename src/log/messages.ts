// ldirectord's lifecycle message texts, verbatim (spec §5.2); IPVS change lines live in reconcile/operations.

/** Upstream's version banner used in start-up lines. */
export const LD_VERSION = 'Linux Director v1.186-ha';

/** The message catalogue for the CLI and daemon lifecycle. */
export const msg = {
  /** Each argument is followed by a space, so the line ends with one (upstream L1016-1022). */
  invoked: (argv0: string, args: readonly string[]) => `Invoking ldirectord invoked as: ${argv0} ${args.map((a) => `${a} `).join('')}`,
  startingDaemon: () => `Starting ${LD_VERSION} as daemon`,
  startingWithPid: (pid: number) => `Starting ${LD_VERSION} with pid: ${pid}`,
  running: (config: string, pid: number) => `ldirectord for ${config} is running with pid: ${pid}`,
  exitingFrom: (cmd: string) => `Exiting from ldirectord ${cmd}`,
  stalePid: (pidFile: string, config: string) => `ldirectord stale pid file ${pidFile} for ${config}`,
  stopped: (config: string) => `ldirectord is stopped for ${config}`,
  configNotFound: (config: string) => `Config file ${config} not found`,
  cannotOpenPid: (pidFile: string) => `Can not open ${pidFile}`,
  exitStatus: (n: number, reason: string) => `Exiting with exit_status ${n}: ${reason}`,
  reloadingOnSignal: () => 'Reloading Linux Director Daemon config on signal',
  changedOnDisk: (config: string) => `Configuration file '${config}' has changed on disk`,
  rereadConfig: () => ' - reread new configuration',
  ignoreConfig: () => ' - ignore new configuration',
  terminated: (sig: string) => `Linux Director Daemon terminated on signal: ${sig}`,
  softFailure: (real: string, vid: string, n: number, limit: number) => `Soft failure real server: ${real} (${vid}) failure ${n}/${limit}`,
  resetSoftFailure: (real: string, vid: string) => `Resetting soft failure count: ${real} (${vid})`,
  emailAlert: (subject: string) => `emailalert: ${subject}`,
  smtpFailed: () => 'failed to send SMTP email message',
  mailFailed: () => 'failed to send email message',
  /** Ours: why a real went down (on each transition to down; every failed check at -d). Upstream never said. */
  checkFailed: (real: string, vid: string, reason: string) => `Check failed: real server ${real} (${vid}): ${oneLine(reason)}`,
  /** Ours: a reload whose new config has errors keeps the old one (upstream half-applied it, §7.2 item 10). */
  reloadKeptOld: (config: string) => `Reload of ${config} failed: keeping the running configuration`,
} as const;

/** A reason from a real server's reply on one line, at most 300 characters (the logger escapes control bytes). */
function oneLine(reason: string): string {
  const flat = reason.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}
