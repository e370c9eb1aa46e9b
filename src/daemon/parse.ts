// The daemon's config parser: parseConfig with the system resolver, diagnostics rendered as log lines.
import { formatDiagnostic, parseConfig } from '../../parsers/ldirectord-cf/index.js';
import type { Resolver } from '../../parsers/ldirectord-cf/index.js';
import { directorHostname } from '../config/load.js';
import type { LoadOutcome, ParseFn } from '../config/reload.js';
import { systemResolver } from '../config/resolver.js';

/** A ParseFn over parseConfig; `resolver` defaults to the system one (getaddrinfo, /etc/services). */
export function makeParse(resolver: Resolver = systemResolver()): ParseFn {
  return async (text, file): Promise<LoadOutcome> => {
    const r = await parseConfig(text, { file, resolver, hostname: directorHostname() });
    if (!r.ok) return { ok: false, errors: r.diagnostics.map(formatDiagnostic) };
    return { ok: true, config: r.config, warnings: r.warnings.map(formatDiagnostic) };
  };
}
