// The decoded forms of a sync message's header (struct ip_vs_sync_mesg) and of one connection
// entry (struct ip_vs_sync_v4 / ip_vs_sync_v6 with its options, ip_vs_sync.c), which the reader
// of sync-codec.ts fills: one instance of each per backup, reused for every message.

/** One decoded entry. Addresses uint32 host order (IPv6: their folds, and the four words in *6), ports numbers. */
export class SyncEntry {
  /** Offset of the next entry (start + length rounded up to 4). */
  next = 0;
  /** type & STYPE_F_INET6: a struct ip_vs_sync_v6. */
  inet6 = false;
  protocol = 0;
  flags = 0;
  state = 0;
  cport = 0;
  vport = 0;
  dport = 0;
  fwmark = 0;
  timeoutSec = 0;
  /** IPv4: the addresses. IPv6: the folds w0 ^ w1 ^ w2 ^ w3 of caddr6 / vaddr6 / daddr6 (conn-table6.ts). */
  caddr = 0;
  vaddr = 0;
  daddr = 0;
  /** IPv6 entries: the in6_addr fields as four host-order words each (src/lib/inet6.ts). */
  readonly caddr6 = new Uint32Array(4);
  readonly vaddr6 = new Uint32Array(4);
  readonly daddr6 = new Uint32Array(4);
  /** IPVS_OPT_SEQ_DATA: in_seq then out_seq, {init_seq, delta, previous_delta} each. */
  hasSeq = false;
  readonly seq = new Uint32Array(6);
  peDataLen = 0;
  peNameLen = 0;
  /** TSVS_OPT_FULLNAT (IPv4: laddr) or TSVS_OPT_FULLNAT6 (IPv6: laddr6, laddr its fold). */
  hasFullNat = false;
  laddr = 0;
  readonly laddr6 = new Uint32Array(4);
  lport = 0;
  tsDelta = 0;
}

/** The fields of a message header. */
export class SyncHeader {
  syncid = 0;
  size = 0;
  nrConns = 0;
  /** True for a v1 header (version 1, reserved 0, spare 0); else the message is v0. */
  v1 = false;
}
