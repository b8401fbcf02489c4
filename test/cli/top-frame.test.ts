// tsvsadm --top's frame from plain data: exact lines for a table of cases (sorted order, health
// states, departed servers, engine drops, widths that leave columns off or cut lines).
import t from 'tap';
import { compactNumber, renderTopFrame, type TopData } from '../../src/cli/top-frame.ts';
import type { DestInfo, RateInfo, ServiceInfo } from '../../src/wire/wire.ts';

const ZERO = { cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };
const STATS = { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 };

function dest(addr: string, weight: number, active: number, inact: number, rates: RateInfo = ZERO): DestInfo {
  return {
    addr,
    port: 80,
    fwd: 'masq',
    weight,
    uThreshold: 0,
    lThreshold: 0,
    activeConns: active,
    inactConns: inact,
    persistConns: 0,
    stats: STATS,
    rates,
  };
}

function svc(addr: string, dests: DestInfo[], rates: RateInfo = ZERO, fwmark = 0): ServiceInfo {
  return {
    protocol: fwmark === 0 ? 6 : 0,
    addr,
    port: fwmark === 0 ? 80 : 0,
    fwmark,
    sched: 'wlc',
    flags: 0,
    timeout: 0,
    netmask: '255.255.255.255',
    pe: '',
    stats: STATS,
    rates,
    dests,
  };
}

const BUSY = { cps: 12, inPps: 340, outPps: 2_500, inBps: 123_456, outBps: 98_765_432 };
const SERVICES = [
  svc('192.168.88.5', [dest('192.168.99.200', 2, 7, 1, BUSY), dest('192.168.99.100', 1, 3, 0)], BUSY),
  svc('10.0.0.1', [dest('10.0.0.2', 3, 0, 0)]),
];
const BASE: TopData = { services: SERVICES, health: null, engine: null, intervalSec: 2, clock: '20:45:01' };
const HEALTH = [
  { service: 'TCP 192.168.88.5:80', dest: '192.168.99.100:80', alive: true, weight: 1, failures: 0 },
  { service: 'TCP 192.168.88.5:80', dest: '192.168.99.200:80', alive: true, weight: 2, failures: 0 },
  { service: 'TCP 192.168.88.5:80', dest: '192.168.99.150:80', alive: false, weight: 1, failures: 3 },
];

const cases: { name: string; data: TopData; width: number; lines: string[] }[] = [
  {
    name: 'ipvsadm order (its int overflow puts 192.168.88.5 before 10.0.0.1); service rows sum connections',
    data: BASE,
    width: 120,
    lines: [
      'tsvs top - every 2 s - 20:45:01 - 2 services, 3 real servers',
      'engine: none (control plane only)',
      '',
      'Prot LocalAddress:Port Sched Weight State Active  Inact    CPS  InPPS OutPPS  InB/s OutB/s',
      'TCP  192.168.88.5:80 wlc                      10      1     12    340   2500 123.5K  98.8M',
      '  -> 192.168.99.100:80            1 -          3      0      0      0      0      0      0',
      '  -> 192.168.99.200:80            2 -          7      1     12    340   2500 123.5K  98.8M',
      'TCP  10.0.0.1:80 wlc                           0      0      0      0      0      0      0',
      '  -> 10.0.0.2:80                  3 -          0      0      0      0      0      0      0',
    ],
  },
  {
    name: 'health: UP/DOWN per server, up/checked per service, a failed server stays listed',
    data: {
      ...BASE,
      services: [SERVICES[0]!],
      health: HEALTH,
      engine: { drops: { not_syn: 4, no_service: 9, bad_arp: 0 }, connections: 300, connCapacity: 65536 },
      intervalSec: 0.5,
    },
    width: 100,
    lines: [
      'tsvs top - every 0.5 s - 20:45:01 - 1 service, 3 real servers',
      'engine: 300 of 65536 connections (0%); drops 13: no_service 9, not_syn 4',
      '',
      'Prot LocalAddress:Port Sched Weight State Active  Inact    CPS  InPPS OutPPS  InB/s OutB/s',
      'TCP  192.168.88.5:80 wlc            2/3       10      1     12    340   2500 123.5K  98.8M',
      '  -> 192.168.99.100:80            1 UP         3      0      0      0      0      0      0',
      '  -> 192.168.99.200:80            2 UP         7      1     12    340   2500 123.5K  98.8M',
      '  -> 192.168.99.150:80            0 DOWN       -      -      -      -      -      -      -',
    ],
  },
  {
    name: 'an engine without drops; a firewall-mark service',
    data: {
      ...BASE,
      services: [svc('0.0.0.0', [dest('10.1.1.1', 1, 1, 2)], ZERO, 7)],
      engine: { drops: {}, connections: 3, connCapacity: 4 },
    },
    width: 120,
    lines: [
      'tsvs top - every 2 s - 20:45:01 - 1 service, 1 real server',
      'engine: 3 of 4 connections (75%); drops 0',
      '',
      'Prot LocalAddress:Port Sched Weight State Active  Inact    CPS  InPPS OutPPS  InB/s OutB/s',
      'FWM  7 wlc                                     1      2      0      0      0      0      0',
      '  -> 10.1.1.1:80                  1 -          1      2      0      0      0      0      0',
    ],
  },
  {
    name: '80 columns leave the byte rates off; nothing is longer than the width',
    data: BASE,
    width: 80,
    lines: [
      'tsvs top - every 2 s - 20:45:01 - 2 services, 3 real servers',
      'engine: none (control plane only)',
      '',
      'Prot LocalAddress:Port Sched Weight State Active  Inact    CPS  InPPS OutPPS',
      'TCP  192.168.88.5:80 wlc                      10      1     12    340   2500',
      '  -> 192.168.99.100:80            1 -          3      0      0      0      0',
      '  -> 192.168.99.200:80            2 -          7      1     12    340   2500',
      'TCP  10.0.0.1:80 wlc                           0      0      0      0      0',
      '  -> 10.0.0.2:80                  3 -          0      0      0      0      0',
    ],
  },
  {
    name: 'narrower than the address column: every line is cut at the width',
    data: BASE,
    width: 20,
    lines: [
      'tsvs top - every 2 s',
      'engine: none (contro',
      '',
      'Prot LocalAddress:Po',
      'TCP  192.168.88.5:80',
      '  -> 192.168.99.100:',
      '  -> 192.168.99.200:',
      'TCP  10.0.0.1:80 wlc',
      '  -> 10.0.0.2:80',
    ],
  },
  {
    name: 'no services',
    data: { ...BASE, services: [] },
    width: 120,
    lines: [
      'tsvs top - every 2 s - 20:45:01 - 0 services, 0 real servers',
      'engine: none (control plane only)',
      '',
      'Prot LocalAddress:Port Sched Weight State Active  Inact    CPS  InPPS OutPPS  InB/s OutB/s',
    ],
  },
];

t.test('a frame taller than the terminal ends in how many rows did not fit', async (t) => {
  t.same(renderTopFrame(BASE, 120, 6), [
    'tsvs top - every 2 s - 20:45:01 - 2 services, 3 real servers',
    'engine: none (control plane only)',
    '',
    'Prot LocalAddress:Port Sched Weight State Active  Inact    CPS  InPPS OutPPS  InB/s OutB/s',
    'TCP  192.168.88.5:80 wlc                      10      1     12    340   2500 123.5K  98.8M',
    '... 4 more rows',
  ]);
  t.same(renderTopFrame(BASE, 10, 1), ['... 9 more']);
  t.equal(renderTopFrame(BASE, 120, 9).length, 9, 'a frame that fits exactly is whole');
  t.notMatch(renderTopFrame(BASE, 120, 9).join('\n'), 'more rows');
});

for (const c of cases) {
  t.test(c.name, async (t) => {
    const lines = renderTopFrame(c.data, c.width);
    t.same(lines, c.lines);
    t.ok(
      lines.every((l) => l.length <= c.width),
      `every line fits ${c.width} columns`,
    );
  });
}

t.test('compactNumber keeps six characters: whole up to 99999, then K/M/G/T with one decimal', async (t) => {
  const table: [number, string][] = [
    [0, '0'],
    [-5, '0'],
    [Number.NaN, '0'],
    [0.4, '0'],
    [2.5, '3'],
    [99_999, '99999'],
    [100_000, '100.0K'],
    [123_456, '123.5K'],
    [999_949, '999.9K'],
    [999_950, '1.0M'],
    [98_765_432, '98.8M'],
    [1.5e9, '1.5G'],
    [2e12, '2.0T'],
    [999.9e12, '999.9T'],
  ];
  for (const [n, s] of table) t.equal(compactNumber(n), s, String(n));
});
