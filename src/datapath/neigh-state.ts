// Neighbour states, timing knobs and sink of NeighTable: the NUD_* states of
// include/uapi/linux/neighbour.h (our own numbering, only the states the director uses), the
// net.ipv4.neigh.default.* sysctls, and what the table needs from the transmitter.

import type { NeighQueueSink } from './neigh-queue.ts';

/** Resolution started: an ARP request is out, frames wait in the entry's queue (NUD_INCOMPLETE). */
export const NUD_INCOMPLETE = 1;
/** The MAC was confirmed within reachableMs (NUD_REACHABLE). */
export const NUD_REACHABLE = 2;
/** The MAC is still used but due for re-confirmation (NUD_STALE). */
export const NUD_STALE = 3;
/** No reply after maxProbes requests: frames for it are refused for failedHoldMs (NUD_FAILED). */
export const NUD_FAILED = 4;

/**
 * How long a restored STALE entry that no packet uses is kept: the kernel's gc_stale_time
 * (net.ipv4.neigh.default.gc_stale_time, 60 s), after which neigh_periodic_work() frees an
 * unreferenced STALE entry.
 */
export const GC_STALE_MS = 60_000;

/** NeighTable's size and timers; each defaults to the value in its comment. */
export interface NeighOptions {
  /** Most entries held; the least recently used is evicted beyond (gc_thresh3). Default 4096. */
  slots?: number;
  /** How long a confirmed MAC stays REACHABLE (base_reachable_time_ms). Default 30 s. */
  reachableMs?: number;
  /** Gap between two ARP requests for one address (retrans_time_ms). Default 1 s. */
  retransMs?: number;
  /** Requests sent before an address is FAILED (mcast_solicit / ucast_solicit). Default 3. */
  maxProbes?: number;
  /** How long a FAILED entry refuses frames before it is forgotten. Default 1 s. */
  failedHoldMs?: number;
  /** Most frames one unresolved address holds (unres_qlen). Default 64. */
  pendingPerEntry?: number;
}

/** The transmitter side of NeighTable: it sends the requests and the frames that waited. */
export interface NeighSink extends NeighQueueSink {
  /** Broadcast an ARP request for ip on port. */
  arpRequest(port: number, ip: number): void;
}
