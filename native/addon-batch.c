/* addon-batch.c: the bindings of the batch loop: setArrays() hands the RxBatch and TX arrays to
 * the loop (loop.c), start() begins delivering batches to onRx, send() transmits the TX arrays
 * outside a batch, copyIn() stages caller frames in the region. */
#include <errno.h>
#include <string.h>

#include "addon-bind.h"
#include "napi-util.h"

/* setArrays(handle, rxOff, rxLen, rxFlags, rxPort, txOff, txLen, txFlags, txPort) */
napi_value js_set_arrays(napi_env env, napi_callback_info info) {
  size_t argc = 9, l[8];
  napi_value argv[9];
  void *d[8];
  napi_ref refs[8] = {NULL};
  static const napi_typedarray_type want[8] = {napi_int32_array, napi_int32_array, napi_uint8_array, napi_uint8_array,
                                               napi_int32_array, napi_int32_array, napi_uint8_array, napi_uint8_array};
  struct addon_io *a;
  int k;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 9 || !(a = addon_get_open_io(env, argv[0], "setArrays"))) return NULL;
  for (k = 0; k < 8; k++)
    if (!addon_typed(env, argv[k + 1], want[k], &d[k], &l[k]))
      return addon_throw_errno(env, EINVAL, "setArrays: expected Int32Array, Int32Array, Uint8Array, Uint8Array x2");
  if (l[1] != l[0] || l[2] != l[0] || l[3] != l[0] || l[5] != l[4] || l[6] != l[4] || l[7] != l[4])
    return addon_throw_errno(env, EINVAL, "setArrays: RX arrays and TX arrays must each have one length");
  for (k = 0; k < 8; k++) /* hold the new arrays before letting the old ones go */
    if (napi_create_reference(env, argv[k + 1], 1, &refs[k]) != napi_ok) {
      addon_throw_last(env);
      while (k-- > 0) addon_drop_ref(env, &refs[k]);
      return NULL;
    }
  for (k = 0; k < 8; k++) {
    addon_drop_ref(env, &a->arrays[k]);
    a->arrays[k] = refs[k];
  }
  a->rx_off = d[0];
  a->rx_len = d[1];
  a->rx_flags = d[2];
  a->rx_port = d[3];
  a->rx_cap = (uint32_t)l[0];
  a->tx_off = d[4];
  a->tx_len = d[5];
  a->tx_flags = d[6];
  a->tx_port = d[7];
  a->tx_cap = (uint32_t)l[4];
  return NULL;
}

/* start(handle, onRx(n) -> queued, maxBatches) */
napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], name;
  napi_valuetype t;
  struct addon_io *a;
  uv_loop_t *loop;
  uint32_t mb = 0;
  int rc;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !(a = addon_get_open_io(env, argv[0], "start"))) return NULL;
  if (napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function)
    return addon_throw_errno(env, EINVAL, "start(handle, onRx): onRx must be a function");
  if (a->started) return addon_throw_errno(env, EBUSY, "start: already started");
  if (!a->rx_off || !a->tx_off) return addon_throw_errno(env, EINVAL, "start: setArrays() first");
  if (argc >= 3 && napi_get_value_uint32(env, argv[2], &mb) == napi_ok && mb > 0) a->max_batches = mb;
  NAPI_CALL(napi_get_uv_event_loop(env, &loop));
  NAPI_CALL(napi_create_string_utf8(env, "tsvs:af_packet", NAPI_AUTO_LENGTH, &name));
  if (napi_create_reference(env, argv[1], 1, &a->on_rx) != napi_ok ||
      napi_async_init(env, NULL, name, &a->actx) != napi_ok) {
    addon_throw_last(env);
    addon_drop_callback(env, a); /* no loop yet: start() may be called again */
    return NULL;
  }
  a->env = env;
  rc = loop_start(a, loop);
  if (rc < 0) {
    /* Some uv handles may be initialized; they can only be closed, so the handle is closed too. */
    addon_throw_errno(env, -rc, "start: watching the packet sockets (uv_poll) failed; the handle is closed");
    addon_shut(env, a);
    return NULL;
  }
  return NULL;
}

/* send(handle, n) -> frames accepted by the kernel */
napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], r;
  struct addon_io *a;
  uint32_t n = 0, sent = 0;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !(a = addon_get_open_io(env, argv[0], "send"))) return NULL;
  if (napi_get_value_uint32(env, argv[1], &n) != napi_ok)
    return addon_throw_errno(env, EINVAL, "send(handle, n): n must be a number");
  if (a->tx_off && n > 0)
    sent = tsvs_io_send(&a->io, a->tx_off, a->tx_len, a->tx_flags, a->tx_port, n < a->tx_cap ? n : a->tx_cap);
  NAPI_CALL(napi_create_uint32(env, sent, &r));
  return r;
}

/* copyIn(handle, src, srcOff, dstOff, len): copies caller memory into the region (TX staging). */
napi_value js_copy_in(napi_env env, napi_callback_info info) {
  size_t argc = 5, slen = 0;
  napi_value argv[5];
  struct addon_io *a;
  void *src = NULL;
  uint32_t so = 0, dst = 0, len = 0;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5 || !(a = addon_get_open_io(env, argv[0], "copyIn"))) return NULL;
  if (!addon_typed(env, argv[1], napi_uint8_array, &src, &slen))
    return addon_throw_errno(env, EINVAL, "copyIn: src must be a Buffer or Uint8Array");
  if (napi_get_value_uint32(env, argv[2], &so) != napi_ok || napi_get_value_uint32(env, argv[3], &dst) != napi_ok ||
      napi_get_value_uint32(env, argv[4], &len) != napi_ok)
    return addon_throw_errno(env, EINVAL, "copyIn(handle, src, srcOff, dstOff, len): offsets and length must be numbers");
  if ((size_t)so + len > slen || (size_t)dst + len > a->io.region_len)
    return addon_throw_errno(env, ERANGE, "copyIn: out of bounds");
  memcpy(a->io.region + dst, (uint8_t *)src + so, len);
  return NULL;
}
