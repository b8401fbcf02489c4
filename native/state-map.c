/* state-map.c: open, lock and map the state file (state-map.h); no N-API here, the glue is in
 * addon-state.c and the C harness (native/test/harness.c) runs this on a temporary file. */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state-map.h"

int tsvs_state_open(struct tsvs_state_map *m, const char *path, size_t bytes) {
  struct stat st;
  void *p;
  int fd, err;
  m->base = NULL;
  m->bytes = 0;
  m->prev_bytes = 0;
  m->fd = -1;
  if (bytes == 0) return EINVAL;
  fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return errno;
  /* flock belongs to the open file description: a second tsvsd (or a second open in this
   * process) fails here, and SIGKILL releases it with the fd. */
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) goto fail;
  if (fstat(fd, &st) != 0) goto fail;
  if (!S_ISREG(st.st_mode)) {
    errno = EINVAL;
    goto fail;
  }
  m->prev_bytes = (size_t)st.st_size;
  if ((size_t)st.st_size != bytes) {
    /* Another size is another layout or a truncated file: start from zeros. */
    if (ftruncate(fd, 0) != 0 || ftruncate(fd, (off_t)bytes) != 0) goto fail;
  }
  p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) goto fail;
  m->base = p;
  m->bytes = bytes;
  m->fd = fd;
  return 0;
fail:
  err = errno;
  close(fd);
  return err;
}

void tsvs_state_close(struct tsvs_state_map *m) {
  if (m->base) munmap(m->base, m->bytes);
  if (m->fd >= 0) close(m->fd);
  m->base = NULL;
  m->bytes = 0;
  m->fd = -1;
}
