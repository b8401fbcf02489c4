// The connection sync daemons of tsvsd: --start-daemon / --stop-daemon / -L --daemon over the
// control socket, each daemon a UDP multicast socket in tsvsd's network namespace
// (start_sync_thread, make_send_sock, make_receive_sock, stop_sync_thread in ip_vs_sync.c;
// ip_vs_genl_new_daemon / ip_vs_genl_dump_daemons in ip_vs_ctl.c), driving SyncMaster and
// SyncBackup (src/sync/) over the engine's connection table.

import dgram from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { TsvsError } from '../lib/errors.ts';
import { inetAton, ipToString } from '../lib/inet.ts';
import type { Logger } from '../lib/logger.ts';
import { ipvsError } from '../model/ipvs-errors.ts';
import type { Engine } from '../datapath/engine.ts';
import { SyncBackup, type SyncServices } from '../sync/sync-backup.ts';
import { SyncConnState } from '../sync/sync-conn-state.ts';
import { SyncMaster } from '../sync/sync-master.ts';
import { SYNC_FRAME_HDR_LEN, SYNC_FRAME_HEADROOM, writeSyncFrame, type SyncFrameConfig } from '../sync/sync-frame.ts';
import { RXF_VNET_HDR } from '../packet/rx-flags.ts';
import { AfPacketIo } from '../io/af-packet.ts';
import {
  DEFAULT_MCAST_IFN,
  DEFAULT_SYNC_GROUP,
  DEFAULT_SYNC_MAXLEN,
  DEFAULT_SYNC_PORT,
  DEFAULT_SYNC_TTL,
  defaultSyncSysctls,
  MAX_SYNC_MAXLEN,
  MIN_BACKUP_MAXLEN,
  SYNC_IPV4_UDP_HLEN,
} from '../sync/sync-proto.ts';
import { parseSyncRequest, startDaemonRequests, type SyncDaemonConfig, type SyncState } from './sync-request.ts';
import type { TsvsDaemon } from './daemon.ts';
import type { DaemonConfig } from './config-file.ts';

/** Most messages a master sends per second: the sync rate bound (1,472-byte messages: 14.7 MB/s). */
export const SYNC_MAX_MESSAGES_PER_SEC = 10_000;

/** One running daemon as ip_vs_genl_fill_daemon reports it, defaults applied. */
export interface SyncDaemonInfo extends SyncDaemonConfig {
  readonly stats: Record<string, number>;
}

interface Running {
  readonly cfg: SyncDaemonConfig;
  readonly sock: dgram.Socket;
  master: SyncMaster | null;
  backup: SyncBackup | null;
  /** Clears the master's pending send timer. */
  cancel: () => void;
  sendErrors: number;
}

/** The interface's first IPv4 address (the kernel binds the master to its primary one). */
function ifaceAddr(name: string): string | null {
  const list = networkInterfaces()[name];
  const a = list?.find((x) => x.family === 'IPv4');
  return a === undefined ? null : a.address;
}

export class SyncDaemons {
  private readonly running = new Map<SyncState, Running>();
  private readonly st: SyncConnState;

  constructor(
    private readonly engine: Engine,
    private readonly services: SyncServices,
    private readonly log: Logger,
  ) {
    this.st = new SyncConnState(engine.conns.table.capacity);
  }

  /** ip_vs_genl_new_daemon + start_sync_thread. */
  async start(raw: Record<string, unknown>): Promise<void> {
    const req = parseSyncRequest(raw);
    if (this.running.has(req.state)) throw ipvsError('start-daemon', 'EEXIST');
    const addr = ifaceAddr(req.mcastIfn);
    if (addr === null) throw ipvsError('start-daemon', 'ENODEV', `no IPv4 interface ${req.mcastIfn}`);
    const master = req.state === 'master';
    const maxlen =
      req.syncMaxlen === 0
        ? DEFAULT_SYNC_MAXLEN
        : Math.min(Math.max(req.syncMaxlen, master ? 1 : MIN_BACKUP_MAXLEN), MAX_SYNC_MAXLEN);
    const cfg: SyncDaemonConfig = {
      state: req.state,
      mcastIfn: req.mcastIfn === '' ? DEFAULT_MCAST_IFN : req.mcastIfn,
      syncid: req.syncid,
      syncMaxlen: maxlen,
      mcastGroup: req.mcastGroup === 0 ? DEFAULT_SYNC_GROUP : req.mcastGroup,
      mcastPort: req.mcastPort === 0 ? DEFAULT_SYNC_PORT : req.mcastPort,
      mcastTtl: req.mcastTtl === 0 ? DEFAULT_SYNC_TTL : req.mcastTtl,
    };
    const r = master ? await this.startMaster(cfg, addr) : await this.startBackup(cfg, addr);
    this.running.set(cfg.state, r);
    this.log.info('sync daemon started', {
      state: cfg.state,
      mcast: cfg.mcastIfn,
      syncid: cfg.syncid,
      group: ipToString(cfg.mcastGroup),
      port: cfg.mcastPort,
    });
  }

  /**
   * make_send_sock's master. On an interface the engine runs, messages leave as whole frames
   * through its TX ring (sync-frame.ts), flushed once per drain: no system call per message. Else
   * (or when a message would not fit the MTU unfragmented) a UDP socket as the kernel's: bound to
   * the interface's address, multicast out of it, TTL, no loopback, connected to the group.
   */
  private async startMaster(cfg: SyncDaemonConfig, addr: string): Promise<Running> {
    const io = this.engine.io;
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
    let tokens = SYNC_MAX_MESSAGES_PER_SEC;
    let lastRefill = Date.now();
    // The rate bound: a token bucket of messages; what it holds back stays queued. A partly filled
    // message is queued here once old enough; its timer was armed by its first entry (wake).
    const drain = (): void => {
      const now = Date.now();
      m.flushOld(now);
      tokens = Math.min(SYNC_MAX_MESSAGES_PER_SEC, tokens + ((now - lastRefill) * SYNC_MAX_MESSAGES_PER_SEC) / 1000);
      lastRefill = now;
      const n = m.sendQueued(Math.floor(tokens));
      tokens -= n;
      if (ring && n > 0) io.flush();
      if (m.queueLength > 0) wake(Math.max(1, Math.ceil(1000 / SYNC_MAX_MESSAGES_PER_SEC)));
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
    const r: Running = {
      cfg,
      sock,
      master: null,
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
      this.engine.conns.table,
      this.st,
      defaultSyncSysctls(),
      cfg.syncid,
      cfg.syncMaxlen,
      { send, wake },
      ring ? SYNC_FRAME_HEADROOM : 0,
    );
    r.master = m;
    this.engine.pipeline.sync = m;
    this.log.info('sync master sends', { via: ring ? `the engine's TX ring on ${cfg.mcastIfn}` : 'a UDP socket' });
    return r;
  }

  /** make_receive_sock: bound to group:port with reuse, joined on the interface. */
  private async startBackup(cfg: SyncDaemonConfig, addr: string): Promise<Running> {
    const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    const group = ipToString(cfg.mcastGroup);
    await bindSocket(sock, { address: group, port: cfg.mcastPort });
    sock.addMembership(group, addr);
    const conns = this.engine.conns;
    const b = new SyncBackup(conns.table, conns.expiry, conns.timeouts, this.services, this.st, cfg.syncid);
    sock.on('message', (msg) => {
      // The kernel reads at most sync_maxlen bytes: a longer datagram fails the size check.
      if (msg.length > cfg.syncMaxlen) {
        b.stats.messages++;
        b.stats.badLength++;
        return;
      }
      b.processMessage(msg, msg.length, Date.now());
    });
    return { cfg, sock, master: null, backup: b, cancel: () => {}, sendErrors: 0 };
  }

  /** ip_vs_genl_del_daemon + stop_sync_thread: queued messages are discarded, as the kernel does. */
  stop(raw: Record<string, unknown>): void {
    const state = raw['state'];
    if (state !== 'master' && state !== 'backup') throw new TsvsError('EBADREQ', 'state must be master or backup');
    const r = this.running.get(state);
    if (r === undefined) throw ipvsError('stop-daemon', 'ESRCH');
    this.close(r);
    this.running.delete(state);
    this.log.info('sync daemon stopped', { state });
  }

  private close(r: Running): void {
    r.cancel();
    if (r.master !== null && this.engine.pipeline.sync === r.master) this.engine.pipeline.sync = null;
    r.sock.close();
  }

  stopAll(): void {
    for (const r of this.running.values()) this.close(r);
    this.running.clear();
  }

  /** ip_vs_genl_dump_daemons: master first, then backup. */
  list(): SyncDaemonInfo[] {
    const out: SyncDaemonInfo[] = [];
    for (const state of ['master', 'backup'] as const) {
      const r = this.running.get(state);
      if (r === undefined) continue;
      const m = r.master;
      const stats: Record<string, number> = m
        ? {
            connsSynced: m.connsSynced,
            messagesSent: m.messagesSent,
            bytesSent: m.bytesSent,
            queued: m.queueLength,
            connsDropped: m.connsDropped,
            sendErrors: r.sendErrors,
          }
        : { ...r.backup!.stats };
      out.push({ ...r.cfg, stats });
    }
    return out;
  }
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

/**
 * Serves daemon.start / daemon.stop / daemon.list on tsvsd's socket over the running engine, and
 * starts the daemons the config's [rules] `--start-daemon` lines ask for. A line that does not
 * parse stops tsvsd's start (ECONFIG); a daemon that cannot start (no such interface) is logged
 * and tsvsd runs on without it, as the kernel keeps balancing when its sync thread fails.
 */
export async function wireSync(
  daemon: TsvsDaemon,
  engine: Engine,
  log: Logger,
  config: DaemonConfig | null,
): Promise<SyncDaemons> {
  const sync = new SyncDaemons(engine, daemon.table, log);
  daemon.addOp('daemon.start', (a) => sync.start(a).then(() => ({})));
  daemon.addOp('daemon.stop', (a) => (sync.stop(a), {}));
  daemon.addOp('daemon.list', () => sync.list());
  if (config !== null) {
    for (const args of startDaemonRequests(config.path, config.ruleLines)) {
      try {
        await sync.start(args);
      } catch (e) {
        log.error('sync daemon not started', { state: String(args['state']), error: (e as Error).message });
      }
    }
  }
  return sync;
}
