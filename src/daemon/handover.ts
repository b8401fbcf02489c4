// handover: one tsvsd hands the packet engine to the next (`tsvsd --takeover`), so that a restart
// or an upgrade stops forwarding only for the swap. (No kernel file mirrored: IPVS's state lives
// in the kernel and a restart of ipvsadm or keepalived never stops forwarding.)
//
//   new tsvsd                                 old tsvsd (forwarding)
//   node start, modules, config, rules
//   rings open (frames queue in them)
//   `handover` on the control socket  ---->   engine stopped, rings closed; the nft table and
//                                             ip_forward left as they are
//                                     <----   { pid, ipForward, neighbours, vrrp, sync }
//   waits for the state file's lock           stops serving (the socket file stays), exits:
//   state file attached, table restored       the exit releases the lock
//   neighbours learnt, engine started         (the outage ends here)
//   control socket taken over
//
// The frames that arrive during the swap wait in the new process's rings. What the old one hands
// over beside the state file: the value of ip_forward before the first tsvsd turned it off (to
// restore at the last stop) and its resolved neighbours, so that the new one sends no ARP request
// to resume the flows it carries over, and its VRRP state (src/daemon/vrrp-state.ts), so that a
// MASTER's successor answers for the VIP at once: keepalived writes to the notify FIFO only on a
// change. A predecessor without `vrrp` in its reply leaves the successor to the config's
// vrrp-state. Its running sync daemons go along too (`sync`: start arguments), so a daemon started
// with `tsvsadm --start-daemon` keeps syncing across the swap, as the kernel's sync thread never
// notices an ipvsadm restart.

import type { TsvsDaemon } from './daemon.ts';
import type { Logger } from '../lib/logger.ts';
import { ControlClient } from '../wire/client.ts';
import { ipToString, parseDottedQuad } from '../lib/inet.ts';
import { parseInet6 } from '../lib/inet6.ts';
import { TsvsError } from '../lib/errors.ts';
import type { Engine } from '../datapath/engine.ts';
import { NUD_REACHABLE, NUD_STALE } from '../datapath/neigh-state.ts';
import { isHandedVrrp, type HandedVrrp } from './vrrp-state.ts';

export const HANDOVER_OP = 'handover';

export interface HandedNeighbour {
  readonly ip: string;
  readonly mac: string;
  /** The interface's name: the new config may number its ports differently. */
  readonly ifname: string;
}

/** What the old tsvsd hands over beside the state file. */
export interface Handover {
  readonly pid: number;
  /** ip_forward as it was before any tsvsd of the chain turned it off ('' if none touched it). */
  readonly ipForward: string;
  readonly neighbours: readonly HandedNeighbour[];
  /** The VRRP state the old engine had; absent from a tsvsd that did not hand it over. */
  readonly vrrp?: HandedVrrp;
  /**
   * The sync daemons the old tsvsd ran (their start arguments, defaults applied), also those a
   * `tsvsadm --start-daemon` started at run time: the successor starts them again (sync-daemon.ts).
   */
  readonly sync?: readonly Record<string, unknown>[];
}

/** A neighbour table's row for display (NeighTable.list(), Xmit6.list()) with its address as text. */
export interface NeighbourRow {
  readonly ip: string;
  readonly mac: string;
  readonly state: number;
  readonly port: number;
}

/** The rows a successor can use (REACHABLE or STALE: resolved), by interface name. */
export function handedNeighbours(rows: readonly NeighbourRow[], names: readonly string[]): HandedNeighbour[] {
  return rows
    .filter((n) => n.state === NUD_REACHABLE || n.state === NUD_STALE)
    .map((n) => ({ ip: n.ip, mac: n.mac, ifname: names[n.port] ?? '' }));
}

/** The resolved neighbours of a stopped engine, IPv4 (ARP) and IPv6 (neighbour discovery), by interface name. */
export function neighboursOf(engine: Engine): HandedNeighbour[] {
  const v4 = engine.xmit.neigh.list().map((n) => ({ ...n, ip: ipToString(n.ip) }));
  const names = engine.io.ports.map((p) => p.name);
  return handedNeighbours([...v4, ...(engine.v6?.x6.list() ?? [])], names);
}

/**
 * Learns the handed-over neighbours on the interfaces this engine has, REACHABLE (just confirmed
 * by the running predecessor) or, for a snapshot of unknown age (neigh-snapshot.ts), STALE;
 * returns how many. An IPv6 address goes to the IPv6 neighbour table (none without an IPv6 path).
 */
export function learnNeighbours(
  engine: Engine,
  list: readonly HandedNeighbour[],
  nowMs: number,
  stale = false,
): number {
  const names = engine.io.ports.map((p) => p.name);
  const mac = new Uint8Array(6);
  const neigh = engine.xmit.neigh;
  const x6 = engine.v6?.x6;
  let n = 0;
  for (const e of list) {
    const port = names.indexOf(e.ifname);
    if (port < 0 || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(e.mac)) continue;
    e.mac.split(':').forEach((h, i) => (mac[i] = parseInt(h, 16)));
    const ip = parseDottedQuad(e.ip);
    if (ip !== null) {
      if (stale) neigh.restoreStale(ip, port, mac, 0, nowMs);
      else neigh.learn(ip, port, mac, 0, nowMs);
    } else {
      const w = parseInet6(e.ip);
      const id = w === null || x6 === undefined ? -1 : x6.index.intern(w, 0);
      if (id < 0) continue;
      if (stale) x6!.neigh.restoreStale(id, port, mac, 0, nowMs);
      else x6!.neigh.learn(id, port, mac, 0, nowMs);
    }
    n++;
  }
  return n;
}

/**
 * The old side: the `handover` op. `release` stops forwarding (with workers: once their threads
 * have exited) and says what to hand over; the reply is sent, then `exit` stops serving and ends
 * the process (which releases the state files' locks).
 */
export function addHandoverOp(
  daemon: TsvsDaemon,
  log: Logger,
  release: () => Omit<Handover, 'pid'> | Promise<Omit<Handover, 'pid'>>,
  exit: () => void,
): void {
  let done = false;
  daemon.addOp(HANDOVER_OP, async () => {
    if (done) throw new Error('this tsvsd has already handed over');
    const t0 = performance.now();
    // A second request while the workers stop (release awaits their exit) is refused too.
    done = true;
    let h: Handover;
    try {
      h = { pid: process.pid, ...(await release()) };
    } catch (e) {
      done = false;
      throw e;
    }
    log.info('handing over to a new tsvsd: forwarding stopped', {
      neighbours: h.neighbours.length,
      releaseMs: (performance.now() - t0).toFixed(1),
    });
    setImmediate(exit);
    return h;
  });
}

export function isHandedNeighbour(n: unknown): n is HandedNeighbour {
  return (
    typeof n === 'object' &&
    n !== null &&
    typeof (n as HandedNeighbour).ip === 'string' &&
    typeof (n as HandedNeighbour).mac === 'string' &&
    typeof (n as HandedNeighbour).ifname === 'string'
  );
}

function isHandover(v: unknown): v is Handover {
  const h = v as Partial<Handover> | null;
  return (
    typeof h === 'object' &&
    h !== null &&
    typeof h.pid === 'number' &&
    typeof h.ipForward === 'string' &&
    (h.vrrp === undefined || isHandedVrrp(h.vrrp)) &&
    (h.sync === undefined || (Array.isArray(h.sync) && h.sync.every((d) => typeof d === 'object' && d !== null))) &&
    Array.isArray(h.neighbours) &&
    h.neighbours.every(isHandedNeighbour)
  );
}

/**
 * The new side: asks the tsvsd on socketPath to hand over. Null (logged) when none listens: this
 * tsvsd then starts as after a stop. Throws EHANDOVER when one listens but does not hand over (a
 * build without the op, a malformed reply): two engines must never forward side by side.
 */
export async function requestHandover(socketPath: string, log: Logger): Promise<Handover | null> {
  let client: ControlClient;
  try {
    client = await ControlClient.connect(socketPath);
  } catch (e) {
    log.info('--takeover: no tsvsd to take over from; starting as usual', {
      socket: socketPath,
      error: (e as Error).message,
    });
    return null;
  }
  try {
    const reply = await client.request(HANDOVER_OP, {});
    if (!isHandover(reply)) throw new Error('malformed handover reply');
    return reply;
  } catch (e) {
    throw new TsvsError(
      'EHANDOVER',
      `the tsvsd on ${socketPath} did not hand over (${(e as Error).message}); stop it first, then start without --takeover`,
    );
  } finally {
    client.close();
  }
}
