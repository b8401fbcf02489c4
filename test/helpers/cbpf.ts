// runCbpf: a classic BPF interpreter for tests, written from the kernel's definition of the
// instructions (include/uapi/linux/filter.h, net/core/filter.c's classic checks), independent
// of the assembler in src/io/bpf-asm.ts. It runs a program the way fanout_demux_bpf runs one on a
// received Ethernet frame: SKF_NET_OFF loads are relative to the network header (byte 14),
// SKF_AD_PROTOCOL reads the EtherType, and a load outside the frame ends the program with 0.

const SKF_AD_OFF = -0x1000;
const SKF_NET_OFF = -0x100000;
const ETH_HLEN = 14;

class OutOfFrame extends Error {}

function load(frame: Uint8Array, k: number, size: number): number {
  let off: number;
  if (k >= SKF_AD_OFF && k < 0) {
    if (k - SKF_AD_OFF !== 0) throw new Error(`ancillary load ${k - SKF_AD_OFF} not modelled`);
    return (frame[12]! << 8) | frame[13]!; // SKF_AD_PROTOCOL
  }
  if (k < 0) off = ETH_HLEN + (k - SKF_NET_OFF);
  else off = k;
  if (off < 0 || off + size > frame.length) throw new OutOfFrame();
  let v = 0;
  for (let i = 0; i < size; i++) v = (v << 8) | frame[off + i]!;
  return v >>> 0;
}

/** Instruction pc of the program: struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }. */
function insn(prog: Uint32Array, pc: number): { code: number; jt: number; jf: number; k: number } {
  const w = prog[2 * pc]!;
  return { code: w & 0xffff, jt: (w >>> 16) & 0xff, jf: (w >>> 24) & 0xff, k: prog[2 * pc + 1]! };
}

/** The program's return value for `frame` (struct sock_filter as two words per instruction). */
export function runCbpf(prog: Uint32Array, frame: Uint8Array): number {
  let a = 0;
  let x = 0;
  const mem = new Uint32Array(16);
  const n = prog.length / 2;
  try {
    for (let pc = 0; pc < n; pc++) {
      const { code, jt, jf, k } = insn(prog, pc);
      const cls = code & 0x07;
      const size = [4, 2, 1][(code & 0x18) >> 3]!;
      const mode = code & 0xe0;
      const src = (code & 0x08) !== 0 ? x : k;
      switch (cls) {
        case 0x00: // LD
          if (mode === 0x00) a = k;
          else if (mode === 0x20) a = load(frame, k | 0, size);
          else if (mode === 0x40) a = load(frame, (k | 0) + x, size);
          else if (mode === 0x60) a = mem[k]!;
          else throw new Error(`ld mode ${mode}`);
          break;
        case 0x02: // ST
          mem[k] = a;
          break;
        case 0x04: {
          // ALU
          const op = code & 0xf0;
          if (op === 0x00) a = (a + src) >>> 0;
          else if (op === 0x20) a = Math.imul(a, src) >>> 0;
          else if (op === 0x50) a = (a & src) >>> 0;
          else if (op === 0x60) a = (a << src) >>> 0;
          else if (op === 0x70) a = a >>> src;
          else if (op === 0xa0) a = (a ^ src) >>> 0;
          else throw new Error(`alu op ${op}`);
          break;
        }
        case 0x05: {
          // JMP
          const op = code & 0xf0;
          if (op === 0x00) {
            pc += k;
            break;
          }
          const s = (code & 0x08) !== 0 ? x : k >>> 0;
          const yes = op === 0x10 ? a === s : op === 0x20 ? a > s : op === 0x30 ? a >= s : (a & s) !== 0;
          pc += yes ? jt : jf;
          break;
        }
        case 0x06: // RET
          return (code & 0x18) === 0x10 ? a : k;
        case 0x07: // MISC
          if ((code & 0xf8) === 0x00) x = a;
          else a = x;
          break;
        default:
          throw new Error(`class ${cls}`);
      }
    }
  } catch (e) {
    if (e instanceof OutOfFrame) return 0;
    throw e;
  }
  throw new Error('program fell off its end');
}

/**
 * What the kernel's bpf_check_classic() would refuse in the program (net/core/filter.c), or null:
 * jumps beyond the end, a last instruction that is no RET, scratch memory out of 0..15, and
 * check_load_and_stores()'s rule that M[k] is stored on every path before it is loaded. That
 * walk is linear: a jump hands its valid set to its targets, and a RET does not end the set,
 * so the instructions after a RET start from what the RET's path had.
 */
export function classicCheckError(prog: Uint32Array): string | null {
  const n = prog.length / 2;
  if (n === 0 || n > 4096) return `${n} instructions`;
  const masks = new Array<number>(n).fill(0xffff);
  let valid = 0;
  for (let pc = 0; pc < n; pc++) {
    const { code, jt, jf, k } = insn(prog, pc);
    valid &= masks[pc]!;
    if (code === 0x02 || code === 0x03) {
      if (k > 15) return `pc ${pc}: store to M[${k}]`;
      valid |= 1 << k;
    } else if (code === 0x60 || code === 0x61) {
      if (k > 15 || (valid & (1 << k)) === 0) return `pc ${pc}: M[${k}] loaded where a path did not store it`;
    } else if (code === 0x05) {
      if (k >= n - pc - 1) return `pc ${pc}: jump beyond the end`;
      masks[pc + 1 + k]! &= valid;
      valid = 0xffff;
    } else if ((code & 0x07) === 0x05) {
      if (pc + jt + 1 >= n || pc + jf + 1 >= n) return `pc ${pc}: jump beyond the end`;
      masks[pc + 1 + jt]! &= valid;
      masks[pc + 1 + jf]! &= valid;
      valid = 0xffff;
    }
  }
  return (prog[2 * (n - 1)]! & 0x07) === 0x06 ? null : 'the last instruction is no RET';
}

/** The fanout member of a PACKET_FANOUT_CBPF group (fanout_demux_bpf: the return value % members). */
export function fanoutMember(prog: Uint32Array, frame: Uint8Array, members: number): number {
  return runCbpf(prog, frame) % members;
}
