/* The I/O syscalls on an fd: read/write and their vector and positioned forms, lseek,
   getdents64, ioctl, fsync, ftruncate. They check what Linux checks, then call the ops. */
#include "fs/fs_internal.h"
#include "fs/pty.h"
#include "kernel/kernel.h"
#include "kernel/signal.h"
#include "task/process.h"
#include "task/ptable.h"
#include "fs/vfs.h"
#include "kernel/block.h"
#include "mm/vm.h"
#include "net/socket.h"

#define IOV_MAX 1024
#define GATHER_LIMIT 65536 /* writev up to this size becomes one write: atomic on pipes, one call to Windows */

/* After a fault, again page by page of the guest side: the count of what arrived. */
#define GUEST_PAGE 4096

int64_t px_copy_out_partial(uint64_t dst, const void *src, size_t n)
{
    if (px_copy_out(dst, src, n) == 0) return (int64_t)n;
    size_t done = 0;
    while (done < n) {
        size_t step = GUEST_PAGE - (size_t)((dst + done) % GUEST_PAGE);
        if (step > n - done) step = n - done;
        if (px_copy_out(dst + done, (const char *)src + done, step) < 0) break;
        done += step;
    }
    return done ? (int64_t)done : -LINUX_EFAULT;
}

int64_t px_copy_in_partial(void *dst, uint64_t src, size_t n)
{
    if (px_copy_in(dst, src, n) == 0) return (int64_t)n;
    size_t done = 0;
    while (done < n) {
        size_t step = GUEST_PAGE - (size_t)((src + done) % GUEST_PAGE);
        if (step > n - done) step = n - done;
        if (px_copy_in((char *)dst + done, src + done, step) < 0) break;
        done += step;
    }
    return done ? (int64_t)done : -LINUX_EFAULT;
}

int64_t px_pread_bounced(px_file *f, uint64_t buf, uint64_t len, uint64_t offset, px_pread_fn *pread)
{
    if (len > PX_IO_BOUNCE_MAX) len = PX_IO_BOUNCE_MAX;
    void *bounce = px_alloc(len ? (size_t)len : 1);
    if (!bounce) return -LINUX_ENOMEM;
    int64_t r = pread(f, bounce, len, offset);
    if (r > 0) r = px_copy_out_partial(buf, bounce, (size_t)r);
    px_free(bounce);
    return r;
}

int64_t px_pwrite_bounced(px_file *f, uint64_t buf, uint64_t len, uint64_t offset, px_pwrite_fn *pwrite,
                          int64_t first_error)
{
    if (len > PX_IO_BOUNCE_MAX) len = PX_IO_BOUNCE_MAX;
    void *bounce = px_alloc(len ? (size_t)len : 1);
    if (!bounce) return -LINUX_ENOMEM;
    int64_t got = px_copy_in_partial(bounce, buf, (size_t)len);
    int64_t r = got < 0 ? got : (uint64_t)got == len ? first_error : pwrite(f, bounce, (uint64_t)got, offset);
    px_free(bounce);
    return r;
}

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

/* buf is a guest address: outside the user half it is EFAULT before the file sees it
   (Linux's access_ok); a bad page inside it faults in the backend's copy, or makes the
   Windows call that fills it fail with an access violation, EFAULT too. */
static int64_t do_read(px_file *f, uint64_t buf, uint64_t len)
{
    if (!readable(f)) return -LINUX_EBADF;
    if (!f->ops->read && !f->is_dir) return -LINUX_EINVAL;
    if ((int64_t)len < 0) return -LINUX_EINVAL;
    if (len && !px_guest_range_ok(buf, len)) return -LINUX_EFAULT;
    if (f->is_dir) return -LINUX_EISDIR;
    int64_t r = px_file_read_blocking(f, (void *)(uintptr_t)buf, len);
    __atomic_add_fetch(&f->io_gen, 1, __ATOMIC_RELEASE);
    return r;
}

static int64_t do_write(px_file *f, uint64_t buf, uint64_t len)
{
    if (!writable(f)) return -LINUX_EBADF;
    if (!f->ops->write) return -LINUX_EINVAL;
    if ((int64_t)len < 0) return -LINUX_EINVAL;
    if (len == 0) return 0;
    /* only the kernel half is refused here: /dev/null takes any buffer, as on Linux */
    if (len > PX_GUEST_ADDR_END || buf > PX_GUEST_ADDR_END - len) return -LINUX_EFAULT;
    int64_t r = px_file_write_blocking(f, (const void *)(uintptr_t)buf, len);
    __atomic_add_fetch(&f->io_gen, 1, __ATOMIC_RELEASE);
    /* a pipe with no reader left: SIGPIPE too, as Linux's pipe_write sends it (its default
       action ends the writer; ignored or caught, the write gives EPIPE) */
    if (r == -LINUX_EPIPE && (!f->ops->socket || f->ops->socket->is_stream(f))) /* no SIGPIPE from datagram sockets */
        px_signal_kill(px_kernel_self()->process->tgid, LINUX_SIGPIPE);
    return r;
}

/* read(2) */
PX_SYSCALL(read)
{
    int fd = (int)PX_ARG0;
    uint64_t buf = PX_ARG1;
    uint64_t len = PX_ARG2;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    px_file_pos_lock(f);
    int64_t r = do_read(f, buf, len);
    px_file_pos_unlock(f);
    px_file_unref(f);
    return r;
}

/* write(2) */
PX_SYSCALL(write)
{
    int fd = (int)PX_ARG0;
    uint64_t buf = PX_ARG1;
    uint64_t len = PX_ARG2;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    px_file_pos_lock(f);
    int64_t r = do_write(f, buf, len);
    px_file_pos_unlock(f);
    px_file_unref(f);
    return r;
}

/* The guest's iovec array copied in, checked as Linux's import_iovec: a count past
   IOV_MAX or a negative length EINVAL, the array unreadable or an entry reaching into
   the kernel half EFAULT. 0 and *out (free with iov_free), or -errno. */
#define IOV_ON_STACK PX_IOV_ON_STACK
int64_t px_iov_in(uint64_t guest, int64_t count, struct linux_iovec *stack, struct linux_iovec **out,
                  uint64_t *total)
{
    if (count < 0 || count > IOV_MAX) return -LINUX_EINVAL;
    struct linux_iovec *iov = count <= IOV_ON_STACK ? stack : px_alloc((size_t)count * sizeof *iov);
    if (!iov) return -LINUX_ENOMEM;
    int64_t r = px_copy_in(iov, guest, (size_t)count * sizeof *iov);
    *total = 0;
    for (int64_t i = 0; r == 0 && i < count; i++) {
        if ((int64_t)iov[i].iov_len < 0 || *total + iov[i].iov_len > (uint64_t)INT64_MAX) r = -LINUX_EINVAL;
        else if (iov[i].iov_len > PX_GUEST_ADDR_END || iov[i].iov_base > PX_GUEST_ADDR_END - iov[i].iov_len)
            r = -LINUX_EFAULT; /* access_ok: the kernel half; a low or unmapped base fails in the copy */
        else *total += iov[i].iov_len;
    }
    if (r < 0 && iov != stack) px_free(iov);
    if (r == 0) *out = iov;
    return r;
}

void px_iov_free(struct linux_iovec *iov, struct linux_iovec *stack)
{
    if (iov != stack) px_free(iov);
}

/* Where a vector transfer goes: the file position (readv, writev, and the v2 calls
   with offset -1), or an offset (preadv, pwritev). */
#define AT_FILE_POSITION (-1)

/* RWF_* of preadv2 and pwritev2 */
#define RWF_HIPRI 0x1u
#define RWF_DSYNC 0x2u
#define RWF_SYNC 0x4u
#define RWF_NOWAIT 0x8u
#define RWF_APPEND 0x10u
#define RWF_NOAPPEND 0x20u
/* Debian 12's kernel's set; later ones (RWF_ATOMIC, RWF_DONTCACHE, ...) are EOPNOTSUPP,
   as there for a file system without them */
#define RWF_KNOWN (RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND | RWF_NOAPPEND)

static int64_t read_at(px_file *f, uint64_t buf, uint64_t len, int64_t offset)
{
    if (offset == AT_FILE_POSITION) return do_read(f, buf, len);
    if (len && !px_guest_range_ok(buf, len)) return -LINUX_EFAULT;
    return f->ops->pread(f, (void *)(uintptr_t)buf, len, (uint64_t)offset);
}

static int64_t write_at(px_file *f, uint64_t buf, uint64_t len, int64_t offset)
{
    if (offset == AT_FILE_POSITION) return do_write(f, buf, len);
    if (len == 0) return 0;
    if (len > PX_GUEST_ADDR_END || buf > PX_GUEST_ADDR_END - len) return -LINUX_EFAULT;
    return f->ops->pwrite(f, (const void *)(uintptr_t)buf, len, (uint64_t)offset);
}

/* What a positional transfer checks first, as pread64 and pwrite64. */
static int64_t positional_allowed(px_file *f, bool write, int64_t offset)
{
    if (offset == AT_FILE_POSITION) return 0;
    if (write ? !writable(f) : !readable(f)) return -LINUX_EBADF;
    if (!write && f->is_dir) return -LINUX_EISDIR;
    if (write ? !f->ops->pwrite : !f->ops->pread) return -LINUX_ESPIPE;
    return offset < 0 ? -LINUX_EINVAL : 0;
}

/* readv, preadv, preadv2 */
static int64_t vector_read(int fd, uint64_t iov_addr, int64_t count, int64_t offset)
{
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r = positional_allowed(f, false, offset);
    if (r == 0) r = !readable(f) ? -LINUX_EBADF : !f->ops->read && !f->is_dir ? -LINUX_EINVAL : 0;
    struct linux_iovec stack[IOV_ON_STACK], *iov;
    uint64_t total;
    if (r == 0) r = px_iov_in(iov_addr, count, stack, &iov, &total);
    if (r < 0) {
        px_file_unref(f);
        return r;
    }
    int64_t done = 0;
    if (offset == AT_FILE_POSITION) px_file_pos_lock(f);
    for (int64_t i = 0; i < count; i++) {
        if (!iov[i].iov_len) continue;
        r = read_at(f, iov[i].iov_base, iov[i].iov_len, offset == AT_FILE_POSITION ? offset : offset + done);
        if (r < 0) {
            if (!done) done = r;
            break;
        }
        done += r;
        if ((uint64_t)r < iov[i].iov_len) break; /* short: nothing more is ready */
    }
    if (offset == AT_FILE_POSITION) px_file_pos_unlock(f);
    if (count == 0 || total == 0) done = 0;
    px_iov_free(iov, stack);
    px_file_unref(f);
    return done;
}

/* writev, pwritev, pwritev2 (rwf: RWF_APPEND writes at the end whatever offset says,
   RWF_NOAPPEND at offset on an O_APPEND file) */
static int64_t vector_write(int fd, uint64_t iov_addr, int64_t count, int64_t offset, uint32_t rwf)
{
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r = positional_allowed(f, true, offset);
    if (r == 0) r = !writable(f) ? -LINUX_EBADF : !f->ops->write ? -LINUX_EINVAL : 0;
    struct linux_iovec stack[IOV_ON_STACK], *iov;
    uint64_t total;
    if (r == 0) r = px_iov_in(iov_addr, count, stack, &iov, &total);
    if (r < 0) {
        px_file_unref(f);
        return r;
    }
    /* RWF_APPEND and RWF_NOAPPEND: O_APPEND for this call only, under the position's
       lock (calls that take it see the description's own flags; a pwrite64 by another
       thread at the same moment may not) */
    uint32_t flags_before = f->status_flags;
    bool flip = (rwf & (RWF_APPEND | RWF_NOAPPEND)) != 0;
    if (offset == AT_FILE_POSITION || flip) px_file_pos_lock(f);
    if (rwf & RWF_APPEND) f->status_flags |= LINUX_O_APPEND;
    else if (rwf & RWF_NOAPPEND) f->status_flags &= ~LINUX_O_APPEND;
    int64_t done = 0;
    if (total > 0 && total <= GATHER_LIMIT && count > 1) {
        char *gathered = px_alloc((size_t)total);
        if (!gathered) {
            done = -LINUX_ENOMEM;
        } else {
            /* up to the first bad page: Linux writes what it could copy, EFAULT if nothing */
            size_t at = 0;
            for (int64_t i = 0; i < count; i++) {
                int64_t got = px_copy_in_partial(gathered + at, iov[i].iov_base, (size_t)iov[i].iov_len);
                if (got > 0) at += (size_t)got;
                if (got != (int64_t)iov[i].iov_len) break;
            }
            done = at ? write_at(f, (uint64_t)(uintptr_t)gathered, at, offset) : -LINUX_EFAULT;
            px_free(gathered);
        }
    } else {
        for (int64_t i = 0; i < count; i++) {
            if (!iov[i].iov_len) continue;
            r = write_at(f, iov[i].iov_base, iov[i].iov_len, offset == AT_FILE_POSITION ? offset : offset + done);
            if (r < 0) {
                if (!done) done = r;
                break;
            }
            done += r;
            if ((uint64_t)r < iov[i].iov_len) break;
        }
    }
    if (flip) f->status_flags = (f->status_flags & ~LINUX_O_APPEND) | (flags_before & LINUX_O_APPEND);
    if (offset == AT_FILE_POSITION || flip) px_file_pos_unlock(f);
    px_iov_free(iov, stack);
    px_file_unref(f);
    return done;
}

/* readv(2) */
PX_SYSCALL(readv)
{
    return vector_read((int)PX_ARG0, PX_ARG1, (int32_t)PX_ARG2, AT_FILE_POSITION);
}

/* writev(2) */
PX_SYSCALL(writev)
{
    return vector_write((int)PX_ARG0, PX_ARG1, (int32_t)PX_ARG2, AT_FILE_POSITION, 0);
}

/* preadv(2): on x86-64 the offset is the fourth argument whole (pos_h is shifted out) */
PX_SYSCALL(preadv)
{
    int64_t offset = (int64_t)PX_ARG3;
    return vector_read((int)PX_ARG0, PX_ARG1, (int32_t)PX_ARG2, offset < 0 ? INT64_MIN : offset);
}

/* pwritev(2) */
PX_SYSCALL(pwritev)
{
    int64_t offset = (int64_t)PX_ARG3;
    return vector_write((int)PX_ARG0, PX_ARG1, (int32_t)PX_ARG2, offset < 0 ? INT64_MIN : offset, 0);
}

/* preadv2(2): offset -1 is the file position; RWF_HIPRI and RWF_NOWAIT change nothing
   here (no polled I/O; a read of a file does not wait on the disk more than Windows
   makes it), RWF_DSYNC, RWF_SYNC and RWF_APPEND are for writes (ignored, as Linux) */
PX_SYSCALL(preadv2)
{
    int64_t offset = (int64_t)PX_ARG3;
    uint32_t flags = (uint32_t)PX_ARG5;
    if (flags & ~RWF_KNOWN) return -LINUX_EOPNOTSUPP;
    return vector_read((int)PX_ARG0, PX_ARG1, (int32_t)PX_ARG2, offset == -1 ? AT_FILE_POSITION
                                                                 : offset < 0 ? INT64_MIN : offset);
}

/* pwritev2(2): RWF_DSYNC and RWF_SYNC flush after the write (fsync), RWF_APPEND writes
   at the end (the file position moves only with offset -1), RWF_NOAPPEND at the offset
   of an O_APPEND file; RWF_NOWAIT on a write is EOPNOTSUPP (no write here can promise
   not to wait) */
PX_SYSCALL(pwritev2)
{
    int fd = (int)PX_ARG0;
    int64_t offset = (int64_t)PX_ARG3;
    uint32_t flags = (uint32_t)PX_ARG5;
    if (flags & ~RWF_KNOWN) return -LINUX_EOPNOTSUPP;
    if (flags & RWF_NOWAIT) return -LINUX_EOPNOTSUPP;
    int64_t r = vector_write(fd, PX_ARG1, (int32_t)PX_ARG2, offset == -1 ? AT_FILE_POSITION : offset < 0 ? INT64_MIN : offset,
                             flags);
    if (r > 0 && (flags & (RWF_DSYNC | RWF_SYNC))) {
        px_file *f = px_fd_get(fd);
        int64_t synced = f && f->ops->fsync ? f->ops->fsync(f) : 0;
        if (f) px_file_unref(f);
        if (synced < 0) r = synced;
    }
    return r;
}

/* pread64(2) */
PX_SYSCALL(pread64)
{
    int fd = (int)PX_ARG0;
    uint64_t buf = PX_ARG1;
    uint64_t len = PX_ARG2;
    int64_t offset = (int64_t)PX_ARG3;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r;
    if (!readable(f)) r = -LINUX_EBADF;
    else if (f->is_dir) r = -LINUX_EISDIR;
    else if (!f->ops->pread) r = -LINUX_ESPIPE;
    else if (offset < 0 || (int64_t)len < 0) r = -LINUX_EINVAL;
    else if (len && !px_guest_range_ok(buf, len)) r = -LINUX_EFAULT;
    else r = f->ops->pread(f, (void *)(uintptr_t)buf, len, (uint64_t)offset);
    px_file_unref(f);
    return r;
}

/* pwrite64(2) */
PX_SYSCALL(pwrite64)
{
    int fd = (int)PX_ARG0;
    uint64_t buf = PX_ARG1;
    uint64_t len = PX_ARG2;
    int64_t offset = (int64_t)PX_ARG3;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r;
    if (!writable(f)) r = -LINUX_EBADF;
    else if (!f->ops->pwrite) r = -LINUX_ESPIPE;
    else if (offset < 0 || (int64_t)len < 0) r = -LINUX_EINVAL;
    else if (len == 0) r = 0;
    else if (len > PX_GUEST_ADDR_END || buf > PX_GUEST_ADDR_END - len) r = -LINUX_EFAULT; /* as write */
    else r = f->ops->pwrite(f, (const void *)(uintptr_t)buf, len, (uint64_t)offset);
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
    px_file_pos_lock(f);
    int64_t r = f->ops->lseek ? f->ops->lseek(f, offset, whence) : -LINUX_ESPIPE;
    px_file_pos_unlock(f);
    px_file_unref(f);
    return r;
}

/* The entries are made in the runtime's memory (the type's entries and the mount points
   inside, px_vfs_getdents) and copied out: an entry a bad buffer could not take is read
   again by the next call, as Linux's filldir leaves the position before it. */
#define GETDENTS_BOUNCE 65536
static int64_t getdents_out(px_file *f, uint64_t buf, uint64_t len)
{
    if (len > GETDENTS_BOUNCE) len = GETDENTS_BOUNCE; /* a short batch: the caller asks again */
    void *bounce = px_alloc(len ? (size_t)len : 1);
    if (!bounce) return -LINUX_ENOMEM;
    uint64_t pos = f->pos;
    int64_t r = px_vfs_getdents(f, bounce, len);
    if (r > 0 && px_copy_out(buf, bounce, (size_t)r) < 0) {
        r = -LINUX_EFAULT;
        if (f->ops->lseek) f->ops->lseek(f, (int64_t)pos, LINUX_SEEK_SET);
    }
    px_free(bounce);
    return r;
}

/* getdents64(2) */
PX_SYSCALL(getdents64)
{
    int fd = (int)PX_ARG0;
    uint64_t buf = PX_ARG1;
    uint64_t len = (uint32_t)PX_ARG2;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r;
    if (f->status_flags & LINUX_O_PATH) r = -LINUX_EBADF;
    else if (!f->is_dir || !f->ops->getdents) r = -LINUX_ENOTDIR;
    else if (!px_guest_range_ok(buf, len)) r = -LINUX_EFAULT;
    else {
        px_file_pos_lock(f);
        r = getdents_out(f, buf, len);
        px_file_pos_unlock(f);
    }
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
        int32_t value;
        if (PX_GET(&value, arg) < 0) return -LINUX_EFAULT;
        bool on = value != 0;
        uint32_t flags = on ? f->status_flags | LINUX_O_NONBLOCK : f->status_flags & ~(uint32_t)LINUX_O_NONBLOCK;
        if (f->ops->set_status_flags) {
            int64_t r = f->ops->set_status_flags(f, flags);
            if (r < 0) return r;
        }
        f->status_flags = flags;
        return 0;
    }
    case LINUX_FIONREAD: {
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
        int32_t count = (int32_t)(n > INT32_MAX ? INT32_MAX : n);
        return PX_PUT(arg, &count);
    }
    default:
        *handled = false;
        return 0;
    }
}

/* The terminal's process groups (tcgetpgrp, tcsetpgrp, TIOCGSID) on a console: kept in
   the session's process table, as the terminal's side of the session. */
static int64_t terminal_group_ioctl(px_file *f, uint64_t request, uint64_t arg, bool *handled)
{
    *handled = (request == LINUX_TIOCGPGRP || request == LINUX_TIOCSPGRP || request == LINUX_TIOCGSID) &&
               f->ops->ioctl && f->ops == px_console_ops();
    if (!*handled) return 0;
    px_ptable_entry self;
    if (px_ptable_lookup(px_ptable_self(), &self) < 0) return -LINUX_ENOTTY;
    int32_t v;
    switch (request) {
    case LINUX_TIOCGPGRP: v = px_ptable_foreground(self.sid); return PX_PUT(arg, &v);
    case LINUX_TIOCGSID: v = self.sid; return PX_PUT(arg, &v);
    default:
        if (PX_GET(&v, arg) < 0) return -LINUX_EFAULT;
        return px_ptable_set_foreground(self.sid, v);
    }
}

/* The same session and groups for a pty (fs/pty.c). */
static void pty_who(int32_t *pid, int32_t *pgid, int32_t *sid)
{
    *pid = px_ptable_self();
    *pgid = px_ptable_self_pgid();
    *sid = px_ptable_self_sid();
}

static void pty_signal_group(int32_t pgid, int sig) { px_signal_kill(-pgid, sig); }

const px_pty_jobs px_pty_task_jobs = {.who = pty_who, .signal_group = pty_signal_group};

/* ioctl(2) */
PX_SYSCALL(ioctl)
{
    int fd = (int)PX_ARG0;
    uint64_t request = (uint32_t)PX_ARG1;
    uint64_t arg = PX_ARG2;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    bool handled;
    int64_t r = terminal_group_ioctl(f, request, arg, &handled);
    if (!handled) r = generic_ioctl(fd, f, request, arg, &handled);
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
    /* an O_PATH fd does no I/O: EBADF, as Linux's fdget */
    int64_t r = (f->status_flags & LINUX_O_PATH) ? -LINUX_EBADF : f->ops->fsync ? f->ops->fsync(f) : -LINUX_EINVAL;
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
typedef struct truncate_call { px_file *f; uint64_t len; } truncate_call;

static int64_t truncate_again(void *ctx)
{
    truncate_call *c = ctx;
    return c->f->ops->truncate(c->f, c->len);
}

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
    /* Windows refuses to cut a file a section maps (ERROR_USER_MAPPED_FILE: ETXTBSY, or
       EIO from a backend that does not say why): this process's shared views step aside */
    if ((r == -LINUX_EIO || r == -LINUX_ETXTBSY) && f->ops->disk_data) {
        truncate_call call = {f, (uint64_t)len};
        r = px_vm_resize_mapped(f->handle, truncate_again, &call, r);
    }
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
