// Drop reasons: the data plane never throws; it returns a verdict and counts one of these.

export const DROP_NONE = 0;
export const DROP_SHORT_FRAME = 1; // shorter than its headers claim
export const DROP_BAD_ETHERTYPE = 2; // not a protocol we handle and not to be passed
export const DROP_BAD_IP_VERSION = 3;
export const DROP_BAD_IP_HEADER = 4; // IHL < 5, total length out of bounds, ...
export const DROP_BAD_IP_CHECKSUM = 5;
export const DROP_BAD_L4_HEADER = 6; // TCP data offset < 5, truncated UDP/ICMP header, ...
export const DROP_FRAGMENT = 7; // non-first fragment with no connection context
export const DROP_TTL_EXCEEDED = 8;
export const DROP_NO_SERVICE = 9; // to an owned address, no matching virtual service
export const DROP_NO_DEST = 10; // scheduler found no available real server
export const DROP_NOT_SYN = 11; // TCP without SYN and no connection (only a SYN creates one)
export const DROP_CONN_TABLE_FULL = 12;
export const DROP_PORTS_EXHAUSTED = 13; // full NAT local port pool empty
export const DROP_NO_ROUTE = 14;
export const DROP_NEIGH_UNRESOLVED = 15; // next hop ARP pending queue full or failed
export const DROP_ICMP_UNRELATED = 16; // ICMP error about no known connection
export const DROP_TX_FULL = 17;
export const DROP_BAD_ARP = 18;
export const DROP_NOT_FOR_US = 19;
export const DROP_DEST_QUIESCED = 20; // packet for a conn whose dest was removed (expire_nodest_conn)
export const DROP_DEFENSE_PACKET = 21; // new-connection packet dropped by drop_packet (ip_vs_todrop)
export const DROP_SYNPROXY_BAD_COOKIE = 22; // SYN proxy: an ACK for no connection whose cookie does not check
export const DROP_SYNPROXY_PENDING = 23; // SYN proxy: a client segment while the real server's SYN-ACK is awaited
export const DROP_SYNPROXY_BAD_RST = 24; // SYN proxy: a client RST outside the window (RFC 5961 3.2)
export const DROP_FRAG_NEEDED = 25; // too big for the tunnel: ICMP frag needed / ICMPv6 packet too big sent back
export const DROP_TUNNEL_GSO = 26; // GSO superpacket toward a tunnel: no virtio GSO type for IPIP/GUE
export const DROP_BAD_IPV6_EXTHDR = 27; // IPv6 extension header chain not walked: unknown kind, too many, misplaced
export const DROP_TUNNEL_FAMILY = 28; // unused: TUN crosses families (tunnel-4in6.ts, -6in4.ts); slot kept
export const DROP_COUNT = 29;

export const DROP_NAMES: readonly string[] = [
  'none',
  'short_frame',
  'bad_ethertype',
  'bad_ip_version',
  'bad_ip_header',
  'bad_ip_checksum',
  'bad_l4_header',
  'fragment',
  'ttl_exceeded',
  'no_service',
  'no_dest',
  'not_syn',
  'conn_table_full',
  'ports_exhausted',
  'no_route',
  'neigh_unresolved',
  'icmp_unrelated',
  'tx_full',
  'bad_arp',
  'not_for_us',
  'dest_quiesced',
  'defense_drop_packet',
  'synproxy_bad_cookie',
  'synproxy_pending',
  'synproxy_bad_rst',
  'frag_needed',
  'tunnel_gso',
  'bad_ipv6_exthdr',
  'tunnel_family',
];

/** Per-reason drop counters, one Float64Array so counting never allocates. */
export class DropCounters {
  readonly counts = new Float64Array(DROP_COUNT);

  count(reason: number): void {
    this.counts[reason] = (this.counts[reason] ?? 0) + 1;
  }

  get(reason: number): number {
    return this.counts[reason] ?? 0;
  }

  total(): number {
    let t = 0;
    for (let i = 1; i < DROP_COUNT; i++) t += this.counts[i] ?? 0;
    return t;
  }

  toRecord(): Record<string, number> {
    const r: Record<string, number> = {};
    for (let i = 1; i < DROP_COUNT; i++) r[DROP_NAMES[i] ?? String(i)] = this.counts[i] ?? 0;
    return r;
  }
}
