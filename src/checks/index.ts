// Registry of checks keyed by ldirectord's names (replaces upstream's _check_real if/elsif chain), loaded lazily.
import { down } from './result.js';
import type { CheckName, Checker } from './types.js';

export type { BasicCheckName, CheckName, Checker, CheckResult, CheckSpec, ServiceName } from './types.js';
export { SERVICE_NAMES } from './types.js';

type Loader = () => Promise<Checker>;

// A check's module (and its driver: mysql2, pg, ldapts, oracledb …) is imported only when a config first
// uses it: cold module loading costs seconds per driver on a slow machine, and most configs use one or two checks.
const LOADERS: Partial<Record<CheckName, Loader>> = {
  connect: () => import('./connect.js').then((m) => m.check),
  ping: () => import('./ping.js').then((m) => m.check),
  external: () => import('./external.js').then((m) => m.check),
  'external-perl': () => import('./external.js').then((m) => m.checkPerl),
  on: () => import('./none.js').then((m) => m.check),
  off: () => import('./none.js').then((m) => m.off),
  none: () => import('./none.js').then((m) => m.check),
  http: () => import('./http.js').then((m) => m.check),
  https: () => import('./http.js').then((m) => m.checkHttps),
  http_proxy: () => import('./http.js').then((m) => m.checkProxy),
  smtp: () => import('./smtp.js').then((m) => m.check),
  submission: () => import('./smtp.js').then((m) => m.check),
  pop: () => import('./pop.js').then((m) => m.check),
  pops: () => import('./pop.js').then((m) => m.checkPops),
  imap: () => import('./imap.js').then((m) => m.check),
  imaps: () => import('./imap.js').then((m) => m.checkImaps),
  nntp: () => import('./nntp.js').then((m) => m.check),
  ftp: () => import('./ftp.js').then((m) => m.check),
  sip: () => import('./sip.js').then((m) => m.check),
  simpletcp: () => import('./simpletcp.js').then((m) => m.check),
  // ---- Engineer B's services (dns, radius, ldap, ldaps, mysql, pgsql, oracle) register below. ----
  dns: () => import('./dns.js').then((m) => m.check),
  radius: () => import('./radius.js').then((m) => m.check),
  ldap: () => import('./ldap.js').then((m) => m.check),
  ldaps: () => import('./ldap.js').then((m) => m.checkLdaps),
  mysql: () => import('./mysql.js').then((m) => m.check),
  pgsql: () => import('./pgsql.js').then((m) => m.check),
  oracle: () => import('./oracle.js').then((m) => m.check),
  // ---- end of engineer B's services ----
};

const cache = new Map<CheckName, Checker>();

/** A checker that imports its module on its first call and then calls straight through. */
function lazy(name: CheckName, load: Loader): Checker {
  let loaded: Checker | undefined;
  let loading: Promise<Checker> | undefined;
  return (spec, signal) => {
    if (loaded) return loaded(spec, signal);
    loading ??= load().then(
      (c) => (loaded = c),
      (err: unknown) => {
        loading = undefined; // a failed import is retried next time, and this check reports it
        throw err;
      },
    );
    return loading.then(
      (c) => c(spec, signal),
      (err: unknown) => down(`${name}: check module failed to load: ${err instanceof Error ? err.message : String(err)}`),
    );
  };
}

/** The checker for an ldirectord checktype or negotiate service; unknown names resolve down, never throw. */
export function getChecker(name: CheckName): Checker {
  let c = cache.get(name);
  if (c) return c;
  const load = LOADERS[name];
  c = load ? lazy(name, load) : () => Promise.resolve(down(`${name}: check not implemented`));
  cache.set(name, c);
  return c;
}

/** True when `name` has a real implementation (used by --probe and tests). */
export function hasChecker(name: CheckName): boolean {
  return LOADERS[name] !== undefined;
}

/** Imports the modules of `names` ahead of their first check, so a slow cold import does not eat a check's budget. */
export async function preloadCheckers(names: Iterable<CheckName>): Promise<void> {
  const loads = [...new Set(names)].flatMap((n) => {
    const load = LOADERS[n];
    return load ? [load().then(() => undefined, () => undefined)] : [];
  });
  await Promise.all(loads);
}
