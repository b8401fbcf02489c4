// The SYN proxy's handshakes in flight toward real servers: for each connection whose cookie was
// proven and whose SYN went to the real server, what the director must remember until the
// server's SYN-ACK arrives (DPVS keeps the same in cp->syn_proxy_seq and cp->ack_mbuf):
// the cookie ISN and timestamp, the client's ISN, window and timestamp, and at most one data
// segment the client sent meanwhile.
//
//   slot:  conn   madeMs  cookieIsn  clientIsn  cookieTs  clientTs  clientWin  wsClient ...  data[slot * SLOT_BYTES]
//
// Why buffer one segment: a Linux client sends its first request right after the handshake
// ACK, microseconds before the real server can answer the director's SYN. Dropping it would
// cost every proxied connection a retransmission timeout (200 ms at least, TCP_RTO_MIN); one
// segment of at most SLOT_DATA_BYTES covers the request of a typical client, anything more waits
// for the client's retransmission (counted). Fixed capacity, preallocated: a full pool reclaims
// the oldest slot whose connection is gone or older than STALE_MS, else the new handshake is
// refused (the client's next segment proves its cookie again).

import { copyBytes } from '../packet/bytes.ts';

/** Handshakes in flight at once. */
export const PENDING_SLOTS = 1024;
/** A vnet header (10) + an untagged or tagged Ethernet frame of MTU 1500. */
export const SLOT_DATA_BYTES = 10 + 18 + 1500;
const SLOT_BYTES = 1536;
/** A slot older than this is reclaimed when the pool is full (the server never answered). */
const STALE_MS = 5000;

export class SynproxyPending {
  readonly conn = new Int32Array(PENDING_SLOTS).fill(-1);
  readonly madeMs = new Float64Array(PENDING_SLOTS);
  readonly cookieIsn = new Uint32Array(PENDING_SLOTS);
  readonly clientIsn = new Uint32Array(PENDING_SLOTS);
  /** The TSval the director gave the client (its TSecr in the ACK); tsOk says whether there is one. */
  readonly cookieTs = new Uint32Array(PENDING_SLOTS);
  readonly clientTs = new Uint32Array(PENDING_SLOTS);
  readonly tsOk = new Uint8Array(PENDING_SLOTS);
  readonly clientWin = new Uint16Array(PENDING_SLOTS);
  /** The buffered segment: frame length (0 = none), rx flags; its bytes at data[slot * SLOT_BYTES + 10]. */
  readonly dataLen = new Uint16Array(PENDING_SLOTS);
  readonly dataFlags = new Uint8Array(PENDING_SLOTS);
  readonly data = Buffer.alloc(PENDING_SLOTS * SLOT_BYTES);
  private readonly freeNext = new Int32Array(PENDING_SLOTS);
  private freeHead = 0;
  private hand = 0;
  /** Slots whose kept frame is queued for transmit: free again at the next batch (after the flush). */
  private readonly deferred = new Int32Array(PENDING_SLOTS);
  private deferredCount = 0;
  inUse = 0;

  constructor() {
    for (let i = 0; i < PENDING_SLOTS; i++) this.freeNext[i] = i + 1 < PENDING_SLOTS ? i + 1 : -1;
  }

  /**
   * A slot for connection id, or -1. isStale(slot) says whether a slot's connection no longer
   * waits for it (the pipeline checks the connection table).
   */
  alloc(id: number, nowMs: number, isStale: (connId: number, slot: number) => boolean): number {
    let s = this.freeHead;
    if (s < 0) {
      // Full: one sweep of the clock hand for a slot whose connection is gone or too old.
      for (let n = 0; n < PENDING_SLOTS; n++) {
        const c = this.hand;
        this.hand = (c + 1) % PENDING_SLOTS;
        if (this.conn[c] === -2) continue; // waits for the flush
        if (isStale(this.conn[c]!, c) || nowMs - this.madeMs[c]! > STALE_MS) {
          this.release(c);
          break;
        }
      }
      s = this.freeHead;
      if (s < 0) return -1;
    }
    this.freeHead = this.freeNext[s]!;
    this.freeNext[s] = -1;
    this.conn[s] = id;
    this.madeMs[s] = nowMs;
    this.dataLen[s] = 0;
    this.inUse++;
    return s;
  }

  release(s: number): void {
    if (this.conn[s]! < 0) return;
    this.conn[s] = -1;
    this.dataLen[s] = 0;
    this.freeNext[s] = this.freeHead;
    this.freeHead = s;
    this.inUse--;
  }

  /** Release s once the current batch is flushed (its kept frame may sit in the TX queue). */
  releaseAfterFlush(s: number): void {
    this.conn[s] = -2; // no connection, not free yet
    this.deferred[this.deferredCount++] = s;
  }

  /** At the start of a batch: the slots of the previous one are free again. */
  startBatch(): void {
    for (let i = 0; i < this.deferredCount; i++) {
      const s = this.deferred[i]!;
      this.conn[s] = 0;
      this.release(s);
    }
    this.deferredCount = 0;
  }

  /** Keep a copy of a client segment (and its vnet header); false when one is kept already or it is too big. */
  keep(s: number, buf: Uint8Array, off: number, len: number, flags: number, vnetHdr: boolean): boolean {
    if (this.dataLen[s] !== 0 || len > SLOT_DATA_BYTES - 10) return false;
    const at = s * SLOT_BYTES + 10;
    if (vnetHdr) copyBytes(this.data, at - 10, buf, off - 10, 10);
    copyBytes(this.data, at, buf, off, len);
    this.dataLen[s] = len;
    this.dataFlags[s] = flags;
    return true;
  }

  /** Offset of slot s's kept frame in data. */
  dataOff(s: number): number {
    return s * SLOT_BYTES + 10;
  }
}
