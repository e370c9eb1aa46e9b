// The daemon's config parser: parseConfig with the system resolver, diagnostics rendered as log lines.
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { formatDiagnostic, parseConfig } from '../../parsers/ldirectord-cf/index.js';
import type { Resolver } from '../../parsers/ldirectord-cf/index.js';
import type { LoadOutcome, ParseFn } from '../config/reload.js';

let services: Map<string, { tcp?: number; udp?: number }> | undefined;

// /etc/services, read once: Node has no getservbyname().
function serviceTable(): Map<string, { tcp?: number; udp?: number }> {
  if (services) return services;
  services = new Map();
  let text = '';
  try {
    text = readFileSync('/etc/services', 'utf8');
  } catch {
    return services;
  }
  for (const line of text.split('\n')) {
    const m = /^([^#\s]+)\s+(\d+)\/(tcp|udp)(.*)$/.exec(line);
    if (!m) continue;
    const names = [m[1]!, ...(m[4]!.split('#')[0] ?? '').trim().split(/\s+/).filter(Boolean)];
    for (const n of names) {
      const e = services.get(n) ?? {};
      if (e[m[3] as 'tcp' | 'udp'] === undefined) e[m[3] as 'tcp' | 'udp'] = Number(m[2]);
      services.set(n, e);
    }
  }
  return services;
}

/** getaddrinfo (first address of the family) and /etc/services, as upstream resolves names. */
export const systemResolver: Resolver = {
  async resolveHost(name, af) {
    try {
      const r = await lookup(name, { family: af === 'inet' ? 4 : 6 });
      return r.address;
    } catch {
      return undefined;
    }
  },
  resolveService(name, protocol) {
    const e = serviceTable().get(name);
    if (!e) return Promise.resolve(undefined);
    return Promise.resolve(protocol === '' ? (e.tcp ?? e.udp) : e[protocol]);
  },
};

/** A ParseFn over parseConfig; `resolver` defaults to the system one. */
export function makeParse(resolver: Resolver = systemResolver): ParseFn {
  return async (text, file): Promise<LoadOutcome> => {
    const r = await parseConfig(text, { file, resolver, hostname: process.env.HOSTNAME ?? hostname() });
    if (!r.ok) return { ok: false, errors: r.diagnostics.map(formatDiagnostic) };
    return { ok: true, config: r.config, warnings: r.warnings.map(formatDiagnostic) };
  };
}
