// Self-signed certificates for TLS test servers, made by openssl in a temp dir.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Create `<name>.crt` and `<name>.key` for CN=`cn` in `dir`; returns their paths. */
export function selfSigned(dir: string, name: string, cn: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-subj', `/CN=${cn}`, '-days', '2', '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  return { cert, key };
}
