// Build a CheckSpec for tests with ldirectord's defaults and per-case overrides.
import type { CheckSpec } from '../../src/checks/types.js';

/** A CheckSpec for host:port with upstream's defaults (timeouts shortened for tests). */
export function makeSpec(host: string, port: number, over: Partial<CheckSpec> = {}): CheckSpec {
  return {
    host,
    port,
    protocol: 'tcp',
    vip: '192.0.2.10',
    vport: port,
    realPort: port,
    request: '',
    receive: '',
    httpMethod: 'GET',
    login: '',
    passwd: '',
    database: '',
    secret: '',
    checkTimeoutMs: 2000,
    negotiateTimeoutMs: 2000,
    attempts: 1,
    hostname: 'director.test',
    ...over,
  };
}

/** Run a check with a fresh signal that the test never aborts. */
export function never(): AbortSignal {
  return new AbortController().signal;
}
