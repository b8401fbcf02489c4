// IPv6 listings byte for byte: the expected text was written with C printf semantics (Python's
// % operator) from ipvsadm 1.31's formats, not from our output: addrport_to_anyname()'s
// "%s%s%s:%u" with brackets, svc_name not cut at 33 and dname not cut at 28 for IPv6, "FWM  %u
// IPv6", " mask %i" / " -M %i" prefix lengths, "-f %u -6", the sort of ipvs_cmp_services() (af
// before protocol) and ipvs_cmp_dests() (word by word), and print_conn()'s "%-18s" columns, which
// IPv6 overflows. The -S text is read back by the -R parser into the same rules.
import t from 'tap';
import { formatListAll, formatSave } from '../../src/cli/format.ts';
import { formatConns } from '../../src/cli/format-conn.ts';
import { ResolvedNames } from '../../src/cli/names.ts';
import * as O from '../../src/ipvsadm/argv-options.ts';
import { parseArgv } from '../../src/ipvsadm/argv.ts';
import { splitRuleLines } from '../../src/model/rules-format.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { MemoryDataPlane } from '../../src/daemon/memory-data-plane.ts';
import { connToWire, serviceToInfo } from '../../src/wire/wire-convert.ts';
import { AF_INET, AF_INET6 } from '../../src/model/dest.ts';
import { inet6Of } from '../../src/lib/inet6.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import type { ListResult, ServiceInfo } from '../../src/wire/wire.ts';
import { SERVICES_DB } from './fixtures/format-fixture.ts';

const ZERO = { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 };
const NO_RATES = { cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };
type Row = [
  af: number,
  addr: string,
  port: number,
  fwd: 'masq' | 'route' | 'tunnel',
  weight: number,
  act: number,
  inact: number,
];
const dest = ([af, addr, port, fwd, weight, activeConns, inactConns]: Row) => ({
  ...(af === 6 ? { af: AF_INET6 } : {}),
  addr,
  port,
  fwd,
  weight,
  uThreshold: 0,
  lThreshold: 0,
  ...(fwd === 'tunnel' ? { tunType: 0, tunPort: 0, tunFlags: 0 } : {}),
  activeConns,
  inactConns,
  persistConns: 0,
  stats: ZERO,
  rates: NO_RATES,
});
const STATS = { conns: 5, inPkts: 60, outPkts: 0, inBytes: 4000, outBytes: 0 };

// In dump order, real servers in scan order: the listings sort both.
const SERVICES: ServiceInfo[] = [
  {
    af: AF_INET6,
    protocol: 17,
    addr: '2001:db8:88::53',
    port: 53,
    fwmark: 0,
    sched: 'rr',
    flags: 1,
    timeout: 300,
    netmask: '64',
    pe: '',
    stats: ZERO,
    rates: NO_RATES,
    dests: [dest([6, '2001:db8:88:1234:5678:9abc:def0:1', 53, 'route', 2, 0, 0])],
  },
  {
    af: AF_INET6,
    protocol: 0,
    addr: '::',
    port: 0,
    fwmark: 7,
    sched: 'wlc',
    flags: 0,
    timeout: 0,
    netmask: '128',
    pe: '',
    stats: ZERO,
    rates: NO_RATES,
    dests: [dest([6, '2001:db8::102', 0, 'route', 1, 0, 0])],
  },
  {
    af: AF_INET6,
    protocol: 6,
    addr: '2001:db8::5',
    port: 80,
    fwmark: 0,
    sched: 'wrr',
    flags: 0,
    timeout: 0,
    netmask: '128',
    pe: '',
    stats: STATS,
    rates: NO_RATES,
    dests: [
      dest([6, '2001:db8::101', 8080, 'masq', 3, 0, 1]),
      { ...dest([6, '2001:db8::100', 80, 'masq', 1, 2, 3]), stats: STATS },
      dest([4, '10.0.0.1', 80, 'tunnel', 1, 0, 0]),
    ],
  },
  {
    protocol: 6,
    addr: '192.168.88.5',
    port: 80,
    fwmark: 0,
    sched: 'rr',
    flags: 0,
    timeout: 0,
    netmask: '255.255.255.255',
    pe: '',
    stats: ZERO,
    rates: NO_RATES,
    dests: [dest([4, '192.168.99.100', 80, 'masq', 1, 0, 0])],
  },
];
const LIST: ListResult = {
  info: { ipvsVersion: '1.2.1', connTableSize: 4096, tsvsVersion: '0.1.0' },
  services: SERVICES,
};

const EXPECTED_LIST =
  [
    'IP Virtual Server version 1.2.1 (size=4096)',
    'Prot LocalAddress:Port Scheduler Flags',
    '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
    'TCP  192.168.88.5:80 rr',
    '  -> 192.168.99.100:80            Masq    1      0          0         ',
    'TCP  [2001:db8::5]:80 wrr',
    '  -> 10.0.0.1:80                  Tunnel  1      0          0         ',
    '  -> [2001:db8::100]:80           Masq    1      2          3         ',
    '  -> [2001:db8::101]:8080         Masq    3      0          1         ',
    'UDP  [2001:db8:88::53]:53 rr persistent 300 mask 64',
    '  -> [2001:db8:88:1234:5678:9abc:def0:1]:53 Route   2      0          0         ',
    'FWM  7 IPv6 wlc',
    '  -> [2001:db8::102]:0            Route   1      0          0         ',
  ].join('\n') + '\n';

const EXPECTED_STATS =
  [
    'Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes',
    '  -> RemoteAddress:Port',
    'TCP  [2001:db8::5]:80                    5       60        0     4000        0',
    '  -> [2001:db8::100]:80                  5       60        0     4000        0',
  ].join('\n') + '\n';

const EXPECTED_SAVE =
  [
    '-A -t 192.168.88.5:80 -s rr',
    '-a -t 192.168.88.5:80 -r 192.168.99.100:80 -m -w 1',
    '-A -t [2001:db8::5]:80 -s wrr',
    '-a -t [2001:db8::5]:80 -r 10.0.0.1:80 -i -w 1 --tun-type ipip',
    '-a -t [2001:db8::5]:80 -r [2001:db8::100]:80 -m -w 1',
    '-a -t [2001:db8::5]:80 -r [2001:db8::101]:8080 -m -w 3',
    '-A -u [2001:db8:88::53]:53 -s rr -p 300 -M 64',
    '-a -u [2001:db8:88::53]:53 -r [2001:db8:88:1234:5678:9abc:def0:1]:53 -g -w 2',
    '-A -f 7 -6 -s wlc',
    '-a -f 7 -6 -r [2001:db8::102]:0 -g -w 1',
  ].join('\n') + '\n';

const EXPECTED_CONNS =
  [
    'IPVS connection entries',
    'pro expire state       source             virtual            destination',
    'TCP 14:59  ESTABLISHED [2001:db8:1::7]:40000 [2001:db8::5]:80   [2001:db8::100]:80',
    'TCP 00:59  SYN_RECV    [2001:db8:1::8]:40001 [2001:db8::5]:80   10.0.0.1:80',
  ].join('\n') + '\n';

t.test('-Ln: brackets, no cut for IPv6, FWM IPv6, mask as prefix length, sorted by af then words', async (t) => {
  t.equal(formatListAll(LIST, O.FMT_NUMERIC), EXPECTED_LIST);
});

t.test('-Ln --stats: "%-33s" and "  -> %-28s" widths with IPv6 names', async (t) => {
  const one = SERVICES[2]!;
  const only = { ...one, dests: one.dests.filter((d) => d.addr === '2001:db8::100') };
  const out = formatListAll({ ...LIST, services: [only] }, O.FMT_NUMERIC | O.FMT_STATS);
  t.equal(out.slice(out.indexOf('\n') + 1), EXPECTED_STATS);
});

t.test('-S -n prints restorable IPv6 rules, and -R reads them back to the same rules', async (t) => {
  const text = formatSave(SERVICES, O.FMT_NUMERIC | O.FMT_RULE);
  t.equal(text, EXPECTED_SAVE);
  const table = new ServiceTable({ findScheduler });
  for (const l of splitRuleLines(text)) {
    const c = parseArgv(l.tokens, { services: SERVICES_DB, readingStdin: true });
    if (c.cmd === O.CMD_ADD) table.addService(c.svc);
    else table.addDest(c.svc, c.dest);
  }
  const dp = new MemoryDataPlane();
  const again = JSON.parse(JSON.stringify(table.services().map((s) => serviceToInfo(s, dp)))) as ServiceInfo[];
  t.equal(formatSave(again, O.FMT_NUMERIC | O.FMT_RULE), EXPECTED_SAVE, 'save -> restore -> save is the same text');
  const fwm = table.services().find((s) => s.fwmark === 7)!;
  t.equal(fwm.af, AF_INET6);
  const tcp = table.find({
    af: AF_INET6,
    protocol: IPPROTO_TCP,
    addr: 0,
    addr6: inet6Of(0x20010db8, 0, 0, 5),
    port: 80,
    fwmark: 0,
  });
  t.ok(tcp, 'found by its four words');
  t.same(tcp!.dests.map((d) => d.af).sort(), [AF_INET6, AF_INET6, AF_INET].sort());
});

t.test('-Lnc: print_conn() "%-3s %-6s %-11s %-18s %-18s %s" with IPv6 and a tunnelled IPv4 real server', async (t) => {
  const c1 = connToWire({
    protocol: IPPROTO_TCP,
    af: AF_INET6,
    caddr: 0,
    caddr6: inet6Of(0x20010db8, 0x10000, 0, 7),
    cport: 40000,
    vaddr: 0,
    vaddr6: inet6Of(0x20010db8, 0, 0, 5),
    vport: 80,
    daddr: 0,
    daddr6: inet6Of(0x20010db8, 0, 0, 0x100),
    dport: 80,
    state: 'ESTABLISHED',
    expireMs: 899_500,
  });
  const c2 = connToWire({
    protocol: IPPROTO_TCP,
    af: AF_INET6,
    daf: AF_INET,
    caddr: 0,
    caddr6: inet6Of(0x20010db8, 0x10000, 0, 8),
    cport: 40001,
    vaddr: 0,
    vaddr6: inet6Of(0x20010db8, 0, 0, 5),
    vport: 80,
    daddr: 0x0a000001,
    dport: 80,
    state: 'SYN_RECV',
    expireMs: 59_999,
  });
  t.equal(formatConns([c1, c2], O.FMT_NUMERIC), EXPECTED_CONNS);
});

t.test('-L without -n: the reverse name goes inside the brackets, the port by getservbyport', async (t) => {
  const names = new ResolvedNames(new Map([['2001:db8::5', 'vip6.example']]), SERVICES_DB);
  const out = formatListAll({ ...LIST, services: [{ ...SERVICES[2]!, dests: [] }] }, O.FMT_NONE, names);
  t.equal(out.split('\n')[3] + '\n', ['TCP  [vip6.example]:http wrr'].join('\n') + '\n');
});
