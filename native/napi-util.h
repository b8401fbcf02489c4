/* napi-util.h: N-API helpers shared by the addon's bindings (napi-util.c). The names carry an
 * addon_ prefix: a shared object's global symbols must not meet the node binary's. */
#ifndef TSVS_NAPI_UTIL_H
#define TSVS_NAPI_UTIL_H

#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

/* Every napi_* call's result is checked. In a function returning a JS value, NAPI_CALL returns
 * with the failure thrown as a JS Error (or the exception that caused it left pending). */
#define NAPI_CALL(call)                            \
  do {                                             \
    if ((call) != napi_ok) return addon_throw_last(env); \
  } while (0)

/* Throws the last N-API failure as an Error with code ENATIVE, unless an exception is pending
 * already (a JS callback or getter threw). Returns NULL, what a failed entry point returns. */
napi_value addon_throw_last(napi_env env);
/* Throws Error(msg) with code (the errno name, e.g. "ENODEV") and errno (the number) set. */
napi_value addon_throw_errno(napi_env env, int err, const char *msg);
/* Deletes *r if set and clears it (releasing only: a reference that fails to go is leaked). */
void addon_drop_ref(napi_env env, napi_ref *r);
/* 1 with *out set when obj.key is a number, 0 when obj is not an object or key is absent or not a
 * number, -1 when an N-API call failed. */
int addon_get_u32_prop(napi_env env, napi_value obj, const char *key, uint32_t *out);
/* obj.key = n (or the 6-byte Buffer mac); the status of the first N-API call that failed. */
napi_status addon_set_i32(napi_env env, napi_value obj, const char *key, int32_t n);
napi_status addon_set_u32(napi_env env, napi_value obj, const char *key, uint32_t n);
napi_status addon_set_f64(napi_env env, napi_value obj, const char *key, double n);
napi_status addon_set_mac(napi_env env, napi_value obj, const char *key, const uint8_t mac[6]);
/* 1 with *data and *len set when v is a typed array of type want, else 0. */
int addon_typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len);

#endif
