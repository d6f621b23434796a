/* The in-kernel copies: sendfile and copy_file_range, as read + write loops through the
   files' ops (no file system here shares extents, so nothing faster exists to call). */
#include "fs/fs_internal.h"
#include "fs/pipe_ring.h"
#include "kernel/block.h"

#define COPY_CHUNK (256 * 1024)

static bool can_read(const px_file *f)
{
    uint32_t acc = f->status_flags & LINUX_O_ACCMODE;
    return !(f->status_flags & LINUX_O_PATH) && (acc == LINUX_O_RDONLY || acc == LINUX_O_RDWR);
}

static bool can_write(const px_file *f)
{
    uint32_t acc = f->status_flags & LINUX_O_ACCMODE;
    return !(f->status_flags & LINUX_O_PATH) && (acc == LINUX_O_WRONLY || acc == LINUX_O_RDWR);
}

/* Copies up to len bytes from in (at *in_off, or its position when in_off is NULL) to
   out (at *out_off, or its position). Stops at the end of in or a short write. */
static int64_t copy_loop(px_file *in, int64_t *in_off, px_file *out, int64_t *out_off, uint64_t len)
{
    uint64_t chunk = len < COPY_CHUNK ? len : COPY_CHUNK;
    char *buf = chunk ? px_alloc((size_t)chunk) : NULL;
    if (chunk && !buf) return -LINUX_ENOMEM;
    uint64_t done = 0;
    int64_t err = 0;
    while (done < len) {
        uint64_t want = len - done < chunk ? len - done : chunk;
        int64_t got = in_off ? in->ops->pread(in, buf, want, (uint64_t)*in_off) : px_file_read_blocking(in, buf, want);
        if (got <= 0) {
            err = got;
            break;
        }
        int64_t put = 0;
        while (put < got) {
            int64_t w = out_off ? out->ops->pwrite(out, buf + put, (uint64_t)(got - put), (uint64_t)*out_off)
                                : px_file_write_blocking(out, buf + put, (uint64_t)(got - put));
            if (w <= 0) {
                err = w ? w : -LINUX_EIO;
                break;
            }
            put += w;
            if (out_off) *out_off += w;
        }
        if (in_off) *in_off += put;
        else if (put < got && in->ops->lseek) in->ops->lseek(in, put - got, LINUX_SEEK_CUR); /* give back what was not written */
        done += (uint64_t)put;
        if (err < 0 || (uint64_t)got < want) break;
    }
    px_free(buf);
    return done ? (int64_t)done : err;
}

/* sendfile(2): from a file that can be read at an offset to any writable fd */
PX_SYSCALL(sendfile)
{
    int out_fd = (int)PX_ARG0;
    int in_fd = (int)PX_ARG1;
    uint64_t offset_addr = PX_ARG2;
    uint64_t count = PX_ARG3;
    /* the offset is read before anything else and written back after, as Linux does */
    int64_t offset_value, *offset = NULL;
    if (offset_addr) {
        if (PX_GET(&offset_value, offset_addr) < 0) return -LINUX_EFAULT;
        offset = &offset_value;
    }
    px_file *in = px_fd_get(in_fd);
    px_file *out = px_fd_get(out_fd);
    int64_t r = 0;
    if (!in || !out || !can_read(in) || !can_write(out)) r = -LINUX_EBADF;
    else if (in->is_dir || !in->ops->pread || !in->ops->read || !out->ops->write) r = -LINUX_EINVAL;
    else if (out->status_flags & LINUX_O_APPEND) r = -LINUX_EINVAL;
    else if (offset && *offset < 0) r = -LINUX_EINVAL;
    else if ((int64_t)count < 0) r = -LINUX_EINVAL;
    if (r == 0) {
        if (count > 0x7ffff000u) count = 0x7ffff000u; /* Linux's MAX_RW_COUNT */
        r = copy_loop(in, offset, out, NULL, count);
    }
    px_file_unref(in);
    px_file_unref(out);
    if (offset && PX_PUT(offset_addr, offset) < 0) return -LINUX_EFAULT;
    return r;
}

/* copy_file_range(2) between regular files */
PX_SYSCALL(copy_file_range)
{
    int in_fd = (int)PX_ARG0;
    uint64_t off_in_addr = PX_ARG1;
    int out_fd = (int)PX_ARG2;
    uint64_t off_out_addr = PX_ARG3;
    uint64_t len = PX_ARG4;
    uint32_t flags = (uint32_t)PX_ARG5;
    px_file *in = px_fd_get(in_fd);
    px_file *out = px_fd_get(out_fd);
    int64_t r = 0;
    int64_t off_in_value = 0, off_out_value = 0;
    int64_t *off_in = off_in_addr ? &off_in_value : NULL, *off_out = off_out_addr ? &off_out_value : NULL;
    if (!in || !out) r = -LINUX_EBADF;
    else if ((off_in && PX_GET(off_in, off_in_addr) < 0) || (off_out && PX_GET(off_out, off_out_addr) < 0))
        r = -LINUX_EFAULT;
    else if (flags) r = -LINUX_EINVAL;
    else if (!can_read(in) || !can_write(out)) r = -LINUX_EBADF;
    else if (out->status_flags & LINUX_O_APPEND) r = -LINUX_EBADF;
    else if (in->is_dir || out->is_dir) r = -LINUX_EISDIR;
    else if (!in->ops->pread || !out->ops->pwrite) r = -LINUX_EINVAL;
    else if ((off_in && *off_in < 0) || (off_out && *off_out < 0)) r = -LINUX_EINVAL;
    if (r == 0 && in->ops->stat && out->ops->stat) {
        /* the same file: overlapping ranges are refused, as Linux does */
        px_stat_info si, so;
        if (in->ops->stat(in, &si) == 0 && out->ops->stat(out, &so) == 0 && si.dev == so.dev && si.ino == so.ino) {
            int64_t a = off_in ? *off_in : (int64_t)in->pos, b = off_out ? *off_out : (int64_t)out->pos;
            if (a < b + (int64_t)len && b < a + (int64_t)len) r = -LINUX_EINVAL;
        }
    }
    if (r == 0) {
        int64_t in_pos = off_in ? *off_in : (int64_t)in->pos;
        int64_t out_pos = off_out ? *off_out : (int64_t)out->pos;
        if (len > 0x7ffff000u) len = 0x7ffff000u;
        r = copy_loop(in, &in_pos, out, &out_pos, len);
        if (off_in) *off_in = in_pos;
        else in->pos = (uint64_t)in_pos;
        if (off_out) *off_out = out_pos;
        else out->pos = (uint64_t)out_pos;
        if ((off_in && PX_PUT(off_in_addr, off_in) < 0) || (off_out && PX_PUT(off_out_addr, off_out) < 0))
            r = -LINUX_EFAULT;
    }
    px_file_unref(in);
    px_file_unref(out);
    return r;
}

static bool is_pipe(px_file *f)
{
    px_stat_info st;
    return f->ops->stat && f->ops->stat(f, &st) == 0 && (st.mode & LINUX_S_IFMT) == LINUX_S_IFIFO;
}

/* splice(2) between a pipe and any fd, as a copy (no pages to move between Windows
   pipes). Into a pipe it moves at most what the pipe has room for, as Linux does: a
   process that splices into a pipe and then reads it must not block on its own pipe.
   SPLICE_F_NONBLOCK is the pipe's own O_NONBLOCK here; SPLICE_F_MOVE, _MORE, _GIFT
   are hints. */
PX_SYSCALL(splice)
{
    int in_fd = (int)PX_ARG0;
    uint64_t off_in_addr = PX_ARG1;
    int out_fd = (int)PX_ARG2;
    uint64_t off_out_addr = PX_ARG3;
    uint64_t len = PX_ARG4;
    uint32_t flags = (uint32_t)PX_ARG5;
    int64_t off_in_value = 0, off_out_value = 0;
    int64_t *off_in = off_in_addr ? &off_in_value : NULL, *off_out = off_out_addr ? &off_out_value : NULL;
    if (flags & ~(uint32_t)(LINUX_SPLICE_F_MOVE | LINUX_SPLICE_F_NONBLOCK | LINUX_SPLICE_F_MORE | LINUX_SPLICE_F_GIFT))
        return -LINUX_EINVAL;
    px_file *in = px_fd_get(in_fd);
    px_file *out = px_fd_get(out_fd);
    int64_t r = 0;
    bool in_pipe = false, out_pipe = false;
    if (!in || !out || !can_read(in) || !can_write(out)) r = -LINUX_EBADF;
    else if (out->status_flags & LINUX_O_APPEND) r = -LINUX_EINVAL;
    else if (!(in_pipe = is_pipe(in)) & !(out_pipe = is_pipe(out))) r = -LINUX_EINVAL; /* one end must be a pipe */
    else if ((in_pipe && off_in) || (out_pipe && off_out)) r = -LINUX_ESPIPE;
    else if ((off_in && PX_GET(off_in, off_in_addr) < 0) || (off_out && PX_GET(off_out, off_out_addr) < 0))
        r = -LINUX_EFAULT;
    else if ((off_in && (!in->ops->pread || *off_in < 0)) || (off_out && (!out->ops->pwrite || *off_out < 0)))
        r = -LINUX_EINVAL;
    else if (in->is_dir || !in->ops->read || !out->ops->write) r = -LINUX_EINVAL;
    if (r == 0 && out_pipe) {
        uint64_t room = PX_PIPE_CAPACITY;
        int64_t queued = out->ops->readable_bytes ? out->ops->readable_bytes(out) : 0;
        if (queued > 0 && queued < PX_PIPE_CAPACITY) room -= (uint64_t)queued;
        /* Linux's pipe holds pages: from a file, the first one starts at the offset's
           place in its page */
        if (!in_pipe) room -= (uint64_t)(off_in ? *off_in : (int64_t)in->pos) % 4096;
        if (len > room) len = room;
    }
    if (r == 0 && len > 0x7ffff000u) len = 0x7ffff000u;
    if (r == 0 && len) {
        int64_t in_pos = off_in ? *off_in : 0, out_pos = off_out ? *off_out : 0;
        r = copy_loop(in, off_in ? &in_pos : NULL, out, off_out ? &out_pos : NULL, len);
        if (r > 0 && off_in && PX_PUT(off_in_addr, &in_pos) < 0) r = -LINUX_EFAULT;
        if (r > 0 && off_out && PX_PUT(off_out_addr, &out_pos) < 0) r = -LINUX_EFAULT;
    }
    px_file_unref(in);
    px_file_unref(out);
    return r;
}

/* tee(2) between two pipes the guest made (rings, pipe_ring.c): the bytes stay in the
   first. SPLICE_F_NONBLOCK or either end's O_NONBLOCK: EAGAIN instead of a wait. A
   Windows pipe (a standard handle) has no way to look without taking: EINVAL, as Linux
   says for an fd that is not a pipe. */
PX_SYSCALL(tee)
{
    int in_fd = (int)PX_ARG0;
    int out_fd = (int)PX_ARG1;
    uint64_t len = PX_ARG2;
    uint32_t flags = (uint32_t)PX_ARG3;
    if (flags & ~(uint32_t)(LINUX_SPLICE_F_MOVE | LINUX_SPLICE_F_NONBLOCK | LINUX_SPLICE_F_MORE | LINUX_SPLICE_F_GIFT))
        return -LINUX_EINVAL;
    px_file *in = px_fd_get(in_fd);
    px_file *out = px_fd_get(out_fd);
    int64_t r = 0;
    if (!in || !out || !can_read(in) || !can_write(out)) r = -LINUX_EBADF;
    else if (!px_pipe_is_ring(in) || !px_pipe_is_ring(out) || px_pipe_ring_same(in, out)) r = -LINUX_EINVAL;
    bool nonblock = (flags & LINUX_SPLICE_F_NONBLOCK) || ((in ? in->status_flags : 0) & LINUX_O_NONBLOCK) ||
                    ((out ? out->status_flags : 0) & LINUX_O_NONBLOCK);
    while (r == 0 && len) {
        bool for_room = false;
        r = px_pipe_ring_tee(in, out, len, nonblock, &for_room);
        if (r != PX_WOULD_BLOCK) break;
        px_file *side = for_room ? out : in;
        px_wait_on w = {.retry_ns = -1};
        r = side->ops->wait_on(side, for_room ? LINUX_POLLOUT : LINUX_POLLIN, &w);
        if (r < 0) break;
        int b = px_block_on(&w, NULL);
        r = b == PX_BLOCK_INTERRUPTED ? -LINUX_ERESTARTSYS : b == PX_BLOCK_FAILED ? -LINUX_EINVAL : 0;
    }
    px_file_unref(in);
    px_file_unref(out);
    return r;
}
