/* addon.c: N-API glue for tsvs_native.node. No packet logic here: argument checks, the external
 * Buffer over the region (ring.c), handles and errors; the event-loop side is loop.c.
 *
 * Batch loop (loop.c, on the event loop thread):
 *   collect up to rxCap frames into the RxBatch arrays  ->  onRx(n) in JS (one call)
 *   JS returns how many frames it queued in the TX arrays  ->  sendmmsg per port  ->  release RX
 * repeated at most maxBatches times per wakeup, so the event loop keeps turning. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addon.h"
#include "fanout.h"
#include "state-map.h"
#include "stats-columns.h"

/* Every napi_* call's result is checked. In a function returning a JS value, NAPI_CALL returns
 * with the failure thrown as a JS Error (or the exception that caused it left pending). */
#define NAPI_CALL(call)                            \
  do {                                             \
    if ((call) != napi_ok) return throw_last(env); \
  } while (0)

/* Throws the last N-API failure as an Error with code ENATIVE, unless an exception is pending
 * already (a JS callback or getter threw). Returns NULL, what a failed entry point returns. */
static napi_value throw_last(napi_env env) {
  const napi_extended_error_info *info = NULL;
  const char *msg = "N-API call failed";
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return NULL;
  if (napi_get_last_error_info(env, &info) == napi_ok && info && info->error_message) msg = info->error_message;
  (void)napi_throw_error(env, "ENATIVE", msg); /* failing to throw leaves nothing else to try */
  return NULL;
}

/* Throws Error(msg) with code (the errno name, e.g. "ENODEV") and errno (the number) set. */
static napi_value throw_errno(napi_env env, int err, const char *msg) {
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
static void drop_ref(napi_env env, napi_ref *r) {
  if (*r) (void)napi_delete_reference(env, *r);
  *r = NULL;
}

/* Drops what start() took for calling JS: the onRx reference and the async context. */
static void drop_callback(napi_env env, struct addon_io *a) {
  drop_ref(env, &a->on_rx);
  if (a->actx) (void)napi_async_destroy(env, a->actx); /* as drop_ref: releasing, nothing to retry */
  a->actx = NULL;
}

/* Stops the polls, closes the sockets and drops the JS references. Idempotent. */
static void shut(napi_env env, struct addon_io *a) {
  uint32_t k;
  if (a->closing) return;
  a->closing = 1;
  loop_stop(a); /* stop watching the fds before they are closed */
  tsvs_io_close(&a->io);
  drop_callback(env, a);
  for (k = 0; k < 8; k++) drop_ref(env, &a->arrays[k]);
  drop_ref(env, &a->buffer_ref);
}

static void finalize_handle(napi_env env, void *data, void *hint) {
  struct addon_io *a = data;
  (void)hint;
  shut(env, a);
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

static struct addon_io *get_io(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || !p) {
    if (napi_throw_type_error(env, "EINVAL", "expected a tsvs_native handle") != napi_ok) throw_last(env);
    return NULL;
  }
  return p;
}

/* The handle behind v while it is open, else NULL with an exception pending. Every entry point
 * that reaches the sockets, the rings or the region goes through here: once closed, the sockets
 * are gone and the region's Buffer is no longer held, so the mapping may be gone as well. */
static struct addon_io *get_open_io(napi_env env, napi_value v, const char *fn) {
  char msg[96];
  struct addon_io *a = get_io(env, v);
  if (!a || !a->closing) return a;
  snprintf(msg, sizeof msg, "%s: tsvs native handle is closed", fn);
  throw_errno(env, EBADF, msg);
  return NULL;
}

/* 1 with *out set when obj.key is a number, 0 when obj is not an object or key is absent or not a
 * number, -1 when an N-API call failed (a getter threw, say). */
static int get_u32_prop(napi_env env, napi_value obj, const char *key, uint32_t *out) {
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

static napi_status set_i32(napi_env env, napi_value obj, const char *key, int32_t n) {
  napi_value v;
  napi_status st = napi_create_int32(env, n, &v);
  return st != napi_ok ? st : napi_set_named_property(env, obj, key, v);
}

static napi_status set_u32(napi_env env, napi_value obj, const char *key, uint32_t n) {
  napi_value v;
  napi_status st = napi_create_uint32(env, n, &v);
  return st != napi_ok ? st : napi_set_named_property(env, obj, key, v);
}

static napi_status set_f64(napi_env env, napi_value obj, const char *key, double n) {
  napi_value v;
  napi_status st = napi_create_double(env, n, &v);
  return st != napi_ok ? st : napi_set_named_property(env, obj, key, v);
}

static napi_status set_mac(napi_env env, napi_value obj, const char *key, const uint8_t mac[6]) {
  napi_value v;
  void *d;
  napi_status st = napi_create_buffer_copy(env, 6, mac, &d, &v);
  return st != napi_ok ? st : napi_set_named_property(env, obj, key, v);
}

/* ifInfo(name) -> { ifindex, mac, mtu } */
static napi_value js_if_info(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], o;
  char name[IF_NAMESIZE + 8];
  size_t nl;
  int ifindex = 0, mtu = 0, rc;
  uint8_t mac[6];
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &nl) != napi_ok)
    return throw_errno(env, EINVAL, "ifInfo(name): name must be a string");
  rc = tsvs_if_info(name, &ifindex, mac, &mtu);
  if (rc < 0) return throw_errno(env, -rc, strerror(-rc));
  NAPI_CALL(napi_create_object(env, &o));
  NAPI_CALL(set_i32(env, o, "ifindex", ifindex));
  NAPI_CALL(set_mac(env, o, "mac", mac));
  NAPI_CALL(set_i32(env, o, "mtu", mtu));
  return o;
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
    if (get_u32_prop(env, opts, keys[k], dst[k]) < 0) return -1;
  o->version = (int)version;
  return 0;
}

/* Throws for a failed step of open() after the handle exists, then releases everything at once:
 * sockets and TX queues (shut), the region's mapping (which also holds the ring sockets). The
 * handle's and the Buffer's finalizers then free only their own small allocations. */
static napi_value open_failed(napi_env env, struct addon_io *a, struct region_owner *owner) {
  throw_last(env); /* first: the cleanup's own N-API calls would replace the last error */
  shut(env, a);
  tsvs_region_unmap(a->io.region, a->io.region_len);
  a->io.region = NULL;
  if (owner) owner->base = NULL;
  return NULL;
}

/* open(names[], opts) -> { handle, buffer, stageOff, stageLen, version, txCapacity,
 *                          ports: [{ifindex, mac, mtu, ringSlots}] } */
static napi_value js_open(napi_env env, napi_callback_info info) {
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
    return throw_errno(env, EINVAL, "open(names, opts): names must be an array of interface names");
  NAPI_CALL(napi_get_array_length(env, argv[0], &n));
  if (n == 0 || n > TSVS_MAX_PORTS) return throw_errno(env, EINVAL, "open(names, opts): 1 to 16 interfaces");
  for (i = 0; i < n; i++) {
    size_t nl;
    NAPI_CALL(napi_get_element(env, argv[0], i, &v));
    if (napi_get_value_string_utf8(env, v, names[i], sizeof names[i], &nl) != napi_ok)
      return throw_errno(env, EINVAL, "open(names, opts): names must be strings");
    np[i] = names[i];
  }
  a = calloc(1, sizeof *a);
  if (!a) return throw_errno(env, ENOMEM, "open: out of memory");
  a->env = env;
  a->tfd = -1;
  a->max_batches = 8;
  a->poll_us = 100;
  a->poll_enter = 16;
  a->poll_exit = 4;
  tsvs_opts_default(&o);
  if (argc >= 2 && open_options(env, argv[1], &o, a) < 0) {
    free(a);
    return throw_last(env);
  }
  rc = tsvs_io_open(&a->io, np, n, &o, err, sizeof err);
  if (rc < 0) { /* tsvs_io_open has released what it took */
    free(a);
    return throw_errno(env, -rc, err);
  }
  owner = malloc(sizeof *owner);
  if (!owner || napi_create_external(env, a, finalize_handle, NULL, &handle) != napi_ok) {
    if (owner) throw_last(env);
    else throw_errno(env, ENOMEM, "open: out of memory");
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
      set_f64(env, out, "stageOff", (double)a->io.stage_off) != napi_ok ||
      set_f64(env, out, "stageLen", (double)a->io.stage_len) != napi_ok ||
      set_i32(env, out, "version", a->io.version) != napi_ok ||
      set_u32(env, out, "txCapacity", a->io.tx_cap) != napi_ok ||
      napi_create_array_with_length(env, n, &ports) != napi_ok)
    return open_failed(env, a, owner);
  for (i = 0; i < n; i++) {
    const struct tsvs_port *pt = &a->io.port[i];
    napi_value p;
    if (napi_create_object(env, &p) != napi_ok || set_i32(env, p, "ifindex", pt->ifindex) != napi_ok ||
        set_mac(env, p, "mac", pt->mac) != napi_ok || set_i32(env, p, "mtu", pt->mtu) != napi_ok ||
        set_u32(env, p, "ringSlots", a->io.version == 3 ? pt->block_nr : pt->frame_nr) != napi_ok ||
        napi_set_element(env, ports, i, p) != napi_ok)
      return open_failed(env, a, owner);
  }
  if (napi_set_named_property(env, out, "ports", ports) != napi_ok) return open_failed(env, a, owner);
  return out;
}

static int typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  if (napi_get_typedarray_info(env, v, &t, len, data, &ab, &off) != napi_ok) return 0;
  return t == want;
}

/* setArrays(handle, rxOff, rxLen, rxFlags, rxPort, txOff, txLen, txFlags, txPort) */
static napi_value js_set_arrays(napi_env env, napi_callback_info info) {
  size_t argc = 9, l[8];
  napi_value argv[9];
  void *d[8];
  napi_ref refs[8] = {NULL};
  static const napi_typedarray_type want[8] = {napi_int32_array, napi_int32_array, napi_uint8_array, napi_uint8_array,
                                               napi_int32_array, napi_int32_array, napi_uint8_array, napi_uint8_array};
  struct addon_io *a;
  int k;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 9 || !(a = get_open_io(env, argv[0], "setArrays"))) return NULL;
  for (k = 0; k < 8; k++)
    if (!typed(env, argv[k + 1], want[k], &d[k], &l[k]))
      return throw_errno(env, EINVAL, "setArrays: expected Int32Array, Int32Array, Uint8Array, Uint8Array x2");
  if (l[1] != l[0] || l[2] != l[0] || l[3] != l[0] || l[5] != l[4] || l[6] != l[4] || l[7] != l[4])
    return throw_errno(env, EINVAL, "setArrays: RX arrays and TX arrays must each have one length");
  for (k = 0; k < 8; k++) /* hold the new arrays before letting the old ones go */
    if (napi_create_reference(env, argv[k + 1], 1, &refs[k]) != napi_ok) {
      throw_last(env);
      while (k-- > 0) drop_ref(env, &refs[k]);
      return NULL;
    }
  for (k = 0; k < 8; k++) {
    drop_ref(env, &a->arrays[k]);
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
static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], name;
  napi_valuetype t;
  struct addon_io *a;
  uv_loop_t *loop;
  uint32_t mb = 0;
  int rc;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !(a = get_open_io(env, argv[0], "start"))) return NULL;
  if (napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function)
    return throw_errno(env, EINVAL, "start(handle, onRx): onRx must be a function");
  if (a->started) return throw_errno(env, EBUSY, "start: already started");
  if (!a->rx_off || !a->tx_off) return throw_errno(env, EINVAL, "start: setArrays() first");
  if (argc >= 3 && napi_get_value_uint32(env, argv[2], &mb) == napi_ok && mb > 0) a->max_batches = mb;
  NAPI_CALL(napi_get_uv_event_loop(env, &loop));
  NAPI_CALL(napi_create_string_utf8(env, "tsvs:af_packet", NAPI_AUTO_LENGTH, &name));
  if (napi_create_reference(env, argv[1], 1, &a->on_rx) != napi_ok ||
      napi_async_init(env, NULL, name, &a->actx) != napi_ok) {
    throw_last(env);
    drop_callback(env, a); /* no loop yet: start() may be called again */
    return NULL;
  }
  a->env = env;
  rc = loop_start(a, loop);
  if (rc < 0) {
    /* Some uv handles may be initialized; they can only be closed, so the handle is closed too. */
    throw_errno(env, -rc, "start: watching the packet sockets (uv_poll) failed; the handle is closed");
    shut(env, a);
    return NULL;
  }
  return NULL;
}

/* send(handle, n) -> frames accepted by the kernel */
static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], r;
  struct addon_io *a;
  uint32_t n = 0, sent = 0;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !(a = get_open_io(env, argv[0], "send"))) return NULL;
  if (napi_get_value_uint32(env, argv[1], &n) != napi_ok)
    return throw_errno(env, EINVAL, "send(handle, n): n must be a number");
  if (a->tx_off && n > 0)
    sent = tsvs_io_send(&a->io, a->tx_off, a->tx_len, a->tx_flags, a->tx_port, n < a->tx_cap ? n : a->tx_cap);
  NAPI_CALL(napi_create_uint32(env, sent, &r));
  return r;
}

/* copyIn(handle, src, srcOff, dstOff, len): copies caller memory into the region (TX staging). */
static napi_value js_copy_in(napi_env env, napi_callback_info info) {
  size_t argc = 5, slen = 0;
  napi_value argv[5];
  struct addon_io *a;
  void *src = NULL;
  uint32_t so = 0, dst = 0, len = 0;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5 || !(a = get_open_io(env, argv[0], "copyIn"))) return NULL;
  if (!typed(env, argv[1], napi_uint8_array, &src, &slen))
    return throw_errno(env, EINVAL, "copyIn: src must be a Buffer or Uint8Array");
  if (napi_get_value_uint32(env, argv[2], &so) != napi_ok || napi_get_value_uint32(env, argv[3], &dst) != napi_ok ||
      napi_get_value_uint32(env, argv[4], &len) != napi_ok)
    return throw_errno(env, EINVAL, "copyIn(handle, src, srcOff, dstOff, len): offsets and length must be numbers");
  if ((size_t)so + len > slen || (size_t)dst + len > a->io.region_len)
    return throw_errno(env, ERANGE, "copyIn: out of bounds");
  memcpy(a->io.region + dst, (uint8_t *)src + so, len);
  return NULL;
}

static const char *const stat_columns[] = {
#define X(name, field, doc) #name,
    TSVS_STAT_COLUMNS(X)
#undef X
};
#define NSTAT (sizeof stat_columns / sizeof stat_columns[0])

/* stats(handle) -> Float64Array(ports x NSTAT): per port, one number per column of
 * TSVS_STAT_COLUMNS (stats-columns.h), in that order. */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], ab, arr;
  struct addon_io *a;
  double *d;
  uint32_t i;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !(a = get_open_io(env, argv[0], "stats"))) return NULL;
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
static napi_value stat_column_names(napi_env env) {
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
static napi_value js_loop_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], ab, arr;
  struct addon_io *a;
  double *d;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !(a = get_open_io(env, argv[0], "loopStats"))) return NULL;
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

/* reattach(handle, port) -> { ifindex, mac, mtu }: re-opens the port on the interface that now
 * holds its name (loop_reattach); throws with the errno's code (ENODEV while there is none). */
static napi_value js_reattach(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], o;
  struct addon_io *a;
  uint32_t i = 0;
  char err[256];
  int rc;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !(a = get_open_io(env, argv[0], "reattach"))) return NULL;
  if (napi_get_value_uint32(env, argv[1], &i) != napi_ok || i >= a->io.nports)
    return throw_errno(env, EINVAL, "reattach(handle, port): no such port");
  if (a->in_cb) return throw_errno(env, EBUSY, "reattach: not from inside a batch");
  rc = loop_reattach(a, i, err, sizeof err);
  if (rc < 0) return throw_errno(env, -rc, err);
  NAPI_CALL(napi_create_object(env, &o));
  NAPI_CALL(set_i32(env, o, "ifindex", a->io.port[i].ifindex));
  NAPI_CALL(set_mac(env, o, "mac", a->io.port[i].mac));
  NAPI_CALL(set_i32(env, o, "mtu", a->io.port[i].mtu));
  return o;
}

/* setSpinUs(handle, us): the busy-poll window, read by the loop at each wakeup (loop.c spin). */
static napi_value js_set_spin_us(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  struct addon_io *a;
  uint32_t us = 0;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !(a = get_open_io(env, argv[0], "setSpinUs"))) return NULL;
  if (napi_get_value_uint32(env, argv[1], &us) != napi_ok)
    return throw_errno(env, EINVAL, "setSpinUs(handle, us): us must be a number");
  a->spin_us = us;
  return NULL;
}

/* fanoutJoin(handle, port, id, jumbo) -> id: port's RX socket (jumbo: its jumbo ring's socket)
 * joins fanout group id (0 = a new group with an id the kernel picks); returns the group's id, 0
 * for a jumbo join on a port without a jumbo ring (fanout.c). */
static napi_value js_fanout_join(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], r;
  struct addon_io *a;
  bool jumbo = false;
  uint32_t i = 0, id = 0;
  uint16_t gid;
  char err[256];
  int rc;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || !(a = get_open_io(env, argv[0], "fanoutJoin"))) return NULL;
  if (napi_get_value_uint32(env, argv[1], &i) != napi_ok || i >= a->io.nports)
    return throw_errno(env, EINVAL, "fanoutJoin(handle, port, id): no such port");
  if (napi_get_value_uint32(env, argv[2], &id) != napi_ok || id > 0xffff)
    return throw_errno(env, EINVAL, "fanoutJoin(handle, port, id): id must be 0 to 65535");
  if (argc >= 4 && napi_get_value_bool(env, argv[3], &jumbo) != napi_ok)
    return throw_errno(env, EINVAL, "fanoutJoin(handle, port, id, jumbo): jumbo must be a boolean");
  gid = (uint16_t)id;
  rc = tsvs_fanout_join(&a->io, i, jumbo, &gid, err, sizeof err);
  if (rc < 0) return throw_errno(env, -rc, err);
  NAPI_CALL(napi_create_uint32(env, gid, &r));
  return r;
}

/* fanoutProgram(handle, port, prog): sets the group's classic BPF program, prog a Uint32Array of
 * two words per instruction: code | jt << 16 | jf << 24, then k (struct sock_filter). */
static napi_value js_fanout_program(napi_env env, napi_callback_info info) {
  size_t argc = 3, words = 0;
  napi_value argv[3];
  struct addon_io *a;
  struct sock_filter *f;
  uint32_t i = 0, *w = NULL, k;
  char err[256];
  int rc;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || !(a = get_open_io(env, argv[0], "fanoutProgram"))) return NULL;
  if (napi_get_value_uint32(env, argv[1], &i) != napi_ok || i >= a->io.nports)
    return throw_errno(env, EINVAL, "fanoutProgram(handle, port, prog): no such port");
  if (!typed(env, argv[2], napi_uint32_array, (void **)&w, &words) || words == 0 || words % 2 != 0 ||
      words / 2 > BPF_MAXINSNS)
    return throw_errno(env, EINVAL, "fanoutProgram: prog must be a Uint32Array of 1 to 4096 instructions (2 words each)");
  f = calloc(words / 2, sizeof *f);
  if (!f) return throw_errno(env, ENOMEM, "fanoutProgram: out of memory");
  for (k = 0; k < words / 2; k++) {
    f[k].code = (uint16_t)(w[2 * k] & 0xffff);
    f[k].jt = (uint8_t)((w[2 * k] >> 16) & 0xff);
    f[k].jf = (uint8_t)(w[2 * k] >> 24);
    f[k].k = w[2 * k + 1];
  }
  rc = tsvs_fanout_program(&a->io, i, f, (uint16_t)(words / 2), err, sizeof err);
  free(f);
  if (rc < 0) return throw_errno(env, -rc, err);
  return NULL;
}

/* close(handle): stops the loop and closes the sockets; closing again does nothing. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  struct addon_io *a;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !(a = get_io(env, argv[0]))) return NULL;
  shut(env, a);
  return NULL;
}

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
static napi_value js_map_state(napi_env env, napi_callback_info info) {
  size_t argc = 2, plen = 0;
  napi_value argv[2], ab, res, prev;
  char path[4096];
  double bytes = 0;
  struct tsvs_state_map *m;
  int err;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || napi_get_value_string_utf8(env, argv[0], path, sizeof path, &plen) != napi_ok ||
      plen == 0 || plen >= sizeof path - 1)
    return throw_errno(env, EINVAL, "mapState(path, bytes): path must be a non-empty string");
  if (napi_get_value_double(env, argv[1], &bytes) != napi_ok || !(bytes >= 1) || bytes > 68719476736.0 ||
      bytes != (double)(size_t)bytes)
    return throw_errno(env, EINVAL, "mapState(path, bytes): bytes must be a whole number from 1 to 64 GiB");
  m = calloc(1, sizeof *m);
  if (!m) return throw_errno(env, ENOMEM, "mapState: out of memory");
  err = tsvs_state_open(m, path, (size_t)bytes);
  if (err) {
    free(m);
    return throw_errno(env, err, err == EWOULDBLOCK ? "mapState: the state file is locked by another process"
                                                    : "mapState: cannot open and map the state file");
  }
  if (napi_create_external_arraybuffer(env, m->base, m->bytes, finalize_state, m, &ab) != napi_ok) {
    tsvs_state_close(m);
    free(m);
    return throw_last(env);
  }
  NAPI_CALL(napi_create_object(env, &res));
  NAPI_CALL(napi_set_named_property(env, res, "buffer", ab));
  NAPI_CALL(napi_create_double(env, (double)m->prev_bytes, &prev));
  NAPI_CALL(napi_set_named_property(env, res, "previousBytes", prev));
  return res;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value cols = stat_column_names(env);
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
