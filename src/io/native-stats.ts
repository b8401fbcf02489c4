// native-stats: the columns of the native addon's stats(), written by native/gen-stats.mjs from
// native/stats-columns.h (their one definition). Do not edit: change the header and run
// `node native/gen-stats.mjs`.

/** Column order of stats(): one row of NATIVE_STAT_COLUMNS.length numbers per port. */
export const NATIVE_STAT_COLUMNS = [
  'rxFrames',
  'rxBytes',
  'rxBig',
  'rxJumbo',
  'rxTruncated',
  'rxOutgoing',
  'txFrames',
  'txBytes',
  'txErrors',
  'kernelPackets',
  'kernelDrops',
  'kernelFreeze',
  'txGso',
  'lastTxErrno',
  'sockErrors',
  'lastSockErrno',
  'reattaches',
] as const;

export type NativeStatColumn = (typeof NATIVE_STAT_COLUMNS)[number];

/** One port's row of stats(), by column. */
export interface NativePortStats {
  /** Frames received and handed to JS. */
  readonly rxFrames: number;
  /** Bytes of those frames, from the Ethernet header on. */
  readonly rxBytes: number;
  /** Frames bigger than a V2 slot, read whole from the socket queue. */
  readonly rxBig: number;
  /** Frames bigger than a V2 slot (GSO superpackets) received whole in the jumbo ring. */
  readonly rxJumbo: number;
  /** Frames dropped because they did not fit (a V2 slot and no socket buffer room). */
  readonly rxTruncated: number;
  /** Frames this host sent that the ring saw too; skipped. */
  readonly rxOutgoing: number;
  /** Frames the kernel accepted for transmit. */
  readonly txFrames: number;
  /** Bytes of those frames, from the Ethernet header on. */
  readonly txBytes: number;
  /** Frames refused: malformed or outside the region, or by the kernel. */
  readonly txErrors: number;
  /** PACKET_STATISTICS: frames the socket saw, drops included. */
  readonly kernelPackets: number;
  /** PACKET_STATISTICS: frames dropped for a full ring. */
  readonly kernelDrops: number;
  /** PACKET_STATISTICS: times a full V3 ring froze its queue. */
  readonly kernelFreeze: number;
  /** Frames sent through the GSO socket (no qdisc bypass, so the kernel may segment them). */
  readonly txGso: number;
  /** errno of the last refused send, 0 if none. */
  readonly lastTxErrno: number;
  /** Errors the RX socket reported (its interface went down or away). */
  readonly sockErrors: number;
  /** errno of the last of them (ENETDOWN, ENODEV), 0 if none. */
  readonly lastSockErrno: number;
  /** Times the port was re-opened on an interface that returned under its name. */
  readonly reattaches: number;
}
