/* addon-handle.c: the life of a tsvs_native handle: open() makes the rings and the external Buffer
 * over their region (ring.c), close() and the finalizers release them in order, and every other
 * binding finds its handle through addon_get_open_io. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "addon-bind.h"
#include "napi-util.h"

/* Drops what start() took for calling JS: the onRx reference and the async context. */
void addon_drop_callback(napi_env env, struct addon_io *a) {
  addon_drop_ref(env, &a->on_rx);
  if (a->actx) (void)napi_async_destroy(env, a->actx); /* as addon_drop_ref: releasing, nothing to retry */
  a->actx = NULL;
}

/* Stops the polls, closes the sockets and drops the JS references. Idempotent. */
void addon_shut(napi_env env, struct addon_io *a) {
  uint32_t k;
  if (a->closing) return;
  a->closing = 1;
  loop_stop(a); /* stop watching the fds before they are closed */
  tsvs_io_close(&a->io);
  addon_drop_callback(env, a);
  for (k = 0; k < 8; k++) addon_drop_ref(env, &a->arrays[k]);
  addon_drop_ref(env, &a->buffer_ref);
}

static void finalize_handle(napi_env env, void *data, void *hint) {
  struct addon_io *a = data;
  (void)hint;
  addon_shut(env, a);
  a->finalized = 1;
  loop_free_if_done(a);
}

/* The region's mapping belongs to the external Buffer over it: the Buffer's finalizer unmaps it,
 * unless an open() that failed after creating the Buffer has unmapped it already (base NULL). */
struct region_owner {
  uint8_t *base;
  size_t len;
};

static void finalize_region(napi_env env, void *data, void *hint) {
  struct region_owner *r = hint;
  (void)env;
  (void)data;
  tsvs_region_unmap(r->base, r->len);
  free(r);
}

struct addon_io *addon_get_io(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || !p) {
    if (napi_throw_type_error(env, "EINVAL", "expected a tsvs_native handle") != napi_ok) addon_throw_last(env);
    return NULL;
  }
  return p;
}

/* The handle behind v while it is open, else NULL with an exception pending. Every entry point
 * that reaches the sockets, the rings or the region goes through here: once closed, the sockets
 * are gone and the region's Buffer is no longer held, so the mapping may be gone as well. */
struct addon_io *addon_get_open_io(napi_env env, napi_value v, const char *fn) {
  char msg[96];
  struct addon_io *a = addon_get_io(env, v);
  if (!a || !a->closing) return a;
  snprintf(msg, sizeof msg, "%s: tsvs native handle is closed", fn);
  addon_throw_errno(env, EBADF, msg);
  return NULL;
}

/* Reads the options of open(); 0, or -1 with an exception pending. */
static int open_options(napi_env env, napi_value opts, struct tsvs_opts *o, struct addon_io *a) {
  static const char *const keys[] = {"version",        "ringBytes",       "frameBytes",     "blockBytes",
                                     "blockTimeoutMs", "bigSlots",        "jumboSlots",     "stageBytes",
                                     "txCapacity",     "pollIntervalUs",  "pollEnterFrames", "pollExitFrames",
                                     "spinUs"};
  uint32_t version = (uint32_t)o->version;
  uint32_t *dst[] = {&version,         &o->ring_bytes,  &o->frame_bytes, &o->block_bytes, &o->block_tov_ms,
                     &o->big_slots,    &o->jumbo_slots, &o->stage_bytes, &o->tx_cap,      &a->poll_us,
                     &a->poll_enter,   &a->poll_exit,   &a->spin_us};
  size_t k;
  for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
    if (addon_get_u32_prop(env, opts, keys[k], dst[k]) < 0) return -1;
  o->version = (int)version;
  return 0;
}

/* Throws for a failed step of open() after the handle exists, then releases everything at once:
 * sockets and TX queues (addon_shut), the region's mapping (which also holds the ring sockets). The
 * handle's and the Buffer's finalizers then free only their own small allocations. */
static napi_value open_failed(napi_env env, struct addon_io *a, struct region_owner *owner) {
  addon_throw_last(env); /* first: the cleanup's own N-API calls would replace the last error */
  addon_shut(env, a);
  tsvs_region_unmap(a->io.region, a->io.region_len);
  a->io.region = NULL;
  if (owner) owner->base = NULL;
  return NULL;
}

/* open(names[], opts) -> { handle, buffer, stageOff, stageLen, version, txCapacity,
 *                          ports: [{ifindex, mac, mtu, ringSlots}] } */
napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out, ports, handle, buffer, v;
  uint32_t n = 0, i;
  char names[TSVS_MAX_PORTS][IF_NAMESIZE + 8];
  const char *np[TSVS_MAX_PORTS];
  struct tsvs_opts o;
  struct addon_io *a;
  struct region_owner *owner;
  char err[256];
  bool isarr = false;
  int rc;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_is_array(env, argv[0], &isarr) != napi_ok || !isarr)
    return addon_throw_errno(env, EINVAL, "open(names, opts): names must be an array of interface names");
  NAPI_CALL(napi_get_array_length(env, argv[0], &n));
  if (n == 0 || n > TSVS_MAX_PORTS) return addon_throw_errno(env, EINVAL, "open(names, opts): 1 to 16 interfaces");
  for (i = 0; i < n; i++) {
    size_t nl;
    NAPI_CALL(napi_get_element(env, argv[0], i, &v));
    if (napi_get_value_string_utf8(env, v, names[i], sizeof names[i], &nl) != napi_ok)
      return addon_throw_errno(env, EINVAL, "open(names, opts): names must be strings");
    np[i] = names[i];
  }
  a = calloc(1, sizeof *a);
  if (!a) return addon_throw_errno(env, ENOMEM, "open: out of memory");
  a->env = env;
  a->tfd = -1;
  a->max_batches = 8;
  a->poll_us = 100;
  a->poll_enter = 16;
  a->poll_exit = 4;
  tsvs_opts_default(&o);
  if (argc >= 2 && open_options(env, argv[1], &o, a) < 0) {
    free(a);
    return addon_throw_last(env);
  }
  rc = tsvs_io_open(&a->io, np, n, &o, err, sizeof err);
  if (rc < 0) { /* tsvs_io_open has released what it took */
    free(a);
    return addon_throw_errno(env, -rc, err);
  }
  owner = malloc(sizeof *owner);
  if (!owner || napi_create_external(env, a, finalize_handle, NULL, &handle) != napi_ok) {
    if (owner) addon_throw_last(env);
    else addon_throw_errno(env, ENOMEM, "open: out of memory");
    free(owner);
    tsvs_io_close(&a->io);
    tsvs_region_unmap(a->io.region, a->io.region_len);
    free(a);
    return NULL;
  }
  /* From here the handle owns a (finalize_handle frees it). */
  owner->base = a->io.region;
  owner->len = a->io.region_len;
  if (napi_create_external_buffer(env, a->io.region_len, a->io.region, finalize_region, owner, &buffer) != napi_ok) {
    free(owner); /* no Buffer, so no finalizer for it */
    return open_failed(env, a, NULL);
  }
  /* From here the Buffer owns owner and the mapping. */
  if (napi_create_reference(env, buffer, 1, &a->buffer_ref) != napi_ok || napi_create_object(env, &out) != napi_ok ||
      napi_set_named_property(env, out, "handle", handle) != napi_ok ||
      napi_set_named_property(env, out, "buffer", buffer) != napi_ok ||
      addon_set_f64(env, out, "stageOff", (double)a->io.stage_off) != napi_ok ||
      addon_set_f64(env, out, "stageLen", (double)a->io.stage_len) != napi_ok ||
      addon_set_i32(env, out, "version", a->io.version) != napi_ok ||
      addon_set_u32(env, out, "txCapacity", a->io.tx_cap) != napi_ok ||
      napi_create_array_with_length(env, n, &ports) != napi_ok)
    return open_failed(env, a, owner);
  for (i = 0; i < n; i++) {
    const struct tsvs_port *pt = &a->io.port[i];
    napi_value p;
    if (napi_create_object(env, &p) != napi_ok || addon_set_i32(env, p, "ifindex", pt->ifindex) != napi_ok ||
        addon_set_mac(env, p, "mac", pt->mac) != napi_ok || addon_set_i32(env, p, "mtu", pt->mtu) != napi_ok ||
        addon_set_u32(env, p, "ringSlots", a->io.version == 3 ? pt->block_nr : pt->frame_nr) != napi_ok ||
        napi_set_element(env, ports, i, p) != napi_ok)
      return open_failed(env, a, owner);
  }
  if (napi_set_named_property(env, out, "ports", ports) != napi_ok) return open_failed(env, a, owner);
  return out;
}

/* close(handle): stops the loop and closes the sockets; closing again does nothing. */
napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  struct addon_io *a;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !(a = addon_get_io(env, argv[0]))) return NULL;
  addon_shut(env, a);
  return NULL;
}
