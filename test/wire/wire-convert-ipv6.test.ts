// IPv6 on the wire: "af": 10 beside IPv6 text, absent for IPv4 so IPv4 messages are unchanged;
// untrusted input refused with the field named.
import t from 'tap';
import { destKeyFromWire, destSpecFromWire, serviceSpecFromWire } from '../../src/wire/wire-convert.ts';
import { destSpecToWire, serviceSpecToWire } from '../../src/wire/spec-to-wire.ts';
import { AF_INET, AF_INET6, FWD_MASQ } from '../../src/model/dest.ts';
import { inet6Fold, inet6Of } from '../../src/lib/inet6.ts';
import { TsvsError } from '../../src/lib/errors.ts';
import type { ServiceSpec } from '../../src/model/rule-spec.ts';

const VIP6 = inet6Of(0x20010db8, 0, 0, 5);
const SPEC: ServiceSpec = {
  af: AF_INET6,
  protocol: 6,
  addr: inet6Fold(VIP6),
  addr6: VIP6,
  port: 80,
  fwmark: 0,
  schedName: 'wrr',
  flags: 1,
  timeoutSec: 300,
  netmask: 64,
  peName: '',
};

t.test('an IPv6 service travels as af 10, inet_ntop text and a decimal prefix length', async (t) => {
  const w = serviceSpecToWire(SPEC);
  t.same(w, {
    af: 10,
    protocol: 6,
    addr: '2001:db8::5',
    port: 80,
    fwmark: 0,
    sched: 'wrr',
    flags: 1,
    timeout: 300,
    netmask: '64',
    pe: '',
  });
  const back = serviceSpecFromWire(JSON.parse(JSON.stringify(w)));
  t.same({ ...back, addr6: Array.from(back.addr6!) }, { ...SPEC, addr6: Array.from(VIP6) });
});

t.test('an IPv4 real server of an IPv6 service keeps no af field; an IPv6 one has it', async (t) => {
  const v4 = { af: AF_INET, addr: 0x0a000001, port: 80, fwd: FWD_MASQ, weight: 1, uThreshold: 0, lThreshold: 0 };
  t.notOk('af' in destSpecToWire(v4));
  const a6 = inet6Of(0x20010db8, 0, 0, 0x100);
  const w = destSpecToWire({ ...v4, af: AF_INET6, addr: inet6Fold(a6), addr6: a6 });
  t.equal(w.af, 10);
  t.equal(w.addr, '2001:db8::100');
  const k = destKeyFromWire({ af: 10, addr: '2001:db8::100', port: 80 });
  t.same(Array.from(k.addr6!), Array.from(a6));
  t.equal(k.addr, inet6Fold(a6));
});

t.test('bad IPv6 input is refused with the field named', async (t) => {
  const bad = (fn: () => unknown, message: string) => {
    try {
      fn();
      t.fail(message);
    } catch (e) {
      t.ok(e instanceof TsvsError && e.code === 'EBADREQ', message);
      t.equal((e as Error).message, `invalid request: ${message}`);
    }
  };
  const base = { ...serviceSpecToWire(SPEC) };
  bad(() => serviceSpecFromWire({ ...base, af: 3 }), 'af must be 2 (AF_INET) or 10 (AF_INET6)');
  bad(() => serviceSpecFromWire({ ...base, addr: '2001:db8::5%eth0' }), 'addr must be an IPv6 address');
  bad(() => serviceSpecFromWire({ ...base, addr: '10.0.0.1' }), 'addr must be an IPv6 address');
  bad(() => serviceSpecFromWire({ ...base, netmask: '255.255.255.0' }), 'netmask must be a prefix length for IPv6');
  bad(() => serviceSpecFromWire({ ...base, af: undefined }), 'addr must be a dotted-quad IPv4 address');
  bad(
    () => destSpecFromWire({ af: 10, addr: '1.2.3.4', port: 80, fwd: 'masq', weight: 1, uThreshold: 0, lThreshold: 0 }),
    'addr must be an IPv6 address',
  );
});
