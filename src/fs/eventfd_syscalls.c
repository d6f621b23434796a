/* eventfd(2), eventfd2(2): a 64-bit counter as a file. read takes the count (or 1 with
   EFD_SEMAPHORE) and waits while it is 0; write adds and waits while the sum would pass
   0xfffffffffffffffe; poll says POLLIN while the count is above 0 and POLLOUT while one
   more can be added. The counter is one object for every process the file reaches (fork,
   execve into a new process: fs/anon_shared.h), with two manual-reset events mirroring
   those two states for the waits. */
#include "fs/anon_shared.h"
#include "fs/fd_handoff.h"
#include "fs/fs_internal.h"

#define EFD_SEMAPHORE 0x1u
#define EVENTFD_MAX 0xfffffffffffffffeull

enum { READABLE = 0, WRITABLE = 1 }; /* the events: set while count > 0, while count < EVENTFD_MAX */

typedef struct eventfd_state {
    uint64_t count;
    uint32_t semaphore;
} eventfd_state;

static eventfd_state *state_of(px_file *f) { return px_anon_shared_state(f->data); }

/* Called with the lock held after count changed (or in a process that just got it). */
static void mirror(px_anon_shared *o)
{
    eventfd_state *s = px_anon_shared_state(o);
    px_anon_shared_mirror(o, READABLE, s->count > 0);
    px_anon_shared_mirror(o, WRITABLE, s->count < EVENTFD_MAX);
}

static int64_t eventfd_read(px_file *f, void *buf, uint64_t len)
{
    eventfd_state *s = state_of(f);
    if (len < 8) return -LINUX_EINVAL;
    px_anon_shared_lock(f->data);
    int64_t r = 8;
    if (s->count == 0) {
        r = (f->status_flags & LINUX_O_NONBLOCK) ? -LINUX_EAGAIN : PX_WOULD_BLOCK;
    } else {
        uint64_t value = s->semaphore ? 1 : s->count;
        if (px_copy_out_partial((uint64_t)(uintptr_t)buf, &value, 8) != 8) r = -LINUX_EFAULT;
        else s->count -= value, mirror(f->data);
    }
    px_anon_shared_unlock(f->data);
    return r;
}

static int64_t eventfd_write(px_file *f, const void *buf, uint64_t len)
{
    eventfd_state *s = state_of(f);
    if (len < 8) return -LINUX_EINVAL;
    uint64_t value;
    if (px_copy_in_partial(&value, (uint64_t)(uintptr_t)buf, 8) != 8) return -LINUX_EFAULT;
    if (value == UINT64_MAX) return -LINUX_EINVAL;
    px_anon_shared_lock(f->data);
    int64_t r = 8;
    if (value > EVENTFD_MAX - s->count) r = (f->status_flags & LINUX_O_NONBLOCK) ? -LINUX_EAGAIN : PX_WOULD_BLOCK;
    else s->count += value, mirror(f->data);
    px_anon_shared_unlock(f->data);
    return r;
}

static uint32_t eventfd_poll(px_file *f, uint32_t events)
{
    eventfd_state *s = state_of(f);
    px_anon_shared_lock(f->data);
    uint32_t ready = (s->count > 0 ? LINUX_POLLIN : 0) | (s->count < EVENTFD_MAX ? LINUX_POLLOUT : 0);
    px_anon_shared_unlock(f->data);
    (void)events;
    return ready;
}

static int64_t eventfd_wait_on(px_file *f, uint32_t events, px_wait_on *w)
{
    px_wait_on_add(w, px_anon_shared_event(f->data, events == LINUX_POLLIN ? READABLE : WRITABLE));
    w->retry_ns = -1;
    return 0;
}

static px_file *eventfd_rebuild(const px_handoff_file *hf);
const px_file_handoff px_eventfd_handoff = {.kind = PX_HANDOFF_EVENTFD, .rebuild = eventfd_rebuild};

static const px_file_ops eventfd_ops = {
    .read = eventfd_read, .write = eventfd_write, .poll = eventfd_poll, .wait_on = eventfd_wait_on,
    .stat = px_anon_file_stat, .release = px_anon_shared_file_release, .handoff = &px_eventfd_handoff,
};

static px_file *eventfd_file(px_anon_shared *o, uint32_t status_flags)
{
    return px_anon_shared_file(o, &eventfd_ops, status_flags, "anon_inode:[eventfd]");
}

static px_file *eventfd_rebuild(const px_handoff_file *hf)
{
    px_anon_shared o;
    if (!hf->handle || px_anon_shared_open(&o, hf->handle, sizeof(eventfd_state)) < 0) return NULL;
    px_file *f = eventfd_file(&o, hf->status_flags);
    if (f) {
        px_anon_shared_lock(f->data);
        mirror(f->data); /* events made again here start reset */
        px_anon_shared_unlock(f->data);
    }
    return f;
}

static int64_t make_eventfd(uint32_t initval, uint32_t flags)
{
    if (flags & ~(EFD_SEMAPHORE | LINUX_O_CLOEXEC | LINUX_O_NONBLOCK)) return -LINUX_EINVAL;
    px_anon_shared o;
    if (px_anon_shared_new(&o, sizeof(eventfd_state)) < 0) return -LINUX_ENOMEM;
    eventfd_state *s = px_anon_shared_state(&o);
    s->count = initval;
    s->semaphore = (flags & EFD_SEMAPHORE) != 0;
    mirror(&o);
    px_file *f = eventfd_file(&o, LINUX_O_RDWR | (flags & LINUX_O_NONBLOCK));
    if (!f) return -LINUX_ENOMEM;
    int64_t r = px_fd_install(f, 0, (flags & LINUX_O_CLOEXEC) != 0);
    if (r < 0) px_file_unref(f);
    return r;
}

/* eventfd(2) */
PX_SYSCALL(eventfd)
{
    uint32_t initval = (uint32_t)PX_ARG0;
    return make_eventfd(initval, 0);
}

/* eventfd2(2) */
PX_SYSCALL(eventfd2)
{
    uint32_t initval = (uint32_t)PX_ARG0;
    uint32_t flags = (uint32_t)PX_ARG1;
    return make_eventfd(initval, flags);
}
