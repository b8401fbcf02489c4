/* fanout.h: a port's RX socket joins a PACKET_FANOUT group of type PACKET_FANOUT_CBPF, whose
 * classic BPF program picks the member (the worker) for each frame. User side of
 * net/packet/af_packet.c fanout_add(), fanout_set_data_cbpf() and fanout_demux_bpf(). */
#ifndef TSVS_FANOUT_H
#define TSVS_FANOUT_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "ring.h"

/* Joins port i's RX socket (jumbo: its jumbo ring's socket) to fanout group *id; *id == 0 creates
 * a new group with an id the kernel picks (PACKET_FANOUT_FLAG_UNIQUEID) and writes it to *id. The
 * member's index in the group is its join order (fanout_add appends to f->arr), so the caller joins
 * workers in index order. The two sockets of a port need a group each: the demux picks one member
 * socket of a group before that socket's own filter runs (packet_rcv_fanout, then packet_rcv's
 * run_filter), so in one group the length filters that split frames between the rings would drop
 * whatever the chosen socket does not take. A port without a jumbo ring joins nothing for jumbo
 * and leaves *id 0. 0, or -errno with err[] saying which step. */
int tsvs_fanout_join(struct tsvs_io *io, uint32_t i, int jumbo, uint16_t *id, char *err, size_t errlen);

/* Installs prog (n instructions) as the demux program of port i's groups through its sockets
 * (PACKET_FANOUT_DATA; the jumbo ring's group too when the port has one): the kernel sends a frame
 * to member (return value % members), and replaces the program atomically (RCU) when it is set
 * again. 0, or -errno with err[] set. */
int tsvs_fanout_program(struct tsvs_io *io, uint32_t i, const struct sock_filter *prog, uint16_t n, char *err,
                        size_t errlen);

#endif
