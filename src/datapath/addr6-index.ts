// Addr6Index: a small number for each IPv6 address the director meets as a next hop, so that the
// neighbour table (neigh.ts, keyed by a number as the ARP cache is by an IPv4 address) serves
// IPv6 too, as net/core/neighbour.c serves arp_tbl and nd_tbl with one engine.
//
// Open addressing with linear probing over the address words; the slot is the number. Entries are
// never removed: the director's on-link IPv6 neighbours (real servers, a gateway, clients on its
// own segment) are few and long-lived, and a neighbour entry that expires keeps its number for the
// next resolution. At 3/4 of the capacity a new address gets -1 (the caller counts the frame
// as DROP_NEIGH_UNRESOLVED). No allocation after construction.

const EMPTY = 0;
const USED = 1;

export class Addr6Index {
  private readonly words: Uint32Array;
  private readonly used: Uint8Array;
  private readonly mask: number;
  private readonly limit: number;
  size: number;

  /** capacity: a power of two, the most slots (3/4 of them usable). */
  constructor(capacity = 4096) {
    if ((capacity & (capacity - 1)) !== 0 || capacity < 4) throw new RangeError(`bad Addr6Index capacity ${capacity}`);
    this.words = new Uint32Array(capacity * 4);
    this.used = new Uint8Array(capacity);
    this.mask = capacity - 1;
    this.limit = (capacity * 3) >>> 2;
    this.size = 0;
  }

  private start(w: Uint32Array, at: number): number {
    let h = Math.imul(w[at]! ^ w[at + 1]! ^ w[at + 2]! ^ w[at + 3]!, 0x9e3779b1);
    h ^= h >>> 15;
    return h & this.mask;
  }

  private same(slot: number, w: Uint32Array, at: number): boolean {
    const k = slot << 2;
    const s = this.words;
    return s[k] === w[at] && s[k + 1] === w[at + 1] && s[k + 2] === w[at + 2] && s[k + 3] === w[at + 3];
  }

  /** The number of w[at .. at + 3], or -1 when it has none. */
  find(w: Uint32Array, at: number): number {
    for (let slot = this.start(w, at); ; slot = (slot + 1) & this.mask) {
      if (this.used[slot] === EMPTY) return -1;
      if (this.same(slot, w, at)) return slot;
    }
  }

  /** The number of w[at .. at + 3], given one if it had none; -1 when the index is full. */
  intern(w: Uint32Array, at: number): number {
    let slot = this.start(w, at);
    for (; this.used[slot] !== EMPTY; slot = (slot + 1) & this.mask) if (this.same(slot, w, at)) return slot;
    if (this.size >= this.limit) return -1;
    const k = slot << 2;
    for (let i = 0; i < 4; i++) this.words[k + i] = w[at + i]!;
    this.used[slot] = USED;
    this.size++;
    return slot;
  }

  /** Copy the address of number `id` to out[0..3]. */
  addrOf(id: number, out: Uint32Array): void {
    const k = id << 2;
    for (let i = 0; i < 4; i++) out[i] = this.words[k + i]!;
  }
}
