// PLACEHOLDER (owned by the parser work, issue 2): replaced by the real -t / --dump-config.
export async function runConfigTest(_config: string | undefined, _mode: 'test' | 'dump'): Promise<number> {
  process.stderr.write('config test: not implemented yet\n');
  return 1;
}
