/* fanout.c: joining the RX socket of a port to a PACKET_FANOUT_CBPF group and setting the group's
 * classic BPF program (net/packet/af_packet.c: fanout_add, fanout_set_data_cbpf, fanout_demux_bpf,
 * and packet_getsockopt PACKET_FANOUT for the id the kernel chose). See fanout.h. */
#include "fanout.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#ifndef PACKET_FANOUT_CBPF
#define PACKET_FANOUT_CBPF 6
#endif
#ifndef PACKET_FANOUT_DATA
#define PACKET_FANOUT_DATA 22
#endif
#ifndef PACKET_FANOUT_FLAG_UNIQUEID
#define PACKET_FANOUT_FLAG_UNIQUEID 0x2000
#endif

static int fanout_fail(char *err, size_t errlen, const char *what, const struct tsvs_port *p) {
  int e = errno;
  snprintf(err, errlen, "%s on %s: %s", what, p->name, strerror(e));
  return -e;
}

int tsvs_fanout_join(struct tsvs_io *io, uint32_t i, int jumbo, uint16_t *id, char *err, size_t errlen) {
  struct tsvs_port *p;
  int val, got = 0, fd;
  socklen_t len = sizeof got;
  if (i >= io->nports || io->port[i].fd < 0) {
    snprintf(err, errlen, "fanout: no open port %u", i);
    return -EINVAL;
  }
  p = &io->port[i];
  fd = jumbo ? p->jumbo.fd : p->fd;
  if (fd < 0) {
    *id = 0;
    return 0;
  }
  /* setsockopt value: group id in the low 16 bits, type | flags above (packet_setsockopt). The
   * UNIQUEID flag is the creator's only: fanout_add drops it from the group's flags, so the
   * members that follow join with the plain type and the id read back below. */
  val = (int)(*id == 0 ? (uint32_t)(PACKET_FANOUT_CBPF | PACKET_FANOUT_FLAG_UNIQUEID) << 16
                       : ((uint32_t)PACKET_FANOUT_CBPF << 16) | *id);
  if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &val, sizeof val) < 0)
    return fanout_fail(err, errlen, *id == 0 ? "setsockopt(PACKET_FANOUT, new group)" : "setsockopt(PACKET_FANOUT)", p);
  /* getsockopt returns id | type << 16 | flags << 24 of the group joined. */
  if (getsockopt(fd, SOL_PACKET, PACKET_FANOUT, &got, &len) < 0)
    return fanout_fail(err, errlen, "getsockopt(PACKET_FANOUT)", p);
  *id = (uint16_t)(got & 0xffff);
  return 0;
}

int tsvs_fanout_program(struct tsvs_io *io, uint32_t i, const struct sock_filter *prog, uint16_t n, char *err,
                        size_t errlen) {
  struct sock_fprog fp;
  if (i >= io->nports || io->port[i].fd < 0) {
    snprintf(err, errlen, "fanout: no open port %u", i);
    return -EINVAL;
  }
  if (n == 0 || n > BPF_MAXINSNS) {
    snprintf(err, errlen, "fanout: a program has 1 to %d instructions, got %u", BPF_MAXINSNS, n);
    return -EINVAL;
  }
  fp.len = n;
  fp.filter = (struct sock_filter *)prog; /* the kernel copies it (bpf_prog_create_from_user) */
  if (setsockopt(io->port[i].fd, SOL_PACKET, PACKET_FANOUT_DATA, &fp, sizeof fp) < 0)
    return fanout_fail(err, errlen, "setsockopt(PACKET_FANOUT_DATA)", &io->port[i]);
  if (io->port[i].jumbo.fd >= 0 && setsockopt(io->port[i].jumbo.fd, SOL_PACKET, PACKET_FANOUT_DATA, &fp, sizeof fp) < 0)
    return fanout_fail(err, errlen, "setsockopt(PACKET_FANOUT_DATA) for the jumbo ring", &io->port[i]);
  return 0;
}
