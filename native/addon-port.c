/* addon-port.c: the per-interface bindings: ifInfo() reads a name's ifindex, MAC and MTU,
 * reattach() re-opens a port whose interface came back, fanoutJoin() and fanoutProgram() spread a
 * port's RX over the workers' sockets (fanout.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addon-bind.h"
#include "fanout.h"
#include "napi-util.h"

/* ifInfo(name) -> { ifindex, mac, mtu } */
napi_value js_if_info(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], o;
  char name[IF_NAMESIZE + 8];
  size_t nl;
  int ifindex = 0, mtu = 0, rc;
  uint8_t mac[6];
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &nl) != napi_ok)
    return addon_throw_errno(env, EINVAL, "ifInfo(name): name must be a string");
  rc = tsvs_if_info(name, &ifindex, mac, &mtu);
  if (rc < 0) return addon_throw_errno(env, -rc, strerror(-rc));
  NAPI_CALL(napi_create_object(env, &o));
  NAPI_CALL(addon_set_i32(env, o, "ifindex", ifindex));
  NAPI_CALL(addon_set_mac(env, o, "mac", mac));
  NAPI_CALL(addon_set_i32(env, o, "mtu", mtu));
  return o;
}

/* reattach(handle, port) -> { ifindex, mac, mtu }: re-opens the port on the interface that now
 * holds its name (loop_reattach); throws with the errno's code (ENODEV while there is none). */
napi_value js_reattach(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], o;
  struct addon_io *a;
  uint32_t i = 0;
  char err[256];
  int rc;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !(a = addon_get_open_io(env, argv[0], "reattach"))) return NULL;
  if (napi_get_value_uint32(env, argv[1], &i) != napi_ok || i >= a->io.nports)
    return addon_throw_errno(env, EINVAL, "reattach(handle, port): no such port");
  if (a->in_cb) return addon_throw_errno(env, EBUSY, "reattach: not from inside a batch");
  rc = loop_reattach(a, i, err, sizeof err);
  if (rc < 0) return addon_throw_errno(env, -rc, err);
  NAPI_CALL(napi_create_object(env, &o));
  NAPI_CALL(addon_set_i32(env, o, "ifindex", a->io.port[i].ifindex));
  NAPI_CALL(addon_set_mac(env, o, "mac", a->io.port[i].mac));
  NAPI_CALL(addon_set_i32(env, o, "mtu", a->io.port[i].mtu));
  return o;
}

/* fanoutJoin(handle, port, id, jumbo) -> id: port's RX socket (jumbo: its jumbo ring's socket)
 * joins fanout group id (0 = a new group with an id the kernel picks); returns the group's id, 0
 * for a jumbo join on a port without a jumbo ring (fanout.c). */
napi_value js_fanout_join(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], r;
  struct addon_io *a;
  bool jumbo = false;
  uint32_t i = 0, id = 0;
  uint16_t gid;
  char err[256];
  int rc;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || !(a = addon_get_open_io(env, argv[0], "fanoutJoin"))) return NULL;
  if (napi_get_value_uint32(env, argv[1], &i) != napi_ok || i >= a->io.nports)
    return addon_throw_errno(env, EINVAL, "fanoutJoin(handle, port, id): no such port");
  if (napi_get_value_uint32(env, argv[2], &id) != napi_ok || id > 0xffff)
    return addon_throw_errno(env, EINVAL, "fanoutJoin(handle, port, id): id must be 0 to 65535");
  if (argc >= 4 && napi_get_value_bool(env, argv[3], &jumbo) != napi_ok)
    return addon_throw_errno(env, EINVAL, "fanoutJoin(handle, port, id, jumbo): jumbo must be a boolean");
  gid = (uint16_t)id;
  rc = tsvs_fanout_join(&a->io, i, jumbo, &gid, err, sizeof err);
  if (rc < 0) return addon_throw_errno(env, -rc, err);
  NAPI_CALL(napi_create_uint32(env, gid, &r));
  return r;
}

/* fanoutProgram(handle, port, prog): sets the group's classic BPF program, prog a Uint32Array of
 * two words per instruction: code | jt << 16 | jf << 24, then k (struct sock_filter). */
napi_value js_fanout_program(napi_env env, napi_callback_info info) {
  size_t argc = 3, words = 0;
  napi_value argv[3];
  struct addon_io *a;
  struct sock_filter *f;
  uint32_t i = 0, *w = NULL, k;
  char err[256];
  int rc;
  NAPI_CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || !(a = addon_get_open_io(env, argv[0], "fanoutProgram"))) return NULL;
  if (napi_get_value_uint32(env, argv[1], &i) != napi_ok || i >= a->io.nports)
    return addon_throw_errno(env, EINVAL, "fanoutProgram(handle, port, prog): no such port");
  if (!addon_typed(env, argv[2], napi_uint32_array, (void **)&w, &words) || words == 0 || words % 2 != 0 ||
      words / 2 > BPF_MAXINSNS)
    return addon_throw_errno(env, EINVAL, "fanoutProgram: prog must be a Uint32Array of 1 to 4096 instructions (2 words each)");
  f = calloc(words / 2, sizeof *f);
  if (!f) return addon_throw_errno(env, ENOMEM, "fanoutProgram: out of memory");
  for (k = 0; k < words / 2; k++) {
    f[k].code = (uint16_t)(w[2 * k] & 0xffff);
    f[k].jt = (uint8_t)((w[2 * k] >> 16) & 0xff);
    f[k].jf = (uint8_t)(w[2 * k] >> 24);
    f[k].k = w[2 * k + 1];
  }
  rc = tsvs_fanout_program(&a->io, i, f, (uint16_t)(words / 2), err, sizeof err);
  free(f);
  if (rc < 0) return addon_throw_errno(env, -rc, err);
  return NULL;
}
