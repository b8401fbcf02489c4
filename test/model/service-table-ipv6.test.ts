// ServiceTable with IPv6 against ip_vs_ctl.c: services and real servers are told apart by
// their full 128-bit address (not the 32-bit fold the schedulers hash), the family rules of
// ip_vs_genl_set_cmd(), the unicast test of ip_vs_new_dest() and the prefix length check of
// ip_vs_add_service(), each with ipvsadm's words.
import t, { type Test } from 'tap';
import { ServiceTable } from '../../src/model/service-table.ts';
import { AF_INET, AF_INET6, FWD_MASQ, FWD_TUNNEL } from '../../src/model/dest.ts';
import type { DestSpec, ServiceSpec } from '../../src/model/rule-spec.ts';
import { TsvsError } from '../../src/lib/errors.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { inet6Fold, inet6Of, type Inet6 } from '../../src/lib/inet6.ts';
import { recordingFactories } from './fixtures/recording-scheduler.ts';

const VIP6 = inet6Of(0x20010db8, 0, 0, 5);
// Same fold as VIP6 (the words differ but their xor is equal).
const VIP6_TWIN = inet6Of(0x20010db8, 1, 1, 5);
const svc6 = (addr6: Inet6, over: Partial<ServiceSpec> = {}): ServiceSpec => ({
  af: AF_INET6,
  protocol: IPPROTO_TCP,
  addr: inet6Fold(addr6),
  addr6,
  port: 80,
  fwmark: 0,
  schedName: 'rr',
  flags: 0,
  timeoutSec: 0,
  netmask: 128,
  peName: '',
  ...over,
});
const rs6 = (addr6: Inet6, over: Partial<DestSpec> = {}): DestSpec => ({
  af: AF_INET6,
  addr: inet6Fold(addr6),
  addr6,
  port: 80,
  fwd: FWD_MASQ,
  weight: 1,
  uThreshold: 0,
  lThreshold: 0,
  ...over,
});
const EINVAL_TEXT = 'Invalid operation.  Possibly wrong module version, address not unicast, ...';
const table = () => new ServiceTable({ findScheduler: recordingFactories([]) });

function throwsIpvs(t: Test, fn: () => unknown, code: string, message: string): void {
  try {
    fn();
    t.fail(`expected ${code}`);
  } catch (e) {
    t.ok(e instanceof TsvsError);
    t.equal((e as TsvsError).code, code);
    t.equal((e as TsvsError).message, message);
  }
}

t.test('two IPv6 services whose addresses fold alike are two services', async (t) => {
  const tb = table();
  t.equal(inet6Fold(VIP6), inet6Fold(VIP6_TWIN));
  tb.addService(svc6(VIP6));
  tb.addService(svc6(VIP6_TWIN));
  t.equal(tb.services().length, 2);
  t.equal(Array.from(tb.find(svc6(VIP6_TWIN))!.addr6).join(','), Array.from(VIP6_TWIN).join(','));
  throwsIpvs(t, () => tb.addService(svc6(VIP6)), 'EEXIST', 'Service already exists');
});

t.test('an IPv6 service is not an IPv4 service of the same fold, nor seen by the IPv4 lookup', async (t) => {
  const tb = table();
  tb.addService(svc6(VIP6));
  const v4 = { ...svc6(VIP6), af: AF_INET, netmask: 0xffffffff };
  delete (v4 as { addr6?: Inet6 }).addr6;
  t.equal(tb.find(v4), null);
  t.equal(tb.lookup(IPPROTO_TCP, inet6Fold(VIP6), 80), null, 'the IPv4 data path never meets an IPv6 fold');
});

t.test('real servers are found by their four words; a twin fold is another server', async (t) => {
  const tb = table();
  const key = svc6(VIP6);
  tb.addService(key);
  const a = inet6Of(0x20010db8, 0, 0, 0x100);
  const twin = inet6Of(0x20010db8, 0, 2, 0x102);
  t.equal(inet6Fold(a), inet6Fold(twin));
  tb.addDest(key, rs6(a));
  tb.addDest(key, rs6(twin, { weight: 2 }));
  throwsIpvs(t, () => tb.addDest(key, rs6(a)), 'EEXIST', 'Destination already exists');
  tb.editDest(key, rs6(twin, { weight: 5 }));
  const s = tb.find(key)!;
  t.same(
    s.dests.map((d) => [Array.from(d.addr6), d.weight]),
    [
      [Array.from(twin), 5],
      [Array.from(a), 1],
    ],
  );
  tb.deleteDest(key, inet6Fold(a), 80, AF_INET6, a);
  t.equal(s.dests.length, 1);
  throwsIpvs(t, () => tb.deleteDest(key, inet6Fold(a), 80, AF_INET6, a), 'ENOENT', 'No such destination');
  // Re-adding takes the trashed dest back, matched on the full address.
  const back = tb.addDest(key, rs6(a));
  t.same(Array.from(back.addr6), Array.from(a));
});

t.test('a real server of the other family needs tunnel forwarding (ip_vs_genl_set_cmd)', async (t) => {
  const tb = table();
  const key = svc6(VIP6);
  tb.addService(key);
  const v4: DestSpec = {
    af: AF_INET,
    addr: 0x0a000001,
    port: 80,
    fwd: FWD_MASQ,
    weight: 1,
    uThreshold: 0,
    lThreshold: 0,
  };
  throwsIpvs(t, () => tb.addDest(key, v4), 'EINVAL', EINVAL_TEXT);
  const d = tb.addDest(key, { ...v4, fwd: FWD_TUNNEL });
  t.equal(d.af, AF_INET);
  throwsIpvs(t, () => tb.editDest(key, v4), 'EINVAL', EINVAL_TEXT);
  throwsIpvs(
    t,
    () => tb.addDest(key, { ...v4, af: 7 }),
    'EAFNOSUPPORT',
    'Operation not supported with specified address family',
  );
});

t.test('ip_vs_new_dest(): ::, multicast and link-local real servers are not unicast', async (t) => {
  const tb = table();
  const key = svc6(VIP6);
  tb.addService(key);
  for (const a of [inet6Of(0, 0, 0, 0), inet6Of(0xff020000, 0, 0, 1), inet6Of(0xfe800000, 0, 0, 1)]) {
    throwsIpvs(t, () => tb.addDest(key, rs6(a)), 'EINVAL', EINVAL_TEXT);
  }
  t.equal(tb.addDest(key, rs6(inet6Of(0, 0, 0, 1))).af, AF_INET6, '::1 is unicast (IPV6_ADDR_LOOPBACK)');
});

t.test('ip_vs_add_service() / ip_vs_edit_service(): an IPv6 prefix length is 1..128', async (t) => {
  const tb = table();
  throwsIpvs(t, () => tb.addService(svc6(VIP6, { netmask: 0 })), 'EINVAL', EINVAL_TEXT);
  throwsIpvs(t, () => tb.addService(svc6(VIP6, { netmask: 0xffffffff })), 'EINVAL', EINVAL_TEXT);
  tb.addService(svc6(VIP6, { netmask: 64 }));
  t.equal(tb.find(svc6(VIP6))!.netmask, 64);
  throwsIpvs(t, () => tb.editService(svc6(VIP6, { netmask: 129 })), 'EINVAL', EINVAL_TEXT);
});

t.test('a firewall mark names one service per family (__ip_vs_svc_fwm_find matches svc->af)', async (t) => {
  const tb = table();
  const mark = { addr: 0, addr6: inet6Of(0, 0, 0, 0), port: 0, fwmark: 9, protocol: 0 };
  const { addr6: _none, ...four } = svc6(VIP6, mark);
  const v4 = tb.addService({ ...four, af: AF_INET, netmask: 0xffffffff });
  const v6 = tb.addService(svc6(VIP6, mark));
  t.equal(tb.lookupFwmark(9), v4, 'the IPv4 lookup finds the AF_INET service');
  t.equal(tb.lookupFwmark6(9), v6, 'the IPv6 lookup (sync of IPv6 entries) finds the AF_INET6 one');
  t.equal(tb.lookupFwmark6(8), null);
});
