/* loop.c: the event-loop side of the addon: when to run batches (loop-batch.c: per batch, one JS
 * call, then one sendmmsg per port and the RX slots go back to the kernel).
 *
 * Adaptive wakeups, as NAPI does for a NIC (net/core/dev.c, napi_schedule / busy polling):
 *   interrupt mode  uv_poll on each RX socket: woken for the first frame (TPACKET_V2 readies the
 *                   socket per frame), so a lone packet is handled at once (low latency).
 *                   With busy polling (spin_us > 0), after frames we keep polling the rings for
 *                   spin_us before sleeping: medium loads (request/response traffic, a TCP stream)
 *                   are served with no wakeup per burst and no timer delay.
 *   polling mode    when one wakeup found >= poll_enter frames (with busy polling: a spin session
 *                   ran 1 ms without a pause and found >= 16 x poll_enter frames, a flood), the
 *                   sockets leave epoll and a timerfd wakes us every poll_us instead: no more
 *                   wakeup per frame for the kernel to deliver (ep_poll_callback, IPIs), and
 *                   batches grow to hundreds of frames. When a tick finds fewer than poll_exit
 *                   frames, back to interrupt mode.
 * A wakeup (or tick) handles batches until the rings are empty, capped at max_batches batches so
 * timers and I/O keep their turn. */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "addon.h"

void loop_free_if_done(struct addon_io *a) {
  if (a->finalized && a->pending_close == 0) free(a);
}

static void arm(struct addon_io *a, uint32_t us) {
  struct itimerspec t = {{0, 0}, {(time_t)(us / 1000000), (long)(us % 1000000) * 1000}};
  timerfd_settime(a->tfd, 0, &t, NULL);
}

static void on_ring(uv_poll_t *h, int status, int events);

static void on_tick(uv_poll_t *h, int status, int events) {
  struct addon_io *a = h->data;
  uint64_t expirations;
  uint32_t n, i;
  (void)status; /* an error or a spurious wakeup: the rings are looked at all the same */
  (void)events;
  if (read(a->tfd, &expirations, sizeof expirations) < 0 && errno != EAGAIN) return;
  if (a->closing || !a->polling) return;
  a->ticks++;
  n = loop_run_batches(a);
  if (a->closing) return;
  /* A backlog is max_batches full batches' worth of frames, not merely max_batches batches: a
   * flood met in small batches would otherwise re-arm at 1 us again and again and keep the
   * batches small (~20 frames), costing more per frame than a tick's full batches. */
  if (n >= a->max_batches * a->rx_cap) {
    arm(a, 1); /* capped with a backlog left: come back at once */
    a->quick = 1;
    return;
  }
  if (n >= a->poll_exit || a->quick) {
    arm(a, a->poll_us); /* a tick right after a capped one says nothing about the rate */
    a->quick = 0;
    return;
  }
  a->polling = 0; /* quiet: back to one wakeup per frame */
  a->switches++;
  uv_poll_stop(&a->tick);
  for (i = 0; i < a->npolls; i++) uv_poll_start(&a->polls[i], UV_READABLE, on_ring);
}

/* An error on a port's RX socket: libuv reports POLLERR as UV_EBADF and stops the handle
 * (uv__poll_io). The kernel sets sk_err to ENETDOWN when the interface goes down and to ENODEV when
 * it is unregistered (packet_notifier); reading SO_ERROR clears it. The handle is started again:
 * a socket whose interface comes back up is hooked again by the kernel (NETDEV_UP), and one whose
 * interface is gone stays quiet until it is re-opened (reattach.c, from the control plane). */
static void port_error(struct addon_io *a, uv_poll_t *h) {
  uint32_t k = (uint32_t)(h - a->polls);
  struct tsvs_port *p;
  int e = 0;
  socklen_t el = sizeof e;
  if (k >= a->npolls) return;
  p = &a->io.port[a->poll_port[k]];
  if (getsockopt(a->poll_jumbo[k] ? p->jumbo.fd : p->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0) e = errno;
  p->st.sock_errors++;
  if (e != 0) p->st.last_sock_errno = (uint64_t)e;
  if (!a->polling) uv_poll_start(h, UV_READABLE, on_ring);
}

static void on_ring(uv_poll_t *h, int status, int events) {
  struct addon_io *a = h->data;
  uint32_t n, i;
  int full = 0, busy;
  (void)events;
  if (a->closing || a->polling) return;
  if (status < 0) port_error(a, h); /* and look at the rings all the same */
  a->wakeups++;
  n = loop_run_batches(a);
  if (a->closing) return;
  if (a->spin_us > 0 && n > 0) {
    /* Busy polling on: the poll timer takes over only for a flood, a spin session that never
     * paused for 1 ms and handled >= 16 x poll_enter frames (256: >= 256k frames/s). */
    uint32_t s = loop_spin(a, &full);
    if (a->closing) return;
    busy = full && n + s >= 16u * a->poll_enter;
  } else {
    busy = n >= a->poll_enter;
  }
  if (a->poll_us == 0 || a->tfd < 0 || !busy) return;
  a->polling = 1; /* busy: leave epoll, poll on a timer */
  a->quick = 0;
  a->switches++;
  for (i = 0; i < a->npolls; i++) uv_poll_stop(&a->polls[i]);
  arm(a, a->poll_us);
  uv_poll_start(&a->tick, UV_READABLE, on_tick);
}

int loop_reattach(struct addon_io *a, uint32_t i, char *err, size_t errlen) {
  uint32_t k;
  int rc;
  /* Out of epoll before their fds are replaced (uv__poll_stop invalidates the fd). */
  for (k = 0; k < a->npolls; k++)
    if (a->poll_port[k] == i) uv_poll_stop(&a->polls[k]);
  rc = tsvs_port_reopen(&a->io, i, err, errlen);
  for (k = 0; k < a->npolls; k++)
    if (a->poll_port[k] == i && !a->polling && !a->closing) uv_poll_start(&a->polls[k], UV_READABLE, on_ring);
  return rc;
}

/* Adds a poll handle for RX socket fd of port i (jumbo: its jumbo ring's), started: 0 or a libuv error. */
static int add_poll(struct addon_io *a, uv_loop_t *loop, int fd, uint32_t i, int jumbo) {
  uint32_t k = a->npolls;
  int rc;
  if ((rc = uv_poll_init(loop, &a->polls[k], fd)) < 0) return rc;
  a->polls[k].data = a;
  a->poll_port[k] = (uint8_t)i;
  a->poll_jumbo[k] = (uint8_t)jumbo;
  a->npolls++;
  return uv_poll_start(&a->polls[k], UV_READABLE, on_ring);
}

int loop_start(struct addon_io *a, uv_loop_t *loop) {
  uint32_t i;
  int rc;
  a->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (a->tfd >= 0) {
    if ((rc = uv_poll_init(loop, &a->tick, a->tfd)) < 0) return rc;
    a->tick.data = a;
    a->tick_inited = 1;
  }
  for (i = 0; i < a->io.nports; i++) {
    const struct tsvs_port *p = &a->io.port[i];
    if ((rc = add_poll(a, loop, p->fd, i, 0)) < 0) return rc;
    if (p->jumbo.fd >= 0 && (rc = add_poll(a, loop, p->jumbo.fd, i, 1)) < 0) return rc;
  }
  a->started = 1;
  return 0;
}

static void on_closed(uv_handle_t *h) {
  struct addon_io *a = h->data;
  a->pending_close--;
  loop_free_if_done(a);
}

void loop_stop(struct addon_io *a) {
  uint32_t i;
  for (i = 0; i < a->npolls; i++) {
    uv_poll_stop(&a->polls[i]);
    a->pending_close++;
    uv_close((uv_handle_t *)&a->polls[i], on_closed);
  }
  a->npolls = 0;
  if (a->tick_inited) {
    uv_poll_stop(&a->tick);
    a->pending_close++;
    uv_close((uv_handle_t *)&a->tick, on_closed);
    a->tick_inited = 0;
  }
  if (a->tfd >= 0) close(a->tfd); /* uv_close() has already taken it out of epoll */
  a->tfd = -1;
}
