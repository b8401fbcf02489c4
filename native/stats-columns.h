/* stats-columns.h: the columns of the addon's stats(), one row per port, in this order. This list
 * is their only definition: addon-stats.c fills the rows and exports the names (statColumns) from it,
 * and gen-stats.mjs writes src/io/native-stats.ts (names and documentation for TypeScript) from
 * it. After a change here, run `node native/gen-stats.mjs`; test/io/native-harness.test.ts fails
 * while the TypeScript file is stale, and native-binding.ts refuses an addon built from another
 * list.
 *
 * X(name in JS, field of struct tsvs_port_stats, documentation) */
#ifndef TSVS_STATS_COLUMNS_H
#define TSVS_STATS_COLUMNS_H

#define TSVS_STAT_COLUMNS(X)                                                                                 \
  X(rxFrames, rx_frames, "Frames received and handed to JS.")                                                \
  X(rxBytes, rx_bytes, "Bytes of those frames, from the Ethernet header on.")                                \
  X(rxBig, rx_big, "Frames bigger than a V2 slot, read whole from the socket queue.")                        \
  X(rxJumbo, rx_jumbo, "Frames bigger than a V2 slot (GSO superpackets) received whole in the jumbo ring.") \
  X(rxTruncated, rx_trunc, "Frames dropped because they did not fit (a V2 slot and no socket buffer room).") \
  X(rxOutgoing, rx_outgoing, "Frames this host sent that the ring saw too; skipped.")                        \
  X(txFrames, tx_frames, "Frames the kernel accepted for transmit.")                                         \
  X(txBytes, tx_bytes, "Bytes of those frames, from the Ethernet header on.")                                \
  X(txErrors, tx_errors, "Frames refused: malformed or outside the region, or by the kernel.")               \
  X(kernelPackets, k_packets, "PACKET_STATISTICS: frames the socket saw, drops included.")                   \
  X(kernelDrops, k_drops, "PACKET_STATISTICS: frames dropped for a full ring.")                              \
  X(kernelFreeze, k_freeze, "PACKET_STATISTICS: times a full V3 ring froze its queue.")                      \
  X(txGso, tx_gso, "Frames sent through the GSO socket (no qdisc bypass, so the kernel may segment them).")  \
  X(lastTxErrno, last_tx_errno, "errno of the last refused send, 0 if none.")                               \
  X(sockErrors, sock_errors, "Errors the RX socket reported (its interface went down or away).")           \
  X(lastSockErrno, last_sock_errno, "errno of the last of them (ENETDOWN, ENODEV), 0 if none.")             \
  X(reattaches, reattaches, "Times the port was re-opened on an interface that returned under its name.")

#endif
