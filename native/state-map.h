/* state-map.h: a file mapped shared (MAP_SHARED) and locked, for state that outlives tsvsd: the
 * connection table's columns live in it, so every store is in the page cache at once and a
 * process killed with SIGKILL loses nothing. */
#ifndef TSVS_STATE_MAP_H
#define TSVS_STATE_MAP_H

#include <stddef.h>

struct tsvs_state_map {
  void *base;          /* the mapping, bytes long; NULL when closed */
  size_t bytes;
  size_t prev_bytes;   /* the file's size before this open: 0 = new, != bytes = recreated */
  int fd;              /* kept open: it holds the flock */
};

/* Opens (creating, mode 0600) path, takes an exclusive flock without waiting, and maps `bytes`
 * bytes. A file of another size is emptied and resized to `bytes` (all zero). Returns 0, or an
 * errno (EWOULDBLOCK: another process holds the file) with nothing left open. */
int tsvs_state_open(struct tsvs_state_map *m, const char *path, size_t bytes);

/* Unmaps and closes (the lock goes with the fd). Idempotent. */
void tsvs_state_close(struct tsvs_state_map *m);

#endif
