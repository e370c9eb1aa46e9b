// LDAP/LDAPS negotiate check (ldapts): optional bind, base-scope search of request, one entry whose DN matches receive.
import net from 'node:net';
import tls from 'node:tls';
import { Client } from 'ldapts';
import { MAX_REPLY_BYTES, compileReceive, describeError, quote, withTimeout } from './result.js';
import { hostPort } from '../model/keys.js';
import type { Checker, CheckResult, CheckSpec } from './types.js';

/** Which step failed, named as upstream's monitor messages are (logged once, not twice as upstream). */
type Step = 'Connection failed' | 'Bind failed' | 'No answer received' | 'Response mismatch';

class StepFailure extends Error {
  constructor(readonly step: Step, detail: string) {
    super(detail);
  }
}

/** Builds the ldap (or ldaps, when `secure`) check. */
export function ldapChecker(secure: boolean): Checker {
  return async (spec: CheckSpec, signal: AbortSignal): Promise<CheckResult> => {
    const base = spec.request.replace(/^\//, '');
    const scheme = secure ? 'ldaps' : 'ldap';
    const what = `${scheme.toUpperCase()} search base ${JSON.stringify(base)} on ${hostPort(spec.host, spec.port)}`;
    const compiled = spec.receive === '' ? undefined : compileReceive(spec.receive);
    if (compiled !== undefined && !(compiled instanceof RegExp)) return { ok: false, reason: `${what}: ${compiled.error}` };
    const receive: RegExp | undefined = compiled;

    // Upstream bounds the whole dialogue by checktimeout and each LDAP operation by negotiatetimeout.
    const t = withTimeout(signal, spec.checkTimeoutMs);
    const sockets = new Set<net.Socket>();
    const track = <S extends net.Socket>(s: S): S => {
      sockets.add(s);
      let bytes = 0;
      s.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MAX_REPLY_BYTES) s.destroy(new Error(`reply larger than ${MAX_REPLY_BYTES} bytes`));
      });
      return s;
    };
    const client = new Client({
      url: `${scheme}://${hostPort(spec.host, spec.port)}`,
      timeout: spec.negotiateTimeoutMs,
      // No connectTimeout: ldapts leaves that timer running after we destroy the socket; the
      // checktimeout bound below already ends a connect that hangs.
      strictDN: false,
      // ldapts switches to TLS whenever tlsOptions is present, so plain ldap must not pass any.
      ...(secure
        ? {
            tlsOptions: {
              rejectUnauthorized: false,
              ...(spec.virtualHost !== undefined && net.isIP(spec.virtualHost) === 0 ? { servername: spec.virtualHost } : {}),
            },
          }
        : {}),
      createConnection: ((port: number, host: string) => track(net.connect({ port, host }))) as typeof net.connect,
      createSecureConnection: ((port: number, host: string, options: tls.ConnectionOptions) =>
        track(tls.connect({ ...options, port, host }))) as typeof tls.connect,
    });
    const abort = new Promise<never>((_, reject) => {
      const onAbort = (): void => reject(new StepFailure('No answer received', describeError(t.signal.reason)));
      if (t.signal.aborted) onAbort();
      else t.signal.addEventListener('abort', onAbort, { once: true });
    });
    abort.catch(() => undefined);
    try {
      if (spec.login !== '' && spec.passwd !== '') {
        await Promise.race([
          client.bind(spec.login, spec.passwd).catch((e: unknown) => {
            throw new StepFailure(isConnectError(e) ? 'Connection failed' : 'Bind failed', `${describeError(e)}`);
          }),
          abort,
        ]);
      }
      const { searchEntries } = await Promise.race([
        client.search(base, { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] }).catch((e: unknown) => {
          // An LDAP result code (e.g. 32 noSuchObject) is an answer that does not match.
          const step = isConnectError(e) ? 'Connection failed' : isResultCode(e) ? 'Response mismatch' : 'No answer received';
          throw new StepFailure(step, describeError(e));
        }),
        abort,
      ]);
      const dns = searchEntries.map((e) => e.dn);
      if (dns.length !== 1) throw new StepFailure('Response mismatch', `expected exactly 1 entry, got ${dns.length}`);
      if (receive !== undefined && !receive.test(dns[0]!)) {
        throw new StepFailure('Response mismatch', `expected DN matching /${spec.receive}/, got ${quote(dns[0]!)}`);
      }
      return { ok: true, message: 'Success' };
    } catch (e) {
      if (e instanceof StepFailure) return { ok: false, reason: `${what}: ${e.step}: ${e.message}` };
      return { ok: false, reason: `${what}: No answer received: ${describeError(e)}` };
    } finally {
      t.dispose();
      for (const s of sockets) s.destroy();
      // unbind() would wait on a socket we have just destroyed; the client is simply dropped.
    }
  };
}

function isResultCode(e: unknown): boolean {
  return typeof (e as { code?: unknown } | null)?.code === 'number';
}

function isConnectError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^(ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL|ETIMEDOUT)$/.test(code)) return true;
  return e instanceof Error && /Connection timeout/.test(e.message);
}

/** The ldap service check. */
export const check: Checker = ldapChecker(false);
/** The ldaps service check (TLS from the first byte, no certificate verification, as upstream). */
export const checkLdaps: Checker = ldapChecker(true);
