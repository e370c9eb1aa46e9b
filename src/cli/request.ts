// What the command line asks for: shared by the argument parser (src/cli.ts) and the verbs in src/cli/.

/** Daemon commands accepted after the options, as upstream. */
export const COMMANDS = ['start', 'stop', 'restart', 'try-restart', 'reload', 'force-reload', 'status'] as const;
export type DaemonCommand = (typeof COMMANDS)[number];

/** What the command line asked for. */
export type CliRequest =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'usage'; reason: string }
  | { kind: 'config-test'; config: string | undefined }
  | { kind: 'dump-config'; config: string | undefined }
  | { kind: 'probe'; config: string | undefined }
  | { kind: 'daemon'; debug: boolean; config: string | undefined; command: DaemonCommand };
