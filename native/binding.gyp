{
  "targets": [
    {
      "target_name": "tsvs_native",
      "sources": [
        "addon.c",
        "addon-batch.c",
        "addon-handle.c",
        "addon-port.c",
        "addon-state.c",
        "addon-stats.c",
        "fanout.c",
        "layout.c",
        "loop.c",
        "loop-batch.c",
        "napi-util.c",
        "port-socket.c",
        "reattach.c",
        "ring.c",
        "rx.c",
        "state-map.c",
        "tx.c"
      ],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wunused-parameter", "-Werror", "-std=gnu11"]
    }
  ]
}
