/* layout.c: default options, ring geometry and the region's layout (see ring.h), computed at
 * open; no system call. */
#include "layout.h"

#include <linux/if_packet.h>

/* tpacket_rcv: netoff = TPACKET_ALIGN(tp_hdrlen + 16) + tp_reserve + vnet; macoff = netoff - 14. */
#define V2_MACOFF (TPACKET_ALIGN(TPACKET2_HDRLEN + 16) + TSVS_RX_HEADROOM + TSVS_VNET_LEN - ETH_HLEN)

static size_t page_up(size_t n) { return (n + TSVS_PAGE - 1) & ~(size_t)(TSVS_PAGE - 1); }

static uint32_t pow2_up(uint32_t n) {
  uint32_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

void tsvs_opts_default(struct tsvs_opts *o) {
  o->version = 2;
  o->ring_bytes = 16u << 20;
  o->frame_bytes = 0;
  o->block_bytes = 256u << 10;
  o->block_tov_ms = 1;
  o->big_slots = 64;
  o->jumbo_slots = 128; /* 8.5 MiB per port: ~5 ms of one TCP stream at 14 Gbit/s */
  o->stage_bytes = 1u << 20;
  o->tx_cap = 1024;
  o->sock_buf_bytes = 8 << 20;
}

void tsvs_ring_geometry(struct tsvs_port *p, int version, const struct tsvs_opts *o) {
  if (version == 3) {
    p->block_size = (uint32_t)page_up(o->block_bytes);
    p->block_nr = o->ring_bytes / p->block_size;
    if (p->block_nr < 2) p->block_nr = 2;
    p->frame_size = 2048; /* only checked by the kernel: frames are variable in V3 */
  } else {
    uint32_t need = V2_MACOFF + ETH_HLEN + 4 + (uint32_t)p->mtu;
    p->frame_size = o->frame_bytes ? o->frame_bytes : pow2_up(need < 2048 ? 2048 : need);
    p->block_size = p->frame_size < TSVS_PAGE ? TSVS_PAGE : p->frame_size;
    p->block_nr = o->ring_bytes / p->block_size;
    if (p->block_nr < 2) p->block_nr = 2;
    p->frame_nr = (p->block_size / p->frame_size) * p->block_nr;
  }
  p->ring_len = (size_t)p->block_size * p->block_nr;
  tsvs_jumbo_geometry(p, version, o);
}

void tsvs_jumbo_geometry(struct tsvs_port *p, int version, const struct tsvs_opts *o) {
  struct tsvs_jumbo *j = &p->jumbo;
  uint32_t size = (uint32_t)page_up(V2_MACOFF + ETH_HLEN + 4 + 65535u);
  j->frame_size = j->frame_nr = 0;
  j->ring_len = 0;
  j->min_len = 0;
  /* V3 frames are variable and take superpackets as they come; slots this big are no jumbo ring. */
  if (version == 3 || o->jumbo_slots == 0 || p->frame_size >= size) return;
  j->frame_size = size; /* a V2 block of one frame: a whole number of pages */
  j->frame_nr = o->jumbo_slots;
  j->ring_len = (size_t)size * j->frame_nr;
  j->min_len = p->frame_size - V2_MACOFF + 1; /* tpacket_rcv truncates frames longer than slot - macoff */
}

void tsvs_region_layout(struct tsvs_io *io, const struct tsvs_opts *o) {
  size_t off = 0;
  uint32_t i;
  for (i = 0; i < io->nports; i++) {
    io->port[i].ring_off = off;
    off += page_up(io->port[i].ring_len);
    io->port[i].jumbo.ring_off = off;
    off += page_up(io->port[i].jumbo.ring_len);
  }
  io->big_slot = TSVS_BIG_SLOT;
  io->big_nslots = io->version == 2 ? (o->big_slots ? o->big_slots : 1) : 0;
  io->big_off = off;
  off += (size_t)io->big_slot * io->big_nslots;
  io->stage_off = off;
  io->stage_len = page_up(o->stage_bytes ? o->stage_bytes : TSVS_PAGE);
  off += io->stage_len;
  io->region_len = off;
}
