/* Test-only LD_PRELOAD library: turns real disk errors on and off from outside the process,
 * at the moment a test chooses, in the real gateway binary, with no hook in the product's code.
 *
 *   LD_PRELOAD=<this library> FG_FAULT_EIO_FILE=<path> FG_FAULT_ENOSPC_FILE=<path> flashgate
 *
 * - While the file named by FG_FAULT_EIO_FILE exists, fdatasync() and fsync() fail with EIO
 *   without syncing anything: the data stays in the page cache, as after a real EIO whose
 *   pages the kernel kept.
 * - While the file named by FG_FAULT_ENOSPC_FILE exists, pwrite() fails with ENOSPC before
 *   writing anything, as on a file system that allocates lazily and has run out.
 * With a variable unset or its file absent, the calls go to the C library untouched. Under ASan
 * the child needs ASAN_OPTIONS=verify_asan_link_order=0: this library is loaded before the
 * runtime. */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

typedef int (*sync_fn)(int);
typedef ssize_t (*pwrite_fn)(int, const void*, size_t, off_t);

/* True while the trigger file named by env var `var` exists. Checked on every call (one
 * access(2)): tests flip it at any moment, and the cost does not matter here. errno is kept. */
static int fault_on(const char* var) {
    const char* path = getenv(var);
    if (path == NULL || *path == '\0') return 0;
    const int saved = errno;
    const int on = access(path, F_OK) == 0;
    errno = saved;
    return on;
}

static int call_next(const char* name, int fd) {
    /* Looked up on each call: cheap next to a sync, and no state to race on across threads. */
    sync_fn next = (sync_fn)dlsym(RTLD_NEXT, name);
    if (next == NULL) {
        errno = ENOSYS;
        return -1;
    }
    return next(fd);
}

int fdatasync(int fd) {
    if (fault_on("FG_FAULT_EIO_FILE")) {
        errno = EIO;
        return -1;
    }
    return call_next("fdatasync", fd);
}

int fsync(int fd) {
    if (fault_on("FG_FAULT_EIO_FILE")) {
        errno = EIO;
        return -1;
    }
    return call_next("fsync", fd);
}

static ssize_t pwrite_next(const char* name, int fd, const void* buf, size_t n, off_t offset) {
    if (fault_on("FG_FAULT_ENOSPC_FILE")) {
        errno = ENOSPC;
        return -1;
    }
    pwrite_fn next = (pwrite_fn)dlsym(RTLD_NEXT, name);
    if (next == NULL) {
        errno = ENOSYS;
        return -1;
    }
    return next(fd, buf, n, offset);
}

/* Both names: on 64-bit glibc they are the same call, and a binary may be linked to either. */
ssize_t pwrite(int fd, const void* buf, size_t n, off_t offset) {
    return pwrite_next("pwrite", fd, buf, n, offset);
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t offset) {
    return pwrite_next("pwrite64", fd, buf, n, (off_t)offset);
}
