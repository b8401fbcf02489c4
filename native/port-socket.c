/* port-socket.c: the AF_PACKET sockets of one port: its RX socket with the ring's options and
 * geometry (and the jumbo ring's socket with the length filter that splits the traffic), its three
 * transmit-only sockets, then mapping each ring into the region and binding it. User side of
 * net/packet/af_packet.c (packet_setsockopt, packet_set_ring, packet_mmap); see ring.h. */
#include "ring.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif
#ifndef PACKET_QDISC_BYPASS
#define PACKET_QDISC_BYPASS 20
#endif

static int setopt(int fd, int level, int name, int v) { return setsockopt(fd, level, name, &v, sizeof v); }

/* A transmit-only socket: bound with protocol 0, so no packet is ever queued to it, and never
 * polled, so freeing its sent skbs (sock_wfree -> sock_def_write_space) finds no waiter to wake.
 * bypass: PACKET_QDISC_BYPASS (dev_direct_xmit); vnet: PACKET_VNET_HDR. Returns the fd or -errno. */
static int tx_socket(struct tsvs_port *p, int bypass, int vnet, const struct tsvs_opts *o, char *err, size_t errlen) {
  struct sockaddr_ll sll;
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return tsvs_fail(err, errlen, "socket(AF_PACKET, SOCK_RAW) for transmit", p->name);
  if (vnet && setopt(fd, SOL_PACKET, PACKET_VNET_HDR, 1) < 0) {
    int rc = tsvs_fail(err, errlen, "setsockopt(PACKET_VNET_HDR)", p->name);
    close(fd);
    return rc;
  }
  if (bypass && setopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1) < 0) {
    int rc = tsvs_fail(err, errlen, "setsockopt(PACKET_QDISC_BYPASS)", p->name);
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
    int rc = tsvs_fail(err, errlen, "bind(AF_PACKET) for transmit", p->name);
    close(fd);
    return rc;
  }
  return fd;
}

/* The options every RX socket gets before its ring exists (packet_setsockopt returns EBUSY after):
 * vnet headers, the TPACKET version, headroom in front of every ring frame (tp_reserve), and for V2
 * frames too big for a slot queued whole on the socket (PACKET_COPY_THRESH). */
static int rx_options(int fd, int version, struct tsvs_port *p, const struct tsvs_opts *o, char *err, size_t errlen) {
  if (setopt(fd, SOL_PACKET, PACKET_VNET_HDR, 1) < 0) return tsvs_fail(err, errlen, "setsockopt(PACKET_VNET_HDR)", p->name);
  if (setopt(fd, SOL_PACKET, PACKET_VERSION, version == 3 ? TPACKET_V3 : TPACKET_V2) < 0)
    return tsvs_fail(err, errlen, "setsockopt(PACKET_VERSION)", p->name);
  if (setopt(fd, SOL_PACKET, PACKET_RESERVE, TSVS_RX_HEADROOM) < 0)
    return tsvs_fail(err, errlen, "setsockopt(PACKET_RESERVE)", p->name);
  if (version == 2 && setopt(fd, SOL_PACKET, PACKET_COPY_THRESH, 1) < 0)
    return tsvs_fail(err, errlen, "setsockopt(PACKET_COPY_THRESH)", p->name);
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
    return tsvs_fail(err, errlen, "setsockopt(PACKET_RX_RING, TPACKET_V2)", p->name);
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
    return tsvs_fail(err, errlen, "setsockopt(SO_ATTACH_FILTER)", p->name);
  return 0;
}

/* Socket options and the ring (geometry from p) for one port, and its jumbo ring's socket when p
 * has one; the rings are mapped later, at ring_off and jumbo.ring_off. */
int tsvs_port_socket(struct tsvs_io *io, struct tsvs_port *p, const struct tsvs_opts *o, char *err, size_t errlen) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0); /* protocol 0: no traffic before bind */
  int rc;
  if (fd < 0) return tsvs_fail(err, errlen, "socket(AF_PACKET, SOCK_RAW)", p->name);
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
      return tsvs_fail(err, errlen, "setsockopt(PACKET_RX_RING, TPACKET_V3)", p->name);
    return 0;
  }
  if ((rc = v2_ring(fd, p, p->frame_size, p->frame_nr, p->block_size, err, errlen)) < 0) return rc;
  if (p->jumbo.frame_nr == 0) return 0;
  if ((rc = len_filter(fd, p, p->jumbo.min_len, 0, err, errlen)) < 0) return rc;
  fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return tsvs_fail(err, errlen, "socket(AF_PACKET, SOCK_RAW) for the jumbo ring", p->name);
  p->jumbo.fd = fd;
  if ((rc = rx_options(fd, 2, p, o, err, errlen)) < 0 || (rc = len_filter(fd, p, p->jumbo.min_len, 1, err, errlen)) < 0)
    return rc;
  return v2_ring(fd, p, p->jumbo.frame_size, p->jumbo.frame_nr, p->jumbo.frame_size, err, errlen);
}

int tsvs_ring_map(struct tsvs_io *io, struct tsvs_port *p, int fd, size_t off, size_t len, char *err, size_t errlen) {
  if (mmap(io->region + off, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_POPULATE, fd, 0) == MAP_FAILED)
    return tsvs_fail(err, errlen, "mmap(PACKET_RX_RING)", p->name);
  return 0;
}

int tsvs_ring_bind(struct tsvs_port *p, int fd, char *err, size_t errlen) {
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = p->ifindex;
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) return tsvs_fail(err, errlen, "bind(AF_PACKET)", p->name);
  return 0;
}
