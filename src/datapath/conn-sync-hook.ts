// ConnSyncHook: what the packet paths tell connection sync (ip_vs_in_hook's ip_vs_sync_conn call
// in ip_vs_core.c, for both families): the connection of each forwarded inbound packet, after its
// in_pkts was counted. A master sync daemon (src/sync/sync-master.ts for IPv4 connections,
// sync-master6.ts for IPv6 ones) implements it; null in the pipelines when none runs. The data
// plane sits below the sync room, so the contract lives here and the daemon plugs it in.

/** Connection sync on a master: told after each forwarded inbound packet, never allocates. */
export interface ConnSyncHook {
  /** Connection `id` of the path's own connection table (IPv4 or IPv6) took an inbound packet at nowMs. */
  syncConn(id: number, nowMs: number): void;
}
