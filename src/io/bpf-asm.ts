// bpf-asm: a tiny assembler for classic BPF (struct sock_filter, include/uapi/linux/filter.h):
// the opcodes the fanout program uses, and instructions with symbolic jump targets resolved
// into the 8-bit conditional and 32-bit unconditional offsets the kernel's checker accepts
// (sk_chk_filter: jumps only forward).

export const BPF_LD = 0x00;
export const BPF_ST = 0x02;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_MISC = 0x07;
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_ADD = 0x00;
export const BPF_MUL = 0x20;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_XOR = 0xa0;
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JSET = 0x40;
export const BPF_K = 0x00;
export const BPF_X = 0x08;
export const BPF_A = 0x10;
export const BPF_TAX = 0x00;
/** include/uapi/linux/filter.h: ancillary data (skb->protocol) and network-header-relative loads. */
export const SKF_AD_PROTOCOL = -0x1000 + 0;
export const NET = -0x100000;

type Jump = string | null;
interface Insn {
  code: number;
  k: number;
  jt: Jump;
  jf: Jump;
  label: string | null;
}

/** A tiny assembler: instructions with symbolic jump targets, resolved by assemble(). */
export class Asm {
  readonly insns: Insn[] = [];
  private pending: string | null = null;

  at(label: string): this {
    this.pending = label;
    return this;
  }

  op(code: number, k = 0, jt: Jump = null, jf: Jump = null): this {
    this.insns.push({ code, k: k >>> 0, jt, jf, label: this.pending });
    this.pending = null;
    return this;
  }

  /** if (A == k) goto target; far targets through a BPF_JA (32-bit offset). */
  jeqFar(k: number, target: string): this {
    this.op(BPF_JMP | BPF_JEQ | BPF_K, k, '+0', '+1');
    return this.op(BPF_JMP | BPF_JA, 0, target, null);
  }

  assemble(): Uint32Array {
    const where = new Map<string, number>();
    this.insns.forEach((ins, i) => {
      if (ins.label !== null) where.set(ins.label, i);
    });
    const out = new Uint32Array(this.insns.length * 2);
    const rel = (from: number, to: Jump): number => {
      if (to === null) return 0;
      const d = to.startsWith('+') ? Number(to.slice(1)) : (where.get(to) ?? -1) - from - 1;
      if (d < 0) throw new RangeError(`fanout program: jump to ${to} goes backwards or nowhere`);
      return d;
    };
    this.insns.forEach((ins, i) => {
      const ja = ins.code === (BPF_JMP | BPF_JA);
      const jt = rel(i, ins.jt);
      const jf = rel(i, ins.jf);
      if (!ja && (jt > 255 || jf > 255)) throw new RangeError('fanout program: conditional jump too far');
      out[2 * i] = ja ? ins.code : (ins.code | (jt << 16) | (jf << 24)) >>> 0;
      out[2 * i + 1] = ja ? jt : ins.k;
    });
    return out;
  }
}

export const ldAbs = (a: Asm, size: number, off: number): Asm => a.op(BPF_LD | size | BPF_ABS, NET + off);
export const ldInd = (a: Asm, size: number, off: number): Asm => a.op(BPF_LD | size | BPF_IND, NET + off);
