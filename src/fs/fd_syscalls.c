/* The syscalls that make, copy and close fds: open, openat, openat2, close, dup, dup2,
   dup3, fcntl, pipe, pipe2; and flock (the locks themselves are lock.c's). */
#include "core/uaccess.h"
#include "fs/vfs.h"
#include "kernel/block.h"

#define OPEN_FLAGS_KNOWN                                                                                     \
    (LINUX_O_ACCMODE | LINUX_O_CREAT | LINUX_O_EXCL | LINUX_O_NOCTTY | LINUX_O_TRUNC | LINUX_O_APPEND |     \
     LINUX_O_NONBLOCK | LINUX_O_DSYNC | LINUX_O_DIRECT | LINUX_O_LARGEFILE | LINUX_O_DIRECTORY |             \
     LINUX_O_NOFOLLOW | LINUX_O_NOATIME | LINUX_O_CLOEXEC | LINUX_O_SYNC | LINUX_O_PATH | LINUX_O_TMPFILE | \
     020 /* FASYNC */)

/* restrict_flags: openat2's PX_VFS_NO_SYMLINKS .. PX_VFS_IN_ROOT, else 0 */
static int64_t open_at(int dirfd, uint64_t guest_path, uint32_t flags, uint32_t mode, int restrict_flags)
{
    char path[PX_PATH_MAX];
    int64_t r = px_path_in(path, guest_path);
    if (r < 0) return r;
    px_file *f;
    /* x86-64 Linux opens every file as if O_LARGEFILE were given (F_GETFL shows it) */
    r = px_vfs_open_restricted(dirfd, path, (flags & OPEN_FLAGS_KNOWN) | LINUX_O_LARGEFILE, mode,
                                       restrict_flags, &f);
    if (r == 0) r = px_file_open_blocking(f); /* a FIFO's open waits for its partner */
    if (r < 0) return r;
    return px_fd_install(f, 0, (flags & LINUX_O_CLOEXEC) != 0);
}

/* open(2) */
PX_SYSCALL(open)
{
    uint64_t path = PX_ARG0;
    uint32_t flags = (uint32_t)PX_ARG1;
    uint32_t mode = (uint32_t)PX_ARG2;
    return open_at(LINUX_AT_FDCWD, path, flags, mode, 0);
}

/* creat(2): open(path, O_CREAT | O_WRONLY | O_TRUNC, mode); GNU tar calls it. */
PX_SYSCALL(creat)
{
    uint64_t path = PX_ARG0;
    uint32_t mode = (uint32_t)PX_ARG1;
    return open_at(LINUX_AT_FDCWD, path, LINUX_O_CREAT | LINUX_O_WRONLY | LINUX_O_TRUNC, mode, 0);
}

/* openat(2) */
PX_SYSCALL(openat)
{
    int dirfd = (int)PX_ARG0;
    uint64_t path = PX_ARG1;
    uint32_t flags = (uint32_t)PX_ARG2;
    uint32_t mode = (uint32_t)PX_ARG3;
    return open_at(dirfd, path, flags, mode, 0);
}

/* openat2(2): flags are checked strictly, the RESOLVE_* restrictions go to the walk.
   RESOLVE_CACHED asks to fail rather than do I/O: every picolx lookup asks Windows,
   so it always fails with EAGAIN, which callers answer by asking again without it. */
static const struct {
    uint64_t resolve;
    int walk;
} resolve_flags[] = {
    {LINUX_RESOLVE_NO_XDEV, PX_VFS_NO_XDEV},
    {LINUX_RESOLVE_NO_MAGICLINKS, PX_VFS_NO_MAGICLINKS},
    {LINUX_RESOLVE_NO_SYMLINKS, PX_VFS_NO_SYMLINKS},
    {LINUX_RESOLVE_BENEATH, PX_VFS_BENEATH},
    {LINUX_RESOLVE_IN_ROOT, PX_VFS_IN_ROOT},
};

PX_SYSCALL(openat2)
{
    int dirfd = (int)PX_ARG0;
    uint64_t path = PX_ARG1;
    uint64_t how_addr = PX_ARG2;
    uint64_t size = PX_ARG3;
    struct linux_open_how how_in, *how = &how_in;
    if (size < sizeof *how) return -LINUX_EINVAL;
    if (size > 4096) return -LINUX_E2BIG; /* Linux's PAGE_SIZE bound on extensible structs */
    if (PX_GET(how, how_addr) < 0) return -LINUX_EFAULT;
    /* a bigger struct from a newer libc: zeros only */
    for (uint64_t at = sizeof *how; at < size;) {
        uint8_t tail[256];
        size_t n = size - at < sizeof tail ? (size_t)(size - at) : sizeof tail;
        if (px_copy_in(tail, how_addr + at, n) < 0) return -LINUX_EFAULT;
        for (size_t i = 0; i < n; i++)
            if (tail[i]) return -LINUX_E2BIG;
        at += n;
    }
    if (how->flags & ~(uint64_t)OPEN_FLAGS_KNOWN) return -LINUX_EINVAL;
    bool creating = (how->flags & LINUX_O_CREAT) || (how->flags & LINUX_O_TMPFILE) == LINUX_O_TMPFILE;
    if (how->mode & ~(uint64_t)07777 || (!creating && how->mode)) return -LINUX_EINVAL;
    int walk = 0;
    uint64_t known = LINUX_RESOLVE_CACHED;
    for (size_t i = 0; i < PX_ARRAY_LEN(resolve_flags); i++) {
        known |= resolve_flags[i].resolve;
        if (how->resolve & resolve_flags[i].resolve) walk |= resolve_flags[i].walk;
    }
    if (how->resolve & ~known) return -LINUX_EINVAL;
    if ((walk & PX_VFS_BENEATH) && (walk & PX_VFS_IN_ROOT)) return -LINUX_EINVAL;
    if (how->resolve & LINUX_RESOLVE_CACHED) return -LINUX_EAGAIN;
    uint32_t flags = (uint32_t)how->flags;
    /* a symlink as the last component is refused too, as O_NOFOLLOW does */
    if (walk & PX_VFS_NO_SYMLINKS) flags |= LINUX_O_NOFOLLOW;
    return open_at(dirfd, path, flags, (uint32_t)how->mode, walk);
}

/* close(2) */
PX_SYSCALL(close)
{
    int fd = (int)PX_ARG0;
    return px_fd_close(fd);
}

static int64_t dup_from(int oldfd, int min_fd, bool cloexec)
{
    if (min_fd < 0 || min_fd >= PX_FD_LIMIT) return -LINUX_EINVAL;
    px_file *f = px_fd_get(oldfd);
    if (!f) return -LINUX_EBADF;
    return px_fd_install(f, min_fd, cloexec);
}

/* dup(2) */
PX_SYSCALL(dup)
{
    int oldfd = (int)PX_ARG0;
    return dup_from(oldfd, 0, false);
}

static int64_t dup_onto(int oldfd, int newfd, bool cloexec)
{
    if (newfd < 0 || newfd >= PX_FD_LIMIT) return -LINUX_EBADF;
    px_file *f = px_fd_get(oldfd);
    if (!f) return -LINUX_EBADF;
    return px_fd_install_at(f, newfd, cloexec);
}

/* dup2(2) */
PX_SYSCALL(dup2)
{
    int oldfd = (int)PX_ARG0;
    int newfd = (int)PX_ARG1;
    if (oldfd == newfd) {
        px_file *f = px_fd_get(oldfd);
        if (!f) return -LINUX_EBADF;
        px_file_unref(f);
        return newfd;
    }
    return dup_onto(oldfd, newfd, false);
}

/* dup3(2) */
PX_SYSCALL(dup3)
{
    int oldfd = (int)PX_ARG0;
    int newfd = (int)PX_ARG1;
    uint32_t flags = (uint32_t)PX_ARG2;
    if (flags & ~(uint32_t)LINUX_O_CLOEXEC) return -LINUX_EINVAL;
    if (oldfd == newfd) return -LINUX_EINVAL;
    return dup_onto(oldfd, newfd, (flags & LINUX_O_CLOEXEC) != 0);
}

static int64_t set_status_flags(int fd, uint32_t requested)
{
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    uint32_t flags = (f->status_flags & ~(uint32_t)PX_SETFL_MASK) | (requested & PX_SETFL_MASK);
    int64_t r = 0;
    if (f->ops->set_status_flags) r = f->ops->set_status_flags(f, flags);
    if (r == 0) f->status_flags = flags;
    px_file_unref(f);
    return r;
}

/* A lock call's waits (lock.c says PX_WOULD_BLOCK and what to wait on): until the lock
   is set, fails, or the wait is interrupted (EINTR). */
static int64_t lock_waiting(int64_t r, px_lock_call *call, px_wait_on *w)
{
    while (r == PX_WOULD_BLOCK) {
        if (px_block_on(w, NULL) == PX_BLOCK_INTERRUPTED) {
            px_lock_abandon(call);
            return -LINUX_EINTR;
        }
        r = px_lock_retry(call, w);
    }
    return r;
}

/* flock(2) */
PX_SYSCALL(flock)
{
    int fd = (int)PX_ARG0;
    uint32_t op = (uint32_t)PX_ARG1;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    px_lock_call call;
    px_wait_on w;
    int64_t r = lock_waiting(px_lock_flock(f, op, &call, &w), &call, &w);
    px_file_unref(f);
    return r;
}

/* fcntl(2): fd flags, status flags, duplication, record locks (lock.c) */
PX_SYSCALL(fcntl)
{
    int fd = (int)PX_ARG0;
    int cmd = (int)PX_ARG1;
    uint64_t arg = PX_ARG2;
    switch (cmd) {
    case LINUX_F_DUPFD: return dup_from(fd, (int)arg, false);
    case LINUX_F_DUPFD_CLOEXEC: return dup_from(fd, (int)arg, true);
    case LINUX_F_GETFD: return px_fd_get_cloexec(fd);
    case LINUX_F_SETFD: return px_fd_set_cloexec(fd, (arg & LINUX_FD_CLOEXEC) != 0);
    case LINUX_F_GETFL: {
        px_file *f = px_fd_get(fd);
        if (!f) return -LINUX_EBADF;
        int64_t r = f->status_flags;
        px_file_unref(f);
        return r;
    }
    case LINUX_F_SETFL: return set_status_flags(fd, (uint32_t)arg);
    case LINUX_F_GETPIPE_SZ:
    case LINUX_F_SETPIPE_SZ: {
        px_file *f = px_fd_get(fd);
        if (!f) return -LINUX_EBADF;
        int64_t r = px_pipe_size(f, cmd == LINUX_F_SETPIPE_SZ, (uint32_t)arg);
        px_file_unref(f);
        return r;
    }
    case LINUX_F_NOTIFY: return px_fs_dnotify(fd, (uint32_t)arg);
    case LINUX_F_ADD_SEALS:
    case LINUX_F_GET_SEALS: return px_fs_seals(fd, cmd, (uint32_t)arg);
    case LINUX_F_GETLK:
    case LINUX_F_SETLK:
    case LINUX_F_SETLKW:
    case LINUX_F_OFD_GETLK:
    case LINUX_F_OFD_SETLK:
    case LINUX_F_OFD_SETLKW: {
        px_file *f = px_fd_get(fd);
        if (!f) return -LINUX_EBADF;
        px_lock_call call;
        px_wait_on w;
        int64_t r = lock_waiting(px_lock_fcntl(f, cmd, arg, &call, &w), &call, &w);
        px_file_unref(f);
        return r;
    }
    default: {
        px_file *f = px_fd_get(fd);
        if (!f) return -LINUX_EBADF;
        px_file_unref(f);
        return -LINUX_EINVAL; /* locks and the rest: see the note in abi/syscalls.tbl */
    }
    }
}

static int64_t make_pipe(uint64_t fds_addr, uint32_t flags)
{
    if (flags & ~(uint32_t)(LINUX_O_CLOEXEC | LINUX_O_NONBLOCK | LINUX_O_DIRECT)) return -LINUX_EINVAL;
    px_file *r_end, *w_end;
    int64_t r = px_pipe_create(&r_end, &w_end, flags & (LINUX_O_NONBLOCK | LINUX_O_DIRECT));
    if (r < 0) return r;
    bool cloexec = (flags & LINUX_O_CLOEXEC) != 0;
    int64_t rfd = px_fd_install(r_end, 0, cloexec);
    if (rfd < 0) {
        px_file_unref(w_end);
        return rfd;
    }
    int64_t wfd = px_fd_install(w_end, 0, cloexec);
    if (wfd < 0) {
        px_fd_close((int)rfd);
        return wfd;
    }
    int32_t fds[2] = {(int32_t)rfd, (int32_t)wfd};
    if (PX_PUT(fds_addr, &fds) < 0) { /* as Linux: the new fds are gone again */
        px_fd_close((int)rfd);
        px_fd_close((int)wfd);
        return -LINUX_EFAULT;
    }
    return 0;
}

/* pipe(2) */
PX_SYSCALL(pipe)
{
    uint64_t fds = PX_ARG0;
    return make_pipe(fds, 0);
}

/* pipe2(2) */
PX_SYSCALL(pipe2)
{
    uint64_t fds = PX_ARG0;
    uint32_t flags = (uint32_t)PX_ARG1;
    return make_pipe(fds, flags);
}
