// PLACEHOLDER (owned by the daemon work, issue 5): replaced by start/stop/status/reload.
import type { CliRequest } from '../cli.js';
export async function runDaemonCommand(_req: Extract<CliRequest, { kind: 'daemon' }>): Promise<number> {
  process.stderr.write('daemon commands: not implemented yet\n');
  return 1;
}
