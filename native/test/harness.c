/* harness.c: checks the arithmetic of the rings, the region and the TX queues, and rx.c/tx.c
 * running over a region in plain memory: no root, no AF_PACKET socket, no network. Built and run
 * by test/io/native-harness.test.ts, once with -Wall -Wextra -Werror and once with ASan/UBSan.
 *
 *   cc -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Inative native/test/harness.c \
 *      native/layout.c native/rx.c native/tx.c -o harness && ./harness
 *
 * Also state-map.c on a temporary file: contents kept across a reopen, a new size starting from
 * zeros, the lock refusing a second open.
 *
 * Prints "ok N - what" per check, "not ok N - what" for a failed one, and a last line
 * "harness: N checks, F failed"; exits 0 only when none failed. */
#include <errno.h>
#include <linux/if_packet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../layout.h"
#include "../ring.h"
#include "../state-map.h"

static unsigned checks, failed;

static void check(int ok, const char *fmt, ...) {
  va_list ap;
  checks++;
  if (!ok) failed++;
  printf("%s %u - ", ok ? "ok" : "not ok", checks);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
}

/* A check that holds for every item of a loop is reported once, with the first item it failed on. */
struct all {
  int ok;
  char why[160];
};

static void all_init(struct all *a) {
  a->ok = 1;
  a->why[0] = 0;
}

static void all_expect(struct all *a, int ok, const char *fmt, ...) {
  va_list ap;
  if (ok || !a->ok) return;
  a->ok = 0;
  va_start(ap, fmt);
  vsnprintf(a->why, sizeof a->why, fmt, ap);
  va_end(ap);
}

static void all_report(const struct all *a, const char *what) {
  if (a->ok) check(1, "%s", what);
  else check(0, "%s (first failure: %s)", what, a->why);
}

/* tpacket_rcv's mac offset in a V2 slot with a vnet header (as layout.c). */
#define V2_MACOFF (TPACKET_ALIGN(TPACKET2_HDRLEN + 16) + TSVS_RX_HEADROOM + TSVS_VNET_LEN - ETH_HLEN)

static void test_ring_next(void) {
  static const uint32_t sizes[] = {1, 2, 3, 7, 8, 4096, 8192};
  struct all a;
  size_t s;
  all_init(&a);
  for (s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    uint32_t nr = sizes[s], i = 0, step;
    for (step = 0; step < 3 * nr + 1; step++) {
      uint32_t next = tsvs_ring_next(i, nr);
      all_expect(&a, next == (i + 1) % nr, "nr %u: after %u came %u", nr, i, next);
      all_expect(&a, next < nr, "nr %u: index %u out of the ring", nr, next);
      i = next;
    }
    all_expect(&a, i == (3 * nr + 1) % nr, "nr %u: %u steps ended at %u", nr, 3 * nr + 1, i);
  }
  all_report(&a, "slot indexes wrap to 0 after the last slot, and never leave [0, nr)");
  check(tsvs_ring_next(4095, 4096) == 0 && tsvs_ring_next(0, 4096) == 1, "slot 4095 of 4096 is followed by 0, 0 by 1");
}

/* Opens nothing: ports with the given MTUs, their geometry and the region laid out as at open. */
static void lay_out(struct tsvs_io *io, int version, const struct tsvs_opts *o, const int *mtus, uint32_t n) {
  uint32_t i;
  memset(io, 0, sizeof *io);
  io->version = version;
  io->nports = n;
  io->tx_cap = o->tx_cap;
  for (i = 0; i < n; i++) {
    io->port[i].mtu = mtus[i];
    tsvs_ring_geometry(&io->port[i], version, o);
  }
  tsvs_region_layout(io, o);
}

/* Every slot of every ring, the big slots and the staging area lie inside the region, page-aligned
 * where the kernel maps them, and none overlaps another. */
static void check_layout(const struct tsvs_io *io, const struct tsvs_opts *o, const char *name) {
  struct all a;
  size_t end = 0;
  uint32_t i, k;
  char what[200];
  all_init(&a);
  for (i = 0; i < io->nports; i++) {
    const struct tsvs_port *p = &io->port[i];
    all_expect(&a, p->ring_off % TSVS_PAGE == 0, "port %u ring_off %zu not page-aligned", i, p->ring_off);
    all_expect(&a, p->ring_off >= end, "port %u ring at %zu overlaps the one before (ends %zu)", i, p->ring_off, end);
    all_expect(&a, p->block_size % TSVS_PAGE == 0, "port %u block_size %u not a page multiple", i, p->block_size);
    all_expect(&a, p->block_nr >= 2, "port %u has %u blocks", i, p->block_nr);
    all_expect(&a, p->ring_len == (size_t)p->block_size * p->block_nr, "port %u ring_len %zu", i, p->ring_len);
    all_expect(&a, p->ring_off + p->ring_len <= io->big_off, "port %u ring runs into the big slots", i);
    end = p->ring_off + p->ring_len;
    if (p->jumbo.frame_nr > 0) {
      const struct tsvs_jumbo *j = &p->jumbo;
      all_expect(&a, io->version == 2, "port %u: a jumbo ring in a V3 region", i);
      all_expect(&a, j->ring_off % TSVS_PAGE == 0 && j->frame_size % TSVS_PAGE == 0,
                 "port %u jumbo ring at %zu, slots of %u: not page-aligned", i, j->ring_off, j->frame_size);
      all_expect(&a, j->ring_off >= end, "port %u jumbo ring at %zu overlaps its ring (ends %zu)", i, j->ring_off, end);
      all_expect(&a, j->ring_len == (size_t)j->frame_size * j->frame_nr && j->frame_nr == o->jumbo_slots,
                 "port %u jumbo ring_len %zu for %u slots", i, j->ring_len, j->frame_nr);
      all_expect(&a, j->frame_size >= V2_MACOFF + ETH_HLEN + 4 + 65535u, "port %u jumbo slot %u < a 64 KiB frame", i,
                 j->frame_size);
      all_expect(&a, j->min_len == p->frame_size - V2_MACOFF + 1,
                 "port %u: frames from %u B go to the jumbo ring, but a slot holds %u", i, j->min_len,
                 p->frame_size - V2_MACOFF);
      all_expect(&a, tsvs_jumbo_frame_off(p, j->frame_nr - 1) + j->frame_size <= io->big_off,
                 "port %u jumbo ring runs into the big slots", i);
      end = j->ring_off + j->ring_len;
    } else {
      all_expect(&a, io->version == 3 || o->jumbo_slots == 0 || p->frame_size > 65536,
                 "port %u (V2, slot %u): no jumbo ring", i, p->frame_size);
    }
    if (io->version == 2) {
      size_t need = V2_MACOFF + ETH_HLEN + 4 + (size_t)p->mtu;
      all_expect(&a, p->block_size % p->frame_size == 0, "port %u: frames of %u straddle blocks of %u", i,
                 p->frame_size, p->block_size);
      all_expect(&a, p->frame_nr == p->block_nr * (p->block_size / p->frame_size), "port %u frame_nr %u", i,
                 p->frame_nr);
      if (!o->frame_bytes) {
        all_expect(&a, p->frame_size >= need, "port %u: slot %u < %zu for MTU %d", i, p->frame_size, need, p->mtu);
        all_expect(&a, (p->frame_size & (p->frame_size - 1)) == 0, "port %u slot %u not a power of two", i,
                   p->frame_size);
      }
      for (k = 0; k < p->frame_nr; k++) {
        size_t fo = tsvs_v2_frame_off(p, k);
        all_expect(&a, fo >= p->ring_off && fo + p->frame_size <= p->ring_off + p->ring_len,
                   "port %u slot %u at [%zu, %zu) outside its ring [%zu, %zu)", i, k, fo, fo + p->frame_size,
                   p->ring_off, p->ring_off + p->ring_len);
        all_expect(&a, fo + p->frame_size <= io->region_len, "port %u slot %u ends past the region", i, k);
        all_expect(&a, k == 0 || fo == tsvs_v2_frame_off(p, k - 1) + p->frame_size, "port %u slot %u not contiguous",
                   i, k);
      }
    } else {
      for (k = 0; k < p->block_nr; k++) {
        size_t bo = tsvs_v3_block_off(p, k);
        all_expect(&a, bo % TSVS_PAGE == 0, "port %u block %u at %zu not page-aligned", i, k, bo);
        all_expect(&a, bo >= p->ring_off && bo + p->block_size <= p->ring_off + p->ring_len,
                   "port %u block %u outside its ring", i, k);
      }
    }
  }
  all_expect(&a, io->big_off >= end, "big slots at %zu overlap the last ring (ends %zu)", io->big_off, end);
  for (k = 0; k < io->big_nslots; k++) {
    size_t so = tsvs_big_slot_off(io, k);
    all_expect(&a, so % TSVS_PAGE == 0, "big slot %u not page-aligned", k);
    all_expect(&a, so + io->big_slot <= io->stage_off, "big slot %u runs into the staging area", k);
  }
  all_expect(&a, io->version == 3 || io->big_nslots >= 1, "a V2 region has %u big slots", io->big_nslots);
  all_expect(&a, io->version == 2 || io->big_nslots == 0, "a V3 region has %u big slots", io->big_nslots);
  all_expect(&a, io->big_slot >= 65536 + ETH_HLEN + TSVS_VNET_LEN, "big slot %u too small for a 64 KiB frame",
             io->big_slot);
  all_expect(&a, io->stage_off % TSVS_PAGE == 0 && io->stage_len % TSVS_PAGE == 0 && io->stage_len >= o->stage_bytes,
             "staging [%zu, +%zu) for %u bytes", io->stage_off, io->stage_len, o->stage_bytes);
  all_expect(&a, io->stage_off + io->stage_len == io->region_len, "staging ends at %zu, region at %zu",
             io->stage_off + io->stage_len, io->region_len);
  snprintf(what, sizeof what, "%s: every slot, big slot and the staging area lie inside the region, apart", name);
  all_report(&a, what);
}

static void test_layout(void) {
  static const int mtus[] = {1500, 9000, 65536, 68, 1500, 1500, 1500, 1500,
                             1500, 1500, 1500, 1500, 1500, 1500, 1500, 1500};
  struct tsvs_opts o;
  struct tsvs_io io;
  tsvs_opts_default(&o);
  lay_out(&io, 2, &o, mtus, 4);
  check_layout(&io, &o, "V2, default options, MTUs 1500/9000/65536/68");
  check(io.port[0].frame_size == 2048 && io.port[0].frame_nr == (16u << 20) / 2048,
        "V2 MTU 1500: 2 KiB slots, 8192 of them in 16 MiB (got %u x %u)", io.port[0].frame_size, io.port[0].frame_nr);
  check(io.port[1].frame_size == 16384, "V2 MTU 9000: 16 KiB slots (got %u)", io.port[1].frame_size);
  check(io.port[0].jumbo.frame_nr == 128 && io.port[0].jumbo.frame_size == 69632 && io.port[2].jumbo.frame_nr == 0,
        "V2: a jumbo ring of 128 slots of 68 KiB, none where the slots hold 64 KiB already (MTU 65536)");
  o.jumbo_slots = 0;
  lay_out(&io, 2, &o, mtus, 2);
  check_layout(&io, &o, "V2, no jumbo ring");
  check(io.port[0].jumbo.frame_nr == 0 && io.port[0].jumbo.ring_len == 0, "jumbo_slots 0: no jumbo ring");
  tsvs_opts_default(&o);
  lay_out(&io, 2, &o, mtus, TSVS_MAX_PORTS);
  check_layout(&io, &o, "V2, 16 ports");
  o.ring_bytes = 1; /* smaller than one block: two blocks all the same */
  o.stage_bytes = 1;
  o.big_slots = 0;
  lay_out(&io, 2, &o, mtus, 2);
  check_layout(&io, &o, "V2, a 1-byte ring, 1-byte staging, no big slots asked");
  check(io.port[0].block_nr == 2 && io.big_nslots == 1 && io.stage_len == TSVS_PAGE,
        "tiny options round up: 2 blocks, 1 big slot, a page of staging");
  tsvs_opts_default(&o);
  o.frame_bytes = 4096;
  o.ring_bytes = 3 * 4096 + 100;
  lay_out(&io, 2, &o, mtus, 3);
  check_layout(&io, &o, "V2, 4 KiB slots asked, ring not a block multiple");
  tsvs_opts_default(&o);
  o.version = 3;
  lay_out(&io, 3, &o, mtus, 3);
  check_layout(&io, &o, "V3, default options");
  check(io.port[0].block_nr == 64 && io.port[0].block_size == 256u << 10, "V3: 64 blocks of 256 KiB (got %u x %u)",
        io.port[0].block_nr, io.port[0].block_size);
  o.block_bytes = 5000; /* not a page multiple */
  lay_out(&io, 3, &o, mtus, 2);
  check_layout(&io, &o, "V3, a 5000-byte block asked");
  check(io.port[0].block_size == 8192, "V3: a 5000-byte block is rounded up to 8192 (got %u)", io.port[0].block_size);
}

/* A V2 io over plain memory: port i's ring is 2 blocks of 4096, 2 slots of 2048 each (4 slots). */
static uint8_t *fake_v2(struct tsvs_io *io, uint32_t n) {
  static const int mtus[TSVS_MAX_PORTS] = {1500, 1500, 1500, 1500};
  struct tsvs_opts o;
  uint8_t *region;
  uint32_t i;
  tsvs_opts_default(&o);
  o.ring_bytes = 2 * 4096;
  o.big_slots = 2;
  o.stage_bytes = 4096;
  lay_out(io, 2, &o, mtus, n);
  region = aligned_alloc(TSVS_PAGE, io->region_len);
  memset(region, 0, io->region_len);
  io->region = region;
  for (i = 0; i < n; i++) io->port[i].fd = 100 + (int)i; /* never used: no TP_STATUS_COPY frame here */
  return region;
}

/* Has the kernel's part: puts a frame of len bytes (snap of them in the slot) in the V2 slot at
 * region offset fo, stamped nsec. */
static void put_v2_at(struct tsvs_io *io, size_t fo, uint32_t len, uint32_t snap, int pkttype, uint8_t tag,
                      uint64_t nsec) {
  struct tpacket2_hdr *h = (struct tpacket2_hdr *)(io->region + fo);
  struct sockaddr_ll *sll = (struct sockaddr_ll *)((uint8_t *)h + TPACKET_ALIGN(sizeof(struct tpacket2_hdr)));
  h->tp_len = len;
  h->tp_snaplen = snap;
  h->tp_mac = V2_MACOFF;
  sll->sll_pkttype = (unsigned char)pkttype;
  memset(io->region + fo + h->tp_mac - TSVS_VNET_LEN, 0, TSVS_VNET_LEN);
  memset(io->region + fo + h->tp_mac, tag, snap);
  h->tp_sec = (uint32_t)(nsec / 1000000000u);
  h->tp_nsec = (uint32_t)(nsec % 1000000000u);
  __atomic_store_n(&h->tp_status, TP_STATUS_USER, __ATOMIC_RELEASE);
}

/* The same in V2 slot k of p's ring, unstamped. */
static void put_v2(struct tsvs_io *io, struct tsvs_port *p, uint32_t k, uint32_t len, uint32_t snap, int pkttype,
                   uint8_t tag) {
  put_v2_at(io, tsvs_v2_frame_off(p, k), len, snap, pkttype, tag, 0);
}

static uint32_t v2_status(const struct tsvs_io *io, const struct tsvs_port *p, uint32_t k) {
  return ((const struct tpacket2_hdr *)(io->region + tsvs_v2_frame_off(p, k)))->tp_status;
}

static void test_rx_v2(void) {
  struct tsvs_io io;
  int32_t off[16], len[16];
  uint8_t flags[16], port[16];
  uint8_t *region = fake_v2(&io, 2);
  struct tsvs_port *p0 = &io.port[0], *p1 = &io.port[1];
  struct all a;
  uint32_t n, k;
  check(p0->frame_nr == 4 && p0->frame_size == 2048, "fake V2 ring: 4 slots of 2048 (got %u x %u)", p0->frame_nr,
        p0->frame_size);

  n = tsvs_io_collect(&io, off, len, flags, port, 16);
  check(n == 0 && tsvs_io_ready(&io) == 0, "an empty ring gives no frame and is not ready");

  for (k = 0; k < 4; k++) put_v2(&io, p0, k, 60 + k, 60 + k, PACKET_HOST, (uint8_t)(0xa0 + k));
  put_v2(&io, p1, 0, 1514, 1514, PACKET_HOST, 0xb0);
  check(tsvs_io_ready(&io) == 1, "a ring with a frame is ready");
  n = tsvs_io_collect(&io, off, len, flags, port, 3);
  check(n == 3, "collect stops at its cap (3 of 5 frames; got %u)", n);
  n += tsvs_io_collect(&io, off + n, len + n, flags + n, port + n, 16 - n);
  check(n == 5, "the next collect takes the rest (5 in all; got %u)", n);
  all_init(&a);
  for (k = 0; k < n; k++) {
    const struct tsvs_port *p = &io.port[port[k]];
    uint32_t slot = (uint32_t)(((size_t)off[k] - p->ring_off) / p->frame_size);
    size_t so = tsvs_v2_frame_off(p, slot);
    all_expect(&a, port[k] < 2, "frame %u from port %u", k, port[k]);
    all_expect(&a, (size_t)off[k] == so + V2_MACOFF, "frame %u at %d, not at its slot's mac offset", k, off[k]);
    all_expect(&a, (size_t)off[k] + (size_t)len[k] <= so + p->frame_size, "frame %u runs past its slot", k);
    all_expect(&a, region[off[k]] == (port[k] ? 0xb0 : 0xa0 + slot) && len[k] == (port[k] ? 1514 : 60 + (int)slot),
               "frame %u: wrong bytes or length", k);
    all_expect(&a, flags[k] == TSVS_RXF_VNET_HDR, "frame %u flags %#x", k, flags[k]);
  }
  all_report(&a, "every collected frame lies in its own slot, at the mac offset, with its bytes and length");
  check(p0->held == 4 && p0->head == 0, "port 0 read all 4 slots: head wrapped to 0, 4 held (head %u held %u)",
        p0->head, p0->held);

  n = tsvs_io_collect(&io, off, len, flags, port, 16);
  check(n == 0, "slots still held are not read again before release, though their status says USER (got %u)", n);
  tsvs_io_release(&io);
  all_init(&a);
  for (k = 0; k < 4; k++) all_expect(&a, v2_status(&io, p0, k) == TP_STATUS_KERNEL, "slot %u not given back", k);
  all_expect(&a, v2_status(&io, p1, 0) == TP_STATUS_KERNEL, "port 1 slot 0 not given back");
  all_expect(&a, p0->held == 0 && p0->tail == 0 && p1->tail == 1, "tails %u/%u, held %u", p0->tail, p1->tail, p0->held);
  all_report(&a, "release gives every read slot back to the kernel; tails follow the heads, wrapping");

  /* Around the end of the ring: port 0 slots 0 and 1 (after the wrap), port 1 slots 1, 2, 3, 0. */
  put_v2(&io, p0, 0, 64, 64, PACKET_HOST, 0xc0);
  put_v2(&io, p0, 1, 2000, 100, PACKET_HOST, 0xc1); /* longer than its slot: truncated */
  for (k = 1; k <= 4; k++) put_v2(&io, p1, k % 4, 70, 70, k == 2 ? PACKET_OUTGOING : PACKET_HOST, (uint8_t)(0xd0 + k));
  n = tsvs_io_collect(&io, off, len, flags, port, 16);
  check(n == 4, "second pass: 1 + 3 frames (a truncated and an outgoing one skipped; got %u)", n);
  check(p0->st.rx_trunc == 1 && p1->st.rx_outgoing == 1, "the truncated frame is counted rx_trunc, ours rx_outgoing");
  all_init(&a);
  for (k = 0; k < n; k++) {
    const struct tsvs_port *p = &io.port[port[k]];
    all_expect(&a, (size_t)off[k] >= p->ring_off && (size_t)off[k] + (size_t)len[k] <= p->ring_off + p->ring_len,
               "frame %u outside its ring", k);
  }
  all_report(&a, "frames read across the ring's end stay inside the ring");
  check(p1->head == 1 && p1->held == 4, "port 1 read slots 1, 2, 3 and 0: head back at 1 (head %u held %u)", p1->head,
        p1->held);
  tsvs_io_release(&io);
  check(p1->tail == 1 && p1->held == 0 && v2_status(&io, p1, 0) == TP_STATUS_KERNEL,
        "release after the wrap gives slot 0 back too, tail at 1");
  check(p0->st.rx_frames == 5 && p1->st.rx_frames == 4, "rx_frames counts delivered frames only (%lu, %lu)",
        (unsigned long)p0->st.rx_frames, (unsigned long)p1->st.rx_frames);
  free(region);
}

/* A port with a jumbo ring: frames from both rings come out in the order of their timestamps, each
 * ring in its own order, and release gives the jumbo slots back too. */
static void test_rx_jumbo(void) {
  struct tsvs_io io;
  int32_t off[16], len[16];
  uint8_t flags[16], port[16];
  uint8_t *region = fake_v2(&io, 1);
  struct tsvs_port *p = &io.port[0];
  const struct tsvs_jumbo *j = &p->jumbo;
  /* small ring slot or jumbo slot (j), stamp, length; collected in stamp order */
  static const struct {
    int jumbo;
    uint32_t slot;
    uint64_t ns;
    uint32_t len;
  } in[] = {{0, 0, 1000000500, 60}, {1, 0, 1000000300, 65000}, {0, 1, 1000000700, 60}, {1, 1, 2000000000, 30000},
            {0, 2, 1999999999, 1514}};
  static const uint32_t order[] = {1, 0, 2, 4, 3};
  struct all a;
  uint32_t n, k;
  check(j->frame_nr == 128 && j->min_len == 2048 - V2_MACOFF + 1, "a fake V2 port has a jumbo ring (%u slots, from %u B)",
        j->frame_nr, j->min_len);
  put_v2_at(&io, tsvs_jumbo_frame_off(p, 0), 65000, 65000, PACKET_HOST, 0xe0, 5);
  check(tsvs_io_ready(&io) == 1, "a jumbo frame alone makes the port ready");
  n = tsvs_io_collect(&io, off, len, flags, port, 16);
  check(n == 1 && len[0] == 65000 && region[off[0]] == 0xe0 && p->st.rx_jumbo == 1,
        "a jumbo frame alone is collected whole from its slot (n %u len %d)", n, n ? len[0] : -1);
  tsvs_io_release(&io);
  check(j->held == 0 && j->tail == 1 &&
            ((const struct tpacket2_hdr *)(region + tsvs_jumbo_frame_off(p, 0)))->tp_status == TP_STATUS_KERNEL,
        "release gives the jumbo slot back");
  for (k = 0; k < sizeof in / sizeof in[0]; k++)
    put_v2_at(&io, in[k].jumbo ? tsvs_jumbo_frame_off(p, 1 + in[k].slot) : tsvs_v2_frame_off(p, in[k].slot), in[k].len,
              in[k].len, PACKET_HOST, (uint8_t)(0x10 + k), in[k].ns);
  n = tsvs_io_collect(&io, off, len, flags, port, 16);
  check(n == 5, "5 frames from the two rings (got %u)", n);
  all_init(&a);
  for (k = 0; k < n && k < 5; k++)
    all_expect(&a, region[off[k]] == 0x10 + order[k] && len[k] == (int32_t)in[order[k]].len,
               "frame %u is input %u, expected %u", k, region[off[k]] - 0x10, order[k]);
  all_report(&a, "the two rings merge by receive timestamp");
  check(p->st.rx_jumbo == 3 && p->st.rx_frames == 6, "rx_jumbo counts the jumbo ring's frames (%lu of %lu)",
        (unsigned long)p->st.rx_jumbo, (unsigned long)p->st.rx_frames);
  tsvs_io_release(&io);
  check(j->held == 0 && p->held == 0 && j->tail == 3, "release gives both rings back (jumbo tail %u)", j->tail);
  free(region);
}

/* Has the kernel's part for V3: fills block k of p with n frames of len bytes each, tagged
 * tag + frame index, and hands the block to user space. */
static void put_v3_block(struct tsvs_io *io, struct tsvs_port *p, uint32_t k, uint32_t n, uint32_t len, uint8_t tag) {
  size_t bo = tsvs_v3_block_off(p, k);
  struct tpacket_block_desc *bd = (struct tpacket_block_desc *)(io->region + bo);
  uint32_t at = TPACKET_ALIGN(sizeof *bd), f;
  uint32_t mac = TPACKET_ALIGN(TPACKET_ALIGN(sizeof(struct tpacket3_hdr)) + sizeof(struct sockaddr_ll)) + TSVS_VNET_LEN;
  uint32_t step = TPACKET_ALIGN(mac + len);
  bd->hdr.bh1.num_pkts = n;
  bd->hdr.bh1.offset_to_first_pkt = at;
  for (f = 0; f < n; f++) {
    struct tpacket3_hdr *h = (struct tpacket3_hdr *)(io->region + bo + at);
    struct sockaddr_ll *sll = (struct sockaddr_ll *)((uint8_t *)h + TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));
    h->tp_next_offset = f + 1 < n ? step : 0;
    h->tp_len = h->tp_snaplen = len;
    h->tp_mac = (uint16_t)mac;
    h->tp_status = TP_STATUS_USER;
    sll->sll_pkttype = PACKET_HOST;
    memset(io->region + bo + at + mac - TSVS_VNET_LEN, 0, TSVS_VNET_LEN);
    memset(io->region + bo + at + mac, tag + (int)f, len);
    at += step;
  }
  __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_USER, __ATOMIC_RELEASE);
}

static uint32_t v3_status(const struct tsvs_io *io, const struct tsvs_port *p, uint32_t k) {
  return ((const struct tpacket_block_desc *)(io->region + tsvs_v3_block_off(p, k)))->hdr.bh1.block_status;
}

static void test_rx_v3(void) {
  static const int mtus[1] = {1500};
  struct tsvs_opts o;
  struct tsvs_io io;
  struct tsvs_port *p = &io.port[0];
  int32_t off[16], len[16];
  uint8_t flags[16], port[16];
  struct all a;
  uint32_t n, k;
  tsvs_opts_default(&o);
  o.block_bytes = 4096;
  o.ring_bytes = 3 * 4096;
  o.stage_bytes = 4096;
  lay_out(&io, 3, &o, mtus, 1);
  io.region = aligned_alloc(TSVS_PAGE, io.region_len);
  memset(io.region, 0, io.region_len);
  p->fd = 100;
  check(p->block_nr == 3 && p->block_size == 4096 && io.big_nslots == 0,
        "fake V3 ring: 3 blocks of 4096, no big slots");

  put_v3_block(&io, p, 0, 3, 100, 0x10);
  put_v3_block(&io, p, 1, 2, 200, 0x20);
  n = tsvs_io_collect(&io, off, len, flags, port, 4);
  check(n == 4 && p->v3_open && p->head == 1 && p->held == 1,
        "collect of 4 takes block 0's 3 frames and 1 of block 1, which stays open (n %u head %u held %u)", n, p->head,
        p->held);
  check(tsvs_io_ready(&io) == 1, "an open block with frames left is ready");
  n += tsvs_io_collect(&io, off + n, len + n, flags + n, port + n, 16 - n);
  check(n == 5 && !p->v3_open && p->head == 2 && p->held == 2,
        "the next collect finishes block 1 (n %u head %u held %u)", n, p->head, p->held);
  all_init(&a);
  for (k = 0; k < n; k++) {
    uint32_t blk = k < 3 ? 0 : 1, f = k < 3 ? k : k - 3;
    size_t bo = tsvs_v3_block_off(p, blk);
    all_expect(&a, (size_t)off[k] > bo && (size_t)off[k] + (size_t)len[k] <= bo + p->block_size,
               "frame %u at %d+%d outside block %u", k, off[k], len[k], blk);
    all_expect(&a, io.region[off[k]] == (blk ? 0x20 : 0x10) + f && len[k] == (blk ? 200 : 100),
               "frame %u: wrong bytes or length", k);
  }
  all_report(&a, "V3: every frame lies inside its block, in block order, with its bytes and length");
  tsvs_io_release(&io);
  check(v3_status(&io, p, 0) == TP_STATUS_KERNEL && v3_status(&io, p, 1) == TP_STATUS_KERNEL && p->tail == 2 &&
            p->held == 0,
        "V3 release gives both blocks back, tail at 2");
  put_v3_block(&io, p, 2, 1, 60, 0x30);
  put_v3_block(&io, p, 0, 1, 60, 0x40);
  n = tsvs_io_collect(&io, off, len, flags, port, 16);
  check(n == 2 && p->head == 1 && io.region[off[0]] == 0x30 && io.region[off[1]] == 0x40,
        "V3 reads block 2 then wraps to block 0 (n %u head %u)", n, p->head);
  tsvs_io_release(&io);
  check(p->tail == 1 && p->held == 0 && v3_status(&io, p, 2) == TP_STATUS_KERNEL, "V3 tail wraps to 1 after release");
  free(io.region);
}

static void test_frame_checks(void) {
  const size_t rl = 1u << 20;
  check(tsvs_tx_frame_ok(rl, 10, 14), "TX: a 14-byte frame right after room for the vnet header is accepted");
  check(!tsvs_tx_frame_ok(rl, 10, 13), "TX: a frame shorter than an Ethernet header is refused");
  check(!tsvs_tx_frame_ok(rl, 9, 60), "TX: a frame with no room for the vnet header before it is refused");
  check(tsvs_tx_frame_ok(rl, (int32_t)(rl - 60), 60), "TX: a frame ending at the region's end is accepted");
  check(!tsvs_tx_frame_ok(rl, (int32_t)(rl - 59), 60), "TX: a frame one byte past the region's end is refused");
  check(!tsvs_tx_frame_ok(rl, (int32_t)rl, 14), "TX: a frame starting at the region's end is refused");
  check(!tsvs_tx_frame_ok(rl, 100, -1) && !tsvs_tx_frame_ok(rl, -100, 60),
        "TX: negative lengths and offsets are refused");
  check(!tsvs_tx_frame_ok(rl, 0x7fffffff, 0x7fffffff), "TX: offset + length past 2^31 does not wrap into the region");
  check(tsvs_big_len_ok(TSVS_BIG_SLOT, TSVS_BIG_SLOT), "RX: a frame filling a big slot exactly is accepted");
  check(!tsvs_big_len_ok(TSVS_BIG_SLOT + 1L, TSVS_BIG_SLOT), "RX: a frame longer than a big slot is refused");
  check(!tsvs_big_len_ok(TSVS_VNET_LEN + ETH_HLEN - 1, TSVS_BIG_SLOT) && !tsvs_big_len_ok(-1, TSVS_BIG_SLOT),
        "RX: a read shorter than vnet + Ethernet headers, or failed, is refused");
  check(tsvs_ring_frame_ok(60, 60, TSVS_VNET_LEN) && !tsvs_ring_frame_ok(59, 60, 80) && !tsvs_ring_frame_ok(60, 60, 9),
        "RX: a ring frame is taken whole and with room for its vnet header, or not at all");
}

static void test_tx_class(void) {
  uint8_t h[TSVS_VNET_LEN] = {0};
  check(tsvs_tx_class(0, h) == TSVS_TX_PLAIN, "class: no vnet header -> plain");
  h[1] = VIRTIO_NET_HDR_GSO_TCPV4;
  check(tsvs_tx_class(0, h) == TSVS_TX_PLAIN, "class: a GSO header is ignored without TSVS_RXF_VNET_HDR");
  check(tsvs_tx_class(TSVS_RXF_VNET_HDR, h) == TSVS_TX_GSO, "class: GSO TCPv4 -> gso");
  h[1] = VIRTIO_NET_HDR_GSO_ECN;
  check(tsvs_tx_class(TSVS_RXF_VNET_HDR, h) == TSVS_TX_PLAIN, "class: the ECN bit alone is not GSO");
  h[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  check(tsvs_tx_class(TSVS_RXF_VNET_HDR, h) == TSVS_TX_CSUM, "class: NEEDS_CSUM -> csum");
  h[1] = VIRTIO_NET_HDR_GSO_TCPV6;
  check(tsvs_tx_class(TSVS_RXF_VNET_HDR, h) == TSVS_TX_GSO, "class: GSO wins over NEEDS_CSUM");
}

static void test_tx_queue(void) {
  struct tsvs_port p;
  uint8_t buf[64];
  struct all a;
  uint32_t k;
  memset(&p, 0, sizeof p);
  p.msgs = calloc(4, sizeof *p.msgs);
  p.iov = calloc(4, sizeof *p.iov);
  p.cls = calloc(4, 1);
  all_init(&a);
  for (k = 0; k < 4; k++) all_expect(&a, tsvs_tx_push(&p, 4, buf + k, 10 + k, (uint8_t)(k % 3)), "push %u refused", k);
  all_report(&a, "a TX queue of 4 takes 4 frames");
  check(!tsvs_tx_push(&p, 4, buf, 10, 0) && p.ntx == 4, "a full TX queue refuses the 5th frame and stays at 4");
  all_init(&a);
  for (k = 0; k < 4; k++) {
    const struct msghdr *m = &p.msgs[k].msg_hdr;
    all_expect(&a, m->msg_iov == &p.iov[k] && m->msg_iovlen == 1 && m->msg_name == NULL, "message %u header", k);
    all_expect(&a, p.iov[k].iov_base == buf + k && p.iov[k].iov_len == 10 + k && p.cls[k] == k % 3, "entry %u", k);
  }
  all_report(&a, "each queued message points at its own iovec, with the frame's address, length and class");
  p.ntx = 0;
  check(tsvs_tx_push(&p, 4, buf, 10, 0) && p.ntx == 1, "once sent (ntx 0) the queue takes frames again");
  free(p.msgs);
  free(p.iov);
  free(p.cls);
}

/* tsvs_io_send over AF_UNIX datagram socket pairs standing in for the three TX sockets: checks the
 * bounds, the socket each frame goes to, the order, the bytes and the counters. */
static void test_tx_send(void) {
  struct tsvs_io io;
  int plain[2], csum[2], gso[2];
  uint8_t *region = fake_v2(&io, 1);
  struct tsvs_port *p = &io.port[0];
  int32_t off[8], len[8];
  uint8_t flags[8], port[8], got[2048];
  uint32_t sent, k;
  size_t st = io.stage_off;
  if (socketpair(AF_UNIX, SOCK_DGRAM, 0, plain) < 0 || socketpair(AF_UNIX, SOCK_DGRAM, 0, csum) < 0 ||
      socketpair(AF_UNIX, SOCK_DGRAM, 0, gso) < 0) {
    check(0, "socketpair(AF_UNIX, SOCK_DGRAM): %s", strerror(errno));
    free(region);
    return;
  }
  io.tx_cap = 2; /* small: the send of 6 frames fills the queue and flushes it on the way */
  p->plain_fd = plain[0];
  p->tx_fd = csum[0];
  p->gso_fd = gso[0];
  p->msgs = calloc(io.tx_cap, sizeof *p->msgs);
  p->iov = calloc(io.tx_cap, sizeof *p->iov);
  p->cls = calloc(io.tx_cap, 1);
  /* Frames in the staging area, 128 bytes apart, each preceded by its vnet header. */
  for (k = 0; k < 8; k++) {
    uint8_t *v = region + st + 16 + 128 * k;
    off[k] = (int32_t)(st + 16 + 128 * k + TSVS_VNET_LEN);
    len[k] = 60 + (int32_t)k;
    flags[k] = TSVS_RXF_VNET_HDR;
    port[k] = 0;
    memset(v, 0, TSVS_VNET_LEN);
    memset(v + TSVS_VNET_LEN, 0x30 + (int)k, (size_t)len[k]);
  }
  flags[0] = 0;                                                                                    /* plain */
  region[off[1] - TSVS_VNET_LEN] = VIRTIO_NET_HDR_F_NEEDS_CSUM;                                    /* csum */
  region[off[2] - TSVS_VNET_LEN + 1] = VIRTIO_NET_HDR_GSO_TCPV4;                                   /* gso */
  region[off[3] - TSVS_VNET_LEN] = VIRTIO_NET_HDR_F_NEEDS_CSUM;                                    /* csum */
  /* 4: vnet header with nothing in it -> plain */
  off[5] = (int32_t)io.region_len - 59;                                                            /* past the end */
  port[6] = 3;                                                                                     /* no such port */
  len[7] = 13;                                                                                     /* too short */
  sent = tsvs_io_send(&io, off, len, flags, port, 8);
  check(sent == 5, "5 of 8 frames sent: one past the region's end, one to no port, one too short (got %u)", sent);
  check(p->st.tx_frames == 5 && p->st.tx_errors == 2 && p->st.tx_gso == 1 && p->ntx == 0,
        "counters: 5 sent, 2 refused (the bad port is not this port's error), 1 GSO, queue empty (%lu %lu %lu %u)",
        (unsigned long)p->st.tx_frames, (unsigned long)p->st.tx_errors, (unsigned long)p->st.tx_gso, p->ntx);
  check(p->st.tx_bytes == (uint64_t)(60 + 61 + 62 + 63 + 64), "tx_bytes counts Ethernet bytes, not vnet headers (%lu)",
        (unsigned long)p->st.tx_bytes);
  {
    static const int fd_of[5] = {0, 1, 2, 1, 0}; /* frame k went to: 0 plain, 1 csum, 2 gso */
    int peers[3] = {plain[1], csum[1], gso[1]};
    struct all a;
    all_init(&a);
    for (k = 0; k < 5; k++) {
      int hdr = fd_of[k] == 0 ? 0 : TSVS_VNET_LEN;
      ssize_t r = recv(peers[fd_of[k]], got, sizeof got, MSG_DONTWAIT);
      all_expect(&a, r == len[k] + hdr, "frame %u: %zd bytes on socket %d, want %d", k, r, fd_of[k], len[k] + hdr);
      if (r == len[k] + hdr) {
        all_expect(&a, memcmp(got, region + off[k] - hdr, (size_t)r) == 0, "frame %u: bytes differ", k);
        all_expect(&a, got[hdr] == 0x30 + k, "frame %u arrived out of order (found %#x)", k, got[hdr]);
      }
    }
    for (k = 0; k < 3; k++) all_expect(&a, recv(peers[k], got, sizeof got, MSG_DONTWAIT) < 0, "extra frame on %u", k);
    all_report(&a, "each frame went out whole through its class's socket, in queue order, with a vnet header only "
                   "on the csum and gso sockets");
  }
  close(plain[0]);
  close(plain[1]);
  close(csum[0]);
  close(csum[1]);
  close(gso[0]);
  close(gso[1]);
  free(p->msgs);
  free(p->iov);
  free(p->cls);
  free(region);
}

/* state-map.c: what one open writes the next reads; another size starts from zeros; a second
 * open while the first holds the file fails with EWOULDBLOCK and leaves nothing open. */
static void test_state_map(void) {
  char path[] = "/tmp/tsvs-harness-state-XXXXXX";
  struct tsvs_state_map a, b;
  int fd = mkstemp(path), err;
  check(fd >= 0, "state: mkstemp");
  if (fd < 0) return;
  close(fd);
  err = tsvs_state_open(&a, path, 8192);
  check(err == 0 && a.base != NULL && a.prev_bytes == 0, "state: a new (empty) file maps 8192 bytes, previous 0");
  if (err) return;
  memset(a.base, 0xab, 8192);
  err = tsvs_state_open(&b, path, 8192);
  check(err == EWOULDBLOCK && b.base == NULL && b.fd == -1, "state: a second open of a held file is EWOULDBLOCK");
  tsvs_state_close(&a);
  tsvs_state_close(&a);
  check(a.base == NULL && a.fd == -1, "state: close is idempotent");
  err = tsvs_state_open(&b, path, 8192);
  check(err == 0 && b.prev_bytes == 8192 && ((unsigned char *)b.base)[8191] == 0xab,
        "state: reopened at the same size, the bytes are still there");
  tsvs_state_close(&b);
  err = tsvs_state_open(&b, path, 4096);
  check(err == 0 && b.prev_bytes == 8192 && ((unsigned char *)b.base)[0] == 0 && ((unsigned char *)b.base)[4095] == 0,
        "state: another size starts from zeros");
  tsvs_state_close(&b);
  check(tsvs_state_open(&b, path, 0) == EINVAL, "state: zero bytes is EINVAL");
  unlink(path);
}

int main(void) {
  test_ring_next();
  test_layout();
  test_rx_v2();
  test_rx_jumbo();
  test_rx_v3();
  test_frame_checks();
  test_tx_class();
  test_tx_queue();
  test_tx_send();
  test_state_map();
  printf("harness: %u checks, %u failed\n", checks, failed);
  return failed ? 1 : 0;
}
