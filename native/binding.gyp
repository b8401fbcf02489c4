{
  "targets": [
    {
      "target_name": "tsvs_native",
      "sources": ["addon.c", "fanout.c", "layout.c", "loop.c", "reattach.c", "ring.c", "rx.c", "state-map.c", "tx.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wunused-parameter", "-Werror", "-std=gnu11"]
    }
  ]
}
