// checktype=connect: a TCP connect to the check port within checktimeout (udp services are pinged instead, by the registry's caller).
import { dialogue } from './tcp.js';
import { up } from './result.js';
import { hostPort } from '../model/keys.js';
import type { Checker } from './types.js';

/** Up when a TCP connection to host:port opens within checktimeout. */
export const check: Checker = (spec, signal) =>
  dialogue(`connect ${hostPort(spec.host, spec.port)}`, { host: spec.host, port: spec.port, timeoutMs: spec.checkTimeoutMs }, signal, () =>
    Promise.resolve(up(`connected to ${hostPort(spec.host, spec.port)}`)),
  );
