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
/** Starts (once) the import behind a cached lazy checker; preloadCheckers uses it. */
const warmers = new Map<CheckName, () => Promise<Checker>>();
/** The lazy checkers whose module has loaded. */
const loadedNames = new Set<CheckName>();

/** A checker that imports its module on its first call (or preload) and then calls straight through. */
function lazy(name: CheckName, load: Loader): Checker {
  let loaded: Checker | undefined;
  let loading: Promise<Checker> | undefined;
  const warm = (): Promise<Checker> =>
    (loading ??= load().then(
      (c) => {
        loadedNames.add(name);
        return (loaded = c);
      },
      (err: unknown) => {
        loading = undefined; // a failed import is retried next time, and this check reports it
        throw err;
      },
    ));
  warmers.set(name, warm);
  return (spec, signal) => {
    if (loaded) return loaded(spec, signal);
    return warm().then(
      (c) => c(spec, signal),
      (err: unknown) => down(`${name}: check module failed to load: ${err instanceof Error ? err.message : String(err)}`),
    );
  };
}

/** While the module of check `name` is loading (or not yet asked for): the promise of its load; undefined once loaded. */
export function checkerLoading(name: CheckName): Promise<unknown> | undefined {
  getChecker(name);
  return loadedNames.has(name) ? undefined : warmers.get(name)?.();
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

/**
 * Imports the modules of `names` ahead of their first check, so a slow cold import does not eat a check's
 * budget: once it resolves, those checkers run straight through. Unknown names and failed imports are ignored.
 */
export async function preloadCheckers(names: Iterable<CheckName>): Promise<void> {
  const loads = [...new Set(names)].flatMap((n) => {
    getChecker(n);
    const warm = warmers.get(n);
    return warm ? [warm().then(() => undefined, () => undefined)] : [];
  });
  await Promise.all(loads);
}
