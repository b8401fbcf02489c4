// LiveTraffic: real connections through the director for the fuzzer to aim at. It opens flows to
// every lab service (TCP handshakes, UDP exchanges, through the pipeline), makes further packets
// of them in both directions (client -> VIP, and real server -> director addressed as the
// connection table says: caddr or the full NAT local address), and keeps the frames the director
// recently emitted, so mutated copies and ICMP errors quoting them hit existing entries.

import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import type { Rng } from '../sim/rng.ts';
import { buildFrame, ipToU32, u32ToIp } from '../../test/helpers/frames.ts';
import { CLIENTS, type FuzzLab, LAB_SERVICES, LVS0, LVS1, REALS, VIP, type LabService } from './fuzz-lab.ts';
import type { SeedFrame } from './corpus.ts';
import type { FuzzFrame } from './mutate.ts';

interface Flow {
  readonly svc: LabService;
  readonly client: (typeof CLIENTS)[number];
  readonly cport: number;
}

const RECENT = 128;
const TCP_FLAGS = ['A', 'PA', 'FA', 'R', 'S', 'RA', 'F'] as const;

export class LiveTraffic {
  private readonly flows: Flow[] = [];
  private readonly recent: SeedFrame[] = [];
  private recentAt = 0;
  /** The last frame the director emitted. */
  private last: SeedFrame | null = null;
  private nextCport = 20000;
  private seq = 1;

  constructor(
    private readonly lab: FuzzLab,
    private readonly rng: Rng,
  ) {}

  get count(): number {
    return this.flows.length;
  }

  /** Open one flow: the frames of a handshake, each handed to send() (which runs the pipeline). */
  open(send: (frame: Buffer, port: number) => void): void {
    const rng = this.rng;
    const flow: Flow = {
      svc: LAB_SERVICES[rng.int(LAB_SERVICES.length)]!,
      client: CLIENTS[rng.int(CLIENTS.length)]!,
      cport: this.nextCport,
    };
    this.nextCport = this.nextCport >= 65000 ? 20000 : this.nextCport + 1;
    const tcp = flow.svc.proto === IPPROTO_TCP;
    if (tcp && flow.svc.synproxy === true) {
      this.openProxied(flow, send);
      return;
    }
    send(this.clientFrame(flow, tcp ? 'S' : '', tcp ? '' : 'query'), 0);
    const reply = this.serverFrame(flow, tcp ? 'SA' : '', tcp ? '' : 'answer');
    if (reply === null) return;
    send(reply, 1);
    if (tcp) send(this.clientFrame(flow, 'A', ''), 0);
    this.flows.push(flow);
  }

  /**
   * A flow to a SYN proxy service: SYN, the director's cookie SYN-ACK (the last frame it emitted),
   * the ACK that proves it, then the real server's SYN-ACK to the director's SYN.
   */
  private openProxied(flow: Flow, send: (frame: Buffer, port: number) => void): void {
    const isn = this.seq++;
    this.last = null;
    send(this.clientFrame(flow, 'S', '', isn, 0), 0);
    const sa = this.last as SeedFrame | null;
    if (sa === null || sa.port !== 0 || sa.frame.length < 54 || (sa.frame[47]! & 0x12) !== 0x12) return;
    const cookie = sa.frame.readUInt32BE(38);
    send(this.clientFrame(flow, 'A', this.rng.next() < 0.5 ? '' : 'GET /', isn + 1, cookie + 1), 0);
    if (this.connOf(flow) < 0) return;
    const reply = this.serverFrame(flow, 'SA', '', this.rng.nextU32(), isn + 1);
    if (reply === null) return;
    send(reply, 1);
    this.flows.push(flow);
  }

  /** Forget flows whose connection has expired. */
  prune(): void {
    for (let i = this.flows.length - 1; i >= 0; i--) if (this.connOf(this.flows[i]!) < 0) this.flows.splice(i, 1);
  }

  /** Keep a frame the director emitted (the ring holds the last RECENT). */
  remember(frame: Buffer, port: number): void {
    const e = { frame, port };
    this.last = e;
    if (this.recent.length < RECENT) this.recent.push(e);
    else this.recent[this.recentAt] = e;
    this.recentAt = (this.recentAt + 1) % RECENT;
  }

  /** A frame of live traffic: a flow's next packet either way, or a frame the director emitted. */
  base(): SeedFrame | null {
    const rng = this.rng;
    const r = rng.next();
    if (r < 0.3 && this.recent.length > 0) return this.recent[rng.int(this.recent.length)]!;
    if (this.flows.length === 0) return null;
    const flow = this.flows[rng.int(this.flows.length)]!;
    const tcp = flow.svc.proto === IPPROTO_TCP;
    const flags = tcp ? TCP_FLAGS[rng.int(TCP_FLAGS.length)]! : '';
    const payload = rng.next() < 0.5 ? '' : 'x'.repeat(1 + rng.int(200));
    if (r < 0.65) return { frame: this.clientFrame(flow, flags, payload), port: 0 };
    const f = this.serverFrame(flow, flags, payload);
    return f === null ? null : { frame: f, port: 1 };
  }

  private connOf(flow: Flow): number {
    return this.lab.engine.conns.lookupIn(
      flow.svc.proto,
      ipToU32(flow.client.ip),
      flow.cport,
      ipToU32(VIP),
      flow.svc.vport,
    );
  }

  private clientFrame(flow: Flow, flags: string, payload: string, seq = this.seq++, ack = 1): Buffer {
    const tcp = flow.svc.proto === IPPROTO_TCP;
    return buildFrame({
      dstMac: LVS0,
      srcMac: flow.client.mac,
      src: flow.client.ip,
      dst: VIP,
      proto: tcp ? 'tcp' : 'udp',
      sport: flow.cport,
      dport: flow.svc.vport,
      ...(tcp ? { flags, seq, ack, tcpOptions: this.tsOption() } : {}),
      payload,
      ttl: 64,
    });
  }

  /** The real server's packet back, addressed to what the connection shows it (null if gone). */
  private serverFrame(flow: Flow, flags: string, payload: string, seq = this.seq++, ack = 2): Buffer | null {
    const id = this.connOf(flow);
    if (id < 0) return null;
    const t = this.lab.engine.conns.table;
    const daddr = u32ToIp(t.daddr[id]!);
    const real = REALS.find((x) => x.ip === daddr) ?? REALS[0];
    const tcp = flow.svc.proto === IPPROTO_TCP;
    return buildFrame({
      dstMac: LVS1,
      srcMac: real.mac,
      src: daddr,
      dst: u32ToIp(t.laddr[id]!),
      proto: tcp ? 'tcp' : 'udp',
      sport: t.dport[id]!,
      dport: t.lport[id]!,
      ...(tcp ? { flags, seq, ack, tcpOptions: this.tsOption() } : {}),
      payload,
      ttl: 64,
    });
  }

  /** NOP NOP + a TCP timestamp on most segments, so full NAT's timestamp translation runs. */
  private tsOption(): Uint8Array {
    if (this.rng.next() < 0.3) return new Uint8Array(0);
    const o = Buffer.from([1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0]);
    o.writeUInt32BE(this.rng.nextU32(), 4);
    o.writeUInt32BE(this.rng.nextU32(), 8);
    return o;
  }
}

/**
 * n SYNs from spoofed client-side addresses and ports to the TCP services, as a SYN flood
 * sends them: they fill the table with embryonic entries until it is full.
 */
export function synFlood(rng: Rng, n: number): FuzzFrame[] {
  const tcp = LAB_SERVICES.filter((s) => s.proto === IPPROTO_TCP);
  const out: FuzzFrame[] = [];
  for (let i = 0; i < n; i++) {
    const frame = buildFrame({
      dstMac: LVS0,
      srcMac: CLIENTS[0].mac,
      src: `192.168.88.${30 + rng.int(220)}`,
      dst: VIP,
      proto: 'tcp',
      sport: 1024 + rng.int(64000),
      dport: tcp[rng.int(tcp.length)]!.vport,
      flags: 'S',
      seq: rng.nextU32(),
      ttl: 64,
    });
    out.push({ frame, port: 0, flags: 0, vnet: null });
  }
  return out;
}
