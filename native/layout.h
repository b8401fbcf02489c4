/* layout.h: the arithmetic of the rings, the region and the TX queues, with no system call in it:
 * ring geometry and region layout (layout.c, at open), slot indexes and offsets (rx.c), the checks
 * a frame passes before it is read or queued (rx.c, tx.c). Apart so that native/test/harness.c can
 * check it without root or sockets. The per-frame helpers are inline: the RX and TX loops call them
 * for every frame. */
#ifndef TSVS_LAYOUT_H
#define TSVS_LAYOUT_H

#include <linux/if_ether.h>
#include <linux/virtio_net.h>
#include <string.h>

#include "ring.h"

#define TSVS_PAGE 4096u
/* A big slot holds a 64 KiB GSO frame with its Ethernet and vnet headers, in whole pages. */
#define TSVS_BIG_SLOT (65536u + 4096u)

/* How a queued frame is sent (tx.c): the socket it goes through. */
#define TSVS_TX_PLAIN 0 /* no vnet header, or one with nothing in it: plain_fd */
#define TSVS_TX_CSUM 1  /* NEEDS_CSUM, not GSO: tx_fd */
#define TSVS_TX_GSO 2   /* a GSO superpacket: gso_fd */

/* Fills p's ring geometry (frame_size, frame_nr, block_size, block_nr, ring_len) for a ring of
 * the given TPACKET version (2 or 3) from the options and p->mtu. */
void tsvs_ring_geometry(struct tsvs_port *p, int version, const struct tsvs_opts *o);

/* Fills p's jumbo ring geometry (none for V3, with jumbo_slots 0, or when p's slots already hold a
 * superpacket); p->frame_size must be set. */
void tsvs_jumbo_geometry(struct tsvs_port *p, int version, const struct tsvs_opts *o);

/* Places the rings of io->port[0, nports) (their ring_len set), then the big slots (V2) and the
 * TX staging area, each page-aligned, in one region: sets every ring_off, big_*, stage_* and
 * region_len. */
void tsvs_region_layout(struct tsvs_io *io, const struct tsvs_opts *o);

/* The slot after i in a ring of nr slots (V2 frames, V3 blocks): the ring wraps to 0. */
static inline uint32_t tsvs_ring_next(uint32_t i, uint32_t nr) { return i + 1 == nr ? 0 : i + 1; }

/* Region offset of V2 frame slot i of p. */
static inline size_t tsvs_v2_frame_off(const struct tsvs_port *p, uint32_t i) {
  return p->ring_off + (size_t)i * p->frame_size;
}

/* Region offset of V3 block i of p. */
static inline size_t tsvs_v3_block_off(const struct tsvs_port *p, uint32_t i) {
  return p->ring_off + (size_t)i * p->block_size;
}

/* Region offset of jumbo slot i of p. */
static inline size_t tsvs_jumbo_frame_off(const struct tsvs_port *p, uint32_t i) {
  return p->jumbo.ring_off + (size_t)i * p->jumbo.frame_size;
}

/* Region offset of big slot k. */
static inline size_t tsvs_big_slot_off(const struct tsvs_io *io, uint32_t k) {
  return io->big_off + (size_t)k * io->big_slot;
}

/* 1 when a frame read from the socket (r bytes, vnet header included, as recv() with MSG_TRUNC
 * reports it) fits a big slot and holds at least a vnet and an Ethernet header. A longer frame was
 * cut short by recv() and is refused. */
static inline int tsvs_big_len_ok(long r, uint32_t big_slot) {
  return r >= TSVS_VNET_LEN + ETH_HLEN && (unsigned long)r <= big_slot;
}

/* 1 when a ring frame is whole (the slot held all of it) and has room for the vnet header before
 * its Ethernet header. */
static inline int tsvs_ring_frame_ok(uint32_t snaplen, uint32_t len, uint32_t mac) {
  return snaplen >= len && mac >= TSVS_VNET_LEN;
}

/* 1 when the frame at region offset off, len bytes, may be queued for TX: at least an Ethernet
 * header, room for a vnet header before it, and all of it inside the region. */
static inline int tsvs_tx_frame_ok(size_t region_len, int32_t off, int32_t len) {
  return len >= ETH_HLEN && off >= TSVS_VNET_LEN && (size_t)off + (size_t)len <= region_len;
}

/* The socket class of a queued frame: from its virtio_net_hdr (flags, gso_type: the vnet bytes
 * before the frame) when it has one (TSVS_RXF_VNET_HDR), else plain. */
static inline uint8_t tsvs_tx_class(uint8_t flags, const uint8_t *vnet) {
  if (!(flags & TSVS_RXF_VNET_HDR)) return TSVS_TX_PLAIN;
  if ((vnet[1] & ~VIRTIO_NET_HDR_GSO_ECN) != VIRTIO_NET_HDR_GSO_NONE) return TSVS_TX_GSO;
  return (vnet[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM) ? TSVS_TX_CSUM : TSVS_TX_PLAIN;
}

/* Appends a message for len bytes at base, class c, to p's TX queue of cap entries: 1, or 0 when
 * the queue is full (the caller sends it, then appends). */
static inline int tsvs_tx_push(struct tsvs_port *p, uint32_t cap, uint8_t *base, size_t len, uint8_t c) {
  struct mmsghdr *m;
  struct iovec *v;
  if (p->ntx >= cap) return 0;
  m = &p->msgs[p->ntx];
  v = &p->iov[p->ntx];
  memset(&m->msg_hdr, 0, sizeof m->msg_hdr);
  m->msg_hdr.msg_iov = v;
  m->msg_hdr.msg_iovlen = 1;
  v->iov_base = base;
  v->iov_len = len;
  p->cls[p->ntx] = c;
  p->ntx++;
  return 1;
}

#endif
