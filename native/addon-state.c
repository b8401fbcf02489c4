/* addon-state.c: the mapState() binding: the connection state file mapped shared and locked
 * (state-map.c), handed to JS as an ArrayBuffer whose finalizer unmaps it. */
#include <errno.h>
#include <stdlib.h>

#include "addon-bind.h"
#include "napi-util.h"
#include "state-map.h"

/* Finalizer of mapState's ArrayBuffer: unmaps the file and releases its lock. */
static void finalize_state(napi_env env, void *data, void *hint) {
  struct tsvs_state_map *m = hint;
  (void)env;
  (void)data;
  tsvs_state_close(m);
  free(m);
}

/* mapState(path, bytes) -> { buffer: ArrayBuffer over the file (MAP_SHARED), previousBytes }:
 * the file locked (flock) for this process until the buffer is collected or the process ends.
 * Throws with the errno's name as code (EWOULDBLOCK when another process holds it). */
napi_value js_map_state(napi_env env, napi_callback_info info) {
  size_t argc = 2, plen = 0;
  napi_value argv[2], ab, res, prev;
  char path[4096];
  double bytes = 0;
  struct tsvs_state_map *m;
  int err;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || napi_get_value_string_utf8(env, argv[0], path, sizeof path, &plen) != napi_ok ||
      plen == 0 || plen >= sizeof path - 1)
    return addon_throw_errno(env, EINVAL, "mapState(path, bytes): path must be a non-empty string");
  if (napi_get_value_double(env, argv[1], &bytes) != napi_ok || !(bytes >= 1) || bytes > 68719476736.0 ||
      bytes != (double)(size_t)bytes)
    return addon_throw_errno(env, EINVAL, "mapState(path, bytes): bytes must be a whole number from 1 to 64 GiB");
  m = calloc(1, sizeof *m);
  if (!m) return addon_throw_errno(env, ENOMEM, "mapState: out of memory");
  err = tsvs_state_open(m, path, (size_t)bytes);
  if (err) {
    free(m);
    return addon_throw_errno(env, err, err == EWOULDBLOCK ? "mapState: the state file is locked by another process"
                                                    : "mapState: cannot open and map the state file");
  }
  if (napi_create_external_arraybuffer(env, m->base, m->bytes, finalize_state, m, &ab) != napi_ok) {
    tsvs_state_close(m);
    free(m);
    return addon_throw_last(env);
  }
  NAPI_CALL(napi_create_object(env, &res));
  NAPI_CALL(napi_set_named_property(env, res, "buffer", ab));
  NAPI_CALL(napi_create_double(env, (double)m->prev_bytes, &prev));
  NAPI_CALL(napi_set_named_property(env, res, "previousBytes", prev));
  return res;
}
