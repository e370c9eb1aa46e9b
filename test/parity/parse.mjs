// Parity harness: how prepare.mjs (guest) and compare.mjs (host) read a runnable copy of a config:
// our parser, with the service names and host names (OUTDIR/hosts) the guest gives both daemons.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const SERVICES = { www: 80, http: 80, https: 443, ftp: 21, smtp: 25, pop3: 110, imap: 143, imap2: 143, domain: 53, mysql: 3306, ldap: 389, nntp: 119, sip: 5060, radius: 1812, postgresql: 5432, ssh: 22 };

/** hosts: {name: [address]}. dist is imported here, not at the top of the judge, so its unit test needs no build. */
export async function parseCopy(text, file, hosts = {}) {
  const { parseConfig, staticResolver } = await import('../../dist/parsers/ldirectord-cf/index.js');
  return parseConfig(text, { file, resolver: staticResolver({ services: SERVICES, hosts }), hostname: 'director' });
}

/** The runnable copy prepare.mjs wrote into OUTDIR, parsed as it was there. */
export async function parseOutdir(dir) {
  const hosts = {};
  const hf = join(dir, 'hosts');
  if (existsSync(hf)) for (const [addr, name] of readFileSync(hf, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' '))) hosts[name] = [addr];
  const file = join(dir, 'ldirectord.cf');
  return parseCopy(readFileSync(file, 'utf8'), file, hosts);
}
