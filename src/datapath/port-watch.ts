// PortWatch: notices a port whose interface went away (deleted, or gone with its veth peer's
// namespace) and re-attaches the port when an interface of that name returns; what the kernel
// learns from NETDEV_UNREGISTER / NETDEV_REGISTER (packet_notifier() in net/packet/af_packet.c),
// tsvs learns by looking the name up once a second (one ioctl per port, never per packet).
//
// While a port is lost, rules, connections and counters stay; only its neighbours go
// (Engine.portLost). The interface that returns may have a new ifindex and MAC: the port's
// sockets are opened again on it and its owned addresses announced (Engine.portReattached).

import type { Logger } from '../lib/logger.ts';
import type { PacketIo } from './packet-io.ts';

/** What tsvsadm --engine and the metrics show of one port's interface. */
export interface PortLink {
  readonly name: string;
  /** Attached to an interface of its name (false from the loss until the re-attach). */
  up: boolean;
  /** The ifindex attached to (the last one while lost). */
  ifindex: number;
  /** Times the interface was found gone, and times the port was re-attached. */
  losses: number;
  reattaches: number;
  /** Why the last re-attach failed, '' if none did. */
  error: string;
}

export interface PortWatchHooks {
  lost(port: number): void;
  reattached(port: number): void;
  /** When given, an interface that returned is only told (each look while it is not re-attached). */
  returned?(port: number, ifindex: number): void;
}

/** Default period of the look-up (ms). */
export const PORT_WATCH_MS = 1000;

export class PortWatch {
  readonly links: PortLink[];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly io: PacketIo,
    private readonly hooks: PortWatchHooks,
    private readonly log: Logger | null,
  ) {
    this.links = io.ports.map((p) => ({
      name: p.name,
      up: true,
      ifindex: p.ifindex,
      losses: 0,
      reattaches: 0,
      error: '',
    }));
  }

  /** Whether the backend can tell (AF_PACKET and libpcap can; memory and pcap files cannot). */
  get supported(): boolean {
    return this.io.linkIfindex !== undefined && this.io.reattach !== undefined;
  }

  start(periodMs = PORT_WATCH_MS): void {
    if (!this.supported || this.timer !== null) return;
    this.timer = setInterval(() => this.check(), periodMs).unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One look at every port: a loss is logged once, a return re-attaches (or is told: hooks.returned). */
  check(): void {
    if (!this.supported) return;
    this.links.forEach((l, port) => {
      const now = this.look(port);
      if (now === 0) return;
      if (this.hooks.returned !== undefined) this.hooks.returned(port, now);
      else this.reattach(port);
    });
  }

  /**
   * Re-attaches port to the interface now under its name (the loss noted first if no look saw it
   * yet); false when there is none or it cannot be (l.error says why).
   */
  reattach(port: number): boolean {
    const io = this.io;
    const l = this.links[port];
    if (l === undefined || io.reattach === undefined || this.look(port) === 0) return false;
    try {
      const info = io.reattach(port);
      l.up = true;
      l.ifindex = info.ifindex;
      l.reattaches++;
      l.error = '';
      this.hooks.reattached(port);
      this.log?.info(`interface ${l.name} is back: re-attached, owned addresses announced`, {
        interface: l.name,
        ifindex: info.ifindex,
        mac: [...info.mac].map((b) => b.toString(16).padStart(2, '0')).join(':'),
      });
      return true;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (msg !== l.error) this.log?.warn(`interface ${l.name} is back but cannot be re-attached`, { error: msg });
      l.error = msg;
      return false;
    }
  }

  /** The ifindex under port's name when it is lost and an interface is there (0 otherwise); notes a loss. */
  private look(port: number): number {
    const l = this.links[port]!;
    if (this.io.linkIfindex === undefined) return 0;
    const now = this.io.linkIfindex(port);
    if (l.up) {
      if (now === l.ifindex) return 0;
      l.up = false;
      l.losses++;
      this.log?.error(
        `interface ${l.name} is gone: no frame is received or sent on it until an interface named ${l.name} ` +
          'returns; rules, connections and counters are kept',
        { interface: l.name, ifindex: l.ifindex },
      );
      this.hooks.lost(port);
    }
    return now;
  }
}
