/* ring.c: opening the ports (each one's sockets in port-socket.c, their ring geometry in layout.c)
 * and the one region their rings are mapped into (see ring.h); closing; PACKET_STATISTICS. User
 * side of net/packet/af_packet.c (packet_mmap, packet_getsockopt). */
#include "ring.h"

#include "layout.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

int tsvs_if_info(const char *name, int *ifindex, uint8_t mac[6], int *mtu) {
  struct ifreq ifr;
  int fd, rc = 0;
  if (strlen(name) >= IF_NAMESIZE) return -ENODEV;
  fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, name, IF_NAMESIZE - 1);
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) { rc = -errno; goto out; }
  *ifindex = ifr.ifr_ifindex;
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) { rc = -errno; goto out; }
  memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
  if (ioctl(fd, SIOCGIFMTU, &ifr) < 0) { rc = -errno; goto out; }
  *mtu = ifr.ifr_mtu;
out:
  close(fd);
  return rc;
}

int tsvs_fail(char *err, size_t errlen, const char *what, const char *ifname) {
  int e = errno;
  snprintf(err, errlen, "%s on %s: %s", what, ifname, strerror(e));
  return -e;
}

int tsvs_io_open(struct tsvs_io *io, const char *const *names, uint32_t n, const struct tsvs_opts *o, char *err,
                 size_t errlen) {
  uint32_t i;
  int rc;
  memset(io, 0, sizeof *io);
  io->version = o->version == 3 ? 3 : 2;
  io->tx_cap = o->tx_cap ? o->tx_cap : 1024;
  io->opts = *o;
  for (i = 0; i < TSVS_MAX_PORTS; i++)
    io->port[i].fd = io->port[i].plain_fd = io->port[i].tx_fd = io->port[i].gso_fd = io->port[i].jumbo.fd = -1;
  if (n == 0 || n > TSVS_MAX_PORTS) {
    snprintf(err, errlen, "between 1 and %d interfaces are needed, got %u", TSVS_MAX_PORTS, n);
    return -EINVAL;
  }
  io->nports = n;
  for (i = 0; i < n; i++) {
    struct tsvs_port *p = &io->port[i];
    if (strlen(names[i]) >= IF_NAMESIZE) {
      snprintf(err, errlen, "interface name too long: %s", names[i]);
      rc = -ENODEV;
      goto bad;
    }
    strncpy(p->name, names[i], IF_NAMESIZE - 1);
    rc = tsvs_if_info(p->name, &p->ifindex, p->mac, &p->mtu);
    if (rc < 0) {
      errno = -rc;
      rc = tsvs_fail(err, errlen, "interface lookup", p->name);
      goto bad;
    }
    tsvs_ring_geometry(p, io->version, o);
    if ((rc = tsvs_port_socket(io, p, o, err, errlen)) < 0) goto bad;
    p->msgs = calloc(io->tx_cap, sizeof *p->msgs);
    p->iov = calloc(io->tx_cap, sizeof *p->iov);
    p->cls = calloc(io->tx_cap, 1);
    if (!p->msgs || !p->iov || !p->cls) {
      errno = ENOMEM;
      rc = tsvs_fail(err, errlen, "allocating the TX queue", p->name);
      goto bad;
    }
  }
  tsvs_region_layout(io, o);

  /* Reserve the whole region, then map each ring over its part. */
  io->region = mmap(NULL, io->region_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (io->region == MAP_FAILED) {
    io->region = NULL;
    rc = tsvs_fail(err, errlen, "mmap(region)", names[0]);
    goto bad;
  }
  for (i = 0; i < n; i++) {
    struct tsvs_port *p = &io->port[i];
    /* Each ring is in place before its socket is bound, so before the first frame. */
    if ((rc = tsvs_ring_map(io, p, p->fd, p->ring_off, p->ring_len, err, errlen)) < 0 ||
        (rc = tsvs_ring_bind(p, p->fd, err, errlen)) < 0)
      goto bad;
    if (p->jumbo.fd >= 0 &&
        ((rc = tsvs_ring_map(io, p, p->jumbo.fd, p->jumbo.ring_off, p->jumbo.ring_len, err, errlen)) < 0 ||
         (rc = tsvs_ring_bind(p, p->jumbo.fd, err, errlen)) < 0))
      goto bad;
  }
  return 0;
bad:
  /* Every port before this one holds sockets and a TX queue, and the region may be mapped:
   * tsvs_io_close() releases the sockets and queues of all ports (unused ones are -1/NULL). */
  tsvs_io_close(io);
  if (io->region) tsvs_region_unmap(io->region, io->region_len);
  io->region = NULL;
  return rc;
}

void tsvs_io_poll_stats(struct tsvs_io *io) {
  uint32_t i;
  for (i = 0; i < io->nports; i++) {
    struct tsvs_port *p = &io->port[i];
    struct tpacket_stats_v3 s;
    socklen_t sl = sizeof s;
    if (p->fd < 0) continue;
    memset(&s, 0, sizeof s);
    if (getsockopt(p->fd, SOL_PACKET, PACKET_STATISTICS, &s, &sl) == 0) {
      p->st.k_packets += s.tp_packets;
      p->st.k_drops += s.tp_drops;
      if (io->version == 3) p->st.k_freeze += s.tp_freeze_q_cnt;
    }
    sl = sizeof s;
    if (p->jumbo.fd >= 0 && getsockopt(p->jumbo.fd, SOL_PACKET, PACKET_STATISTICS, &s, &sl) == 0) {
      p->st.k_packets += s.tp_packets;
      p->st.k_drops += s.tp_drops;
    }
  }
}

void tsvs_io_close(struct tsvs_io *io) {
  uint32_t i;
  tsvs_io_poll_stats(io);
  for (i = 0; i < TSVS_MAX_PORTS; i++) {
    struct tsvs_port *p = &io->port[i];
    if (p->fd >= 0) close(p->fd);
    if (p->plain_fd >= 0) close(p->plain_fd);
    if (p->tx_fd >= 0) close(p->tx_fd);
    if (p->gso_fd >= 0) close(p->gso_fd);
    if (p->jumbo.fd >= 0) close(p->jumbo.fd);
    p->fd = p->plain_fd = p->tx_fd = p->gso_fd = p->jumbo.fd = -1;
    free(p->msgs);
    free(p->iov);
    free(p->cls);
    p->msgs = NULL;
    p->iov = NULL;
    p->cls = NULL;
  }
}

void tsvs_region_unmap(uint8_t *region, size_t len) {
  if (region) munmap(region, len);
}
