/* rx.c: reading the RX rings (TPACKET_V2 frames, TPACKET_V3 blocks) into batch arrays and giving
 * the slots back; the reader side of tpacket_rcv() in net/packet/af_packet.c. */
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <sys/socket.h>

#include "layout.h"
#include "ring.h"

#ifndef TP_STATUS_GSO_TCP
#define TP_STATUS_GSO_TCP (1 << 8)
#endif

static uint8_t vnet_flags(const uint8_t *v) {
  uint8_t f = TSVS_RXF_VNET_HDR;
  if (v[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM) f |= TSVS_RXF_CSUM_PARTIAL;
  if (v[0] & VIRTIO_NET_HDR_F_DATA_VALID) f |= TSVS_RXF_CSUM_VALID;
  if ((v[1] & ~VIRTIO_NET_HDR_GSO_ECN) != VIRTIO_NET_HDR_GSO_NONE) f |= TSVS_RXF_GSO;
  return f;
}

static uint8_t status_flags(uint32_t st) {
  uint8_t f = 0;
  if (st & TP_STATUS_CSUMNOTREADY) f |= TSVS_RXF_CSUM_PARTIAL;
  if (st & TP_STATUS_CSUM_VALID) f |= TSVS_RXF_CSUM_VALID;
  if (st & TP_STATUS_GSO_TCP) f |= TSVS_RXF_GSO;
  return f;
}

/* A TP_STATUS_COPY frame: the whole skb waits on the socket fd's queue, in ring order. */
static int read_big(struct tsvs_io *io, struct tsvs_port *p, int fd, int32_t *off, int32_t *len, uint8_t *flags) {
  size_t so = tsvs_big_slot_off(io, io->big_used) + TSVS_RX_HEADROOM;
  uint8_t *slot = io->region + so;
  ssize_t r = recv(fd, slot, io->big_slot - TSVS_RX_HEADROOM, MSG_DONTWAIT | MSG_TRUNC);
  io->big_used++;
  if (!tsvs_big_len_ok(r, io->big_slot - TSVS_RX_HEADROOM)) {
    p->st.rx_trunc++;
    return 0;
  }
  *off = (int32_t)(so + TSVS_VNET_LEN);
  *len = (int32_t)(r - TSVS_VNET_LEN);
  *flags = vnet_flags(slot);
  p->st.rx_big++;
  return 1;
}

/* The header at the read position of p's ring (jumbo 0) or of its jumbo ring (jumbo 1). */
static const struct tpacket2_hdr *v2_head(const struct tsvs_io *io, const struct tsvs_port *p, int jumbo) {
  return (const struct tpacket2_hdr *)(io->region +
                                 (jumbo ? tsvs_jumbo_frame_off(p, p->jumbo.head) : tsvs_v2_frame_off(p, p->head)));
}

/* 1 when that ring has a frame for us at its read position (never for a port without a jumbo ring:
 * its frame_nr is 0). The acquire load orders every later read of the ring after it. */
static int v2_ready(const struct tsvs_io *io, const struct tsvs_port *p, int jumbo) {
  if (jumbo ? p->jumbo.held >= p->jumbo.frame_nr : p->held >= p->frame_nr) return 0;
  return (__atomic_load_n(&v2_head(io, p, jumbo)->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) != 0;
}

/* Which ring's head frame comes first: the jumbo ring's when it came in strictly before the other
 * (tpacket_rcv stamps every frame as it lands; both sockets see one skb before the next). */
static int v2_pick(const struct tsvs_io *io, const struct tsvs_port *p) {
  const struct tpacket2_hdr *j, *s;
  /* The jumbo ring first: a frame the kernel put in the ring before a ready jumbo frame is then
   * seen ready too (it set that status first, with release semantics; we load it after). */
  if (!v2_ready(io, p, 1)) return v2_ready(io, p, 0) ? 0 : -1;
  if (!v2_ready(io, p, 0)) return 1;
  j = v2_head(io, p, 1);
  s = v2_head(io, p, 0);
  return j->tp_sec < s->tp_sec || (j->tp_sec == s->tp_sec && j->tp_nsec < s->tp_nsec);
}

static uint32_t collect_v2(struct tsvs_io *io, struct tsvs_port *p, uint8_t pi, int32_t *off, int32_t *len,
                           uint8_t *flags, uint8_t *port, uint32_t n, uint32_t cap) {
  while (n < cap) {
    int jumbo = v2_pick(io, p);
    const struct tpacket2_hdr *h;
    const struct sockaddr_ll *sll;
    uint32_t st;
    int ok = 0;
    if (jumbo < 0) break;
    h = v2_head(io, p, jumbo);
    st = h->tp_status;
    sll = (const struct sockaddr_ll *)((const uint8_t *)h + TPACKET_ALIGN(sizeof(struct tpacket2_hdr)));
    if (st & TP_STATUS_COPY) {
      if (io->big_used >= io->big_nslots) break; /* no big slot left: next batch */
      ok = read_big(io, p, jumbo ? p->jumbo.fd : p->fd, &off[n], &len[n], &flags[n]);
    } else if (!tsvs_ring_frame_ok(h->tp_snaplen, h->tp_len, h->tp_mac)) {
      p->st.rx_trunc++; /* bigger than a slot and no room to copy it (SO_RCVBUF full) */
    } else {
      size_t fo = (size_t)((const uint8_t *)h - io->region);
      off[n] = (int32_t)(fo + h->tp_mac);
      len[n] = (int32_t)h->tp_snaplen;
      flags[n] = (uint8_t)(vnet_flags(io->region + fo + h->tp_mac - TSVS_VNET_LEN) | status_flags(st));
      if (jumbo) p->st.rx_jumbo++;
      ok = 1;
    }
    if (ok && sll->sll_pkttype == PACKET_OUTGOING) {
      p->st.rx_outgoing++;
      ok = 0;
    }
    if (ok) {
      port[n] = pi;
      p->st.rx_frames++;
      p->st.rx_bytes += (uint32_t)len[n];
      n++;
    }
    if (jumbo) {
      p->jumbo.head = tsvs_ring_next(p->jumbo.head, p->jumbo.frame_nr);
      p->jumbo.held++;
    } else {
      p->head = tsvs_ring_next(p->head, p->frame_nr);
      p->held++;
    }
  }
  return n;
}

static void v3_finish_block(struct tsvs_port *p) {
  p->v3_open = 0;
  p->head = tsvs_ring_next(p->head, p->block_nr);
  p->held++;
}

static uint32_t collect_v3(struct tsvs_io *io, struct tsvs_port *p, uint8_t pi, int32_t *off, int32_t *len,
                           uint8_t *flags, uint8_t *port, uint32_t n, uint32_t cap) {
  while (n < cap) {
    size_t bo = tsvs_v3_block_off(p, p->head);
    struct tpacket_block_desc *bd = (struct tpacket_block_desc *)(io->region + bo);
    struct tpacket3_hdr *h;
    const struct sockaddr_ll *sll;
    if (!p->v3_open) {
      if (p->held >= p->block_nr) break;
      if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) break;
      p->v3_open = 1;
      p->v3_left = bd->hdr.bh1.num_pkts;
      p->v3_next = bd->hdr.bh1.offset_to_first_pkt;
    }
    if (p->v3_left == 0) {
      v3_finish_block(p);
      continue;
    }
    h = (struct tpacket3_hdr *)(io->region + bo + p->v3_next);
    sll = (const struct sockaddr_ll *)((uint8_t *)h + TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));
    if (!tsvs_ring_frame_ok(h->tp_snaplen, h->tp_len, h->tp_mac)) {
      p->st.rx_trunc++;
    } else if (sll->sll_pkttype == PACKET_OUTGOING) {
      p->st.rx_outgoing++;
    } else {
      size_t fo = bo + p->v3_next + h->tp_mac;
      off[n] = (int32_t)fo;
      len[n] = (int32_t)h->tp_snaplen;
      flags[n] = (uint8_t)(vnet_flags(io->region + fo - TSVS_VNET_LEN) | status_flags(h->tp_status));
      port[n] = pi;
      p->st.rx_frames++;
      p->st.rx_bytes += h->tp_snaplen;
      n++;
    }
    p->v3_next += h->tp_next_offset;
    if (--p->v3_left == 0) v3_finish_block(p);
  }
  return n;
}

uint32_t tsvs_io_collect(struct tsvs_io *io, int32_t *off, int32_t *len, uint8_t *flags, uint8_t *port, uint32_t cap) {
  uint32_t n = 0, k;
  uint32_t start = io->rr++ % io->nports;
  for (k = 0; k < io->nports && n < cap; k++) {
    uint32_t pi = (start + k) % io->nports;
    struct tsvs_port *p = &io->port[pi];
    if (p->fd < 0) continue;
    n = io->version == 3 ? collect_v3(io, p, (uint8_t)pi, off, len, flags, port, n, cap)
                         : collect_v2(io, p, (uint8_t)pi, off, len, flags, port, n, cap);
  }
  return n;
}

int tsvs_io_ready(const struct tsvs_io *io) {
  uint32_t i;
  for (i = 0; i < io->nports; i++) {
    const struct tsvs_port *p = &io->port[i];
    if (p->fd < 0) continue;
    if (io->version == 3) {
      const struct tpacket_block_desc *bd;
      if (p->v3_open) return 1;
      bd = (const struct tpacket_block_desc *)(io->region + tsvs_v3_block_off(p, p->head));
      if (p->held < p->block_nr && (__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
        return 1;
    } else if (v2_ready(io, p, 0) || v2_ready(io, p, 1)) {
      return 1;
    }
  }
  return 0;
}

void tsvs_io_release(struct tsvs_io *io) {
  uint32_t i;
  for (i = 0; i < io->nports; i++) {
    struct tsvs_port *p = &io->port[i];
    while (p->held) {
      if (io->version == 3) {
        struct tpacket_block_desc *bd = (struct tpacket_block_desc *)(io->region + tsvs_v3_block_off(p, p->tail));
        __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
        p->tail = tsvs_ring_next(p->tail, p->block_nr);
      } else {
        struct tpacket2_hdr *h = (struct tpacket2_hdr *)(io->region + tsvs_v2_frame_off(p, p->tail));
        __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
        p->tail = tsvs_ring_next(p->tail, p->frame_nr);
      }
      p->held--;
    }
    while (p->jumbo.held) {
      struct tpacket2_hdr *h = (struct tpacket2_hdr *)(io->region + tsvs_jumbo_frame_off(p, p->jumbo.tail));
      __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
      p->jumbo.tail = tsvs_ring_next(p->jumbo.tail, p->jumbo.frame_nr);
      p->jumbo.held--;
    }
  }
  io->big_used = 0;
}

