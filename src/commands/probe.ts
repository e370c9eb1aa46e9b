// PLACEHOLDER (owned by the health-check work, issue 4): replaced by the real --probe.
export async function runProbe(_config: string | undefined): Promise<number> {
  process.stderr.write('probe: not implemented yet\n');
  return 1;
}
