/* fanout.h: a port's RX socket joins a PACKET_FANOUT group of type PACKET_FANOUT_CBPF, whose
 * classic BPF program picks the member (the worker) for each frame. User side of
 * net/packet/af_packet.c fanout_add(), fanout_set_data_cbpf() and fanout_demux_bpf(). */
#ifndef TSVS_FANOUT_H
#define TSVS_FANOUT_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "ring.h"

/* Joins port i's RX socket to fanout group *id; *id == 0 creates a new group with an id the
 * kernel picks (PACKET_FANOUT_FLAG_UNIQUEID) and writes it to *id. The member's index in the group
 * is its join order (fanout_add appends to f->arr), so the caller joins workers in index order.
 * 0, or -errno with err[] saying which step. */
int tsvs_fanout_join(struct tsvs_io *io, uint32_t i, uint16_t *id, char *err, size_t errlen);

/* Installs prog (n instructions) as the group's demux program through port i's socket
 * (PACKET_FANOUT_DATA): the kernel sends a frame to member (return value % members), and replaces
 * the program atomically (RCU) when it is set again. 0, or -errno with err[] set. */
int tsvs_fanout_program(struct tsvs_io *io, uint32_t i, const struct sock_filter *prog, uint16_t n, char *err,
                        size_t errlen);

#endif
