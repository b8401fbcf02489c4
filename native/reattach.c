/* reattach.c: re-opening one port on an interface that returned under the same name (a veth
 * deleted and made again, a namespace recreated). A packet socket bound to a device that is
 * unregistered stays open but unbound for good (packet_notifier() in net/packet/af_packet.c sets
 * sk_err = ENODEV and po->ifindex = -1 on NETDEV_UNREGISTER), so the port needs new sockets bound
 * to the new ifindex. The ring keeps its place and geometry in the region (JS holds one Buffer over
 * the region) and the fds keep their numbers (the event loop polls them by number). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ring.h"

static void close_new(struct tsvs_port *q) {
  if (q->fd >= 0) close(q->fd);
  if (q->plain_fd >= 0) close(q->plain_fd);
  if (q->tx_fd >= 0) close(q->tx_fd);
  if (q->gso_fd >= 0) close(q->gso_fd);
  if (q->jumbo.fd >= 0) close(q->jumbo.fd);
}

/* dup2(from, *to) when *to is open, else *to takes from; the number of *to stays. */
static int take_fd(int from, int *to) {
  if (*to < 0) {
    *to = from;
    return 0;
  }
  if (dup2(from, *to) < 0) return -errno;
  close(from);
  return 0;
}

int tsvs_port_reopen(struct tsvs_io *io, uint32_t i, char *err, size_t errlen) {
  struct tsvs_port *p, q;
  int rc;
  if (i >= io->nports) {
    snprintf(err, errlen, "no port %u", i);
    return -EINVAL;
  }
  p = &io->port[i];
  if (p->held > 0 || p->jumbo.held > 0) {
    snprintf(err, errlen, "port %s holds %u frames", p->name, p->held);
    return -EBUSY;
  }
  memset(&q, 0, sizeof q);
  q.fd = q.plain_fd = q.tx_fd = q.gso_fd = q.jumbo.fd = -1;
  memcpy(q.name, p->name, sizeof q.name);
  rc = tsvs_if_info(q.name, &q.ifindex, q.mac, &q.mtu);
  if (rc < 0) {
    snprintf(err, errlen, "interface lookup on %s: %s", q.name, strerror(-rc));
    return rc;
  }
  /* The old geometry, so the ring fits its place in the region whatever the new MTU (a bigger
   * frame takes the big-slot path, as any frame bigger than a slot). */
  q.frame_size = p->frame_size;
  q.frame_nr = p->frame_nr;
  q.block_size = p->block_size;
  q.block_nr = p->block_nr;
  q.ring_len = p->ring_len;
  q.jumbo = p->jumbo;
  q.jumbo.fd = -1;
  if ((rc = tsvs_port_socket(io, &q, &io->opts, err, errlen)) < 0) {
    close_new(&q);
    return rc;
  }
  /* MAP_FIXED replaces the old rings' mappings, which drops the last references to the old sockets'
   * rings (freed when their fds go below). */
  if ((rc = tsvs_ring_map(io, &q, q.fd, p->ring_off, p->ring_len, err, errlen)) < 0 ||
      (q.jumbo.fd >= 0 && (rc = tsvs_ring_map(io, &q, q.jumbo.fd, p->jumbo.ring_off, p->jumbo.ring_len, err, errlen)) < 0)) {
    close_new(&q);
    return rc;
  }
  if ((rc = take_fd(q.fd, &p->fd)) < 0 || (rc = take_fd(q.plain_fd, &p->plain_fd)) < 0 ||
      (rc = take_fd(q.tx_fd, &p->tx_fd)) < 0 || (rc = take_fd(q.gso_fd, &p->gso_fd)) < 0 ||
      (q.jumbo.fd >= 0 && (rc = take_fd(q.jumbo.fd, &p->jumbo.fd)) < 0)) {
    snprintf(err, errlen, "dup2 on %s: %s", q.name, strerror(-rc));
    return rc;
  }
  p->ifindex = q.ifindex;
  p->mtu = q.mtu;
  memcpy(p->mac, q.mac, 6);
  p->head = p->tail = p->held = 0;
  p->v3_next = p->v3_left = 0;
  p->v3_open = 0;
  p->st.reattaches++;
  p->jumbo.head = p->jumbo.tail = p->jumbo.held = 0;
  /* Bound last, as at open: the rings are in place before the first frame. */
  if ((rc = tsvs_ring_bind(p, p->fd, err, errlen)) < 0) return rc;
  return p->jumbo.fd >= 0 ? tsvs_ring_bind(p, p->jumbo.fd, err, errlen) : 0;
}
