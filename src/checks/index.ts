// Registry of checks keyed by ldirectord's names (replaces upstream's _check_real if/elsif chain).
import { check as connect } from './connect.js';
import { check as dns } from './dns.js';
import { check as external, checkPerl as externalPerl } from './external.js';
import { check as ftp } from './ftp.js';
import { check as http, checkHttps as https, checkProxy as httpProxy } from './http.js';
import { check as imap, checkImaps as imaps } from './imap.js';
import { check as ldap, checkLdaps as ldaps } from './ldap.js';
import { check as mysql } from './mysql.js';
import { down } from './net.js';
import { check as nntp } from './nntp.js';
import { check as none, off } from './none.js';
import { check as oracle } from './oracle.js';
import { check as pgsql } from './pgsql.js';
import { check as ping } from './ping.js';
import { check as pop, checkPops as pops } from './pop.js';
import { check as radius } from './radius.js';
import { check as simpletcp } from './simpletcp.js';
import { check as sip } from './sip.js';
import { check as smtp } from './smtp.js';
import type { CheckName, Checker } from './types.js';

export type { BasicCheckName, CheckName, Checker, CheckResult, CheckSpec, ServiceName } from './types.js';
export { SERVICE_NAMES } from './types.js';

const CHECKERS: Partial<Record<CheckName, Checker>> = {
  connect,
  ping,
  external,
  'external-perl': externalPerl,
  on: none,
  off,
  none,
  http,
  https,
  http_proxy: httpProxy,
  smtp,
  submission: smtp,
  pop,
  pops,
  imap,
  imaps,
  nntp,
  ftp,
  sip,
  simpletcp,
  // ---- Engineer B's services (dns, radius, ldap, ldaps, mysql, pgsql, oracle) register below. ----
  dns,
  radius,
  ldap,
  ldaps,
  mysql,
  pgsql,
  oracle,
  // ---- end of engineer B's services ----
};

/** The checker for an ldirectord checktype or negotiate service; unknown names resolve down, never throw. */
export function getChecker(name: CheckName): Checker {
  return CHECKERS[name] ?? (() => Promise.resolve(down(`${name}: check not implemented`)));
}

/** True when `name` has a real implementation (used by --probe and tests). */
export function hasChecker(name: CheckName): boolean {
  return CHECKERS[name] !== undefined;
}
