// inet_aton(3) and inet_ntoa(3) as glibc implements them (what ipvsadm reads -t/-r/-M with).
import t from 'tap';
import { inetAton, ipToString, parseDottedQuad, isIpv6Literal } from '../../src/lib/inet.ts';

const cases: [string, number | null][] = [
  ['192.168.99.100', 0xc0a86364],
  ['10.1', 0x0a000001], // a.b: b fills 24 bits
  ['10.1.2', 0x0a010002], // a.b.c: c fills 16 bits
  ['167772161', 0x0a000001], // one 32-bit number
  ['0x0a.0.0.1', 0x0a000001], // hexadecimal part
  ['012.0.0.1', 0x0a000001], // octal part
  ['255.255.255.255', 0xffffffff],
  ['0.0.0.0', 0],
  ['256.1.1.1', null],
  ['1.2.3.256', null],
  ['1.2.65536', null],
  ['1.2.3.4.5', null],
  ['08.1.1.1', null], // 8 is not octal: strtoul stops, trailing garbage
  ['0x', null],
  ['1..2', null],
  ['', null],
  ['a.b.c.d', null],
  ['1.2.3.4 ', null],
];

t.test('inetAton reads every form glibc accepts and refuses the rest', async (t) => {
  for (const [s, want] of cases) t.equal(inetAton(s), want, JSON.stringify(s));
});

t.test('ipToString prints dotted quads from host-order numbers', async (t) => {
  t.equal(ipToString(0xc0a86364), '192.168.99.100');
  t.equal(ipToString(0xffffffff), '255.255.255.255');
  t.equal(ipToString(-1), '255.255.255.255');
});

t.test('the wire parser takes strict dotted quads only', async (t) => {
  t.equal(parseDottedQuad('10.0.0.1'), 0x0a000001);
  t.equal(parseDottedQuad('10.1'), null);
  t.equal(parseDottedQuad('10.0.0.256'), null);
  t.ok(isIpv6Literal('2001:db8::1'));
  t.notOk(isIpv6Literal('10.0.0.1:80'));
});
