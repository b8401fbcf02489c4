/* tx.c: batched transmit, one sendmmsg per run of frames per port, with iovecs pointing into the
 * region (zero copy up to the kernel's own copy in packet_snd(), net/packet/af_packet.c).
 *
 * Each frame goes through one of three sockets, by what its virtio_net_hdr asks for (layout.h):
 *   TSVS_TX_PLAIN  no header, or a header with nothing in it  -> plain_fd (bypass, no vnet header:
 *                  the kernel copies 10 bytes less and parses no header)
 *   TSVS_TX_CSUM   NEEDS_CSUM, not GSO                        -> tx_fd (bypass, vnet header)
 *   TSVS_TX_GSO    a GSO superpacket                          -> gso_fd (qdisc path, vnet header)
 * A port's queue is sent as runs of one class, in queue order. */
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <sys/socket.h>

#include "layout.h"
#include "ring.h"

/* sendmmsg over msgs[from, to) on fd; a message the kernel refuses is counted and skipped. */
static void send_run(struct tsvs_port *p, int fd, uint32_t from, uint32_t to) {
  uint32_t i = from, intr = 0;
  while (i < to) {
    int r = sendmmsg(fd, p->msgs + i, to - i, MSG_DONTWAIT);
    if (r > 0) {
      uint32_t k;
      for (k = i; k < i + (uint32_t)r; k++)
        p->st.tx_bytes += p->msgs[k].msg_len - (p->cls[k] == TSVS_TX_PLAIN ? 0 : TSVS_VNET_LEN);
      p->st.tx_frames += (uint32_t)r;
      i += (uint32_t)r;
    } else if (r < 0 && errno == EINTR && intr++ < 4) {
      continue;
    } else {
      p->st.last_tx_errno = r < 0 ? (uint64_t)errno : EIO;
      p->st.tx_errors++;
      i++;
    }
  }
}

/* Sends the port's queue in order, one sendmmsg per run of frames of one class. */
static void port_send(struct tsvs_port *p) {
  uint32_t i = 0;
  while (i < p->ntx) {
    uint32_t j = i + 1;
    uint8_t c = p->cls[i];
    while (j < p->ntx && p->cls[j] == c) j++;
    send_run(p, c == TSVS_TX_GSO ? p->gso_fd : c == TSVS_TX_CSUM ? p->tx_fd : p->plain_fd, i, j);
    if (c == TSVS_TX_GSO) p->st.tx_gso += j - i;
    i = j;
  }
  p->ntx = 0;
}

uint32_t tsvs_io_send(struct tsvs_io *io, const int32_t *off, const int32_t *len, const uint8_t *flags,
                      const uint8_t *port, uint32_t n) {
  uint32_t i, sent = 0;
  uint64_t before = 0;
  for (i = 0; i < io->nports; i++) before += io->port[i].st.tx_frames;
  for (i = 0; i < n; i++) {
    struct tsvs_port *p;
    uint8_t c, *base;
    size_t blen;
    int32_t o = off[i], l = len[i];
    if (port[i] >= io->nports || io->port[port[i]].fd < 0) continue;
    p = &io->port[port[i]];
    if (!tsvs_tx_frame_ok(io->region_len, o, l)) {
      p->st.tx_errors++;
      continue;
    }
    c = tsvs_tx_class(flags[i], io->region + o - TSVS_VNET_LEN);
    base = io->region + o - (c == TSVS_TX_PLAIN ? 0 : TSVS_VNET_LEN);
    blen = (size_t)l + (c == TSVS_TX_PLAIN ? 0 : TSVS_VNET_LEN);
    if (!tsvs_tx_push(p, io->tx_cap, base, blen, c)) { /* queue full: send it, then queue */
      port_send(p);
      tsvs_tx_push(p, io->tx_cap, base, blen, c);
    }
  }
  for (i = 0; i < io->nports; i++)
    if (io->port[i].ntx) port_send(&io->port[i]);
  for (i = 0; i < io->nports; i++) sent += (uint32_t)io->port[i].st.tx_frames;
  return sent - (uint32_t)before;
}

