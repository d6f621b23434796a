/* The handlers' read, write and open of files whose operations may say "would block"
   (fs/wait.h): the operation is tried, and between tries the task blocks on what the file
   hands back (px_block_on, block.c). */
#include "fs/fs_internal.h"
#include "kernel/block.h"

int64_t px_file_wait(px_file *f, uint32_t events)
{
    px_wait_on w = {.retry_ns = -1};
    int64_t r = f->ops->wait_on ? f->ops->wait_on(f, events, &w) : -LINUX_EINVAL;
    if (r < 0) return r;
    int b = px_block_on(&w, NULL);
    if (b == PX_BLOCK_INTERRUPTED) return -LINUX_ERESTARTSYS;
    return b == PX_BLOCK_FAILED ? -LINUX_EINVAL : 0; /* a runtime bug: a file's object is gone */
}

int64_t px_file_read_blocking(px_file *f, void *buf, uint64_t len)
{
    for (;;) {
        int64_t r = f->ops->read(f, buf, len);
        if (r != PX_WOULD_BLOCK) return r;
        if ((r = px_file_wait(f, LINUX_POLLIN)) < 0) return r;
    }
}

int64_t px_file_write_blocking(px_file *f, const void *buf, uint64_t len)
{
    bool goes_on = f->ops->wait_on && !(f->status_flags & LINUX_O_NONBLOCK);
    uint64_t done = 0;
    for (;;) {
        int64_t r = f->ops->write(f, (const char *)buf + done, len - done);
        if (r == PX_WOULD_BLOCK) {
            if ((r = px_file_wait(f, LINUX_POLLOUT)) < 0) return done ? (int64_t)done : r;
            continue;
        }
        if (r < 0) return done ? (int64_t)done : r;
        done += (uint64_t)r;
        if (done >= len || !goes_on || r == 0) return (int64_t)done;
    }
}

int64_t px_file_open_blocking(px_file *f)
{
    if (!f->ops->open_wait) return 0;
    for (;;) {
        px_wait_on w = {.retry_ns = -1};
        int64_t r = f->ops->open_wait(f, &w);
        if (r == PX_WOULD_BLOCK) {
            int b = px_block_on(&w, NULL);
            if (b == PX_BLOCK_INTERRUPTED) r = -LINUX_EINTR;
            else if (b == PX_BLOCK_FAILED) r = -LINUX_EINVAL;
            else continue;
        }
        if (r < 0) px_file_unref(f);
        return r;
    }
}
