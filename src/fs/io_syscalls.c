/* The I/O syscalls on an fd: read/write and their vector and positioned forms, lseek,
   getdents64, ioctl, fsync, ftruncate. They check what Linux checks, then call the ops. */
#include "fs/fs_internal.h"
#include "fs/vfs.h"

#define IOV_MAX 1024
#define GATHER_LIMIT 65536 /* writev up to this size becomes one write: atomic on pipes, one call to Windows */

static bool readable(const px_file *f)
{
    uint32_t acc = f->status_flags & LINUX_O_ACCMODE;
    return !(f->status_flags & LINUX_O_PATH) && (acc == LINUX_O_RDONLY || acc == LINUX_O_RDWR);
}

static bool writable(const px_file *f)
{
    uint32_t acc = f->status_flags & LINUX_O_ACCMODE;
    return !(f->status_flags & LINUX_O_PATH) && (acc == LINUX_O_WRONLY || acc == LINUX_O_RDWR);
}

static int64_t do_read(px_file *f, void *buf, uint64_t len)
{
    if (!readable(f)) return -LINUX_EBADF;
    if (f->is_dir) return -LINUX_EISDIR;
    if (!f->ops->read) return -LINUX_EINVAL;
    if ((int64_t)len < 0) return -LINUX_EINVAL;
    if (len && !buf) return -LINUX_EFAULT;
    return f->ops->read(f, buf, len);
}

static int64_t do_write(px_file *f, const void *buf, uint64_t len)
{
    if (!writable(f)) return -LINUX_EBADF;
    if (!f->ops->write) return -LINUX_EINVAL;
    if ((int64_t)len < 0) return -LINUX_EINVAL;
    if (len == 0) return 0;
    if (!buf) return -LINUX_EFAULT;
    return f->ops->write(f, buf, len);
}

/* read(2) */
PX_SYSCALL(read)
{
    int fd = (int)PX_ARG0;
    void *buf = (void *)(uintptr_t)PX_ARG1;
    uint64_t len = PX_ARG2;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r = do_read(f, buf, len);
    px_file_unref(f);
    return r;
}

/* write(2) */
PX_SYSCALL(write)
{
    int fd = (int)PX_ARG0;
    const void *buf = (const void *)(uintptr_t)PX_ARG1;
    uint64_t len = PX_ARG2;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r = do_write(f, buf, len);
    px_file_unref(f);
    return r;
}

static int64_t check_iov(const struct linux_iovec *iov, int64_t count, uint64_t *total)
{
    if (count < 0 || count > IOV_MAX) return -LINUX_EINVAL;
    if (count && !iov) return -LINUX_EFAULT;
    *total = 0;
    for (int64_t i = 0; i < count; i++) {
        if ((int64_t)iov[i].iov_len < 0 || *total + iov[i].iov_len > (uint64_t)INT64_MAX) return -LINUX_EINVAL;
        *total += iov[i].iov_len;
    }
    return 0;
}

/* readv(2) */
PX_SYSCALL(readv)
{
    int fd = (int)PX_ARG0;
    const struct linux_iovec *iov = (const struct linux_iovec *)(uintptr_t)PX_ARG1;
    int64_t count = (int32_t)PX_ARG2;
    uint64_t total;
    int64_t r = check_iov(iov, count, &total);
    if (r < 0) return r;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t done = 0;
    for (int64_t i = 0; i < count; i++) {
        if (!iov[i].iov_len) continue;
        r = do_read(f, (void *)(uintptr_t)iov[i].iov_base, iov[i].iov_len);
        if (r < 0) {
            if (!done) done = r;
            break;
        }
        done += r;
        if ((uint64_t)r < iov[i].iov_len) break; /* short: nothing more is ready */
    }
    if (count == 0 || total == 0) done = readable(f) ? 0 : -LINUX_EBADF;
    px_file_unref(f);
    return done;
}

/* writev(2) */
PX_SYSCALL(writev)
{
    int fd = (int)PX_ARG0;
    const struct linux_iovec *iov = (const struct linux_iovec *)(uintptr_t)PX_ARG1;
    int64_t count = (int32_t)PX_ARG2;
    uint64_t total;
    int64_t r = check_iov(iov, count, &total);
    if (r < 0) return r;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t done = 0;
    if (total > 0 && total <= GATHER_LIMIT && count > 1) {
        char *gathered = px_alloc((size_t)total);
        if (!gathered) {
            px_file_unref(f);
            return -LINUX_ENOMEM;
        }
        size_t at = 0;
        for (int64_t i = 0; i < count; i++) {
            memcpy(gathered + at, (const void *)(uintptr_t)iov[i].iov_base, (size_t)iov[i].iov_len);
            at += (size_t)iov[i].iov_len;
        }
        done = do_write(f, gathered, total);
        px_free(gathered);
    } else {
        for (int64_t i = 0; i < count; i++) {
            if (!iov[i].iov_len) continue;
            r = do_write(f, (const void *)(uintptr_t)iov[i].iov_base, iov[i].iov_len);
            if (r < 0) {
                if (!done) done = r;
                break;
            }
            done += r;
            if ((uint64_t)r < iov[i].iov_len) break;
        }
        if (total == 0) done = writable(f) ? 0 : -LINUX_EBADF;
    }
    px_file_unref(f);
    return done;
}

/* pread64(2) */
PX_SYSCALL(pread64)
{
    int fd = (int)PX_ARG0;
    void *buf = (void *)(uintptr_t)PX_ARG1;
    uint64_t len = PX_ARG2;
    int64_t offset = (int64_t)PX_ARG3;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r;
    if (!readable(f)) r = -LINUX_EBADF;
    else if (f->is_dir) r = -LINUX_EISDIR;
    else if (!f->ops->pread) r = -LINUX_ESPIPE;
    else if (offset < 0 || (int64_t)len < 0) r = -LINUX_EINVAL;
    else if (len && !buf) r = -LINUX_EFAULT;
    else r = f->ops->pread(f, buf, len, (uint64_t)offset);
    px_file_unref(f);
    return r;
}

/* pwrite64(2) */
PX_SYSCALL(pwrite64)
{
    int fd = (int)PX_ARG0;
    const void *buf = (const void *)(uintptr_t)PX_ARG1;
    uint64_t len = PX_ARG2;
    int64_t offset = (int64_t)PX_ARG3;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r;
    if (!writable(f)) r = -LINUX_EBADF;
    else if (!f->ops->pwrite) r = -LINUX_ESPIPE;
    else if (offset < 0 || (int64_t)len < 0) r = -LINUX_EINVAL;
    else if (len == 0) r = 0;
    else if (!buf) r = -LINUX_EFAULT;
    else r = f->ops->pwrite(f, buf, len, (uint64_t)offset);
    px_file_unref(f);
    return r;
}

int64_t px_fs_fd_access(int fd)
{
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r = f->status_flags & LINUX_O_ACCMODE;
    if (f->status_flags & LINUX_O_PATH) r = -LINUX_EBADF;
    else if (!f->is_dir && f->ops->pread) r |= PX_FS_FD_MAPPABLE; /* what px_fs_pread can fill a mapping from */
    px_file_unref(f);
    return r;
}

int64_t px_fs_pread(int fd, void *buf, uint64_t len, uint64_t offset)
{
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r = 0;
    if (f->status_flags & LINUX_O_PATH) r = -LINUX_EBADF;
    else if (f->is_dir) r = -LINUX_EISDIR;
    else if (!f->ops->pread) r = -LINUX_ENODEV; /* what mmap says for a pipe */
    uint64_t done = 0;
    /* a mapping wants the whole range: keep reading until it is there or the file ends */
    while (r == 0 && done < len) {
        int64_t got = f->ops->pread(f, (char *)buf + done, len - done, offset + done);
        if (got < 0) r = got;
        if (got <= 0) break;
        done += (uint64_t)got;
    }
    px_file_unref(f);
    return r < 0 && done == 0 ? r : (int64_t)done;
}

/* lseek(2) */
PX_SYSCALL(lseek)
{
    int fd = (int)PX_ARG0;
    int64_t offset = (int64_t)PX_ARG1;
    int whence = (int)PX_ARG2;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r = f->ops->lseek ? f->ops->lseek(f, offset, whence) : -LINUX_ESPIPE;
    px_file_unref(f);
    return r;
}

/* getdents64(2) */
PX_SYSCALL(getdents64)
{
    int fd = (int)PX_ARG0;
    void *buf = (void *)(uintptr_t)PX_ARG1;
    uint64_t len = (uint32_t)PX_ARG2;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r;
    if (f->status_flags & LINUX_O_PATH) r = -LINUX_EBADF;
    else if (!f->is_dir || !f->ops->getdents) r = -LINUX_ENOTDIR;
    else if (!buf) r = -LINUX_EFAULT;
    else r = px_vfs_getdents(f, buf, len); /* the type's entries and the mount points inside */
    px_file_unref(f);
    return r;
}

/* The ioctls every fd answers, whatever its backend. */
static int64_t generic_ioctl(int fd, px_file *f, uint64_t request, uint64_t arg, bool *handled)
{
    *handled = true;
    switch (request) {
    case LINUX_FIOCLEX: return px_fd_set_cloexec(fd, true);
    case LINUX_FIONCLEX: return px_fd_set_cloexec(fd, false);
    case LINUX_FIONBIO: {
        if (!arg) return -LINUX_EFAULT;
        bool on = *(const int32_t *)(uintptr_t)arg != 0;
        uint32_t flags = on ? f->status_flags | LINUX_O_NONBLOCK : f->status_flags & ~(uint32_t)LINUX_O_NONBLOCK;
        if (f->ops->set_status_flags) {
            int64_t r = f->ops->set_status_flags(f, flags);
            if (r < 0) return r;
        }
        f->status_flags = flags;
        return 0;
    }
    case LINUX_FIONREAD: {
        if (!arg) return -LINUX_EFAULT;
        int64_t n;
        if (f->ops->readable_bytes) {
            n = f->ops->readable_bytes(f);
        } else if (f->ops->pread && !f->is_dir && f->ops->stat) { /* a regular file: what is left after the position */
            px_stat_info st;
            n = f->ops->stat(f, &st);
            if (n == 0) n = st.size > (int64_t)f->pos ? st.size - (int64_t)f->pos : 0;
        } else {
            n = -LINUX_ENOTTY;
        }
        if (n < 0) return n;
        *(int32_t *)(uintptr_t)arg = (int32_t)(n > INT32_MAX ? INT32_MAX : n);
        return 0;
    }
    default:
        *handled = false;
        return 0;
    }
}

/* ioctl(2) */
PX_SYSCALL(ioctl)
{
    int fd = (int)PX_ARG0;
    uint64_t request = (uint32_t)PX_ARG1;
    uint64_t arg = PX_ARG2;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    bool handled;
    int64_t r = generic_ioctl(fd, f, request, arg, &handled);
    if (!handled) r = f->ops->ioctl ? f->ops->ioctl(f, request, arg) : -LINUX_ENOTTY;
    px_file_unref(f);
    return r;
}

/* fsync(2) */
PX_SYSCALL(fsync)
{
    int fd = (int)PX_ARG0;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r = f->ops->fsync ? f->ops->fsync(f) : -LINUX_EINVAL;
    px_file_unref(f);
    return r;
}

/* sync_file_range(2): Windows flushes a whole file or nothing, so a range that asks to be
   written is flushed with the rest of the file (more than asked, never less); a call
   with only WAIT_BEFORE/WAIT_AFTER waits for writeback nobody started here: nothing. */
PX_SYSCALL(sync_file_range)
{
    int fd = (int)PX_ARG0;
    int64_t offset = (int64_t)PX_ARG1;
    int64_t nbytes = (int64_t)PX_ARG2;
    uint32_t flags = (uint32_t)PX_ARG3;
    if (flags & ~(uint32_t)(LINUX_SYNC_FILE_RANGE_WAIT_BEFORE | LINUX_SYNC_FILE_RANGE_WRITE |
                            LINUX_SYNC_FILE_RANGE_WAIT_AFTER))
        return -LINUX_EINVAL;
    if (offset < 0 || nbytes < 0 || (nbytes && offset > INT64_MAX - nbytes)) return -LINUX_EINVAL;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r = 0;
    px_stat_info st;
    if (f->ops->stat && f->ops->stat(f, &st) == 0 && (st.mode & LINUX_S_IFMT) == LINUX_S_IFIFO) r = -LINUX_ESPIPE;
    else if ((flags & LINUX_SYNC_FILE_RANGE_WRITE) && f->ops->fsync) r = f->ops->fsync(f);
    px_file_unref(f);
    return r;
}

/* ftruncate(2) */
PX_SYSCALL(ftruncate)
{
    int fd = (int)PX_ARG0;
    int64_t len = (int64_t)PX_ARG1;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r;
    if (f->status_flags & LINUX_O_PATH) r = -LINUX_EBADF;
    else if (len < 0 || !writable(f) || f->is_dir || !f->ops->truncate) r = -LINUX_EINVAL;
    else r = f->ops->truncate(f, (uint64_t)len);
    px_file_unref(f);
    return r;
}

/* fadvise64(2): advice only (sort, cp and tar give it); Windows' cache manages reading
   ahead on its own, so a valid call has nothing to do. */
PX_SYSCALL(fadvise64)
{
    int fd = (int)PX_ARG0;
    int64_t len = (int64_t)PX_ARG2;
    int advice = (int)PX_ARG3;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r = 0;
    if (f->status_flags & LINUX_O_PATH) r = -LINUX_EBADF;
    else if (!f->is_dir && !f->ops->pread) r = -LINUX_ESPIPE; /* pipes, FIFOs */
    else if (advice < 0 || advice > 5 /* POSIX_FADV_NOREUSE */ || len < 0) r = -LINUX_EINVAL;
    px_file_unref(f);
    return r;
}
