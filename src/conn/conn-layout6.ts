// The IPv6 connection table's persisted layout (ConnTable6, conn-table6.ts): the IPv4 table's
// columns (conn-layout.ts) followed by the 128-bit ones, in a state file of its own with the same
// header scheme under another magic. No kernel counterpart: ip_vs_conn_tab holds both families
// and lives in the kernel.
//
//   CONN_COLUMNS ...            the folds in caddr/vaddr/daddr/laddr/svcAddr, ports, state, timers
//   caddr6 vaddr6 daddr6 laddr6 the four addresses, 16 bytes per entry (u128)
//   svcAddr6                    the bound service's address, to find the IPv6 service again
//
// hopIn / hopOut (the transmitter's next hops) are not persisted: they index this process's own
// neighbour table (xmit6.ts), so a restored entry starts with 0 and resolves on its first packet.
//
// Its own file rather than sections in the IPv4 one: the IPv4 file keeps its layout and version,
// so a build that adds IPv6 persistence still attaches the IPv4 connections of one that had none,
// an IPv4-only director maps nothing more, and each file keeps its own flock and capacity check.
// Its version carries the IPv4 one: a change of meaning of a shared column re-lays both files.

import { CONN_COLUMNS, CONN_LAYOUT_VERSION, type ConnColumn, type LayoutSpec } from './conn-layout.ts';

/** Bump on any change of the IPv6-only columns or of their meaning. */
export const CONN6_OWN_VERSION = 1;

/** The 128-bit columns ConnTable6 keeps beside the IPv4 ones. */
export const CONN6_WIDE_COLUMNS: readonly ConnColumn[] = [
  { name: 'caddr6', type: 'u128' },
  { name: 'vaddr6', type: 'u128' },
  { name: 'daddr6', type: 'u128' },
  { name: 'laddr6', type: 'u128' },
  { name: 'svcAddr6', type: 'u128' },
];

export const CONN6_COLUMNS: readonly ConnColumn[] = [...CONN_COLUMNS, ...CONN6_WIDE_COLUMNS];

/** The IPv6 table's file: magic TSVSCON6, version (IPv4 layout version << 8) | own version. */
export const CONN6_SPEC: LayoutSpec = {
  magic: 'TSVSCON6',
  version: ((CONN_LAYOUT_VERSION << 8) | CONN6_OWN_VERSION) >>> 0,
  columns: CONN6_COLUMNS,
};
