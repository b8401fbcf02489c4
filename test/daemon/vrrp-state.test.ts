// vrrp-state: keepalived's notify scripts set the director's VRRP state through tsvsadm
// --vrrp-state; a BACKUP engine holds its owned addresses silent (no ARP answer, no gratuitous
// ARP, packets to the VIP passed to the kernel), a MASTER answers and announces them at once.
import t from 'tap';
import { Engine } from '../../src/datapath/engine.ts';
import type { EngineConfig } from '../../src/datapath/engine-config.ts';
import { MemoryIo } from '../../src/io/memory-io.ts';
import { AF_INET, FWD_MASQ } from '../../src/model/dest.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { Logger } from '../../src/lib/logger.ts';
import { TsvsError } from '../../src/lib/errors.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { parseMac } from '../../src/packet/ethernet.ts';
import { OwnedAddrs } from '../../src/datapath/owned-addrs.ts';
import { config6, VIP6 } from '../helpers/engine-lab6.ts';
import {
  addVrrpStateOp,
  engineVrrpStart,
  engineVrrpTarget,
  ownedAddressNames,
  parseVrrpState,
  VrrpStateKeeper,
  type HandedVrrp,
} from '../../src/daemon/vrrp-state.ts';
import type { ExtraOp } from '../../src/daemon/daemon.ts';
import { buildFrame, hex, ipToU32 } from '../helpers/frames.ts';

const LVS0 = '02:00:00:00:00:01';
const CMAC = '02:00:00:00:88:10';
const VIP = '192.168.88.5';
const CIP = '192.168.88.10';
const RIP = '192.168.99.100';

const mac = (m: string): string => m.replace(/:/g, '');
const ip4 = (a: string): string => Buffer.from(a.split('.').map(Number)).toString('hex');

/** An ARP request as arp_solicit() writes it (a gratuitous one when sender = target), from fields. */
function arpRequest(senderMac: string, senderIp: string, targetIp: string): string {
  return `ffffffffffff${mac(senderMac)}08060001080006040001${mac(senderMac)}${ip4(senderIp)}000000000000${ip4(targetIp)}`;
}

/** A director as startEngine builds it: `handed` is what a handing-over tsvsd passed on. */
function director(configured?: 'master' | 'backup', handed: HandedVrrp | null = null) {
  const vrrpState = engineVrrpStart(configured, handed);
  const io = new MemoryIo([
    { name: 'eth0', mac: LVS0 },
    { name: 'eth1', mac: '02:00:00:00:00:02' },
  ]);
  const cfg: EngineConfig = {
    ports: [
      { name: 'eth0', owned: [ipToU32(VIP)], subnets: [[ipToU32('192.168.88.0'), 24]], gateway: 0 },
      { name: 'eth1', owned: [], subnets: [[ipToU32('192.168.99.0'), 24]], gateway: 0 },
    ],
    fullNatAddrs: [],
    connCapacity: 64,
    ...(vrrpState !== undefined ? { vrrpState } : {}),
  };
  const services = new ServiceTable({ findScheduler });
  const key = { af: AF_INET, protocol: IPPROTO_TCP, addr: ipToU32(VIP), port: 80, fwmark: 0 };
  services.addService({ ...key, schedName: 'rr', flags: 0, timeoutSec: 0, netmask: 0xffffffff, peName: '' });
  services.addDest(key, {
    af: AF_INET,
    addr: ipToU32(RIP),
    port: 80,
    fwd: FWD_MASQ,
    weight: 1,
    uThreshold: 0,
    lThreshold: 0,
  });
  const engine = new Engine(io, cfg, services, { now: () => 1_000_000 });
  engine.start();
  engine.xmit.neigh.learn(ipToU32(RIP), 1, parseMac('02:00:00:00:99:01'), 0, 1_000_000);
  const logs: string[] = [];
  const keeper = new VrrpStateKeeper(
    engineVrrpTarget(engine),
    new Logger({ write: (l) => logs.push(l) }),
    configured,
    handed,
  );
  return { io, engine, keeper, logs };
}

const arpForVip = (): Buffer => Buffer.from(arpRequest(CMAC, CIP, VIP), 'hex');
const syn = (sport: number): Buffer =>
  buildFrame({
    dstMac: LVS0,
    srcMac: CMAC,
    src: CIP,
    dst: VIP,
    proto: 'tcp',
    sport,
    dport: 80,
    flags: 'S',
    seq: 1,
    ttl: 64,
  });

/** An ARP request for the VIP and a SYN to it; returns the frames sent in answer and forwarded. */
function arpAndSyn(io: MemoryIo, sport: number): number {
  io.sent.length = 0;
  io.inject(0, arpForVip());
  io.inject(0, syn(sport));
  io.deliver();
  return io.sent.length;
}

t.test('a BACKUP director holds the VIP silent: no gratuitous ARP, no ARP answer, no connection', async (t) => {
  const { io, engine, keeper } = director('backup');
  t.equal(io.sent.length, 0, 'no gratuitous ARP at start');
  io.inject(0, arpForVip());
  io.inject(0, syn(40000));
  io.deliver();
  t.equal(io.sent.length, 0, 'neither the ARP request nor the SYN is answered or forwarded');
  t.equal(engine.conns.count, 0);
  t.match(keeper.info(), { state: 'BACKUP', managed: true, answering: false, addresses: [VIP], transitions: 0 });
});

t.test('notify_master: gratuitous ARP for the VIP at once, then ARP and connections are answered', async (t) => {
  const { io, engine, keeper, logs } = director('backup');
  const info = keeper.set('MASTER');
  t.match(info, { state: 'MASTER', previous: 'BACKUP', transitions: 1, answering: true });
  t.equal(io.sent.length, 5, "five gratuitous ARPs at once (keepalived's vrrp_garp_master_repeat)");
  for (const s of io.sent) {
    t.equal(s.port, 0);
    t.equal(hex(s.frame).slice(0, 84), arpRequest(LVS0, VIP, VIP), 'who-has VIP tell VIP, from eth0');
  }
  t.equal(arpAndSyn(io, 40001), 2, 'the ARP reply and the SYN toward the real server');
  t.equal(engine.conns.count, 1);
  t.match(logs.join(''), /vrrp state MASTER/);
  keeper.set('MASTER');
  t.equal(keeper.info().transitions, 1, 'the same state again changes nothing');
});

t.test('leaving MASTER (BACKUP, FAULT, STOP) silences the VIP again', async (t) => {
  for (const next of ['BACKUP', 'FAULT', 'STOP'] as const) {
    const { io, keeper } = director('master');
    t.equal(io.sent.length, 1, 'a MASTER at start announces the VIP');
    io.sent.length = 0;
    t.match(keeper.set(next), { state: next, previous: 'MASTER', answering: false });
    io.inject(0, arpForVip());
    io.deliver();
    t.equal(io.sent.length, 0, `${next}: the ARP request for the VIP is not answered`);
  }
});

t.test('a BACKUP asks ARP from 0.0.0.0, never from the VIP it holds silent; a MASTER from the VIP', async (t) => {
  const { io, engine, keeper } = director('backup');
  engine.xmit.arpRequest(0, ipToU32(CIP));
  t.equal(hex(io.sent[0]!.frame).slice(0, 84), arpRequest(LVS0, '0.0.0.0', CIP), 'an ARP probe: no cache learns it');
  keeper.set('MASTER');
  io.sent.length = 0;
  engine.xmit.arpRequest(0, ipToU32(CIP));
  t.equal(hex(io.sent[0]!.frame).slice(0, 84), arpRequest(LVS0, VIP, CIP), 'the MASTER speaks from the VIP again');
  keeper.set('BACKUP');
  io.sent.length = 0;
  engine.xmit.arpRequest(0, ipToU32(CIP));
  t.equal(hex(io.sent[0]!.frame).slice(0, 84), arpRequest(LVS0, '0.0.0.0', CIP), 'and not after leaving MASTER');
});

t.test('without vrrp-state the director is a standalone MASTER', async (t) => {
  const { io, keeper } = director();
  t.equal(io.sent.length, 1, 'gratuitous ARP at start, as before');
  t.match(keeper.info(), { state: 'MASTER', managed: false, answering: true });
});

t.test('the vrrp.state op reads and sets the state; an unknown state is refused by name', async (t) => {
  const { engine } = director('backup');
  const ops = new Map<string, ExtraOp>();
  addVrrpStateOp(
    { addOp: (n, fn) => ops.set(n, fn) },
    engineVrrpTarget(engine),
    new Logger({ write: () => undefined }),
    'backup',
  );
  const op = ops.get('vrrp.state')!;
  t.match(op({}), { state: 'BACKUP' });
  t.match(op({ state: 'master' }), { state: 'MASTER' });
  t.throws(
    () => op({ state: 'primary' }),
    new TsvsError('EBADREQ', 'vrrp state must be master, backup, fault or stop, not "primary"'),
  );
  t.equal(parseVrrpState('Fault'), 'FAULT');
  t.equal(parseVrrpState('init'), null);
});

t.test('tsvsd --takeover: the successor starts in the state the old tsvsd had, not the config one', async (t) => {
  // The old tsvsd was MASTER (keepalived said so once); the shared config says `vrrp-state backup`.
  const old = director('backup');
  old.keeper.set('MASTER');
  const handed = old.keeper.handed();
  t.match(handed, { state: 'MASTER', managed: true });
  const { io, engine, keeper, logs } = director('backup', handed);
  t.match(keeper.info(), { state: 'MASTER', managed: true, answering: true, sinceMs: handed.sinceMs });
  t.equal(io.sent.length, 1, 'it announces the VIP once at start, as a MASTER start does');
  t.equal(arpAndSyn(io, 40002), 2, 'the ARP reply and the SYN toward the real server, without a notify');
  t.equal(engine.conns.count, 1);
  t.match(logs.join(''), /vrrp state MASTER carried over from the handing-over tsvsd/);
  t.equal(keeper.set('MASTER').transitions, 0, "keepalived's next MASTER line changes nothing");

  // The other way: a BACKUP (or FAULT) director whose config has no vrrp-state stays silent.
  for (const s of ['BACKUP', 'FAULT'] as const) {
    const b = director(undefined, { state: s, managed: true, sinceMs: 1 });
    t.equal(b.io.sent.length, 0, `${s}: no gratuitous ARP at start`);
    b.io.inject(0, arpForVip());
    b.io.deliver();
    t.equal(b.io.sent.length, 0, `${s}: the ARP request for the VIP is not answered`);
    t.match(b.keeper.info(), { state: s, managed: true, answering: false });
  }
});

t.test('engineVrrpStart: a handed-over state wins over the config; a standalone predecessor does not', async (t) => {
  const h = (state: HandedVrrp['state'], managed = true): HandedVrrp => ({ state, managed, sinceMs: 0 });
  t.equal(engineVrrpStart('backup', h('MASTER')), 'master');
  t.equal(engineVrrpStart('master', h('BACKUP')), 'backup');
  t.equal(engineVrrpStart(undefined, h('STOP')), 'backup');
  t.equal(engineVrrpStart('backup', h('MASTER', false)), 'backup', 'never managed: the config decides');
  t.equal(engineVrrpStart('backup', null), 'backup', 'no handover (or an old tsvsd without vrrp): the config');
  t.equal(engineVrrpStart(undefined, undefined), undefined);
});

t.test('ownedAddressNames lists the owned IPv6 addresses beside the IPv4 ones', (t) => {
  const owned = new OwnedAddrs(config6());
  const names = ownedAddressNames(owned);
  t.ok(names.includes(VIP6), `${VIP6} listed (${names.join(', ')})`);
  t.equal(names.length, owned.entries().length + owned.entries6().length, 'every owned address once');
  t.end();
});
