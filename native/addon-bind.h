/* addon-bind.h: the functions tsvs_native.node exports (addon.c registers them) and the handle
 * helpers the binding files share (addon-handle.c). */
#ifndef TSVS_ADDON_BIND_H
#define TSVS_ADDON_BIND_H

#include <node_api.h>

#include "addon.h"

/* addon-handle.c: open(names[], opts), close(handle). */
napi_value js_open(napi_env env, napi_callback_info info);
napi_value js_close(napi_env env, napi_callback_info info);
/* addon-batch.c: setArrays, start, send, copyIn. */
napi_value js_set_arrays(napi_env env, napi_callback_info info);
napi_value js_start(napi_env env, napi_callback_info info);
napi_value js_send(napi_env env, napi_callback_info info);
napi_value js_copy_in(napi_env env, napi_callback_info info);
/* addon-port.c: ifInfo, reattach, fanoutJoin, fanoutProgram. */
napi_value js_if_info(napi_env env, napi_callback_info info);
napi_value js_reattach(napi_env env, napi_callback_info info);
napi_value js_fanout_join(napi_env env, napi_callback_info info);
napi_value js_fanout_program(napi_env env, napi_callback_info info);
/* addon-stats.c: stats, loopStats, setSpinUs, and the statColumns array. */
napi_value js_stats(napi_env env, napi_callback_info info);
napi_value js_loop_stats(napi_env env, napi_callback_info info);
napi_value js_set_spin_us(napi_env env, napi_callback_info info);
napi_value addon_stat_column_names(napi_env env);
/* addon-state.c: mapState(path, bytes). */
napi_value js_map_state(napi_env env, napi_callback_info info);

/* Drops what start() took for calling JS: the onRx reference and the async context. */
void addon_drop_callback(napi_env env, struct addon_io *a);
/* Stops the polls, closes the sockets and drops the JS references. Idempotent. */
void addon_shut(napi_env env, struct addon_io *a);
/* The handle behind v, else NULL with a TypeError pending. */
struct addon_io *addon_get_io(napi_env env, napi_value v);
/* The handle behind v while it is open, else NULL with an exception pending (EBADF once closed:
 * the sockets are gone and the region may be unmapped). fn names the entry point in the message. */
struct addon_io *addon_get_open_io(napi_env env, napi_value v, const char *fn);

#endif
