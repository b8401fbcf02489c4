/* ring.c: opening the AF_PACKET sockets of each port, their RX ring geometry and the one region
 * they are mapped into (see ring.h); closing; PACKET_STATISTICS. User side of
 * net/packet/af_packet.c (packet_setsockopt, packet_set_ring, packet_mmap). */
#include "ring.h"

#include "layout.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif
#ifndef PACKET_QDISC_BYPASS
#define PACKET_QDISC_BYPASS 20
#endif

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

static int fail(char *err, size_t errlen, const char *what, const char *ifname) {
  int e = errno;
  snprintf(err, errlen, "%s on %s: %s", what, ifname, strerror(e));
  return -e;
}

static int setopt(int fd, int level, int name, int v) { return setsockopt(fd, level, name, &v, sizeof v); }

/* A transmit-only socket: bound with protocol 0, so no packet is ever queued to it, and never
 * polled, so freeing its sent skbs (sock_wfree -> sock_def_write_space) finds no waiter to wake.
 * bypass: PACKET_QDISC_BYPASS (dev_direct_xmit); vnet: PACKET_VNET_HDR. Returns the fd or -errno. */
static int tx_socket(struct tsvs_port *p, int bypass, int vnet, const struct tsvs_opts *o, char *err, size_t errlen) {
  struct sockaddr_ll sll;
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail(err, errlen, "socket(AF_PACKET, SOCK_RAW) for transmit", p->name);
  if (vnet && setopt(fd, SOL_PACKET, PACKET_VNET_HDR, 1) < 0) {
    int rc = fail(err, errlen, "setsockopt(PACKET_VNET_HDR)", p->name);
    close(fd);
    return rc;
  }
  if (bypass && setopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1) < 0) {
    int rc = fail(err, errlen, "setsockopt(PACKET_QDISC_BYPASS)", p->name);
    close(fd);
    return rc;
  }
  if (setopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, o->sock_buf_bytes) < 0)
    (void)setopt(fd, SOL_SOCKET, SO_SNDBUF, o->sock_buf_bytes);
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = 0;
  sll.sll_ifindex = p->ifindex;
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
    int rc = fail(err, errlen, "bind(AF_PACKET) for transmit", p->name);
    close(fd);
    return rc;
  }
  return fd;
}

/* The options every RX socket gets before its ring exists (packet_setsockopt returns EBUSY after):
 * vnet headers, the TPACKET version, headroom in front of every ring frame (tp_reserve), and for V2
 * frames too big for a slot queued whole on the socket (PACKET_COPY_THRESH). */
static int rx_options(int fd, int version, struct tsvs_port *p, const struct tsvs_opts *o, char *err, size_t errlen) {
  if (setopt(fd, SOL_PACKET, PACKET_VNET_HDR, 1) < 0) return fail(err, errlen, "setsockopt(PACKET_VNET_HDR)", p->name);
  if (setopt(fd, SOL_PACKET, PACKET_VERSION, version == 3 ? TPACKET_V3 : TPACKET_V2) < 0)
    return fail(err, errlen, "setsockopt(PACKET_VERSION)", p->name);
  if (setopt(fd, SOL_PACKET, PACKET_RESERVE, TSVS_RX_HEADROOM) < 0)
    return fail(err, errlen, "setsockopt(PACKET_RESERVE)", p->name);
  if (version == 2 && setopt(fd, SOL_PACKET, PACKET_COPY_THRESH, 1) < 0)
    return fail(err, errlen, "setsockopt(PACKET_COPY_THRESH)", p->name);
  /* Old kernels lack it: frames we sent are then skipped by sll_pkttype in collect. */
  (void)setopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1);
  if (setopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, o->sock_buf_bytes) < 0)
    (void)setopt(fd, SOL_SOCKET, SO_RCVBUF, o->sock_buf_bytes);
  return 0;
}

/* A V2 ring of nr slots of size bytes, one slot per block (block = max(slot, page)). */
static int v2_ring(int fd, struct tsvs_port *p, uint32_t size, uint32_t nr, uint32_t block, char *err, size_t errlen) {
  struct tpacket_req req;
  memset(&req, 0, sizeof req);
  req.tp_block_size = block;
  req.tp_block_nr = nr / (block / size);
  req.tp_frame_size = size;
  req.tp_frame_nr = nr;
  if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0)
    return fail(err, errlen, "setsockopt(PACKET_RX_RING, TPACKET_V2)", p->name);
  return 0;
}

/* A classic BPF filter keeping the frames (skb->len, Ethernet header on: packet_rcv pushes it back
 * before run_filter) shorter than len, or with above, those of at least len: the split between a
 * port's ring and its jumbo ring. */
static int len_filter(int fd, struct tsvs_port *p, uint32_t len, int above, char *err, size_t errlen) {
  struct sock_filter code[] = {
      {BPF_LD | BPF_W | BPF_LEN, 0, 0, 0},
      {BPF_JMP | BPF_JGE | BPF_K, 0, 1, len},
      {BPF_RET | BPF_K, 0, 0, above ? 0xffffffffu : 0},
      {BPF_RET | BPF_K, 0, 0, above ? 0 : 0xffffffffu},
  };
  struct sock_fprog prog = {(unsigned short)(sizeof code / sizeof code[0]), code};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0)
    return fail(err, errlen, "setsockopt(SO_ATTACH_FILTER)", p->name);
  return 0;
}

/* Socket options and the ring (geometry from p) for one port, and its jumbo ring's socket when p
 * has one; the rings are mapped later, at ring_off and jumbo.ring_off. */
int tsvs_port_socket(struct tsvs_io *io, struct tsvs_port *p, const struct tsvs_opts *o, char *err, size_t errlen) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0); /* protocol 0: no traffic before bind */
  int rc;
  if (fd < 0) return fail(err, errlen, "socket(AF_PACKET, SOCK_RAW)", p->name);
  p->fd = fd;
  if ((rc = rx_options(fd, io->version, p, o, err, errlen)) < 0) return rc;
  if ((fd = tx_socket(p, 1, 0, o, err, errlen)) < 0) return fd;
  p->plain_fd = fd;
  if ((fd = tx_socket(p, 1, 1, o, err, errlen)) < 0) return fd;
  p->tx_fd = fd;
  if ((fd = tx_socket(p, 0, 1, o, err, errlen)) < 0) return fd;
  p->gso_fd = fd;
  fd = p->fd;

  if (io->version == 3) {
    struct tpacket_req3 req;
    memset(&req, 0, sizeof req);
    req.tp_block_size = p->block_size;
    req.tp_block_nr = p->block_nr;
    req.tp_frame_size = p->frame_size;
    req.tp_frame_nr = (p->block_size / p->frame_size) * p->block_nr;
    req.tp_retire_blk_tov = o->block_tov_ms;
    if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0)
      return fail(err, errlen, "setsockopt(PACKET_RX_RING, TPACKET_V3)", p->name);
    return 0;
  }
  if ((rc = v2_ring(fd, p, p->frame_size, p->frame_nr, p->block_size, err, errlen)) < 0) return rc;
  if (p->jumbo.frame_nr == 0) return 0;
  if ((rc = len_filter(fd, p, p->jumbo.min_len, 0, err, errlen)) < 0) return rc;
  fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail(err, errlen, "socket(AF_PACKET, SOCK_RAW) for the jumbo ring", p->name);
  p->jumbo.fd = fd;
  if ((rc = rx_options(fd, 2, p, o, err, errlen)) < 0 || (rc = len_filter(fd, p, p->jumbo.min_len, 1, err, errlen)) < 0)
    return rc;
  return v2_ring(fd, p, p->jumbo.frame_size, p->jumbo.frame_nr, p->jumbo.frame_size, err, errlen);
}

int tsvs_ring_map(struct tsvs_io *io, struct tsvs_port *p, int fd, size_t off, size_t len, char *err, size_t errlen) {
  if (mmap(io->region + off, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_POPULATE, fd, 0) == MAP_FAILED)
    return fail(err, errlen, "mmap(PACKET_RX_RING)", p->name);
  return 0;
}

int tsvs_ring_bind(struct tsvs_port *p, int fd, char *err, size_t errlen) {
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = p->ifindex;
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) return fail(err, errlen, "bind(AF_PACKET)", p->name);
  return 0;
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
      rc = fail(err, errlen, "interface lookup", p->name);
      goto bad;
    }
    tsvs_ring_geometry(p, io->version, o);
    if ((rc = tsvs_port_socket(io, p, o, err, errlen)) < 0) goto bad;
    p->msgs = calloc(io->tx_cap, sizeof *p->msgs);
    p->iov = calloc(io->tx_cap, sizeof *p->iov);
    p->cls = calloc(io->tx_cap, 1);
    if (!p->msgs || !p->iov || !p->cls) {
      errno = ENOMEM;
      rc = fail(err, errlen, "allocating the TX queue", p->name);
      goto bad;
    }
  }
  tsvs_region_layout(io, o);

  /* Reserve the whole region, then map each ring over its part. */
  io->region = mmap(NULL, io->region_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (io->region == MAP_FAILED) {
    io->region = NULL;
    rc = fail(err, errlen, "mmap(region)", names[0]);
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
