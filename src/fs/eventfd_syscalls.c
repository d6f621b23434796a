/* eventfd(2), eventfd2(2): a 64-bit counter as a file. read takes the count (or 1 with
   EFD_SEMAPHORE) and waits while it is 0; write adds and waits while the sum would pass
   0xfffffffffffffffe; poll says POLLIN while the count is above 0 and POLLOUT while one
   more can be added. Two manual-reset host events mirror those two states for the
   waits. The counter lives in this process: an eventfd handed to another (fork, execve)
   does not go along. */
#include "fs/fs_internal.h"
#include "host/host_sync.h"

#define EFD_SEMAPHORE 0x1u
#define EVENTFD_MAX 0xfffffffffffffffeull

typedef struct eventfd_state {
    px_host_rwlock lock;
    uint64_t count;                    /* lock */
    bool semaphore;
    px_host_handle readable, writable; /* set while count > 0, while count < EVENTFD_MAX */
} eventfd_state;

/* Called with the lock held after count changed. */
static void mirror(eventfd_state *s)
{
    if (s->count > 0) px_host_event_set(s->readable);
    else px_host_event_reset(s->readable);
    if (s->count < EVENTFD_MAX) px_host_event_set(s->writable);
    else px_host_event_reset(s->writable);
}

static int64_t eventfd_read(px_file *f, void *buf, uint64_t len)
{
    eventfd_state *s = f->data;
    if (len < 8) return -LINUX_EINVAL;
    px_host_rwlock_lock(&s->lock);
    int64_t r = 8;
    if (s->count == 0) {
        r = (f->status_flags & LINUX_O_NONBLOCK) ? -LINUX_EAGAIN : PX_WOULD_BLOCK;
    } else {
        uint64_t value = s->semaphore ? 1 : s->count;
        if (px_copy_out_partial((uint64_t)(uintptr_t)buf, &value, 8) != 8) r = -LINUX_EFAULT;
        else s->count -= value, mirror(s);
    }
    px_host_rwlock_unlock(&s->lock);
    return r;
}

static int64_t eventfd_write(px_file *f, const void *buf, uint64_t len)
{
    eventfd_state *s = f->data;
    if (len < 8) return -LINUX_EINVAL;
    uint64_t value;
    if (px_copy_in_partial(&value, (uint64_t)(uintptr_t)buf, 8) != 8) return -LINUX_EFAULT;
    if (value == UINT64_MAX) return -LINUX_EINVAL;
    px_host_rwlock_lock(&s->lock);
    int64_t r = 8;
    if (value > EVENTFD_MAX - s->count) r = (f->status_flags & LINUX_O_NONBLOCK) ? -LINUX_EAGAIN : PX_WOULD_BLOCK;
    else s->count += value, mirror(s);
    px_host_rwlock_unlock(&s->lock);
    return r;
}

static uint32_t eventfd_poll(px_file *f, uint32_t events)
{
    eventfd_state *s = f->data;
    px_host_rwlock_lock_shared(&s->lock);
    uint32_t ready = (s->count > 0 ? LINUX_POLLIN : 0) | (s->count < EVENTFD_MAX ? LINUX_POLLOUT : 0);
    px_host_rwlock_unlock_shared(&s->lock);
    (void)events;
    return ready;
}

static int64_t eventfd_wait_on(px_file *f, uint32_t events, px_wait_on *w)
{
    eventfd_state *s = f->data;
    px_wait_on_add(w, events == LINUX_POLLIN ? s->readable : s->writable);
    w->retry_ns = -1;
    return 0;
}

static void eventfd_release(px_file *f)
{
    eventfd_state *s = f->data;
    px_host_close(s->readable);
    px_host_close(s->writable);
    px_free(s);
}

static const px_file_ops eventfd_ops = {
    .read = eventfd_read, .write = eventfd_write, .poll = eventfd_poll, .wait_on = eventfd_wait_on,
    .stat = px_anon_file_stat, .release = eventfd_release,
};

static int64_t make_eventfd(uint32_t initval, uint32_t flags)
{
    if (flags & ~(EFD_SEMAPHORE | LINUX_O_CLOEXEC | LINUX_O_NONBLOCK)) return -LINUX_EINVAL;
    eventfd_state *s = px_calloc(1, sizeof *s);
    if (!s) return -LINUX_ENOMEM;
    px_host_rwlock_init(&s->lock);
    s->count = initval;
    s->semaphore = flags & EFD_SEMAPHORE;
    s->readable = px_host_event_new(true, false, false);
    s->writable = px_host_event_new(true, false, false);
    px_file *f = s->readable && s->writable ? px_file_new(&eventfd_ops, NULL, LINUX_O_RDWR | (flags & LINUX_O_NONBLOCK)) : NULL;
    char *name = f ? px_strdup("anon_inode:[eventfd]") : NULL;
    if (!name) {
        if (s->readable) px_host_close(s->readable);
        if (s->writable) px_host_close(s->writable);
        px_free(s);
        px_free(f);
        return -LINUX_ENOMEM;
    }
    mirror(s);
    f->data = s;
    f->guest_path = name;
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
