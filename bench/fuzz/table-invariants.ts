// Invariants of the connection table (src/conn/conn-table.ts): `count` equals the live slots;
// every live entry hashed IN (or OUT) is what a lookup by its own fields finds (or an entry with
// the very same key, hashed later); the IN and OUT indexes hold exactly the live entries flagged
// hashed, each once; the free list holds exactly the slots that are not live, each once, with
// no cycle; a free slot keeps no flags or object references; a controlled connection points at
// a live template whose nControl counts it; the embryonic list holds live entries only, each
// once. (Its quota is reported apart, by embryonicExcess: a connection that re-enters the
// handshake is linked without the quota check, see bench/RESULTS-fuzz.md.)
//
// The columns and lookups are the table's public API. The free list and the index chains are
// private to the table, so they are read through the narrow views below: a checker must see
// the structure itself to catch a slot that is both free and live, or a stale index link.

import type { ConnIndex } from '../../src/conn/conn-index.ts';
import type { ConnTable } from '../../src/conn/conn-table.ts';
import * as connFlags from '../../src/conn/conn-flags.ts';

// Local copies: the loops below run over every slot after every frame, and a module binding read
// through tsx's transform costs a getter call each time.
const CONN_F_HASHED = connFlags.CONN_F_HASHED;
const CONN_F_HASHED_OUT = connFlags.CONN_F_HASHED_OUT;
const CONN_F_LIVE = connFlags.CONN_F_LIVE;
const CONN_F_TEMPLATE = connFlags.CONN_F_TEMPLATE;

interface FreeListView {
  readonly freeNext: Int32Array;
  readonly freeHead: number;
  readonly inIndex: ConnIndex;
  readonly outIndex: ConnIndex;
}

interface IndexView {
  readonly head: Int32Array;
  readonly next: Int32Array;
}

/** Scratch arrays by table capacity: the fuzzer checks after every frame, so nothing is allocated then. */
let scratchCap = 0;
let seen = new Uint8Array(0);
let counted = new Int32Array(0);

function scratch(cap: number): void {
  if (cap === scratchCap) return;
  scratchCap = cap;
  seen = new Uint8Array(cap);
  counted = new Int32Array(cap);
}

/** Up to `max` violations of the table's invariants, as sentences; empty when it is consistent. */
export function checkConnTable(t: ConnTable, max = 8): string[] {
  scratch(t.capacity);
  const out: string[] = [];
  const add = (s: string): void => {
    if (out.length < max) out.push(s);
  };
  const cap = t.capacity;
  const priv = t as unknown as FreeListView;
  let live = 0;
  let hashedIn = 0;
  let hashedOut = 0;
  for (let id = 0; id < cap; id++) {
    const f = t.flags[id]!;
    if ((f & CONN_F_LIVE) === 0) {
      if (f !== 0) add(`free slot ${id} keeps flags 0x${f.toString(16)}`);
      if (t.dest[id] !== null || t.svc[id] !== null) add(`free slot ${id} keeps a dest or service reference`);
      continue;
    }
    live++;
    if ((f & CONN_F_HASHED) !== 0) {
      hashedIn++;
      const tpl = (f & CONN_F_TEMPLATE) !== 0;
      const got = tpl
        ? t.lookupTemplate(t.protocol[id]!, t.caddr[id]!, t.vaddr[id]!, (t.cport[id]! << 16) | t.vport[id]!)
        : t.lookupIn(t.protocol[id]!, t.caddr[id]!, t.cport[id]!, t.vaddr[id]!, t.vport[id]!);
      if (got !== id && (got < 0 || !sameInKey(t, got, id)))
        add(`live ${tpl ? 'template' : 'connection'} ${id} is not found through the IN index (lookup gave ${got})`);
    }
    if ((f & CONN_F_HASHED_OUT) !== 0) {
      hashedOut++;
      const got = t.lookupOut(t.protocol[id]!, t.daddr[id]!, t.dport[id]!, t.laddr[id]!, t.lport[id]!);
      if (got !== id && (got < 0 || !sameOutKey(t, got, id)))
        add(`live connection ${id} is not found through the OUT index (lookup gave ${got})`);
    }
    const c = t.control[id]!;
    if (c >= 0) {
      if (c >= cap || (t.flags[c]! & (CONN_F_LIVE | CONN_F_TEMPLATE)) !== (CONN_F_LIVE | CONN_F_TEMPLATE))
        add(`connection ${id} is controlled by ${c}, which is not a live template`);
    }
  }
  if (live !== t.count) add(`count is ${t.count} but ${live} slots are live`);
  checkControlCounts(t, add);
  checkIndex(t, priv.inIndex as unknown as IndexView, CONN_F_HASHED, hashedIn, 'IN', add);
  checkIndex(t, priv.outIndex as unknown as IndexView, CONN_F_HASHED_OUT, hashedOut, 'OUT', add);
  checkFreeList(t, priv, live, add);
  checkEmbryonic(t, add);
  return out;
}

function sameInKey(t: ConnTable, a: number, b: number): boolean {
  return (
    t.protocol[a] === t.protocol[b] &&
    t.caddr[a] === t.caddr[b] &&
    t.cport[a] === t.cport[b] &&
    t.vaddr[a] === t.vaddr[b] &&
    t.vport[a] === t.vport[b] &&
    (t.flags[a]! & CONN_F_TEMPLATE) === (t.flags[b]! & CONN_F_TEMPLATE)
  );
}

function sameOutKey(t: ConnTable, a: number, b: number): boolean {
  return (
    t.protocol[a] === t.protocol[b] &&
    t.daddr[a] === t.daddr[b] &&
    t.dport[a] === t.dport[b] &&
    t.laddr[a] === t.laddr[b] &&
    t.lport[a] === t.lport[b]
  );
}

function checkControlCounts(t: ConnTable, add: (s: string) => void): void {
  counted.fill(0);
  for (let id = 0; id < t.capacity; id++) {
    const c = t.control[id]!;
    if ((t.flags[id]! & CONN_F_LIVE) !== 0 && c >= 0 && c < t.capacity) counted[c]!++;
  }
  for (let id = 0; id < t.capacity; id++) {
    if ((t.flags[id]! & CONN_F_LIVE) !== 0 && t.nControl[id] !== counted[id])
      add(`entry ${id} has nControl ${t.nControl[id]} but controls ${counted[id]} live connections`);
  }
}

/** Walk every chain: each id live, flagged hashed in this index, met once; the total matches. */
function checkIndex(
  t: ConnTable,
  ix: IndexView,
  bit: number,
  hashed: number,
  name: string,
  add: (s: string) => void,
): void {
  seen.fill(0);
  let n = 0;
  for (let b = 0; b < ix.head.length; b++) {
    for (let id = ix.head[b]!; id >= 0; id = ix.next[id]!) {
      if (id >= t.capacity || seen[id] !== 0) {
        add(`${name} index chain ${b} loops or links slot ${id} twice`);
        return;
      }
      seen[id] = 1;
      n++;
      if ((t.flags[id]! & (CONN_F_LIVE | bit)) !== (CONN_F_LIVE | bit))
        add(`${name} index links slot ${id}, which is not a live entry hashed there`);
    }
  }
  if (n !== hashed) add(`${name} index links ${n} entries but ${hashed} are flagged hashed`);
}

/** The free list: only slots that are not live, each once, and all of them. */
function checkFreeList(t: ConnTable, priv: FreeListView, live: number, add: (s: string) => void): void {
  seen.fill(0);
  let n = 0;
  for (let id = priv.freeHead; id >= 0; id = priv.freeNext[id]!) {
    if (id >= t.capacity || seen[id] !== 0) {
      add(`free list loops or holds slot ${id} twice`);
      return;
    }
    seen[id] = 1;
    n++;
    if ((t.flags[id]! & CONN_F_LIVE) !== 0) add(`slot ${id} is both on the free list and live`);
  }
  if (n + live !== t.capacity) add(`free list holds ${n} slots and ${live} are live, of ${t.capacity}`);
}

/** The embryonic list (embryonic-list.ts): live entries only, each once, count = its length. */
function checkEmbryonic(t: ConnTable, add: (s: string) => void): void {
  const e = t.embryonic;
  if (!e.enabled) return;
  const next = (e as unknown as { next: Int32Array }).next;
  seen.fill(0);
  let n = 0;
  let last = -1;
  for (let id = e.head; id >= 0; id = next[id]!) {
    if (id >= t.capacity || seen[id] !== 0) {
      add(`embryonic list loops or holds slot ${id} twice`);
      return;
    }
    seen[id] = 1;
    n++;
    last = id;
    if ((t.flags[id]! & CONN_F_LIVE) === 0) add(`embryonic list holds slot ${id}, which is not live`);
  }
  if (n !== e.count || last !== e.tail)
    add(`embryonic list has ${n} entries ending at ${last}, count ${e.count} tail ${e.tail}`);
  for (let id = 0; id < t.capacity; id++) {
    if (e.isLinked(id) && seen[id] === 0) add(`slot ${id} is marked embryonic but not on the list`);
  }
}

/** Embryonic entries above the quota (0 when within it, or when the quota is off). */
export function embryonicExcess(t: ConnTable): number {
  const e = t.embryonic;
  return e.enabled ? Math.max(0, e.count - e.quota) : 0;
}
