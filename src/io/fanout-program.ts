// fanout-program: the classic BPF program of a PACKET_FANOUT_CBPF group, which sends both
// directions of a flow to the worker that owns it (net/packet/af_packet.c fanout_demux_bpf: the
// member is the program's return value modulo the members, in join order).
//
// A frame's direction is told by its destination address:
//   to a full-NAT local address   full NAT out (real server -> director): the worker owning the local
//                                 port, worker = dport % workers (DPVS's per-lcore port split: each
//                                 worker's port pool hands out only ports p with p % workers == w)
//   to an "in" address (a VIP, an owned address)
//                                 in (client -> director): hash(saddr, sport), the client side
//   anything else                 out (real server -> client, classic NAT): hash(daddr, dport),
//                                 again the client side
// so hash(client address, client port) picks the worker for in and out frames alike. ICMP errors
// use the embedded header's client side the same way (an error about an out frame comes in with
// the client as inner destination; one about a forwarded in frame goes out with the client as inner
// source; one about a full-NAT frame carries the local port as inner source port). Fragments
// (MF or an offset) hash the address with port 0: their L4 header is not in every fragment.
// IPv6 frames take the same rule with the address folded to 32 bits (fanout-program6.ts);
// frames of any other kind (ARP) go to worker 0.
//
// Loads address the IP header through SKF_NET_OFF (relative to the network header whatever
// skb->data is), so the program works for received and locally sent frames alike.

import {
  Asm,
  BPF_A,
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_B,
  BPF_H,
  BPF_IMM,
  BPF_JA,
  BPF_JEQ,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_LSH,
  BPF_MEM,
  BPF_MISC,
  BPF_MUL,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_TAX,
  BPF_W,
  BPF_X,
  BPF_XOR,
  ldAbs,
  ldInd,
  SKF_AD_PROTOCOL,
} from './bpf-asm.ts';
import { emitIpv6, foldAddr6 } from './fanout-program6.ts';

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const ICMP_ERRORS = [3, 4, 11, 12]; // dest unreachable, source quench, time exceeded, parameter problem

/** Golden-ratio and murmur3 finaliser constants of fanoutHash. */
const MIX1 = 0x9e3779b1;
const MIX2 = 0x85ebca6b;

/** The worker-choosing hash of a client address and port; the program computes the same. */
export function fanoutHash(addr: number, port: number): number {
  let h = (Math.imul(port, MIX1) ^ addr) >>> 0;
  h = (h ^ (h >>> 15)) >>> 0;
  h = Math.imul(h, MIX2) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}

/** The worker of a flow whose client is addr:port, with `workers` members in the group. */
export function fanoutWorker(addr: number, port: number, workers: number): number {
  return fanoutHash(addr >>> 0, port) % workers;
}

/** The worker of an IPv6 flow whose client is w[at .. at + 3]:port. */
export function fanoutWorker6(w: Uint32Array, at: number, port: number, workers: number): number {
  return fanoutHash(foldAddr6(w, at), port) % workers;
}

export interface FanoutAddrs {
  /** Destinations that make a frame "in": the VIPs and the addresses tsvs owns, uint32. */
  readonly inAddrs: readonly number[];
  /** Full-NAT local addresses, uint32: a frame to one of them goes to the owner of its dport. */
  readonly localAddrs: readonly number[];
  /** The IPv6 VIPs and owned addresses (four host-order words each). */
  readonly inAddrs6?: readonly Uint32Array[];
  /** IPv6 full-NAT local addresses. */
  readonly localAddrs6?: readonly Uint32Array[];
}

/**
 * Dispatch on the L4 protocol (M[0]) of an unfragmented frame (M[2] == 0), X at the L4 header:
 * TCP and UDP to `ports`, ICMP errors to `icmp`, a fragment to `frag`, anything else to `other`.
 */
function byProtocol(a: Asm, frag: string, ports: string, icmp: string, other: string): void {
  a.op(BPF_LD | BPF_MEM, 2).op(BPF_JMP | BPF_JEQ | BPF_K, 0, '+0', frag);
  a.op(BPF_LD | BPF_MEM, 0).op(BPF_JMP | BPF_JEQ | BPF_K, 6, ports, '+0');
  a.op(BPF_JMP | BPF_JEQ | BPF_K, 17, ports, '+0').op(BPF_JMP | BPF_JEQ | BPF_K, 1, '+0', other);
  ldInd(a, BPF_B, 0);
  ICMP_ERRORS.forEach((t, i) => a.op(BPF_JMP | BPF_JEQ | BPF_K, t, icmp, i === ICMP_ERRORS.length - 1 ? other : '+0'));
}

/** X = offset of the embedded header's L4 part: X + 8 + 4 * (inner ihl). */
function innerL4(a: Asm): void {
  ldInd(a, BPF_B, 8)
    .op(BPF_ALU | BPF_AND | BPF_K, 0xf)
    .op(BPF_ALU | BPF_LSH | BPF_K, 2)
    .op(BPF_ALU | BPF_ADD | BPF_X)
    .op(BPF_ALU | BPF_ADD | BPF_K, 8)
    .op(BPF_MISC | BPF_TAX);
}

/** The program as two 32-bit words per instruction (struct sock_filter: code|jt<<16|jf<<24, k). */
export function fanoutProgram(addrs: FanoutAddrs): Uint32Array {
  const a = new Asm();
  // M[0] protocol, M[1] client address, M[2] 1 when a fragment.
  a.op(BPF_LD | BPF_H | BPF_ABS, SKF_AD_PROTOCOL).op(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, '+1', '+0');
  a.op(BPF_JMP | BPF_JA, 0, 'not4');
  ldAbs(a, BPF_B, 9).op(BPF_ST, 0);
  ldAbs(a, BPF_H, 6).op(BPF_JMP | BPF_JSET | BPF_K, 0x3fff, '+0', 'whole');
  a.op(BPF_LD | BPF_W | BPF_IMM, 1)
    .op(BPF_ST, 2)
    .op(BPF_JMP | BPF_JA, 0, 'hdr');
  a.at('whole')
    .op(BPF_LD | BPF_W | BPF_IMM, 0)
    .op(BPF_ST, 2);
  a.at('hdr');
  ldAbs(a, BPF_B, 0)
    .op(BPF_ALU | BPF_AND | BPF_K, 0xf)
    .op(BPF_ALU | BPF_LSH | BPF_K, 2)
    .op(BPF_MISC | BPF_TAX);
  ldAbs(a, BPF_W, 16);
  for (const l of addrs.localAddrs) a.jeqFar(l, 'fnat');
  for (const v of addrs.inAddrs) a.jeqFar(v, 'in');

  // out: client = destination
  a.op(BPF_ST, 1);
  byProtocol(a, 'h0v4', 'outp', 'outicmp', 'h0v4');
  a.at('outicmp');
  innerL4(a);
  ldInd(a, BPF_H, 0).op(BPF_JMP | BPF_JA, 0, 'hash');
  a.at('outp');
  ldInd(a, BPF_H, 2).op(BPF_JMP | BPF_JA, 0, 'hash');

  // in: client = source
  a.at('in');
  ldAbs(a, BPF_W, 12).op(BPF_ST, 1);
  byProtocol(a, 'h0v4', 'inp', 'inicmp', 'h0v4');
  a.at('inicmp');
  ldInd(a, BPF_W, 8 + 16).op(BPF_ST, 1); // the embedded destination: the client
  innerL4(a);
  ldInd(a, BPF_H, 2).op(BPF_JMP | BPF_JA, 0, 'hash');
  a.at('inp');
  ldInd(a, BPF_H, 0).op(BPF_JMP | BPF_JA, 0, 'hash');
  a.at('h0v4').op(BPF_JMP | BPF_JA, 0, 'hash0'); // over the IPv6 arm: farther than a conditional jump goes

  // full NAT out: the local port's owner; the kernel takes it modulo the members. Before the
  // IPv6 arm: the classic checker (check_load_and_stores) follows the fall-through past a RET,
  // and the IPv6 paths into the hash below never store M[2]
  a.at('fnat');
  byProtocol(a, 'r0v4', 'fnatp', 'fnaticmp', 'r0v4');
  a.at('fnaticmp');
  innerL4(a);
  ldInd(a, BPF_H, 0).op(BPF_RET | BPF_A);
  a.at('fnatp');
  ldInd(a, BPF_H, 2).op(BPF_RET | BPF_A);
  a.at('r0v4').op(BPF_RET | BPF_K, 0);

  a.at('not4').op(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, '+1', '+0');
  a.op(BPF_JMP | BPF_JA, 0, 'ret0');
  emitIpv6(a, addrs.inAddrs6 ?? [], addrs.localAddrs6 ?? []);

  // hash(M[1], A) as fanoutHash; it follows a jump, so the checker (check_load_and_stores) sees M[1]
  // stored on every path into it
  a.at('hash0').op(BPF_LD | BPF_W | BPF_IMM, 0);
  a.at('hash')
    .op(BPF_ALU | BPF_MUL | BPF_K, MIX1)
    .op(BPF_MISC | BPF_TAX)
    .op(BPF_LD | BPF_MEM, 1);
  a.op(BPF_ALU | BPF_XOR | BPF_X)
    .op(BPF_MISC | BPF_TAX)
    .op(BPF_ALU | BPF_RSH | BPF_K, 15);
  a.op(BPF_ALU | BPF_XOR | BPF_X)
    .op(BPF_ALU | BPF_MUL | BPF_K, MIX2)
    .op(BPF_MISC | BPF_TAX);
  a.op(BPF_ALU | BPF_RSH | BPF_K, 13)
    .op(BPF_ALU | BPF_XOR | BPF_X)
    .op(BPF_RET | BPF_A);

  a.at('ret0').op(BPF_RET | BPF_K, 0);
  return a.assemble();
}
