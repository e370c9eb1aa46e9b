// Command-line entry: upstream's option rules (bundling, require_order, `--`) and dispatch.
import { VERSION_TEXT, USAGE_TEXT } from './version.js';

export { COMMANDS, type CliRequest, type DaemonCommand } from './cli/request.js';
import { COMMANDS, type CliRequest, type DaemonCommand } from './cli/request.js';

/** Parses argv (without node and script) into a request; never throws. */
export function parseArgs(argv: readonly string[]): CliRequest {
  let debug = false;
  let mode: 'config-test' | 'dump-config' | 'probe' | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a.startsWith('--')) {
      switch (a) {
        case '--debug':
          debug = true;
          continue;
        case '--help':
          return { kind: 'help' };
        case '--version':
          return { kind: 'version' };
        case '--config-test':
          mode = 'config-test';
          continue;
        case '--dump-config':
          mode = 'dump-config';
          continue;
        case '--probe':
          mode = 'probe';
          continue;
        default:
          return { kind: 'usage', reason: `Unknown option: ${a.slice(2)}` };
      }
    }
    if (a.startsWith('-') && a.length > 1) {
      // Bundled short options, as Getopt::Long's `bundling`.
      for (const ch of a.slice(1)) {
        if (ch === 'd') debug = true;
        else if (ch === 'h' || ch === '?') return { kind: 'help' };
        else if (ch === 'v') return { kind: 'version' };
        else if (ch === 't') mode = 'config-test';
        else return { kind: 'usage', reason: `Unknown option: ${ch}` };
      }
      continue;
    }
    break; // require_order: the first non-option ends option processing
  }
  const rest = argv.slice(i);
  if (mode !== undefined) {
    if (rest.length > 1) return { kind: 'usage', reason: 'too many arguments' };
    return { kind: mode, config: rest[0] };
  }
  if (rest.length === 0) return { kind: 'usage', reason: 'no command given' };
  const [first, second] = rest;
  const cmdWord = rest.length === 1 ? first! : second!;
  const config = rest.length === 1 ? undefined : first;
  if (!(COMMANDS as readonly string[]).includes(cmdWord)) return { kind: 'usage', reason: `unknown command ${cmdWord}` };
  return { kind: 'daemon', debug, config, command: cmdWord as DaemonCommand };
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const req = parseArgs(argv);
  switch (req.kind) {
    case 'help':
      process.stdout.write(USAGE_TEXT);
      return 0;
    case 'version':
      process.stdout.write(VERSION_TEXT);
      return 0;
    case 'usage':
      process.stderr.write(USAGE_TEXT);
      return 255;
    case 'config-test':
    case 'dump-config': {
      const { runConfigTest } = await import('./cli/config-test.js');
      return runConfigTest(req.config, req.kind === 'dump-config' ? 'dump' : 'test');
    }
    case 'probe': {
      const { runProbe } = await import('./cli/probe.js');
      return runProbe(req.config);
    }
    case 'daemon': {
      const { runDaemonCommand } = await import('./cli/daemon-commands.js');
      return runDaemonCommand(req);
    }
  }
}
