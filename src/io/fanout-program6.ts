// fanout-program6: the IPv6 arm of the fanout program (fanout-program.ts), emitted into the same
// assembler so that IPv6 flows spread over the workers by the same rule as IPv4 ones:
//
//   ICMPv6 neighbour discovery (types 133-137)       worker 0, as ARP: it answers for the owned
//                                                     addresses and relays what it learns
//   to a full-NAT local address (LADDR6)              dport % workers, the local port's owner
//   to an "in" address (a VIP6, an owned address)     hash(fold(saddr), sport), the client side
//   anything else (real server -> client)             hash(fold(daddr), dport), the client side
//
// fold() XORs the address's four 32-bit words into one, which then goes through the IPv4 hash
// (fanoutHash). The loads are at fixed offsets: the transport header is taken to follow the
// 40-byte fixed header directly, which is where TCP and UDP are unless the sender put extension
// headers in between. A packet whose next header is not TCP, UDP or an ICMPv6 error (a fragment
// header, any extension header) hashes its client address with port 0, as IPv4 fragments do, so
// every fragment of a datagram meets on one worker (pipeline6's fragment tracker needs the first).
// ICMPv6 errors (destination unreachable, packet too big, time exceeded, parameter problem) use
// the quoted packet's client side, as the IPv4 arm does: in, the quoted destination and its port;
// out, the quoted source port; full NAT, the quoted source port (the local port).

import {
  type Asm,
  BPF_ALU,
  BPF_B,
  BPF_H,
  BPF_JA,
  BPF_JEQ,
  BPF_JGT,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_MEM,
  BPF_MISC,
  BPF_RET,
  BPF_A,
  BPF_ST,
  BPF_TAX,
  BPF_W,
  BPF_X,
  BPF_XOR,
  ldAbs,
} from './bpf-asm.ts';

const IP6_NEXTHDR = 6;
const IP6_SADDR = 8;
const IP6_DADDR = 24;
const L4 = 40;
/** The quoted packet of an ICMPv6 error: after the 8-byte ICMPv6 header. */
const INNER = L4 + 8;
const INNER_L4 = INNER + 40;
const ICMPV6 = 58;
const ICMPV6_ERRORS = [1, 2, 3, 4];
const NDISC_FIRST = 133; // router solicitation .. redirect
const NDISC_LAST = 137;

/** M[1] = the XOR of the four words of the address at `off` of the IPv6 header. */
function fold(a: Asm, off: number): void {
  ldAbs(a, BPF_W, off).op(BPF_MISC | BPF_TAX);
  for (const w of [4, 8, 12]) {
    ldAbs(a, BPF_W, off + w).op(BPF_ALU | BPF_XOR | BPF_X);
    if (w !== 12) a.op(BPF_MISC | BPF_TAX);
  }
  a.op(BPF_ST, 1);
}

/** Jump on the next header (M[0]): TCP and UDP to `ports`, ICMPv6 errors to `icmp`, the rest to `other`. */
function byNextHeader(a: Asm, ports: string, icmp: string, other: string): void {
  a.op(BPF_LD | BPF_MEM, 0).op(BPF_JMP | BPF_JEQ | BPF_K, 6, ports, '+0');
  a.op(BPF_JMP | BPF_JEQ | BPF_K, 17, ports, '+0').op(BPF_JMP | BPF_JEQ | BPF_K, ICMPV6, '+0', other);
  ldAbs(a, BPF_B, L4);
  ICMPV6_ERRORS.forEach((t, i) =>
    a.op(BPF_JMP | BPF_JEQ | BPF_K, t, icmp, i === ICMPV6_ERRORS.length - 1 ? other : '+0'),
  );
}

/** if (destination == addr) goto target (far), else fall through: nine instructions. */
function toAddr(a: Asm, addr: Uint32Array, target: string, next: string): void {
  for (let i = 0; i < 4; i++) {
    ldAbs(a, BPF_W, IP6_DADDR + 4 * i).op(BPF_JMP | BPF_JEQ | BPF_K, addr[i]!, '+0', next);
  }
  a.op(BPF_JMP | BPF_JA, 0, target);
}

/**
 * The IPv6 arm, entered at label `v6` with A = skb->protocol already known to be ETH_P_IPV6.
 * It ends in jumps to `hash` (A = port, M[1] = folded client address) and `hash0` (port 0), both
 * emitted after it by the caller, or returns.
 */
export function emitIpv6(a: Asm, inAddrs6: readonly Uint32Array[], localAddrs6: readonly Uint32Array[]): void {
  a.at('v6');
  ldAbs(a, BPF_B, IP6_NEXTHDR).op(BPF_ST, 0);
  a.op(BPF_JMP | BPF_JEQ | BPF_K, ICMPV6, '+0', 'v6a0');
  ldAbs(a, BPF_B, L4).op(BPF_JMP | BPF_JGT | BPF_K, NDISC_LAST, 'v6a0', '+0');
  a.op(BPF_JMP | BPF_JGT | BPF_K, NDISC_FIRST - 1, '+0', 'v6a0').op(BPF_RET | BPF_K, 0);
  const all = [...localAddrs6.map((w) => [w, 'fnat6'] as const), ...inAddrs6.map((w) => [w, 'in6'] as const)];
  all.forEach(([w, target], i) => {
    a.at(`v6a${i}`);
    toAddr(a, w, target, `v6a${i + 1}`);
  });

  // full NAT out: the local port's owner. Ahead of the paths into the hash: the classic checker
  // (check_load_and_stores) follows the fall-through past a RET, and this path stores no M[1].
  a.at('fnat6');
  byNextHeader(a, 'fnat6p', 'fnat6icmp', 'v6ret0');
  a.at('fnat6icmp');
  ldAbs(a, BPF_H, INNER_L4).op(BPF_RET | BPF_A);
  a.at('fnat6p');
  ldAbs(a, BPF_H, L4 + 2).op(BPF_RET | BPF_A);
  a.at('v6ret0').op(BPF_RET | BPF_K, 0);

  // out: the client is the destination
  a.at(`v6a${all.length}`);
  fold(a, IP6_DADDR);
  byNextHeader(a, 'out6p', 'out6icmp', 'hash0');
  a.at('out6icmp');
  ldAbs(a, BPF_H, INNER_L4).op(BPF_JMP | BPF_JA, 0, 'hash'); // the quoted source port
  a.at('out6p');
  ldAbs(a, BPF_H, L4 + 2).op(BPF_JMP | BPF_JA, 0, 'hash');

  // in: the client is the source
  a.at('in6');
  fold(a, IP6_SADDR);
  byNextHeader(a, 'in6p', 'in6icmp', 'hash0');
  a.at('in6icmp');
  fold(a, INNER + IP6_DADDR); // the quoted destination: the client
  ldAbs(a, BPF_H, INNER_L4 + 2).op(BPF_JMP | BPF_JA, 0, 'hash');
  a.at('in6p');
  ldAbs(a, BPF_H, L4).op(BPF_JMP | BPF_JA, 0, 'hash');
}

/** fold() in JS: the 32-bit word an IPv6 address hashes as (fanoutWorker6). */
export function foldAddr6(w: Uint32Array, at = 0): number {
  return (w[at]! ^ w[at + 1]! ^ w[at + 2]! ^ w[at + 3]!) >>> 0;
}
