// inet6: parsing as inet_pton(AF_INET6) and printing as glibc inet_ntop (resolv/inet_ntop.c).
// Expected strings are what `python3 -c 'import socket; socket.inet_ntop(socket.AF_INET6, ...)'`
// prints on glibc, which uses the same inet_ntop.

import t from 'tap';
import { formatInet6, inet6Equal, inet6Fold, inet6Of, parseInet6 } from '../../src/lib/inet6.ts';

t.test('parses to four host-order words', async (t) => {
  t.same(Array.from(parseInet6('2001:db8::5')!), [0x20010db8, 0, 0, 5]);
  t.same(Array.from(parseInet6('::')!), [0, 0, 0, 0]);
  t.same(Array.from(parseInet6('::ffff:192.168.88.5')!), [0, 0, 0xffff, 0xc0a85805]);
  t.same(Array.from(parseInet6('FE80::1:2')!), [0xfe800000, 0, 0, 0x00010002]);
});

t.test('refuses what inet_pton refuses', async (t) => {
  for (const s of [
    '',
    '1::2::3',
    '2001:db8::5%eth0',
    '2001:db8::/64',
    '[2001:db8::5]',
    '192.168.1.1',
    '12345::',
    'g::1',
  ]) {
    t.equal(parseInet6(s), null, s);
  }
});

t.test('prints as glibc inet_ntop', async (t) => {
  const cases: Array<[string, string]> = [
    ['2001:db8::5', '2001:db8::5'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0005', '2001:db8::5'],
    ['::', '::'],
    ['::1', '::1'],
    ['::2', '::2'],
    ['::ffff:c0a8:5805', '::ffff:192.168.88.5'],
    ['::c0a8:5805', '::192.168.88.5'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:0:0:2:0:0:3:4', '1::2:0:0:3:4'],
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
    ['2001:db8:88::', '2001:db8:88::'],
    ['fe80::', 'fe80::'],
  ];
  for (const [input, printed] of cases) t.equal(formatInet6(parseInet6(input)!), printed, input);
});

t.test('fold and equality', async (t) => {
  const a = parseInet6('2001:db8::5')!;
  t.equal(inet6Fold(a), (0x20010db8 ^ 5) >>> 0);
  t.ok(inet6Equal(a, inet6Of(0x20010db8, 0, 0, 5)));
  t.notOk(inet6Equal(a, inet6Of(0x20010db8, 0, 0, 6)));
});
