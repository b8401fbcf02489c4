/* addon.c: the module of tsvs_native.node: registers the functions JS calls. The N-API glue lives
 * in addon-*.c, one file per area, and does no packet logic: argument checks, the external Buffer
 * over the region (ring.c), handles and errors; the event-loop side is loop.c.
 *
 *   addon-handle.c  open, close: the handle, the region's Buffer, their finalizers
 *   addon-batch.c   setArrays, start, send, copyIn: the batch loop's arrays and TX
 *   addon-port.c    ifInfo, reattach, fanoutJoin, fanoutProgram: one interface at a time
 *   addon-stats.c   stats, statColumns, loopStats, setSpinUs: counters and the busy-poll window
 *   addon-state.c   mapState: the shared, locked connection state file
 *   napi-util.c     errors with a code, properties, typed arrays
 *
 * Batch loop (loop.c, on the event loop thread):
 *   collect up to rxCap frames into the RxBatch arrays  ->  onRx(n) in JS (one call)
 *   JS returns how many frames it queued in the TX arrays  ->  sendmmsg per port  ->  release RX
 * repeated at most maxBatches times per wakeup, so the event loop keeps turning. */
#include "addon-bind.h"

static napi_value init(napi_env env, napi_value exports) {
  napi_value cols = addon_stat_column_names(env);
  napi_property_descriptor d[] = {
      {"ifInfo", NULL, js_if_info, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"setArrays", NULL, js_set_arrays, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"start", NULL, js_start, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"copyIn", NULL, js_copy_in, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"loopStats", NULL, js_loop_stats, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"reattach", NULL, js_reattach, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"setSpinUs", NULL, js_set_spin_us, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"fanoutJoin", NULL, js_fanout_join, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"fanoutProgram", NULL, js_fanout_program, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"mapState", NULL, js_map_state, NULL, NULL, NULL, napi_default_jsproperty, NULL},
      {"statColumns", NULL, NULL, NULL, NULL, cols, napi_enumerable, NULL},
  };
  if (!cols || napi_define_properties(env, exports, sizeof d / sizeof d[0], d) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
