// Reads the annotated hex fixtures in fixtures/netlink (pairs of hex digits; `#` starts a comment).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/netlink');

/** The bytes of fixtures/netlink/<name>.hex. */
export function readHex(name: string): Buffer {
  const text = readFileSync(join(dir, `${name}.hex`), 'utf8');
  const hex = text
    .split('\n')
    .map((l) => l.replace(/#.*/, ''))
    .join(' ')
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '');
  for (const h of hex) if (!/^[0-9a-f]{2}$/i.test(h)) throw new Error(`bad hex token '${h}' in ${name}.hex`);
  return Buffer.from(hex.join(''), 'hex');
}
