// maintenancedir (spec §3.7): a file named after a real forces it down; names tried in upstream's order.
import { access } from 'node:fs/promises';
import { lookupService } from 'node:dns/promises';
import { join } from 'node:path';
import { bracketed } from '../model/keys.js';

/** Reverse name of an address, or undefined when it has none (getnameinfo NI_NAMEREQD). */
export type ReverseLookup = (address: string) => Promise<string | undefined>;

/**
 * The file names upstream tests, in order: "<rip>:<rport>", "<rip>", then for a reverse name
 * "<fqdn>:<rport>", "<fqdn>", then its short name (lower-case, ≥2 chars) ":<rport>" and bare.
 * IPv6 addresses keep their brackets.
 */
export function maintenanceNames(address: string, port: number, fqdn: string | undefined): string[] {
  const rip = bracketed(address);
  const names = [`${rip}:${port}`, rip];
  if (fqdn !== undefined) {
    names.push(`${fqdn}:${port}`, fqdn);
    const short = /^([a-z][a-z0-9-]+)\./.exec(fqdn)?.[1];
    if (short !== undefined) names.push(`${short}:${port}`, short);
  }
  return names;
}

/** getnameinfo through the system resolver (so /etc/hosts counts, as upstream), bounded to `timeoutMs`. */
export function systemReverseLookup(timeoutMs = 2000): ReverseLookup {
  return async (address) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
      timer.unref();
    });
    try {
      const found = await Promise.race([
        lookupService(address, 0).then((r) => r.hostname).catch(() => undefined),
        timeout,
      ]);
      // Without NI_NAMEREQD getnameinfo falls back to the numeric form: that is "no name".
      return found === undefined || found === address || found.replace(/^\[|\]$/g, '') === address ? undefined : found;
    } finally {
      clearTimeout(timer);
    }
  };
}

/** The first maintenance file that exists for this real, or undefined. */
export async function findMaintenanceFile(dir: string, address: string, port: number, reverse: ReverseLookup): Promise<string | undefined> {
  const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);
  for (const name of maintenanceNames(address, port, undefined)) {
    if (await exists(join(dir, name))) return join(dir, name);
  }
  const fqdn = await reverse(address);
  if (fqdn === undefined) return undefined;
  for (const name of maintenanceNames(address, port, fqdn).slice(2)) {
    if (await exists(join(dir, name))) return join(dir, name);
  }
  return undefined;
}
