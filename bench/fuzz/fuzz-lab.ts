// The fuzzer's director: an Engine on MemoryIo with classic NAT, full NAT and persistent services
// (the topology of test/helpers/engine-lab.ts, widened), a manual clock, and a MemoryIo that also
// records where each queued frame came from (which received frame, or director-made memory).
//
//   client side eth0 192.168.88.0/24          real-server side eth1 192.168.99.0/24
//   clients .10 .20      VIP .5      director      LIP .6      RIP1 .100   RIP2 .200
//
//   VIP:80   TCP  masq   rr  -> RIPn:8080          VIP:53   UDP  masq      -> RIPn:5353
//   VIP:443  TCP  full NAT   -> RIPn:8443          VIP:443  UDP  full NAT  -> RIPn:8443
//   VIP:8080 TCP  masq, persistent 300 s (templates) -> RIPn:80
//   VIP:81   TCP  masq, SYN proxy always -> RIPn:8081  VIP:444  TCP  full NAT, SYN proxy always -> RIPn:8444
//
// IPVS's defences are on in automatic mode (drop_entry, drop_packet, secure_tcp = 1) with
// amemthresh at a quarter of the table, so a flood engages them; churn() changes real servers.

import { Engine } from '../../src/datapath/engine.ts';
import type { EngineConfig } from '../../src/datapath/engine-config.ts';
import type { RxBatch } from '../../src/datapath/packet-io.ts';
import { MemoryIo } from '../../src/io/memory-io.ts';
import { AF_INET, FWD_FULLNAT, FWD_MASQ } from '../../src/model/dest.ts';
import { SVC_F_PERSISTENT } from '../../src/model/service.ts';
import { SVC_F_SYNPROXY_ALWAYS } from '../../src/model/synproxy-state.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/lib/inet.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { ipToU32, macToBytes } from '../../test/helpers/frames.ts';
import { ipv4Shape } from './frame-view.ts';

export const LVS0 = '02:00:00:00:00:01';
export const LVS1 = '02:00:00:00:00:02';
export const VIP = '192.168.88.5';
export const LIP = '192.168.99.6';
export const CLIENTS = [
  { ip: '192.168.88.10', mac: '02:00:00:00:88:10' },
  { ip: '192.168.88.20', mac: '02:00:00:00:88:20' },
] as const;
export const REALS = [
  { ip: '192.168.99.100', mac: '02:00:00:00:99:64' },
  { ip: '192.168.99.200', mac: '02:00:00:00:99:c8' },
] as const;

export interface LabService {
  readonly proto: number;
  readonly vport: number;
  readonly rport: number;
  readonly fullNat: boolean;
  readonly persistent: boolean;
  /** SYN proxy `always` (src/datapath/synproxy.ts): handshakes answered with cookies. */
  readonly synproxy?: boolean;
}

export const LAB_SERVICES: readonly LabService[] = [
  { proto: IPPROTO_TCP, vport: 80, rport: 8080, fullNat: false, persistent: false },
  { proto: IPPROTO_UDP, vport: 53, rport: 5353, fullNat: false, persistent: false },
  { proto: IPPROTO_TCP, vport: 443, rport: 8443, fullNat: true, persistent: false },
  { proto: IPPROTO_UDP, vport: 443, rport: 8443, fullNat: true, persistent: false },
  { proto: IPPROTO_TCP, vport: 8080, rport: 80, fullNat: false, persistent: true },
  { proto: IPPROTO_TCP, vport: 81, rport: 8081, fullNat: false, persistent: false, synproxy: true },
  { proto: IPPROTO_TCP, vport: 444, rport: 8444, fullNat: true, persistent: false, synproxy: true },
];

/**
 * MemoryIo that notes, for every frame it accepts for TX, the index of the received frame it was
 * rewritten from (-1 for frames in director memory: ICMP errors it built, ARP, the ARP queue).
 * origins[k] belongs to sent[k] (both in queue order).
 */
export class RecordingIo extends MemoryIo {
  readonly origins: number[] = [];
  /** Frame offsets of the last batch delivered (kept after it, to name a frame that threw). */
  readonly lastOffsets: number[] = [];
  private current: RxBatch | null = null;

  override start(onBatch: (batch: RxBatch) => void): void {
    super.start((b) => {
      this.current = b;
      this.lastOffsets.length = 0;
      for (let i = 0; i < b.count; i++) this.lastOffsets.push(b.off[i]!);
      try {
        onBatch(b);
      } finally {
        this.current = null;
      }
    });
  }

  override queueTx(port: number, buf: Buffer, off: number, len: number, flags: number): boolean {
    if (!super.queueTx(port, buf, off, len, flags)) return false;
    let origin = -1;
    const b = this.current;
    if (b !== null && buf === b.buf) for (let i = 0; i < b.count && origin < 0; i++) if (b.off[i] === off) origin = i;
    this.origins.push(origin);
    return true;
  }
}

export interface FuzzLab {
  readonly io: RecordingIo;
  readonly engine: Engine;
  readonly services: ServiceTable;
  now(): number;
  advance(ms: number): void;
  /** (Re)learn every client and real server neighbour at the current time. */
  learn(): void;
}

/** The lab; seed fixes what the engine would draw at random (hash seed, drop_entry buckets, SYN cookie keys). */
export function fuzzLab(opts: { connCapacity: number; seed: number }): FuzzLab {
  const io = new RecordingIo([
    { name: 'eth0', mac: LVS0 },
    { name: 'eth1', mac: LVS1 },
  ]);
  const cfg: EngineConfig = {
    ports: [
      { name: 'eth0', owned: [ipToU32(VIP)], subnets: [[ipToU32('192.168.88.0'), 24]], gateway: 0 },
      { name: 'eth1', owned: [ipToU32(LIP)], subnets: [[ipToU32('192.168.99.0'), 24]], gateway: 0 },
    ],
    fullNatAddrs: [ipToU32(LIP)],
    connCapacity: opts.connCapacity,
    // Automatic defences (mode 1): they engage when fewer than a quarter of the slots are free.
    defense: { dropEntry: 1, dropPacket: 1, secureTcp: 1, amemthresh: opts.connCapacity >> 2 },
  };
  let now = 1_000_000;
  const services = new ServiceTable({ findScheduler, nowMs: () => now });
  for (const s of LAB_SERVICES) {
    const key = keyOf(s);
    services.addService({
      ...key,
      schedName: 'rr',
      flags: (s.persistent ? SVC_F_PERSISTENT : 0) | (s.synproxy === true ? SVC_F_SYNPROXY_ALWAYS : 0),
      timeoutSec: s.persistent ? 300 : 0,
      netmask: 0xffffffff,
      peName: '',
    });
    for (const r of REALS) services.addDest(key, destSpec(s, r.ip, 1));
  }
  const conn = { seed: opts.seed, defenseSeed: opts.seed ^ 0x2545f491 };
  const engine = new Engine(io, cfg, services, { now: () => now, conn });
  // The SYN cookie keys too (random per engine otherwise): the seed's xorshift32 stream.
  const cookieKey = new Uint32Array(8);
  let x = opts.seed ^ 0x9e3779b9 || 1;
  for (let i = 0; i < 8; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    cookieKey[i] = x >>> 0;
  }
  engine.pipeline.synproxy.cookies.useFixedKey(cookieKey);
  engine.start();
  const learn = (): void => {
    for (const c of CLIENTS) engine.xmit.neigh.learn(ipToU32(c.ip), 0, macToBytes(c.mac), 0, now);
    for (const r of REALS) engine.xmit.neigh.learn(ipToU32(r.ip), 1, macToBytes(r.mac), 0, now);
  };
  learn();
  io.sent.length = 0; // the gratuitous ARPs
  io.origins.length = 0;
  return {
    io,
    engine,
    services,
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
    learn,
  };
}

function keyOf(s: LabService) {
  return { af: AF_INET, protocol: s.proto, addr: ipToU32(VIP), port: s.vport, fwmark: 0 };
}

function destSpec(s: LabService, ip: string, weight: number) {
  const fwd = s.fullNat ? FWD_FULLNAT : FWD_MASQ;
  return { af: AF_INET, addr: ipToU32(ip), port: s.rport, fwd, weight, uThreshold: 0, lThreshold: 0 };
}

/**
 * Control-plane churn between frames, as ipvsadm would make it: one real server of one service
 * is added back if it was removed, else removed (-d) one time in three, else given weight 0 or 1
 * (-e). pick(n) draws from 0..n-1.
 */
export function churn(lab: FuzzLab, pick: (n: number) => number): void {
  const s = LAB_SERVICES[pick(LAB_SERVICES.length)]!;
  const ip = REALS[pick(REALS.length)]!.ip;
  const key = keyOf(s);
  const svc = lab.services.lookup(s.proto, ipToU32(VIP), s.vport)!;
  if (!svc.dests.some((d) => d.addr === ipToU32(ip) && d.port === s.rport))
    lab.services.addDest(key, destSpec(s, ip, 1));
  else if (pick(3) === 0) lab.services.deleteDest(key, ipToU32(ip), s.rport);
  else lab.services.editDest(key, destSpec(s, ip, pick(2)));
}

const SYNPROXY_PORTS = new Set(LAB_SERVICES.filter((s) => s.synproxy === true).flatMap((s) => [s.vport, s.rport]));

/** Whether a TCP frame is to or from a SYN proxy service (either side): its seq/ack/window are translated. */
export function isSynproxyFrame(frame: Uint8Array): boolean {
  const s = ipv4Shape(frame);
  if (s === null || s.proto !== 6 || s.fragOff !== 0 || frame.length < s.l4 + 4) return false;
  return (
    SYNPROXY_PORTS.has((frame[s.l4]! << 8) | frame[s.l4 + 1]!) ||
    SYNPROXY_PORTS.has((frame[s.l4 + 2]! << 8) | frame[s.l4 + 3]!)
  );
}
