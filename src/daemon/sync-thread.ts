// SyncThread: one running connection sync daemon of tsvsd, a master sending or a backup receiving
// over UDP multicast (make_send_sock, make_receive_sock and the sync threads of ip_vs_sync.c),
// driving SyncMaster or SyncBackup (src/sync/) over the engine's connection table.

import dgram from 'node:dgram';
import { TsvsError } from '../lib/errors.ts';
import { inetAton, ipToString } from '../lib/inet.ts';
import type { Logger } from '../lib/logger.ts';
import type { Engine } from '../datapath/engine.ts';
import { SyncBackup, type SyncEntryFilter } from '../sync/sync-backup.ts';
import { SyncFamily4, SyncFamily6, type SyncServices } from '../sync/sync-family.ts';
import type { SyncConnState } from '../sync/sync-conn-state.ts';
import { SyncMaster } from '../sync/sync-master.ts';
import { SyncMaster6 } from '../sync/sync-master6.ts';
import { SYNC_FRAME_HDR_LEN, SYNC_FRAME_HEADROOM, writeSyncFrame, type SyncFrameConfig } from '../sync/sync-frame.ts';
import { RXF_VNET_HDR } from '../packet/rx-flags.ts';
import { AfPacketIo } from '../io/af-packet.ts';
import { defaultSyncSysctls, SYNC_IPV4_UDP_HLEN } from '../sync/sync-proto.ts';
import type { SyncDaemonConfig } from './sync-request.ts';

/** Most messages a master sends per second: the sync rate bound (1,472-byte messages: 14.7 MB/s). */
export const SYNC_MAX_MESSAGES_PER_SEC = 10_000;

/** One running sync daemon: its socket and its master or backup (the kernel's sync thread). */
export interface SyncThread {
  readonly cfg: SyncDaemonConfig;
  readonly sock: dgram.Socket;
  master: SyncMaster | null;
  /** The master's IPv6 side (same messages), when the engine has an IPv6 path. */
  master6: SyncMaster6 | null;
  backup: SyncBackup | null;
  /** Clears the master's pending send timer. */
  cancel: () => void;
  sendErrors: number;
}

/**
 * make_send_sock's master. On an interface the engine runs, messages leave as whole frames
 * through its TX ring (sync-frame.ts), flushed once per drain: no system call per message. Else
 * (or when a message would not fit the MTU unfragmented) a UDP socket as the kernel's: bound to
 * the interface's address, multicast out of it, TTL, no loopback, connected to the group.
 */
export async function startSyncMaster(
  engine: Engine,
  st: SyncConnState,
  st6: SyncConnState | null,
  cfg: SyncDaemonConfig,
  addr: string,
  log: Logger,
  /** The rate bound of this master: a share of SYNC_MAX_MESSAGES_PER_SEC when several threads send. */
  maxPerSec = SYNC_MAX_MESSAGES_PER_SEC,
): Promise<SyncThread> {
  const io = engine.io;
  const port = io.ports.findIndex((p) => p.name === cfg.mcastIfn);
  const ring = port >= 0 && cfg.syncMaxlen + SYNC_IPV4_UDP_HLEN <= io.ports[port]!.mtu;
  const sock = dgram.createSocket({ type: 'udp4' });
  await bindSocket(sock, { address: addr, port: 0 });
  const group = ipToString(cfg.mcastGroup);
  if (!ring) {
    sock.setMulticastInterface(addr);
    sock.setMulticastTTL(cfg.mcastTtl);
    sock.setMulticastLoopback(false);
    await new Promise<void>((resolve) => sock.connect(cfg.mcastPort, group, () => resolve()));
  }
  const frame: SyncFrameConfig | null = ring
    ? {
        srcMac: io.ports[port]!.mac,
        saddr: inetAton(addr) ?? 0,
        group: cfg.mcastGroup,
        ttl: cfg.mcastTtl,
        sport: sock.address().port, // the socket only reserves the source port
        dport: cfg.mcastPort,
      }
    : null;
  let ipId = 0;
  // The native rings send a virtio_net_hdr: the kernel (or the NIC) sums the UDP message, as for
  // the kernel's own sync socket. libpcap sends bytes as they are: the checksum is summed here.
  const offload = io instanceof AfPacketIo;
  let wakeTimer: NodeJS.Timeout | null = null;
  let tokens = maxPerSec;
  let lastRefill = Date.now();
  // The rate bound: a token bucket of messages; what it holds back stays queued. A partly filled
  // message is queued here once old enough; its timer was armed by its first entry (wake).
  const drain = (): void => {
    const now = Date.now();
    m.flushOld(now);
    tokens = Math.min(maxPerSec, tokens + ((now - lastRefill) * maxPerSec) / 1000);
    lastRefill = now;
    const n = m.sendQueued(Math.floor(tokens));
    tokens -= n;
    if (ring && n > 0) io.flush();
    if (m.queueLength > 0) wake(Math.max(1, Math.ceil(1000 / maxPerSec)));
    else {
      const due = m.flushDueInMs(now);
      if (due >= 0) wake(Math.max(1, due));
    }
  };
  const wake = (delayMs: number): void => {
    if (wakeTimer !== null) return;
    wakeTimer = setTimeout(() => {
      wakeTimer = null;
      drain();
    }, delayMs);
  };
  const r: SyncThread = {
    cfg,
    sock,
    master: null,
    master6: null,
    backup: null,
    cancel: () => {
      if (wakeTimer !== null) clearTimeout(wakeTimer);
      wakeTimer = null;
    },
    sendErrors: 0,
  };
  const send = (buf: Buffer, off: number, len: number, done: () => void): void => {
    if (frame !== null) {
      ipId = (ipId + 1) & 0xffff;
      const f = writeSyncFrame(buf, off, len, frame, ipId, offload);
      // The ring copies at flush(), which drain() calls before anything writes this buffer again.
      if (!io.queueTx(port, buf, f, len + SYNC_FRAME_HDR_LEN, offload ? RXF_VNET_HDR : 0)) r.sendErrors++;
      done();
      return;
    }
    sock.send(buf, off, len, (err) => {
      if (err) r.sendErrors++;
      done();
    });
  };
  const m = new SyncMaster(
    engine.conns.table,
    st,
    defaultSyncSysctls(),
    cfg.syncid,
    cfg.syncMaxlen,
    { send, wake },
    ring ? SYNC_FRAME_HEADROOM : 0,
  );
  r.master = m;
  engine.pipeline.sync = m;
  const v6 = engine.v6;
  if (v6 !== null && st6 !== null) {
    r.master6 = new SyncMaster6(m, v6.cm.t6, st6);
    v6.sync = r.master6;
  }
  log.info('sync master sends', { via: ring ? `the engine's TX ring on ${cfg.mcastIfn}` : 'a UDP socket' });
  return r;
}

/** The backup's reading of messages into the engine's tables (ip_vs_process_message's target). */
export function syncBackupOf(
  engine: Engine,
  services: SyncServices,
  st: SyncConnState,
  st6: SyncConnState | null,
  syncid: number,
  filter: SyncEntryFilter | null = null,
): SyncBackup {
  const c = engine.conns;
  const v4 = new SyncFamily4(c.table, c.expiry, c.timeouts, st, services);
  const cm6 = engine.v6 === null ? null : engine.v6.cm;
  const v6 =
    cm6 === null || st6 === null ? null : new SyncFamily6(cm6.t6, cm6.conns.expiry, cm6.conns.timeouts, st6, services);
  return new SyncBackup(v4, v6, syncid, 3, filter);
}

/**
 * make_receive_sock: bound to group:port with reuse, joined on the interface. A datagram longer
 * than sync_maxlen fails the kernel's size check (it reads at most that many bytes): tooLong().
 */
export async function openSyncReceiver(
  cfg: SyncDaemonConfig,
  addr: string,
  onMessage: (msg: Buffer) => void,
  tooLong: () => void,
): Promise<dgram.Socket> {
  const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  const group = ipToString(cfg.mcastGroup);
  await bindSocket(sock, { address: group, port: cfg.mcastPort });
  sock.addMembership(group, addr);
  sock.on('message', (msg) => (msg.length > cfg.syncMaxlen ? tooLong() : onMessage(msg)));
  return sock;
}

/** A backup daemon over this thread's engine. */
export async function startSyncBackup(
  engine: Engine,
  services: SyncServices,
  st: SyncConnState,
  st6: SyncConnState | null,
  cfg: SyncDaemonConfig,
  addr: string,
): Promise<SyncThread> {
  const b = syncBackupOf(engine, services, st, st6, cfg.syncid);
  const sock = await openSyncReceiver(
    cfg,
    addr,
    (msg) => b.processMessage(msg, msg.length, Date.now()),
    () => {
      b.stats.messages++;
      b.stats.badLength++;
    },
  );
  return { cfg, sock, master: null, master6: null, backup: b, cancel: () => {}, sendErrors: 0 };
}

/** Stops a daemon: its timer, its hooks in the engine's pipelines, its socket. */
export function closeSyncThread(engine: Engine, r: SyncThread): void {
  r.cancel();
  if (r.master !== null && engine.pipeline.sync === r.master) engine.pipeline.sync = null;
  const v6 = engine.v6;
  if (r.master6 !== null && v6 !== null && v6.sync === r.master6) v6.sync = null;
  r.sock.close();
}

/** A daemon's counters as -L --daemon --stats shows them. */
export function syncThreadStats(r: SyncThread): Record<string, number> {
  const m = r.master;
  return m
    ? {
        connsSynced: m.connsSynced,
        messagesSent: m.messagesSent,
        bytesSent: m.bytesSent,
        queued: m.queueLength,
        connsDropped: m.connsDropped,
        sendErrors: r.sendErrors,
      }
    : { ...r.backup!.stats };
}

function bindSocket(sock: dgram.Socket, opts: dgram.BindOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => {
      sock.close();
      reject(new TsvsError('ESYNCSOCK', `sync socket: ${e.message}`, { cause: e }));
    };
    sock.once('error', onError);
    sock.bind(opts, () => {
      sock.off('error', onError);
      sock.on('error', () => {});
      resolve();
    });
  });
}
