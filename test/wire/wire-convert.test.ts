// Wire <-> model converters, table-tested both ways, and validation of untrusted JSON.
import t from 'tap';
import {
  connToWire,
  destSpecFromWire,
  fwdFromWire,
  infoToRule,
  serviceKeyFromWire,
  serviceSpecFromWire,
  serviceToInfo,
  timeoutsFromWire,
} from '../../src/wire/wire-convert.ts';
import { destSpecToWire, fwdToWire, serviceSpecToWire } from '../../src/wire/spec-to-wire.ts';
import { FWD_FULLNAT, FWD_LOCAL, FWD_MASQ, FWD_ROUTE, FWD_TUNNEL } from '../../src/model/dest.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { MemoryDataPlane } from '../../src/daemon/memory-data-plane.ts';
import { TsvsError } from '../../src/lib/errors.ts';
import { recordingFactories } from '../model/fixtures/recording-scheduler.ts';
import type { ServiceSpec } from '../../src/model/rule-spec.ts';

t.test('forwarding methods map one to one', async (t) => {
  const table: [number, string][] = [
    [FWD_MASQ, 'masq'],
    [FWD_LOCAL, 'local'],
    [FWD_TUNNEL, 'tunnel'],
    [FWD_ROUTE, 'route'],
    [FWD_FULLNAT, 'fullnat'],
  ];
  for (const [n, s] of table) {
    t.equal(fwdToWire(n), s);
    t.equal(fwdFromWire(s), n);
  }
  t.throws(() => fwdFromWire('dr'), {
    code: 'EBADREQ',
    message: 'invalid request: fwd must be one of masq, local, tunnel, route, fullnat',
  });
});

const specs: { name: string; spec: ServiceSpec; wire: unknown }[] = [
  {
    name: 'a plain TCP service',
    spec: {
      af: 2,
      protocol: 6,
      addr: 0xc0a85805,
      port: 80,
      fwmark: 0,
      schedName: 'rr',
      flags: 0,
      timeoutSec: 0,
      netmask: 0xffffffff,
      peName: '',
    },
    wire: {
      protocol: 6,
      addr: '192.168.88.5',
      port: 80,
      fwmark: 0,
      sched: 'rr',
      flags: 0,
      timeout: 0,
      netmask: '255.255.255.255',
      pe: '',
    },
  },
  {
    name: 'a persistent UDP service with a mask',
    spec: {
      af: 2,
      protocol: 17,
      addr: 0x0a000001,
      port: 0,
      fwmark: 0,
      schedName: 'wlc',
      flags: 5,
      timeoutSec: 600,
      netmask: 0xffffff00,
      peName: '',
    },
    wire: {
      protocol: 17,
      addr: '10.0.0.1',
      port: 0,
      fwmark: 0,
      sched: 'wlc',
      flags: 5,
      timeout: 600,
      netmask: '255.255.255.0',
      pe: '',
    },
  },
  {
    name: 'a fwmark service',
    spec: {
      af: 2,
      protocol: 6,
      addr: 0,
      port: 0,
      fwmark: 4294967295,
      schedName: 'sh',
      flags: 0x18,
      timeoutSec: 0,
      netmask: 0xffffffff,
      peName: '',
    },
    wire: {
      protocol: 6,
      addr: '0.0.0.0',
      port: 0,
      fwmark: 4294967295,
      sched: 'sh',
      flags: 0x18,
      timeout: 0,
      netmask: '255.255.255.255',
      pe: '',
    },
  },
];

for (const c of specs) {
  t.test(`service specs round-trip: ${c.name}`, async (t) => {
    t.same(serviceSpecToWire(c.spec), c.wire);
    t.same(serviceSpecFromWire(c.wire), c.spec);
  });
}

t.test('real-server specs round-trip', async (t) => {
  const spec = { af: 2, addr: 0xc0a86364, port: 8080, fwd: FWD_FULLNAT, weight: 65535, uThreshold: 10, lThreshold: 5 };
  const wire = { addr: '192.168.99.100', port: 8080, fwd: 'fullnat', weight: 65535, uThreshold: 10, lThreshold: 5 };
  t.same(destSpecToWire(spec), wire);
  t.same(destSpecFromWire(wire), spec);
});

const bad: { what: string; fn: () => unknown; message: string }[] = [
  { what: 'a non-object', fn: () => serviceKeyFromWire([1]), message: 'invalid request: service must be an object' },
  {
    what: 'a bad address',
    fn: () => serviceKeyFromWire({ protocol: 6, addr: '10.1', port: 80, fwmark: 0 }),
    message: 'invalid request: addr must be a dotted-quad IPv4 address',
  },
  {
    what: 'a port out of range',
    fn: () => serviceKeyFromWire({ protocol: 6, addr: '10.0.0.1', port: 65536, fwmark: 0 }),
    message: 'invalid request: port must be an integer in 0..65535',
  },
  {
    what: 'a fractional port',
    fn: () => serviceKeyFromWire({ protocol: 6, addr: '10.0.0.1', port: 1.5, fwmark: 0 }),
    message: 'invalid request: port must be an integer in 0..65535',
  },
  {
    what: 'a long scheduler name',
    fn: () => serviceSpecFromWire({ ...(specs[0]!.wire as object), sched: 'x'.repeat(16) }),
    message: 'invalid request: sched must be a string of at most 15 characters',
  },
  {
    what: 'a missing weight',
    fn: () => destSpecFromWire({ addr: '10.0.0.1', port: 80, fwd: 'masq', uThreshold: 0, lThreshold: 0 }),
    message: 'invalid request: weight must be an integer in -2147483648..2147483647',
  },
  {
    what: 'a huge timeout',
    fn: () => timeoutsFromWire({ tcp: 2678401, tcpFin: 0, udp: 0 }),
    message: 'invalid request: tcp must be an integer in 0..2678400',
  },
];
for (const b of bad) {
  t.test(`untrusted JSON is refused with EBADREQ: ${b.what}`, async (t) => {
    const e = t.throws(b.fn) as unknown;
    t.ok(e instanceof TsvsError);
    t.equal((e as TsvsError).code, 'EBADREQ');
    t.equal((e as TsvsError).message, b.message);
  });
}

t.test('a live service becomes ServiceInfo with counters, rates and dests in scan order', async (t) => {
  const table = new ServiceTable({ findScheduler: recordingFactories([]) });
  const spec = specs[0]!.spec;
  const s = table.addService(spec);
  const d1 = table.addDest(spec, {
    af: 2,
    addr: 0x0a000001,
    port: 80,
    fwd: FWD_MASQ,
    weight: 1,
    uThreshold: 0,
    lThreshold: 0,
  });
  table.addDest(spec, { af: 2, addr: 0x0a000002, port: 80, fwd: FWD_ROUTE, weight: 2, uThreshold: 0, lThreshold: 0 });
  Object.assign(s, { conns: 1, inPkts: 2, outPkts: 3, inBytes: 4, outBytes: 2 ** 40 });
  Object.assign(d1, { activeConns: 7, inactConns: 8, persistConns: 9 });
  const dp = new MemoryDataPlane();
  dp.setRates(s, { cps: 1, inpps: 2, outpps: 3, inbps: 4, outbps: 5 });
  const info = serviceToInfo(s, dp);
  t.same(info.stats, { conns: 1, inPkts: 2, outPkts: 3, inBytes: 4, outBytes: 2 ** 40 });
  t.same(info.rates, { cps: 1, inPps: 2, outPps: 3, inBps: 4, outBps: 5 });
  t.same(
    info.dests.map((d) => [d.addr, d.fwd, d.weight]),
    [
      ['10.0.0.2', 'route', 2],
      ['10.0.0.1', 'masq', 1],
    ],
  );
  t.same([info.dests[1]!.activeConns, info.dests[1]!.inactConns, info.dests[1]!.persistConns], [7, 8, 9]);
  t.same(
    infoToRule(info).dests.map((d) => d.addr),
    [0x0a000002, 0x0a000001],
  );
});

t.test('connections get protocol names, whole seconds and dotted addresses', async (t) => {
  t.same(
    connToWire({
      protocol: 17,
      caddr: 0x0a090807,
      cport: 5353,
      vaddr: 0xc0a85805,
      vport: 53,
      daddr: 0x0a000001,
      dport: 53,
      state: 'UDP',
      expireMs: 65_999,
    }),
    {
      protocol: 'UDP',
      expireSec: 65,
      state: 'UDP',
      caddr: '10.9.8.7',
      cport: 5353,
      vaddr: '192.168.88.5',
      vport: 53,
      daddr: '10.0.0.1',
      dport: 53,
    },
  );
});
