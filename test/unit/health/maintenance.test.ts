// maintenancedir file names (spec §3.7), tried in upstream's order.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findMaintenanceFile, maintenanceNames } from '../../../src/health/maintenance.js';

describe('maintenanceNames', () => {
  test.each([
    ['an IPv4 real without a reverse name', '10.0.0.2', 80, undefined, ['10.0.0.2:80', '10.0.0.2']],
    ['an IPv6 real keeps its brackets', '2001:db8::1', 80, undefined, ['[2001:db8::1]:80', '[2001:db8::1]']],
    ['a reverse name adds the FQDN and the short name', '10.0.0.2', 80, 'www1.example.com',
      ['10.0.0.2:80', '10.0.0.2', 'www1.example.com:80', 'www1.example.com', 'www1:80', 'www1']],
    ['a short name that is not lower-case is not tried', '10.0.0.2', 80, 'WWW1.example.com',
      ['10.0.0.2:80', '10.0.0.2', 'WWW1.example.com:80', 'WWW1.example.com']],
  ])('%s', (_name, addr, port, fqdn, names) => {
    expect(maintenanceNames(addr, port, fqdn)).toEqual(names);
  });
});

describe('findMaintenanceFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ldng-maint-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['the address:port file', '10.0.0.2:80', undefined],
    ['the bare address file', '10.0.0.2', undefined],
    ['the short host name found by reverse lookup', 'www1', 'www1.example.com'],
  ])('finds %s', async (_name, file, fqdn) => {
    writeFileSync(join(dir, file), '');
    try {
      await expect(findMaintenanceFile(dir, '10.0.0.2', 80, () => Promise.resolve(fqdn))).resolves.toBe(join(dir, file));
    } finally {
      rmSync(join(dir, file));
    }
  });

  test('another real\'s file does not match', async () => {
    writeFileSync(join(dir, '10.0.0.3:80'), '');
    await expect(findMaintenanceFile(dir, '10.0.0.2', 80, () => Promise.resolve(undefined))).resolves.toBeUndefined();
  });
});
