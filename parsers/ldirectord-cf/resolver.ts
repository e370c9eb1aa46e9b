// The resolver the parser uses for host and service names, and an in-memory one for tests and tools.
import { isIP } from 'node:net';
import type { Af } from '../../src/model/ipvs.js';

/** Name resolution as upstream does it (getaddrinfo first result, getservbyname). */
export interface Resolver {
  /** First address of `name` for `af`, canonical text without brackets; undefined when it does not resolve. */
  resolveHost(name: string, af: Af): Promise<string | undefined>;
  /** Port of service `name` for `protocol` ('' = any protocol, first match); undefined when unknown. */
  resolveService(name: string, protocol: 'tcp' | 'udp' | ''): Promise<number | undefined>;
}

/** Tables for an in-memory resolver. */
export interface StaticResolverTables {
  /** host name -> addresses (first one of the matching family wins). */
  readonly hosts?: Readonly<Record<string, readonly string[]>>;
  /** service name -> port, or per-protocol ports. */
  readonly services?: Readonly<Record<string, number | { readonly tcp?: number; readonly udp?: number }>>;
}

/** A resolver over fixed tables; numeric addresses resolve to themselves. Used by tests and benchmarks. */
export function staticResolver(tables: StaticResolverTables = {}): Resolver {
  return {
    resolveHost(name, af) {
      const fam = af === 'inet' ? 4 : 6;
      if (isIP(name) === fam) return Promise.resolve(name);
      const list = tables.hosts?.[name] ?? [];
      return Promise.resolve(list.find((a) => isIP(a) === fam));
    },
    resolveService(name, protocol) {
      const e = tables.services?.[name];
      if (e === undefined) return Promise.resolve(undefined);
      if (typeof e === 'number') return Promise.resolve(e);
      if (protocol === '') return Promise.resolve(e.tcp ?? e.udp);
      return Promise.resolve(e[protocol]);
    },
  };
}
