// The CLI built into a temporary directory, as the CLI and status tests run it (a real process).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Compiles the project into `<tmp>/build` and writes `<tmp>/ldirectord.js` running its CLI. The script's
 * name carries "ldirectord", which is what upstream's liveness test looks for. Returns both paths.
 */
export function buildCli(prefix: string): { root: string; bin: string } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const build = join(root, 'build');
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', build], { encoding: 'utf8' });
  // Type errors elsewhere in the tree (typecheck's job) do not stop tsc from emitting JavaScript.
  if (!existsSync(join(build, 'src/cli.js'))) throw new Error(`build failed:\n${tsc.stdout}${tsc.stderr}`);
  writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
  symlinkSync(join(process.cwd(), 'node_modules'), join(root, 'node_modules'));
  const bin = join(root, 'ldirectord.js');
  writeFileSync(bin, "import { main } from './build/src/cli.js';\nmain(process.argv.slice(2)).then((c) => { process.exitCode = c; });\n");
  return { root, bin };
}
