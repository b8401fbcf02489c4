// The master side of connection sync: after each inbound packet, whether to sync (sync-needed.ts,
// ip_vs_sync_conn_needed), writing the entries into the current message (ip_vs_sync_conn,
// ip_vs_sync_buff_create), and the bounded queue of full messages the sender drains
// (sb_queue_tail, next_sync_buff, sync_thread_master) in ip_vs_sync.c.
//
//   pipeline (per inbound packet) -> syncConn(id) -> cur [hdr|e|e|e..]  full or 20 ms old
//   pipeline6 -> SyncMaster6.syncConn(id) ---------^ (IPv6 entries in the same messages)
//                                                        |
//   free list <- done(i) <- sender.send(buf, len)  <- queue ring of buffer indexes (<= qlenMax)
//
// Per packet nothing is allocated: buffers are made once; a full queue drops the message and
// counts its entries (the kernel frees buffers beyond sync_qlen_max the same way).

import { CONN_F_FWD_MASK, CONN_F_TEMPLATE } from '../conn/conn-flags.ts';
import type { ConnTable } from '../conn/conn-table.ts';
import { FWD_FULLNAT } from '../model/dest.ts';
import { connV4Len, connV6Len, writeConnV4, writeMesgHeader } from './sync-codec.ts';
import type { SyncConnState } from './sync-conn-state.ts';
import { syncWalk, type SyncEntryWriter } from './sync-walk.ts';
import {
  SYNC_FLAGS_SENT_MASK,
  SYNC_FLUSH_TIME_MS,
  SYNC_MESG_HEADER_LEN,
  SYNC_SEND_DELAY_MS,
  SYNC_WAKEUP_RATE,
  type SyncSysctls,
} from './sync-proto.ts';

/** Where full messages go: the daemon's multicast socket. */
export interface SyncSender {
  /** Send the message buf[off, off + len); call done() once buf may be reused. */
  send(buf: Buffer, off: number, len: number, done: () => void): void;
  /**
   * Run the sender (flushOld, then sendQueued) after delayMs; repeated calls before it runs are
   * merged, and it re-arms itself while flushDueInMs() says a message waits.
   */
  wake(delayMs: number): void;
}

export class SyncMaster implements SyncEntryWriter {
  /** Entries written, messages queued and sent, entries lost to a full queue. */
  connsSynced = 0;
  messagesQueued = 0;
  messagesSent = 0;
  bytesSent = 0;
  connsDropped = 0;
  private readonly bufs: Buffer[];
  private readonly lens: Uint32Array;
  private readonly freeList: Int32Array;
  private freeCount: number;
  private readonly ring: Int32Array;
  private ringHead = 0;
  private queued = 0;
  /** The message being filled: buffer index, write offset, entries, time of its first entry. */
  private cur = -1;
  private curLen = 0;
  private curConns = 0;
  private curFirstMs = 0;
  private readonly dones: (() => void)[];

  constructor(
    private readonly t: ConnTable,
    private readonly st: SyncConnState,
    readonly sysctls: SyncSysctls,
    readonly syncid: number,
    readonly maxlen: number,
    private readonly sender: SyncSender,
    /** Bytes kept free before each message (a sender that prepends Ethernet/IPv4/UDP headers). */
    readonly headroom = 0,
  ) {
    // ip_vs_sync_buff_create: at least the header and one entry (the largest: IPv6 with full NAT),
    // whatever sync_maxlen says.
    const size = headroom + Math.max(maxlen, SYNC_MESG_HEADER_LEN + connV6Len(true));
    const n = sysctls.qlenMax + 1;
    this.bufs = [];
    this.dones = [];
    this.lens = new Uint32Array(n);
    this.freeList = new Int32Array(n);
    this.ring = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      this.bufs.push(Buffer.alloc(size));
      this.freeList[i] = i;
      this.dones.push(() => this.release(i));
    }
    this.freeCount = n;
  }

  /** Messages waiting for the sender. */
  get queueLength(): number {
    return this.queued;
  }

  /** ip_vs_sync_conn after an inbound packet of IPv4 connection `id` (sync-walk.ts). */
  syncConn(id: number, nowMs: number): void {
    syncWalk(this.t, this.st, this.sysctls, this, id, nowMs);
  }

  /** ip_vs_sync_conn's writer for IPv4 entry `id`: struct ip_vs_sync_v4 (+ the full NAT option). */
  writeConn(id: number, nowMs: number): void {
    const t = this.t;
    const flags = t.flags[id]!;
    const fullNat = (flags & CONN_F_FWD_MASK) === FWD_FULLNAT && (flags & CONN_F_TEMPLATE) === 0;
    const off = this.reserve(connV4Len(fullNat), nowMs);
    if (off < 0) return;
    const svc = t.svc[id];
    // Addresses as int32 (`| 0`) and the full NAT columns only when sent: a uint32 above 2^31 is
    // a heap number when passed to a call that is not inlined.
    const len = writeConnV4(
      this.bufs[this.cur]!,
      off,
      t.protocol[id]!,
      flags & SYNC_FLAGS_SENT_MASK,
      t.state[id]!,
      t.cport[id]!,
      t.vport[id]!,
      t.dport[id]!,
      svc !== null && svc !== undefined ? svc.fwmark : 0,
      (t.timeoutMs[id]! / 1000) | 0,
      t.caddr[id]! | 0,
      t.vaddr[id]! | 0,
      t.daddr[id]! | 0,
      fullNat,
      fullNat ? t.laddr[id]! | 0 : 0,
      fullNat ? t.lport[id]! : 0,
      fullNat ? t.tsDelta[id]! : 0,
    );
    this.commit(off + len);
  }

  /**
   * Room for an entry of len bytes (ip_vs_sync_conn: pad, queue the message if the entry does not
   * fit, ip_vs_sync_buff_create): its offset in curBuf, zero-padded to 4 bytes, or -1 when no
   * buffer is free (the entry is counted dropped). The caller writes it, then calls commit.
   */
  reserve(len: number, nowMs: number): number {
    if (this.cur >= 0) {
      const pad = (4 - this.curLen) & 3;
      // nr_conns is a u8: a message holds at most 255 entries.
      if (this.curLen + pad + len > this.maxlen || this.curConns === 255) this.queueCur();
    }
    if (this.cur < 0 && !this.startMessage(nowMs)) {
      this.connsDropped++;
      return -1;
    }
    const buf = this.bufs[this.cur]!;
    const h = this.headroom;
    let len0 = this.curLen;
    while ((len0 & 3) !== 0) buf[h + len0++] = 0; // entries start 4-byte aligned in the message
    return h + len0;
  }

  /** The buffer of the message being filled (valid after reserve returned an offset). */
  get curBuf(): Buffer {
    return this.bufs[this.cur]!;
  }

  /** The entry reserve() made room for ends at `end`: it counts in the message. */
  commit(end: number): void {
    this.curLen = end - this.headroom;
    this.curConns++;
    this.connsSynced++;
  }

  private startMessage(nowMs: number): boolean {
    if (this.freeCount === 0) return false;
    this.cur = this.freeList[--this.freeCount]!;
    this.curLen = SYNC_MESG_HEADER_LEN;
    this.curConns = 0;
    this.curFirstMs = nowMs;
    // The message's flush timer (no periodic check): at most one per message, never per packet.
    this.sender.wake(SYNC_FLUSH_TIME_MS);
    return true;
  }

  /** sb_queue_tail: close the current message and queue it; wake the sender as the kernel does. */
  private queueCur(): void {
    const i = this.cur;
    this.cur = -1;
    if (i < 0) return;
    writeMesgHeader(this.bufs[i]!, this.headroom, this.syncid, this.curLen, this.curConns);
    this.lens[i] = this.curLen;
    if (this.queued >= this.sysctls.qlenMax) {
      this.connsDropped += this.curConns;
      this.release(i);
      return;
    }
    this.ring[(this.ringHead + this.queued) % this.ring.length] = i;
    this.queued++;
    this.messagesQueued++;
    if (this.queued === 1) this.sender.wake(SYNC_SEND_DELAY_MS);
    else if (this.queued === SYNC_WAKEUP_RATE) this.sender.wake(0);
  }

  /** get_curr_sync_buff(SYNC_FLUSH_TIME_MS): queue a partly filled message once that old. */
  flushOld(nowMs: number): void {
    if (this.cur >= 0 && this.curConns > 0 && nowMs - this.curFirstMs >= SYNC_FLUSH_TIME_MS) this.queueCur();
  }

  /** Milliseconds until flushOld() would queue the partly filled message (0: now); -1 if there is none. */
  flushDueInMs(nowMs: number): number {
    if (this.cur < 0 || this.curConns === 0) return -1;
    return Math.max(0, this.curFirstMs + SYNC_FLUSH_TIME_MS - nowMs);
  }

  /** Queue the current message whatever its age (stop, tests). */
  flushNow(): void {
    if (this.cur >= 0 && this.curConns > 0) this.queueCur();
  }

  /** sync_thread_master: hand up to `max` queued messages to the sender; returns how many. */
  sendQueued(max: number): number {
    let n = 0;
    while (this.queued > 0 && n < max) {
      const i = this.ring[this.ringHead]!;
      this.ringHead = (this.ringHead + 1) % this.ring.length;
      this.queued--;
      this.messagesSent++;
      this.bytesSent += this.lens[i]!;
      n++;
      this.sender.send(this.bufs[i]!, this.headroom, this.lens[i]!, this.dones[i]!);
    }
    return n;
  }

  private release(i: number): void {
    this.freeList[this.freeCount++] = i;
  }
}
