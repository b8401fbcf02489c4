/* loop-batch.c: the work of one wakeup of the batch loop (loop.c decides when): batches of
 * collected frames, one JS call (napi_make_callback) each, then one sendmmsg per port and the RX
 * slots go back to the kernel; and busy polling, which keeps looking at the rings for a while
 * after frames before the loop sleeps again. */
#include <time.h>

#include "addon.h"

/* Runs up to max_batches batches; returns the frames handled. */
uint32_t loop_run_batches(struct addon_io *a) {
  napi_env env = a->env;
  napi_handle_scope scope;
  napi_value fn, recv, arg, res;
  uint32_t b, total = 0;
  if (a->closing || a->in_cb || !a->on_rx) return 0;
  /* N-API failures here cannot be thrown to a caller (the event loop called us): the batch ends
   * and the frames go back to the kernel, as when JS throws. */
  if (napi_open_handle_scope(env, &scope) != napi_ok) return 0;
  if (napi_get_reference_value(env, a->on_rx, &fn) != napi_ok || !fn || napi_get_global(env, &recv) != napi_ok) {
    (void)napi_close_handle_scope(env, scope);
    return 0;
  }
  for (b = 0; b < a->max_batches; b++) {
    uint32_t n = tsvs_io_collect(&a->io, a->rx_off, a->rx_len, a->rx_flags, a->rx_port, a->rx_cap);
    uint32_t ntx = 0;
    napi_status st;
    if (n == 0) {
      tsvs_io_release(&a->io); /* frames skipped in collect (truncated, our own) */
      break;
    }
    total += n;
    a->batches++;
    st = napi_create_uint32(env, n, &arg);
    if (st == napi_ok) {
      a->in_cb = 1;
      st = napi_make_callback(env, a->actx, recv, fn, 1, &arg, &res);
      a->in_cb = 0;
    }
    if (st != napi_ok) {
      napi_value exc;
      if (!a->closing) tsvs_io_release(&a->io);
      /* An exception from onRx goes to process 'uncaughtException', as from any event callback. */
      if (napi_get_and_clear_last_exception(env, &exc) == napi_ok && napi_fatal_exception(env, exc) != napi_ok)
        napi_fatal_error("tsvs_native", NAPI_AUTO_LENGTH, "onRx threw and the exception could not be reported",
                         NAPI_AUTO_LENGTH);
      break;
    }
    if (a->closing) break;
    if (napi_get_value_uint32(env, res, &ntx) == napi_ok && ntx > 0)
      tsvs_io_send(&a->io, a->tx_off, a->tx_len, a->tx_flags, a->tx_port, ntx < a->tx_cap ? ntx : a->tx_cap);
    tsvs_io_release(&a->io);
    /* No break on a short batch: go on while the rings hold frames. Our own sends put some there
     * (a real server's kernel answers a SYN with its SYN-ACK inside our sendmmsg, on a veth), and
     * in polling mode they would otherwise wait a whole tick, which costs short connections most.
     * The next collect finding nothing ends the loop. */
  }
  (void)napi_close_handle_scope(env, scope); /* fails only for a scope mismatch, which cannot happen here */
  return total;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Busy polling (what SO_BUSY_POLL does for a socket, net/core/dev.c napi_busy_loop), in
 * interrupt mode: after a wakeup that found frames, keep looking at the rings for spin_us more
 * before sleeping again. Frames that arrive meanwhile are handled without a wakeup (no
 * ep_poll_callback, no IPI, no context switch: costly in a VM) and at once (no poll-timer delay);
 * each batch found restarts the window. A session ends after SPIN_MAX_NS so timers and the control
 * socket keep their turn, and *full is set when traffic never paused that long: that is a flood,
 * better served by the poll timer's bigger batches. Returns the frames handled. */
#define SPIN_MAX_NS 1000000u
uint32_t loop_spin(struct addon_io *a, int *full) {
  uint64_t start, last, t, win = (uint64_t)a->spin_us * 1000u;
  uint32_t total = 0;
  *full = 0;
  if (win == 0) return 0;
  start = last = now_ns();
  for (;;) {
    if (tsvs_io_ready(&a->io)) {
      total += loop_run_batches(a);
      if (a->closing) break;
      last = now_ns();
      if (last - start > SPIN_MAX_NS) {
        *full = 1;
        break;
      }
      continue;
    }
    t = now_ns();
    if (t - last >= win || t - start > SPIN_MAX_NS) break;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  a->spins++;
  a->spin_frames += total;
  return total;
}
