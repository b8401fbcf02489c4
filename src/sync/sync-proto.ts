// Constants of IPVS's connection sync protocol, version 1 (ip_vs_sync.c: struct ip_vs_sync_mesg,
// struct ip_vs_sync_v4/v6, IPVS_OPT_*; include/net/ip_vs.h: DEFAULT_SYNC_*, IPVS_SYNC_*), the
// sysctls that decide what is synced (ip_vs_ctl.c ip_vs_control_net_init_sysctl), and the tsvs
// extension option.

/** SYNC_PROTO_VER: the version byte of a v1 message header. */
export const SYNC_PROTO_VER = 1;
/** sizeof(struct ip_vs_sync_mesg). */
export const SYNC_MESG_HEADER_LEN = 8;
/** sizeof(struct ip_vs_sync_v4) and struct ip_vs_sync_v6. */
export const SYNC_V4_LEN = 36;
export const SYNC_V6_LEN = 72;
/** type byte: STYPE_INET6 (bit 0); STYPE_F_INET6 = 1 << STYPE_INET6. */
export const STYPE_F_INET6 = 0x01;
/** ver_size: bits 15..12 version (SVER_MASK 0xf000 >> SVER_SHIFT 12), bits 11..0 size (SVER_MASK 0x0fff). */
export const SVER_SHIFT = 12;
export const SVER_SIZE_MASK = 0x0fff;

/** Option TLV types (IPVS_OPT_*); IPVS_OPT_F_PARAM marks an optional one a receiver may skip. */
export const IPVS_OPT_SEQ_DATA = 1;
export const IPVS_OPT_PE_DATA = 2;
export const IPVS_OPT_PE_NAME = 3;
export const IPVS_OPT_F_PARAM = 0x40;
/** struct ip_vs_sync_conn_options: in_seq and out_seq, three be32 each. */
export const IPVS_OPT_SEQ_DATA_LEN = 24;
export const IP_VS_PEDATA_MAXLEN = 255;
export const IP_VS_PENAME_MAXLEN = 16;

/**
 * The tsvs extension: an optional parameter (IPVS_OPT_F_PARAM | 0x10 = 0x50) that
 * ip_vs_proc_sync_conn skips ("default: if (!(ptype & IPVS_OPT_F_PARAM)) ... p += plen"), so a
 * kernel backup keeps the rest of the entry. Data, 10 bytes: full NAT local address (be32), local
 * port (be16), TCP timestamp delta (be32, two's complement; src/nat/tcp-timestamp.ts).
 */
export const TSVS_OPT_FULLNAT = IPVS_OPT_F_PARAM | 0x10;
export const TSVS_OPT_FULLNAT_LEN = 10;
/**
 * Its IPv6 sibling, on struct ip_vs_sync_v6 entries (IPVS_OPT_F_PARAM | 0x11 = 0x51), skipped by a
 * kernel backup the same way. Data, 22 bytes: local address (in6_addr), local port (be16), TCP
 * timestamp delta (be32).
 */
export const TSVS_OPT_FULLNAT6 = IPVS_OPT_F_PARAM | 0x11;
export const TSVS_OPT_FULLNAT6_LEN = 22;

/** Header flags sent: cp->flags & ~IP_VS_CONN_F_HASHED; only the kernel's 16 bits leave tsvs. */
export const SYNC_FLAGS_SENT_MASK = 0xffff & ~0x0040;
/** IP_VS_CONN_F_BACKUP_MASK: what a backup keeps of the synced flags. */
export const CONN_F_BACKUP_MASK = 0x1f87;
/** IP_VS_CONN_F_BACKUP_UPD_MASK: what an update of an existing entry may change. */
export const CONN_F_BACKUP_UPD_MASK = 0x0700;
/** IP_VS_CONN_F_SEQ_MASK: in_seq/out_seq in use (a SEQ_DATA option follows). */
export const CONN_F_SEQ_MASK = 0x0600;

/** IP_VS_SYNC_GROUP 224.0.0.81, IP_VS_SYNC_PORT 8848, default TTL 1. */
export const DEFAULT_SYNC_GROUP = 0xe0000051;
export const DEFAULT_SYNC_PORT = 8848;
export const DEFAULT_SYNC_TTL = 1;
/** ipvsadm's default --mcast-interface. */
export const DEFAULT_MCAST_IFN = 'eth0';
/** IPv4 + UDP header bytes that sync_maxlen leaves out (start_sync_thread: hlen). */
export const SYNC_IPV4_UDP_HLEN = 28;
/** Master default: 1500 - hlen whatever the MTU; backup: clamp(MTU, 1500, 65535) - hlen. */
export const DEFAULT_SYNC_MAXLEN = 1500 - SYNC_IPV4_UDP_HLEN;
export const MAX_SYNC_MAXLEN = 65535 - SYNC_IPV4_UDP_HLEN;
/** Backup minimum (start_sync_thread clamps a given backup maxlen to >= 1024). */
export const MIN_BACKUP_MAXLEN = 1024;

/**
 * The kernel sends a partly filled buffer once it is IPVS_SYNC_FLUSH_TIME (2 s) old, checked every
 * IPVS_SYNC_CHECK_PERIOD (1 s) by its idle master thread, so an entry may wait up to 3 s, and a
 * connection synced in that window is lost when the master dies in it. tsvs sends a partly filled
 * message once it is this old, from a timer armed when the message gets its first entry (no
 * periodic check): the kernel's own delay for a queued full buffer (IPVS_SYNC_SEND_DELAY), so an
 * entry reaches the backup about as soon as if its buffer had filled. Under load messages fill
 * first (1,000 new connections/s fill one every 13 ms); at low rates it costs at most 50 small
 * messages a second.
 */
export const SYNC_FLUSH_TIME_MS = 20;
/** IPVS_SYNC_SEND_DELAY (HZ / 50): the master wakes this long after the first queued buffer. */
export const SYNC_SEND_DELAY_MS = 20;
/** IPVS_SYNC_WAKEUP_RATE: ... or at once when this many are queued. */
export const SYNC_WAKEUP_RATE = 8;

/** The sysctls that decide which connections are synced and how often (kernel defaults). */
export interface SyncSysctls {
  /** sync_threshold's first value: sync at this in_pkts. */
  threshold: number;
  /** sync_threshold's second value (sync_period): and every period packets after. */
  period: number;
  /** sync_refresh_period (ms; the kernel's is in s, default 0 = off). */
  refreshPeriodMs: number;
  /** sync_retries 0..3. */
  retries: number;
  /** sync_persist_mode: connections controlled by a template are not synced. */
  persistMode: boolean;
  /** sync_qlen_max: buffers queued before more are dropped. */
  qlenMax: number;
}

export function defaultSyncSysctls(): SyncSysctls {
  return { threshold: 3, period: 50, refreshPeriodMs: 0, retries: 0, persistMode: false, qlenMax: 1024 };
}
