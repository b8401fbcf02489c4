// A classic BPF interpreter for the tests: runs a program in the two-words-per-instruction form of
// src/io/fanout-program.ts (code | jt << 16 | jf << 24, k) on an Ethernet frame, as the kernel's
// ___bpf_prog_run would on the skb of that frame, written from include/uapi/linux/filter.h and
// bpf_common.h, not from the assembler under test. Only what a socket filter may use: loads (with
// SKF_NET_OFF and SKF_AD_PROTOCOL), stores, ALU, jumps, returns, TAX/TXA. A load out of the packet
// ends the program with 0, as the kernel's does.

const SKF_AD_OFF = -0x1000;
const SKF_AD_PROTOCOL = 0;
const SKF_NET_OFF = -0x100000;

/** The program's return value for `frame` (untagged Ethernet: the network header at 14). */
export function runCbpf(prog: Uint32Array, frame: Uint8Array): number {
  const net = 14;
  const ethertype = (frame[12]! << 8) | frame[13]!;
  const mem = new Uint32Array(16);
  let a = 0;
  let x = 0;
  /** Byte offset of load `k` in the frame, or -1 for the protocol, or null when out of range. */
  const at = (k: number, size: number): number | null => {
    let off: number;
    if (k >= 0) off = k;
    else if (k === SKF_AD_OFF + SKF_AD_PROTOCOL) return -1;
    else if (k >= SKF_NET_OFF && k < SKF_AD_OFF) off = net + (k - SKF_NET_OFF);
    else return null;
    return off + size <= frame.length ? off : null;
  };
  const load = (k: number, size: number): number | null => {
    const off = at(k, size);
    if (off === null) return null;
    if (off === -1) return ethertype;
    let v = 0;
    for (let i = 0; i < size; i++) v = v * 256 + frame[off + i]!;
    return v >>> 0;
  };
  const n = prog.length / 2;
  for (let pc = 0; pc < n; pc++) {
    const w = prog[2 * pc]!;
    const code = w & 0xffff;
    const jt = (w >>> 16) & 0xff;
    const jf = (w >>> 24) & 0xff;
    const k = prog[2 * pc + 1]!;
    const cls = code & 0x07;
    if (cls === 0x00) {
      // BPF_LD
      const size = [4, 2, 1, 0][(code & 0x18) >> 3]!;
      const mode = code & 0xe0;
      if (mode === 0x00) a = k;
      else if (mode === 0x60) a = mem[k]!;
      else {
        const v = load(mode === 0x20 ? k | 0 : (x + (k | 0)) | 0, size);
        if (v === null) return 0;
        a = v;
      }
    } else if (cls === 0x02) mem[k] = a;
    else if (cls === 0x04) {
      const src = (code & 0x08) !== 0 ? x : k;
      const op = code & 0xf0;
      if (op === 0x00) a = (a + src) >>> 0;
      else if (op === 0x20) a = Math.imul(a, src) >>> 0;
      else if (op === 0x50) a = (a & src) >>> 0;
      else if (op === 0x60) a = (a << src) >>> 0;
      else if (op === 0x70) a = a >>> src;
      else if (op === 0xa0) a = (a ^ src) >>> 0;
      else throw new Error(`cbpf: ALU op ${op.toString(16)} not interpreted`);
    } else if (cls === 0x05) {
      const op = code & 0xf0;
      if (op === 0x00) pc += k;
      else {
        const src = (code & 0x08) !== 0 ? x : k;
        const yes = op === 0x10 ? a === src : op === 0x40 ? (a & src) !== 0 : null;
        if (yes === null) throw new Error(`cbpf: jump ${op.toString(16)} not interpreted`);
        pc += yes ? jt : jf;
      }
    } else if (cls === 0x06) return (code & 0x18) === 0x10 ? a : k;
    else if (cls === 0x07) {
      if ((code & 0xf8) === 0x00) x = a;
      else a = x;
    } else throw new Error(`cbpf: class ${cls} not interpreted`);
  }
  throw new Error('cbpf: the program ran off its end');
}

/** The fanout member of a PACKET_FANOUT_CBPF group (fanout_demux_bpf: the return value % members). */
export function fanoutMember(prog: Uint32Array, frame: Uint8Array, members: number): number {
  return runCbpf(prog, frame) % members;
}
