/* ring.h: AF_PACKET sockets with TPACKET_V2/V3 RX rings mapped into one region, batched
 * receive and batched sendmmsg transmit (the userspace side of net/packet/af_packet.c).
 * Plain C, no N-API: addon*.c is the glue.
 *
 * One region of virtual memory holds everything JS can see, so one Buffer covers it and every
 * frame is addressed by one offset, whatever port it came from or goes to:
 *
 *   region (one external Buffer, page-aligned parts)
 *   +------------------+------------------+-----+--------------------------+----------------+
 *   | port 0 RX ring   | port 1 RX ring   | ... | big slots (V2 only)      | TX staging     |
 *   | mmap(fd0,FIXED)  | mmap(fd1,FIXED)  |     | frames too big for a slot| caller frames  |
 *   +------------------+------------------+-----+--------------------------+----------------+
 *
 * V2 ring: fixed frame slots, each with its own status word, so the socket turns readable per
 * frame (low latency). A frame bigger than a slot (a GSO superpacket) lands truncated with
 * TP_STATUS_COPY, and the kernel queues the whole skb on the socket (PACKET_COPY_THRESH); we
 * read it with recv() into a big slot, keeping ring order. V3 ring: variable-size frames packed
 * in blocks that the kernel hands over when full or after tp_retire_blk_tov ms.
 *
 * V2 jumbo ring: a second RX socket per port whose slots hold a whole 64 KiB GSO superpacket (the
 * frames GRO or a TSO sender makes). A classic BPF filter on each socket splits the traffic by
 * length: frames that fit a ring slot go to the first socket, longer ones to the jumbo ring, so a
 * superpacket is copied once, by the kernel into the ring, instead of a truncated copy plus a clone
 * queued on the socket and a recv() copy (and its system call) per superpacket. The small slots
 * keep the ring deep in frames for small-frame floods. Collect merges the two rings by their
 * receive timestamps (tp_sec, tp_nsec), so a flow's frames keep their order across them. Frames
 * longer than a jumbo slot (BIG TCP) still take the big-slot path of that socket.
 *
 * Every received frame has a 10-byte struct virtio_net_hdr just before it (PACKET_VNET_HDR); a
 * frame queued for sending has room for one there, sent along when it asks for something.
 *
 * Transmit uses three more sockets per port, none of which receives or is polled (tx.c). Plain
 * frames and NEEDS_CSUM frames go out through two with PACKET_QDISC_BYPASS (dev_direct_xmit), the
 * first without a vnet header, the second with one. GSO frames go out through one without bypass:
 * dev_direct_xmit drops any skb that validate_xmit_skb() had to replace, and that is every GSO
 * frame on a device without TSO, where the kernel must segment it in software. Runs of each kind
 * are sent in queue order, so a flow's frames keep their order.
 */
#ifndef TSVS_RING_H
#define TSVS_RING_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define TSVS_MAX_PORTS 16
#define TSVS_VNET_LEN 10
/* Bytes before each RX frame's vnet header that belong to the frame (PACKET_RESERVE in the rings,
 * an offset in the big slots): the pipeline grows a frame at its front there to encapsulate it
 * (LVS-TUN), as RX_HEADROOM in src/datapath/packet-io.ts promises. */
#define TSVS_RX_HEADROOM 80

/* Per-frame flags, as src/datapath/packet-io.ts RXF_*. */
#define TSVS_RXF_CSUM_PARTIAL 0x01
#define TSVS_RXF_VNET_HDR 0x02
#define TSVS_RXF_GSO 0x04
#define TSVS_RXF_CSUM_VALID 0x08

struct tsvs_opts {
  int version;           /* 2 = TPACKET_V2 (default), 3 = TPACKET_V3 */
  uint32_t ring_bytes;   /* RX ring per port */
  uint32_t frame_bytes;  /* V2 slot size; 0 = smallest power of two that holds an MTU frame */
  uint32_t block_bytes;  /* V3 block size */
  uint32_t block_tov_ms; /* V3 tp_retire_blk_tov */
  uint32_t big_slots;    /* V2: slots for frames that do not fit a ring slot */
  uint32_t jumbo_slots;  /* V2: slots of each port's jumbo ring (0 = none: superpackets take the big slots) */
  uint32_t stage_bytes;  /* TX staging for frames queued from caller memory */
  uint32_t tx_cap;       /* messages per sendmmsg */
  int sock_buf_bytes;    /* SO_RCVBUF(FORCE)/SO_SNDBUF(FORCE) */
};

struct tsvs_port_stats {
  uint64_t rx_frames, rx_bytes, rx_big, rx_trunc, rx_outgoing;
  uint64_t rx_jumbo;
  uint64_t tx_frames, tx_bytes, tx_errors, tx_gso, last_tx_errno;
  uint64_t k_packets, k_drops, k_freeze; /* PACKET_STATISTICS, accumulated */
  uint64_t sock_errors, last_sock_errno;  /* errors reported on the RX socket (sk_err: ENETDOWN, ENODEV) */
  uint64_t reattaches;                    /* times the port was re-opened on a returned interface */
};

/* A port's V2 jumbo ring (fd -1 when it has none): its own RX socket, ring and read position. */
struct tsvs_jumbo {
  int fd;
  size_t ring_off, ring_len;
  uint32_t frame_size, frame_nr;
  uint32_t head, tail, held; /* as in struct tsvs_port */
  uint32_t min_len;          /* frames of at least this length (Ethernet header on) come here */
};

struct tsvs_port {
  int fd;       /* RX: the ring, polled by the event loop */
  int plain_fd; /* TX with PACKET_QDISC_BYPASS, no vnet header */
  int tx_fd;    /* TX with PACKET_QDISC_BYPASS and a vnet header (NEEDS_CSUM frames) */
  int gso_fd;   /* TX of GSO frames, through the qdisc layer (software segmentation possible) */
  int ifindex;
  int mtu;
  uint8_t mac[6];
  char name[IF_NAMESIZE];
  size_t ring_off, ring_len;
  uint32_t frame_size, frame_nr; /* V2 */
  uint32_t block_size, block_nr;
  uint32_t head;    /* V2: next frame to read; V3: block being read */
  uint32_t tail;    /* first frame/block not yet given back to the kernel */
  uint32_t held;    /* frames/blocks read and not yet given back */
  uint32_t v3_next; /* V3: offset of the next frame in the head block */
  uint32_t v3_left; /* V3: frames left in the head block */
  int v3_open;      /* V3: the head block is being read */
  struct mmsghdr *msgs;
  struct iovec *iov;
  struct tsvs_jumbo jumbo;
  uint8_t *cls; /* per queued message: TSVS_TX_PLAIN, TSVS_TX_CSUM or TSVS_TX_GSO (layout.h) */
  uint32_t ntx;
  struct tsvs_port_stats st;
};

struct tsvs_io {
  int version;
  uint8_t *region;
  size_t region_len;
  uint32_t nports;
  struct tsvs_port port[TSVS_MAX_PORTS];
  size_t big_off;
  uint32_t big_slot, big_nslots, big_used;
  size_t stage_off, stage_len;
  uint32_t rr;
  uint32_t tx_cap;
  struct tsvs_opts opts; /* as opened: a re-attached port gets the same socket options */
};

void tsvs_opts_default(struct tsvs_opts *o);

/* Interface facts by name (works unprivileged). 0 or -errno. */
int tsvs_if_info(const char *name, int *ifindex, uint8_t mac[6], int *mtu);

/* Sets err[] to "what on ifname: <strerror(errno)>" and returns -errno: how a failed step of
 * opening a port reports itself (ring.c, port-socket.c). */
int tsvs_fail(char *err, size_t errlen, const char *what, const char *ifname);

/* Opens one socket per interface and maps the region. 0, or -errno with err[] saying which step;
 * on failure every socket, TX queue and mapping taken so far is released. */
int tsvs_io_open(struct tsvs_io *io, const char *const *names, uint32_t n, const struct tsvs_opts *o,
                 char *err, size_t errlen);

/* The sockets of port p (RX with its ring geometry already in p, and the three TX sockets), not
 * yet mapped nor bound (port-socket.c). 0, or -errno with err[] saying which step; p's fds that were
 * opened stay in p for the caller to close. */
int tsvs_port_socket(struct tsvs_io *io, struct tsvs_port *p, const struct tsvs_opts *o, char *err, size_t errlen);

/* Maps the ring of port p's socket fd (len bytes) at region offset off (MAP_FIXED: over whatever
 * was there, an old ring included). 0, or -errno with err[] set. */
int tsvs_ring_map(struct tsvs_io *io, struct tsvs_port *p, int fd, size_t off, size_t len, char *err, size_t errlen);
/* Binds the RX socket fd to every frame of p's interface. 0, or -errno with err[] set. */
int tsvs_ring_bind(struct tsvs_port *p, int fd, char *err, size_t errlen);

/* Re-opens port i on the interface that now holds its name (a deleted interface that returned,
 * with a new ifindex and maybe a new MAC): new sockets with the same ring geometry, the ring mapped
 * over the old one at the same place in the region, the new fds dup2'ed onto the old numbers (so
 * the event loop's handles stay valid), the ring's read position reset. Must not run while
 * frames of the port are held (between collect and release). 0, or -errno with err[] set and the
 * port unchanged (reattach.c). */
int tsvs_port_reopen(struct tsvs_io *io, uint32_t i, char *err, size_t errlen);

/* Fills up to cap frames (region offsets of the Ethernet header) from all ports, round robin.
 * The frames stay ours until tsvs_io_release(). */
uint32_t tsvs_io_collect(struct tsvs_io *io, int32_t *off, int32_t *len, uint8_t *flags, uint8_t *port,
                         uint32_t cap);

/* Sends n queued frames (region offsets), one sendmmsg per port. Returns frames accepted. */
uint32_t tsvs_io_send(struct tsvs_io *io, const int32_t *off, const int32_t *len, const uint8_t *flags,
                      const uint8_t *port, uint32_t n);

/* Gives every collected frame/block back to the kernel. */
void tsvs_io_release(struct tsvs_io *io);
/* 1 when a ring has a frame (V2) or a block (V3) ready for us: a load per port, no syscall. */
int tsvs_io_ready(const struct tsvs_io *io);

/* Reads PACKET_STATISTICS into the accumulated counters. */
void tsvs_io_poll_stats(struct tsvs_io *io);

/* Closes the sockets and frees the TX queues; idempotent. The region stays mapped (JS may still
 * hold it) until tsvs_region_unmap(). */
void tsvs_io_close(struct tsvs_io *io);
void tsvs_region_unmap(uint8_t *region, size_t len);

#endif
