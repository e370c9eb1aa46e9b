// The production resolver: hosts via getaddrinfo (/etc/hosts, DNS per nsswitch) and ports via /etc/services.
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import type { Resolver } from '../../parsers/ldirectord-cf/index.js';

type ServiceTable = Map<string, { tcp?: number; udp?: number; any: number }>;

/** Parses /etc/services text: name/aliases -> port per protocol; the first line wins, like getservbyname. */
export function parseServices(text: string): ServiceTable {
  const table: ServiceTable = new Map();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/#.*/, '').trim();
    if (line === '') continue;
    const [name, portProto, ...aliases] = line.split(/\s+/);
    const m = /^(\d+)\/(\w+)$/.exec(portProto ?? '');
    if (name === undefined || !m) continue;
    const port = Number(m[1]);
    const proto = m[2];
    for (const n of [name, ...aliases]) {
      const e = table.get(n) ?? { any: port };
      if (proto === 'tcp' && e.tcp === undefined) e.tcp = port;
      if (proto === 'udp' && e.udp === undefined) e.udp = port;
      table.set(n, e);
    }
  }
  return table;
}

/** Options for the system resolver (tests point servicesFile elsewhere). */
export interface SystemResolverOptions {
  readonly servicesFile?: string;
}

/** Resolver backed by the system: getaddrinfo for hosts (first address of the family), /etc/services for ports. */
export function systemResolver(opts: SystemResolverOptions = {}): Resolver {
  let services: ServiceTable | undefined;
  const table = (): ServiceTable => {
    if (!services) {
      try {
        services = parseServices(readFileSync(opts.servicesFile ?? '/etc/services', 'utf8'));
      } catch {
        services = new Map();
      }
    }
    return services;
  };
  return {
    async resolveHost(name, af) {
      try {
        const r = await lookup(name, { family: af === 'inet' ? 4 : 6 });
        return r.address;
      } catch {
        return undefined;
      }
    },
    resolveService(name, protocol) {
      const e = table().get(name);
      if (!e) return Promise.resolve(undefined);
      return Promise.resolve(protocol === '' ? e.any : e[protocol]);
    },
  };
}
