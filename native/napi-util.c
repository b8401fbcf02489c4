/* napi-util.c: the N-API helpers of the addon's bindings (addon-*.c): throwing errors with a code
 * (an errno's name, or ENATIVE for a failed N-API call), reading and setting properties, checking
 * typed arrays. No packet logic, no handle state. */
#include <string.h>

#include "napi-util.h"

/* Throws the last N-API failure as an Error with code ENATIVE, unless an exception is pending
 * already (a JS callback or getter threw). Returns NULL, what a failed entry point returns. */
napi_value addon_throw_last(napi_env env) {
  const napi_extended_error_info *info = NULL;
  const char *msg = "N-API call failed";
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return NULL;
  if (napi_get_last_error_info(env, &info) == napi_ok && info && info->error_message) msg = info->error_message;
  (void)napi_throw_error(env, "ENATIVE", msg); /* failing to throw leaves nothing else to try */
  return NULL;
}

/* Throws Error(msg) with code (the errno name, e.g. "ENODEV") and errno (the number) set. */
napi_value addon_throw_errno(napi_env env, int err, const char *msg) {
  napi_value e, m, code, num;
  const char *name = strerrorname_np(err);
  if (!name) name = "EIO";
  if (napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m) != napi_ok ||
      napi_create_error(env, NULL, m, &e) != napi_ok ||
      napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_set_named_property(env, e, "code", code) != napi_ok || napi_create_int32(env, err, &num) != napi_ok ||
      napi_set_named_property(env, e, "errno", num) != napi_ok || napi_throw(env, e) != napi_ok)
    (void)napi_throw_error(env, name, msg); /* the plain form, when the error object could not be built */
  return NULL;
}

/* Deletes *r if set and clears it. Used only while releasing: a reference that fails to go is
 * leaked, there is nothing else to do with it. */
void addon_drop_ref(napi_env env, napi_ref *r) {
  if (*r) (void)napi_delete_reference(env, *r);
  *r = NULL;
}

/* 1 with *out set when obj.key is a number, 0 when obj is not an object or key is absent or not a
 * number, -1 when an N-API call failed (a getter threw, say). */
int addon_get_u32_prop(napi_env env, napi_value obj, const char *key, uint32_t *out) {
  napi_value v;
  napi_valuetype t;
  bool has = false;
  if (napi_typeof(env, obj, &t) != napi_ok) return -1;
  if (t != napi_object) return 0;
  if (napi_has_named_property(env, obj, key, &has) != napi_ok) return -1;
  if (!has) return 0;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok || napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t != napi_number) return 0;
  return napi_get_value_uint32(env, v, out) == napi_ok ? 1 : -1;
}

napi_status addon_set_i32(napi_env env, napi_value obj, const char *key, int32_t n) {
  napi_value v;
  napi_status st = napi_create_int32(env, n, &v);
  return st != napi_ok ? st : napi_set_named_property(env, obj, key, v);
}

napi_status addon_set_u32(napi_env env, napi_value obj, const char *key, uint32_t n) {
  napi_value v;
  napi_status st = napi_create_uint32(env, n, &v);
  return st != napi_ok ? st : napi_set_named_property(env, obj, key, v);
}

napi_status addon_set_f64(napi_env env, napi_value obj, const char *key, double n) {
  napi_value v;
  napi_status st = napi_create_double(env, n, &v);
  return st != napi_ok ? st : napi_set_named_property(env, obj, key, v);
}

napi_status addon_set_mac(napi_env env, napi_value obj, const char *key, const uint8_t mac[6]) {
  napi_value v;
  void *d;
  napi_status st = napi_create_buffer_copy(env, 6, mac, &d, &v);
  return st != napi_ok ? st : napi_set_named_property(env, obj, key, v);
}

/* 1 with *data and *len set when v is a addon_typed array of type want, else 0. */
int addon_typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  if (napi_get_typedarray_info(env, v, &t, len, data, &ab, &off) != napi_ok) return 0;
  return t == want;
}
