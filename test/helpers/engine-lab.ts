// engineLab: the lab topology as an Engine on MemoryIo for pipeline tests: client 192.168.88.10,
// VIP 192.168.88.5 on eth0, real servers on eth1 (full NAT source 192.168.99.6), neighbours
// resolved as ARP replies would, a manual clock. Frames are built with ./frames.ts.
import type { ConnManagerOptions } from '../../src/conn/conn-manager.ts';
import { Engine } from '../../src/datapath/engine.ts';
import type { EngineConfig } from '../../src/datapath/engine-config.ts';
import { MemoryIo } from '../../src/io/memory-io.ts';
import { AF_INET, FWD_FULLNAT, FWD_MASQ } from '../../src/model/dest.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { ipToU32 } from './frames.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import type { ManualTimers } from '../../src/lib/timers.ts';
import { parseMac } from '../../src/packet/ethernet.ts';

export const CMAC = '02:00:00:00:88:10';
export const LVS0 = '02:00:00:00:00:01'; // lvs1 eth0 (VIP side)
export const LVS1 = '02:00:00:00:00:02'; // lvs1 eth1 (DIP side)
export const VIP = '192.168.88.5';
export const CIP = '192.168.88.10';
export const LIP = '192.168.99.6';
// The tutorial's two real servers and the MACs the lab's neighbour table gives them.
export const RIP1 = '192.168.99.100';
export const RIP2 = '192.168.99.200';
export const W1MAC = '02:00:00:00:99:64';
export const W2MAC = '02:00:00:00:99:c8';

export interface LabDest {
  readonly ip: string;
  readonly mac: string;
  readonly weight: number;
}

export interface EngineLabOptions {
  readonly dests: readonly LabDest[];
  readonly fullNat?: boolean;
  readonly sched?: string;
  readonly proto?: number;
  readonly connCapacity?: number;
  readonly startMs?: number;
  readonly conn?: ConnManagerOptions;
  /** Engine config extras: the defence sysctls, the embryonic quota. */
  readonly defense?: EngineConfig['defense'];
  readonly embryonicPercent?: number;
  /** The service's flags (SVC_F_*, e.g. the SYN proxy mode of src/model/synproxy-state.ts); default 0. */
  readonly serviceFlags?: number;
  /**
   * A manual clock for the engine and its once-a-second defence work: time then moves only with
   * `await timers.advance(ms)` (startMs is ignored; `advance` below must not be used).
   */
  readonly timers?: ManualTimers;
}

export function engineLab(opts: EngineLabOptions) {
  const io = new MemoryIo([
    { name: 'eth0', mac: LVS0 },
    { name: 'eth1', mac: LVS1 },
  ]);
  const cfg: EngineConfig = {
    ports: [
      { name: 'eth0', owned: [ipToU32(VIP)], subnets: [[ipToU32('192.168.88.0'), 24]], gateway: 0 },
      { name: 'eth1', owned: opts.fullNat ? [ipToU32(LIP)] : [], subnets: [[ipToU32('192.168.99.0'), 24]], gateway: 0 },
    ],
    fullNatAddrs: opts.fullNat ? [ipToU32(LIP)] : [],
    connCapacity: opts.connCapacity ?? 1024,
    ...(opts.defense !== undefined ? { defense: opts.defense } : {}),
    ...(opts.embryonicPercent !== undefined ? { embryonicPercent: opts.embryonicPercent } : {}),
  };
  const services = new ServiceTable({ findScheduler });
  const key = { af: AF_INET, protocol: opts.proto ?? IPPROTO_TCP, addr: ipToU32(VIP), port: 80, fwmark: 0 };
  services.addService({
    ...key,
    schedName: opts.sched ?? 'rr',
    flags: opts.serviceFlags ?? 0,
    timeoutSec: 0,
    netmask: 0xffffffff,
    peName: '',
  });
  const fwd = opts.fullNat ? FWD_FULLNAT : FWD_MASQ;
  for (const d of opts.dests) {
    services.addDest(key, {
      af: AF_INET,
      addr: ipToU32(d.ip),
      port: 80,
      fwd,
      weight: d.weight,
      uThreshold: 0,
      lThreshold: 0,
    });
  }
  let now = opts.startMs ?? 1_000_000;
  const timers = opts.timers;
  if (timers !== undefined) now = timers.now();
  const clock = (): number => (timers !== undefined ? timers.now() : now);
  const engine = new Engine(io, cfg, services, {
    now: clock,
    ...(opts.conn !== undefined ? { conn: opts.conn } : {}),
    ...(timers !== undefined ? { timers } : {}),
  });
  engine.start();
  /** (Re)learn every neighbour at the current time, as ARP replies would. */
  const learn = (): void => {
    const hosts: [string, string, number][] = [
      [CIP, CMAC, 0],
      ...opts.dests.map((d): [string, string, number] => [d.ip, d.mac, 1]),
    ];
    for (const [ip, mac, port] of hosts) {
      engine.xmit.neigh.learn(ipToU32(ip), port, parseMac(mac), 0, clock());
    }
  };
  learn();
  io.sent.length = 0; // forget the gratuitous ARPs
  return { io, engine, services, learn, now: clock, advance: (ms: number) => (now += ms) };
}
