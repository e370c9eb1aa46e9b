// Numeric addresses as getaddrinfo reads them: inet_aton forms for IPv4, canonical IPv6 text.
import { inetAton, intToIp, canonicalIPv6, isPlainQuad } from '../../../parsers/ldirectord-cf/addr.js';

describe('inetAton reads IPv4 literals like glibc', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['255.255.255.255', '255.255.255.255'],
    ['5060', '0.0.19.196'],
    ['10.1', '10.0.0.1'],
    ['10.1.2', '10.1.0.2'],
    ['010.0.0.1', '8.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['0', '0.0.0.0'],
  ])('%s is %s', (text, ip) => {
    expect(intToIp(inetAton(text)!)).toBe(ip);
  });

  it.each(['', '256.0.0.1', '1.2.3.4.5', '08.1.1.1', '1..2', 'a.b.c.d', '4294967296', '1.2.3.4 ', '-1'])('%j is not an IPv4 literal', (text) => {
    expect(inetAton(text)).toBeUndefined();
  });

  it.each([
    ['10.0.0.1', true],
    ['010.0.0.1', false],
    ['10.1', false],
    ['256.1.1.1', false],
  ])('%s is a plain dotted quad: %s', (text, want) => {
    expect(isPlainQuad(text)).toBe(want);
  });
});

describe('canonicalIPv6', () => {
  it.each([
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:1::4', '2001:db8:0:1::4'],
    ['::1', '::1'],
    ['0:0:0:0:0:0:0:0', '::'],
  ])('%s is %s', (text, want) => {
    expect(canonicalIPv6(text)).toBe(want);
  });

  it.each(['1:2:3', '10.0.0.1', 'fe80::1%eth0', 'zz::1'])('%s is not an IPv6 address', (text) => {
    expect(canonicalIPv6(text)).toBeUndefined();
  });
});
