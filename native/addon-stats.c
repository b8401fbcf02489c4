/* addon-stats.c: the counters' bindings: stats() per port in the columns of stats-columns.h
 * (exported as statColumns), loopStats() of the batch loop, and setSpinUs(), the busy-poll window
 * the loop reads at each wakeup. */
#include <errno.h>

#include "addon-bind.h"
#include "napi-util.h"
#include "stats-columns.h"

static const char *const stat_columns[] = {
#define X(name, field, doc) #name,
    TSVS_STAT_COLUMNS(X)
#undef X
};
#define NSTAT (sizeof stat_columns / sizeof stat_columns[0])

/* stats(handle) -> Float64Array(ports x NSTAT): per port, one number per column of
 * TSVS_STAT_COLUMNS (stats-columns.h), in that order. */
napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], ab, arr;
  struct addon_io *a;
  double *d;
  uint32_t i;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !(a = addon_get_open_io(env, argv[0], "stats"))) return NULL;
  tsvs_io_poll_stats(&a->io);
  NAPI_CALL(napi_create_arraybuffer(env, sizeof(double) * NSTAT * a->io.nports, (void **)&d, &ab));
  for (i = 0; i < a->io.nports; i++) {
    const struct tsvs_port_stats *s = &a->io.port[i].st;
    double *o = d + (size_t)i * NSTAT;
#define X(name, field, doc) *o++ = (double)s->field;
    TSVS_STAT_COLUMNS(X)
#undef X
  }
  NAPI_CALL(napi_create_typedarray(env, napi_float64_array, NSTAT * a->io.nports, ab, 0, &arr));
  return arr;
}

/* The names of stats()'s columns, in order: an array exported as statColumns. */
napi_value addon_stat_column_names(napi_env env) {
  napi_value arr, v;
  uint32_t k;
  if (napi_create_array_with_length(env, NSTAT, &arr) != napi_ok) return NULL;
  for (k = 0; k < NSTAT; k++)
    if (napi_create_string_utf8(env, stat_columns[k], NAPI_AUTO_LENGTH, &v) != napi_ok ||
        napi_set_element(env, arr, k, v) != napi_ok)
      return NULL;
  return arr;
}

/* loopStats(handle) -> Float64Array [wakeups, ticks, switches, batches, polling, spins, spinFrames] */
napi_value js_loop_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], ab, arr;
  struct addon_io *a;
  double *d;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !(a = addon_get_open_io(env, argv[0], "loopStats"))) return NULL;
  NAPI_CALL(napi_create_arraybuffer(env, sizeof(double) * 7, (void **)&d, &ab));
  d[0] = (double)a->wakeups;
  d[1] = (double)a->ticks;
  d[2] = (double)a->switches;
  d[3] = (double)a->batches;
  d[4] = a->polling;
  d[5] = (double)a->spins;
  d[6] = (double)a->spin_frames;
  NAPI_CALL(napi_create_typedarray(env, napi_float64_array, 7, ab, 0, &arr));
  return arr;
}

/* setSpinUs(handle, us): the busy-poll window, read by the loop at each wakeup (loop.c spin). */
napi_value js_set_spin_us(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  struct addon_io *a;
  uint32_t us = 0;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !(a = addon_get_open_io(env, argv[0], "setSpinUs"))) return NULL;
  if (napi_get_value_uint32(env, argv[1], &us) != napi_ok)
    return addon_throw_errno(env, EINVAL, "setSpinUs(handle, us): us must be a number");
  a->spin_us = us;
  return NULL;
}
