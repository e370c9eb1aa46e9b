// Runs operator hooks (fallbackcommand, callback, execute=) through the shell, as upstream's system().
import { spawn } from 'node:child_process';
import type { Logger } from '../../log/types.js';

/** Runs `command` with /bin/sh -c; resolves to its exit status (127 when it could not run, -1 on signal). */
export function runShell(command: string, logger: Logger, options: { env?: NodeJS.ProcessEnv } = {}): Promise<number> {
  logger.debug(2, `Running system(${command})`);
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: 'ignore', env: options.env ?? process.env });
    child.on('error', (err) => {
      logger.log(`system(${command}) failed: ${err.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => {
      const status = code ?? -1;
      if (status !== 0) logger.log(`system(${command}) failed: ${signal ? `killed by ${signal}` : `exit status ${status}`}`);
      resolve(status);
    });
  });
}
