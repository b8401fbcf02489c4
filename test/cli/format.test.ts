// Golden listings: every form is compared byte for byte with the output of
// test/cli/fixtures/ipvsadm-printf.py, a transliteration of ipvsadm 1.31's printf calls run on
// the same fixture (test/cli/fixtures/format-fixture.json). The printf format of each form is noted.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { formatListAll, formatListService, formatSave } from '../../src/cli/format.ts';
import { formatConns, formatTimeouts } from '../../src/cli/format-conn.ts';
import * as O from '../../src/ipvsadm/argv-options.ts';
import { CONNS, LIST, NAMES, SERVICES, TIMEOUTS } from './fixtures/format-fixture.ts';

const golden = (name: string): string => readFileSync(new URL(`./fixtures/${name}.golden`, import.meta.url), 'utf8');

const cases: { name: string; format: string; render: () => string }[] = [
  {
    name: 'list-numeric',
    format: 'service "%s %s" (svc_name "%-4s %s" cut at 33); dest "  -> %-28s %-7s %-6d %-10u %-10u\\n"',
    render: () => formatListAll(LIST, O.FMT_NUMERIC),
  },
  {
    name: 'list-names',
    format: 'as -Ln with addrport_to_anyname(): host from gethostbyaddr, port from getservbyport; dname cut at 28',
    render: () => formatListAll(LIST, O.FMT_NONE, NAMES),
  },
  {
    name: 'list-stats',
    format:
      'title "%-33s %8s %8s %8s %8s %8s\\n"; rows "%-33s" / "  -> %-28s" then print_largenum(): "%9llu" or "%8lluK|M|G|T"',
    render: () => formatListAll(LIST, O.FMT_NUMERIC | O.FMT_STATS),
  },
  {
    name: 'list-stats-exact',
    format: 'print_largenum() with FMT_EXACT: "%*llu" with width len <= 8 ? 9 : len + 1',
    render: () => formatListAll(LIST, O.FMT_NUMERIC | O.FMT_STATS | O.FMT_EXACT),
  },
  {
    name: 'list-rate',
    format: 'service rates by print_largenum(); dest "  -> %-28s %8llu %8llu %8llu" then print_largenum() twice',
    render: () => formatListAll(LIST, O.FMT_NUMERIC | O.FMT_RATE),
  },
  {
    name: 'list-thresholds',
    format: 'title "%-33s %-10s %-10s %-10s %-10s\\n"; dest "  -> %-28s %-10u %-10u %-10u %-10u\\n"',
    render: () => formatListAll(LIST, O.FMT_NUMERIC | O.FMT_THRESHOLDS),
  },
  {
    name: 'list-persistent-conn',
    format: 'title "%-33s %-9s %-11s %-10s %-10s\\n"; dest "  -> %-28s %-9u %-11u %-10u %-10u\\n"',
    render: () => formatListAll(LIST, O.FMT_NUMERIC | O.FMT_PERSISTENTCONN),
  },
  {
    name: 'list-tun-info',
    format: 'dest "  -> %-28s %-7s %-13s %-6d %-10u %-10u\\n" with "ipip" or "n/a"',
    render: () => formatListAll(LIST, O.FMT_NUMERIC | O.FMT_TUN_INFO),
  },
  {
    name: 'list-nosort',
    format: 'as -Ln in the order tsvsd sends (kernel dump order, dests in scan order)',
    render: () => formatListAll(LIST, O.FMT_NUMERIC | O.FMT_NOSORT),
  },
  {
    name: 'list-service',
    format: 'list_service(): print_title() and one entry, no version line',
    render: () => formatListService(SERVICES[3]!, O.FMT_NUMERIC),
  },
  {
    name: 'save-numeric',
    format: '"-A %s -s %s"[" -p %u"[" -M %s"]][" -o"][" -b " flags]; "-a %s -r %s %s -w %d\\n" (+" --tun-type ipip")',
    render: () => formatSave(SERVICES, O.FMT_RULE | O.FMT_NUMERIC),
  },
  {
    name: 'save-names',
    format: 'as -S -n with names, nothing cut',
    render: () => formatSave(SERVICES, O.FMT_RULE, NAMES),
  },
  {
    name: 'save-names',
    format: 'list_all(FMT_RULE) prints no version line nor title',
    render: () => formatListAll(LIST, O.FMT_RULE, NAMES),
  },
  {
    name: 'conns-numeric',
    format: '"pro expire %-11s %-18s %-18s %s\\n"; rows "%-3s %-6s %-11s %-18s %-18s %s\\n", expire "%02d:%02d"',
    render: () => formatConns(CONNS, O.FMT_NUMERIC),
  },
  {
    name: 'conns-names',
    format: 'as -Lnc with addrport_to_anyname(); long names overflow their columns',
    render: () => formatConns(CONNS, O.FMT_NONE, NAMES),
  },
  {
    name: 'conns-persistent',
    format: 'title "pro expire %-11s %-18s %-18s %-18s %-16s %s\\n"; rows without pe data keep the short form',
    render: () => formatConns(CONNS, O.FMT_NUMERIC | O.FMT_PERSISTENTCONN),
  },
  {
    name: 'timeout',
    format: '"Timeout (tcp tcpfin udp): %d %d %d\\n"',
    render: () => formatTimeouts(TIMEOUTS),
  },
];

for (const c of cases) {
  t.test(`${c.name} matches ipvsadm byte for byte (${c.format})`, async (t) => {
    t.equal(c.render(), golden(c.name));
  });
}

t.test('the tutorial table is exactly what ipvsadm -Ln prints', async (t) => {
  // "%-28s %-7s %-6d %-10u %-10u": note the trailing blanks of the last %-10u column.
  const res = {
    info: { ipvsVersion: '1.2.1', connTableSize: 4096, tsvsVersion: '0.1.0' },
    services: [
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
        stats: { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 },
        rates: { cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 },
        dests: ['192.168.99.200', '192.168.99.100'].map((addr, i) => ({
          addr,
          port: 80,
          fwd: 'masq' as const,
          weight: 2 - i,
          uThreshold: 0,
          lThreshold: 0,
          activeConns: 0,
          inactConns: 0,
          persistConns: 0,
          stats: { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 },
          rates: { cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 },
        })),
      },
    ],
  };
  t.equal(
    formatListAll(res, O.FMT_NUMERIC),
    'IP Virtual Server version 1.2.1 (size=4096)\n' +
      'Prot LocalAddress:Port Scheduler Flags\n' +
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n' +
      'TCP  192.168.88.5:80 rr\n' +
      '  -> 192.168.99.100:80            Masq    1      0          0         \n' +
      '  -> 192.168.99.200:80            Masq    2      0          0         \n',
  );
});
