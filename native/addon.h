/* addon.h: the state behind one tsvs_native handle, shared by addon-*.c (N-API functions) and
 * loop.c, loop-batch.c (the event-loop side: readiness, adaptive polling, one JS call per batch). */
#ifndef TSVS_ADDON_H
#define TSVS_ADDON_H

#include <node_api.h>
#include <uv.h>

#include "ring.h"

struct addon_io {
  struct tsvs_io io;
  napi_env env;
  napi_ref buffer_ref;
  napi_ref on_rx;
  napi_ref arrays[8];
  napi_async_context actx;
  uv_poll_t polls[2 * TSVS_MAX_PORTS]; /* readiness of each RX socket ("interrupt" mode) */
  uint8_t poll_port[2 * TSVS_MAX_PORTS];  /* the port of each poll handle */
  uint8_t poll_jumbo[2 * TSVS_MAX_PORTS]; /* 1: the handle watches the port's jumbo ring socket */
  uint32_t npolls;
  uv_poll_t tick;                  /* the timerfd ("polling" mode) */
  int tfd, tick_inited, polling, quick;
  uint32_t pending_close;
  int started, closing, in_cb, finalized;
  uint32_t max_batches;
  uint32_t poll_us, poll_enter, poll_exit;
  uint32_t spin_us;                /* busy-poll window after frames, 0 = off */
  uint64_t spins, spin_frames;
  uint64_t wakeups, ticks, switches, batches;
  int32_t *rx_off, *rx_len;
  uint8_t *rx_flags, *rx_port;
  uint32_t rx_cap;
  int32_t *tx_off, *tx_len;
  uint8_t *tx_flags, *tx_port;
  uint32_t tx_cap;
};

/* Starts delivering batches to a->on_rx; 0 or a negative libuv error. */
int loop_start(struct addon_io *a, uv_loop_t *loop);
/* Re-opens port i on the interface now holding its name (tsvs_port_reopen), its poll handle taken
 * out of epoll meanwhile. 0 or -errno with err[] set. */
int loop_reattach(struct addon_io *a, uint32_t i, char *err, size_t errlen);
/* Runs up to max_batches batches (loop-batch.c); returns the frames handled. */
uint32_t loop_run_batches(struct addon_io *a);
/* Busy polling after a wakeup that found frames: batches while the rings keep getting frames, for
 * spin_us after the last (loop-batch.c). *full set when the session hit its 1 ms cap (a flood).
 * Returns the frames handled. */
uint32_t loop_spin(struct addon_io *a, int *full);
/* Stops and closes the uv handles (a is freed once they are closed and it was finalized). */
void loop_stop(struct addon_io *a);
void loop_free_if_done(struct addon_io *a);

#endif
