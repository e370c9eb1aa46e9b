// Shared helpers for the ldirectord.cf parser tests: a fixed resolver and parse shortcuts.
import { parseConfig, staticResolver, formatDiagnostic, type ParseResult } from '../../../parsers/ldirectord-cf/index.js';
import type { Config } from '../../../src/model/config.js';

/** Host and service tables every parser test uses (no DNS, no /etc/services). */
export const resolver = staticResolver({
  hosts: {
    web1: ['10.0.0.11'],
    web2: ['10.0.0.12'],
    sql01: ['10.1.0.1'],
    sql02: ['10.1.0.2'],
    sql03: ['10.1.0.3'],
    'vip.example.com': ['192.0.2.10', '2001:db8::10'],
    v6only: ['2001:db8::5'],
    'mail.example.com': ['192.0.2.25'],
  },
  services: {
    www: 80, http: 80, https: 443, domain: 53, mysql: 3306, ftp: 21, smtp: 25, ldap: 389, nntp: 119,
    'pop-3': 110, imap2: 143, sip: 5060, radius: { udp: 1812 }, 'http-alt': 8080, pop3: 110,
  },
});

/** Parses text as t.cf with the fixed resolver and director name "director". */
export function parse(text: string): Promise<ParseResult> {
  return parseConfig(text, { file: 't.cf', resolver, hostname: 'director' });
}

/** Parses and expects success. */
export async function ok(text: string): Promise<Config> {
  const r = await parse(text);
  if (!r.ok) throw new Error(`expected success, got:\n${r.diagnostics.map(formatDiagnostic).join('\n')}`);
  return r.config;
}

/** Parses and expects failure; returns the errors as "LINE: message". */
export async function errors(text: string): Promise<string[]> {
  const r = await parse(text);
  if (r.ok) throw new Error(`expected errors, got a config with ${r.config.virtuals.length} virtuals`);
  return r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}: ${d.message}`);
}

/** Warnings of a successful parse as "LINE: message". */
export async function warnings(text: string): Promise<string[]> {
  const r = await parse(text);
  if (!r.ok) throw new Error(`expected success, got:\n${r.diagnostics.map(formatDiagnostic).join('\n')}`);
  return r.warnings.map((d) => `${d.line}: ${d.message}`);
}

/** A virtual=10.0.0.1:80 block with the given lines, each indented by a TAB (line 1 is the virtual line). */
export function block(lines: readonly string[], virtual = 'virtual=10.0.0.1:80'): string {
  return `${virtual}\n${lines.map((l) => `\t${l}\n`).join('')}`;
}
