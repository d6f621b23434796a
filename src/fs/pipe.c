/* The pipe backend: anonymous Windows pipes (pipe(2) within one process, and std handles
   that are pipes, as in `picolx run ... | wc -l`), plus plain character devices (NUL).

   Readiness. Windows cannot wait on a synchronous pipe handle, but a zero-byte ReadFile
   on one blocks until bytes arrive (or every writer is gone) and takes nothing (libuv's
   "zero read"; measured under Wine 8: it wakes 0.3-0.6 ms after the write on a loaded
   machine, and CancelSynchronousIo ends it). So a read end that someone must wait for
   gets a watcher thread, made on first need and kept for the file's life, which on each
   arming makes one zero-byte read and then sets the end's "ready" event: poll and a
   blocking read wait on that event (a read says PX_WOULD_BLOCK, fs/wait.h, and its
   handler waits through px_block), so both are interruptible, and the pipe stays a
   plain anonymous pipe for Windows children and std handles.
   On real Windows I/O on a synchronous file object is serialised, so a peek or read
   while the watcher's read is pending would block: the watcher is disarmed (its read
   cancelled) before we touch the handle. Wine does not serialise; disarming happens
   only after a wait that ended for another reason (a timeout, another fd). */
#include "core/errors.h"
#include "fs/fd_handoff.h"
#include "fs/fs_internal.h"
#include "fs/pipe_ring.h"
#include "host/host_pipe.h"
#include "host/host_sync.h"
#include "host/host_thread.h"
#include "core/cred.h"


/* A read end's watcher (see the top). Made once under the file's lock; then armed is
   the only shared word: 1 from an arming until the watcher's zero-byte read returned. */
typedef struct pipe_watch {
    px_host_handle handle; /* the pipe's read end (the file's) */
    px_host_handle thread;
    px_host_handle arm;    /* auto-reset: start one zero-byte read */
    px_host_handle ready;  /* manual-reset: set when that read returned */
    int32_t armed;         /* __atomic */
    volatile int32_t closing;
} pipe_watch;

/* What both ends made together share: the capacity F_SETPIPE_SZ set. */
typedef struct pipe_shared {
    int32_t refs;       /* __atomic */
    uint32_t capacity;  /* __atomic */
} pipe_shared;

typedef struct pipe_state {
    pipe_shared *shared;
    bool owns_handle;   /* false for inherited std handles: the process keeps them */
    bool nowait;        /* the handle is in PIPE_NOWAIT mode (O_NONBLOCK writes) */
    uint64_t ino;
    px_host_rwlock watch_lock; /* guards making the watcher */
    pipe_watch *watch;  /* NULL until a wait needs it */
} pipe_state;

static void watcher_main(void *arg)
{
    pipe_watch *w = arg;
    for (;;) {
        px_host_wait(w->arm, PX_HOST_FOREVER);
        if (w->closing) break;
        char none;
        px_host_pipe_read(w->handle, &none, 0); /* bytes, end of file, or cancelled */
        /* cleared first, so a waiter that sees the event finds the handle free; an
           arming in between at worst sees a stale set event: one spurious re-check */
        __atomic_store_n(&w->armed, 0, __ATOMIC_SEQ_CST);
        px_host_event_set(w->ready);
    }
}

static pipe_watch *watch_of(px_file *f)
{
    pipe_state *ps = f->data;
    px_host_rwlock_lock(&ps->watch_lock);
    if (!ps->watch) {
        pipe_watch *w = px_calloc(1, sizeof *w);
        if (w) {
            w->handle = f->handle;
            w->arm = px_host_event_new(false, false, false);
            w->ready = px_host_event_new(true, false, false);
            w->thread = w->arm && w->ready ? px_host_thread_start(watcher_main, w, 64 * 1024) : NULL;
            if (w->thread) {
                ps->watch = w;
            } else {
                px_host_close(w->arm);
                px_host_close(w->ready);
                px_free(w);
            }
        }
    }
    px_host_rwlock_unlock(&ps->watch_lock);
    return ps->watch;
}

/* The event that turns set once the read end may have become readable (or hung up): arms
   the watcher unless its read is still pending. NULL when no watcher can be made. */
static px_host_handle pipe_arm(px_file *f)
{
    pipe_watch *w = watch_of(f);
    if (!w) return NULL;
    int32_t idle = 0;
    if (__atomic_compare_exchange_n(&w->armed, &idle, 1, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        px_host_event_reset(w->ready);
        px_host_event_set(w->arm);
    }
    return w->ready;
}

/* True where I/O on a synchronous file object is serialised (Windows; not Wine, which
   answered a peek at once while a zero-byte read was pending). */
static bool io_serialised(void) { return !px_host_is_wine(); }

/* Ends a pending zero-byte read before the handle is used (see the top). */
static void pipe_disarm(px_file *f)
{
    pipe_state *ps = f->data;
    pipe_watch *w = ps->watch;
    if (!w || !__atomic_load_n(&w->armed, __ATOMIC_SEQ_CST) || !io_serialised()) return;
    while (__atomic_load_n(&w->armed, __ATOMIC_SEQ_CST)) {
        px_host_thread_cancel_io(w->thread);
        px_host_yield();
    }
}

static void watch_close(pipe_watch *w)
{
    w->closing = 1;
    px_host_event_set(w->arm);
    while (px_host_wait(w->thread, 1) == PX_HOST_TIMED_OUT) px_host_thread_cancel_io(w->thread);
    px_host_close(w->thread);
    px_host_close(w->arm);
    px_host_close(w->ready);
    px_free(w);
}

static uint32_t pipe_poll(px_file *f, uint32_t events);

static uint64_t next_pipe_ino = 100000;

static int64_t pipe_read(px_file *f, void *buf, uint64_t len)
{
    if (len == 0) return 0;
    if (len > 0x7ffff000u) len = 0x7ffff000u;
    pipe_disarm(f);
    if (!(f->status_flags & LINUX_O_NONBLOCK) && (f->status_flags & LINUX_O_ACCMODE) != LINUX_O_WRONLY) {
        /* until a read would not block, the handler waits (interruptibly) on the ready
           event (pipe_wait_on); then it returns what is there. With no watcher to be
           had it blocks in ReadFile, uninterruptibly. */
        if (!(pipe_poll(f, LINUX_POLLIN) & (LINUX_POLLIN | LINUX_POLLHUP | LINUX_POLLERR)) && watch_of(f))
            return PX_WOULD_BLOCK;
    } else {
        bool writers_gone;
        int64_t avail = px_host_pipe_available(f->handle, &writers_gone);
        if (avail < 0) return writers_gone ? 0 : avail;
        if (avail == 0) return -LINUX_EAGAIN;
        if (len > (uint64_t)avail) len = (uint64_t)avail;
    }
    return px_host_pipe_read(f->handle, buf, len); /* 0 once every writer is gone, as on Linux */
}

static int64_t pipe_write_direct(px_file *f, const void *buf, uint64_t len)
{
    if (len > 0x7ffff000u) len = 0x7ffff000u;
    /* O_NONBLOCK: in PIPE_NOWAIT mode a write to a full pipe returns at once with
       what fitted, possibly nothing, which Linux reports as EAGAIN. */
    pipe_state *ps = f->data;
    bool nonblock = (f->status_flags & LINUX_O_NONBLOCK) != 0;
    if (nonblock != ps->nowait) {
        if (px_host_pipe_set_nonblocking(f->handle, nonblock) == 0) ps->nowait = nonblock;
    }
    /* no reader: EPIPE (SIGPIPE is delivered once signals are) */
    int64_t put = px_host_pipe_write(f->handle, buf, len);
    if (put < 0) return put;
    if (put == 0 && len > 0 && ps->nowait) return -LINUX_EAGAIN;
    return put;
}

static int64_t pipe_write_at(px_file *f, const void *buf, uint64_t len, uint64_t offset)
{
    (void)offset; /* a pipe has none */
    return pipe_write_direct(f, buf, len);
}

static int64_t pipe_write(px_file *f, const void *buf, uint64_t len)
{
    int64_t r = pipe_write_direct(f, buf, len);
    /* Windows refuses the whole write when any of the guest's buffer is bad (Wine: EIO);
       Linux writes what it could copy, or says EFAULT: through a runtime buffer then */
    if (r < 0 && r != -LINUX_EPIPE && r != -LINUX_EAGAIN)
        r = px_pwrite_bounced(f, (uint64_t)(uintptr_t)buf, len, 0, pipe_write_at, r);
    return r;
}

static int64_t pipe_readable_bytes(px_file *f)
{
    pipe_disarm(f);
    bool writers_gone;
    int64_t avail = px_host_pipe_available(f->handle, &writers_gone);
    return avail < 0 && writers_gone ? 0 : avail;
}

/* Linux's pipe_poll: readable when bytes wait, POLLHUP once every writer is gone;
   writable, with POLLERR once every reader is gone. A full pipe still says POLLOUT (a
   write then blocks): Windows' write quota is not the free space while a read waits. */
/* False once the other end is closed. */
static bool pipe_connected(px_host_handle h) { return px_host_pipe_connected(h); }

static uint32_t pipe_poll(px_file *f, uint32_t events)
{
    uint32_t acc = f->status_flags & LINUX_O_ACCMODE;
    uint32_t ready = 0;
    pipe_disarm(f);
    if (acc != LINUX_O_WRONLY) {
        bool writers_gone;
        int64_t avail = px_host_pipe_available(f->handle, &writers_gone);
        if (avail >= 0) {
            /* bytes left by a writer that is gone: Linux says both */
            if (avail) ready |= LINUX_POLLIN | LINUX_POLLRDNORM | (pipe_connected(f->handle) ? 0 : LINUX_POLLHUP);
        } else {
            ready |= avail == -LINUX_EPIPE ? LINUX_POLLHUP : LINUX_POLLERR; /* EPIPE: the other end went */
        }
    }
    if (acc != LINUX_O_RDONLY) {
        ready |= LINUX_POLLOUT | LINUX_POLLWRNORM;
        if (!pipe_connected(f->handle)) ready |= LINUX_POLLERR;
    }
    return ready;
}

/* poll's wake-up object: a read end's ready event (the watcher armed). A write end has
   none: it says POLLOUT at once (see pipe_poll). */
static void *pipe_poll_handle(px_file *f)
{
    if ((f->status_flags & LINUX_O_ACCMODE) == LINUX_O_WRONLY) return NULL;
    return pipe_arm(f);
}

/* What a blocked read waits on: the ready event, armed (a write never says it would block). */
static int64_t pipe_wait_on(px_file *f, uint32_t events, px_wait_on *w)
{
    px_host_handle ready = events == LINUX_POLLIN ? pipe_poll_handle(f) : NULL;
    if (!ready) return -LINUX_EINVAL;
    px_wait_on_add(w, ready);
    return 0;
}

static int64_t pipe_stat(px_file *f, px_stat_info *st)
{
    pipe_state *ps = f->data;
    memset(st, 0, sizeof *st);
    st->mode = LINUX_S_IFIFO | 0600;
    st->dev = 0xc; /* pipefs */
    st->ino = ps->ino;
    st->nlink = 1;
    st->uid = px_current_fsuid();
    st->gid = px_current_fsgid();
    st->blksize = 4096;
    return 0;
}

static int64_t pipe_ioctl(px_file *f, uint64_t request, uint64_t arg)
{
    return -LINUX_ENOTTY;
}

static void pipe_release(px_file *f)
{
    pipe_state *ps = f->data;
    if (__atomic_sub_fetch(&ps->shared->refs, 1, __ATOMIC_ACQ_REL) == 0) px_free(ps->shared);
    if (ps->watch) watch_close(ps->watch); /* before the handle it reads goes */
    if (ps->owns_handle) px_host_close(f->handle);
    px_free(ps);
}

static px_file *wrap_pipe(px_host_handle h, uint32_t status_flags, bool owns, uint64_t ino, pipe_shared *shared);

/* A new process (fd_handoff.h): the handle is duplicated; the inode, the wait mode and
   the capacity go along. */
typedef struct pipe_handoff_state {
    uint64_t ino;
    uint8_t nowait;
    uint32_t capacity;
} pipe_handoff_state;

static size_t pipe_handoff_save(px_file *f, void *state)
{
    pipe_state *ps = f->data;
    pipe_handoff_state s = {.ino = ps->ino, .nowait = ps->nowait,
                            .capacity = __atomic_load_n(&ps->shared->capacity, __ATOMIC_RELAXED)};
    memcpy(state, &s, sizeof s);
    return sizeof s;
}

static px_file *pipe_handoff_rebuild(const px_handoff_file *hf)
{
    pipe_handoff_state s = {0};
    if (hf->state_len == sizeof s) memcpy(&s, hf->state, sizeof s);
    px_file *f = wrap_pipe(hf->handle, hf->status_flags, true, s.ino, NULL);
    if (f) {
        pipe_state *ps = f->data;
        ps->nowait = s.nowait;
        if (s.capacity) ps->shared->capacity = s.capacity;
    }
    return f;
}

const px_file_handoff px_pipe_handoff = {.kind = PX_HANDOFF_PIPE, .save = pipe_handoff_save, .rebuild = pipe_handoff_rebuild};

static const px_file_ops pipe_ops = {
    .read = pipe_read,
    .write = pipe_write,
    .stat = pipe_stat,
    .ioctl = pipe_ioctl,
    .readable_bytes = pipe_readable_bytes,
    .poll = pipe_poll,
    .poll_handle = pipe_poll_handle,
    .wait_on = pipe_wait_on,
    .release = pipe_release,
    .handoff = &px_pipe_handoff,
};

/* shared: the other end's, or NULL for a new one. */
static px_file *wrap_pipe(px_host_handle h, uint32_t status_flags, bool owns, uint64_t ino, pipe_shared *shared)
{
    pipe_state *ps = px_calloc(1, sizeof *ps);
    if (!ps) return NULL;
    if (shared) {
        __atomic_add_fetch(&shared->refs, 1, __ATOMIC_ACQ_REL);
    } else if ((shared = px_calloc(1, sizeof *shared))) {
        shared->refs = 1;
        shared->capacity = PX_PIPE_CAPACITY;
    } else {
        px_free(ps);
        return NULL;
    }
    ps->shared = shared;
    ps->owns_handle = owns;
    ps->ino = ino;
    px_host_rwlock_init(&ps->watch_lock);
    px_file *f = px_file_new(&pipe_ops, h, status_flags);
    if (!f) {
        if (__atomic_sub_fetch(&shared->refs, 1, __ATOMIC_ACQ_REL) == 0) px_free(shared);
        px_free(ps);
        return NULL;
    }
    f->data = ps;
    return f;
}

px_file *px_pipe_file(void *handle, uint32_t status_flags)
{
    return wrap_pipe(handle, status_flags, false, __atomic_add_fetch(&next_pipe_ino, 1, __ATOMIC_SEQ_CST), NULL);
}

int64_t px_pipe_create(px_file **read_end, px_file **write_end, uint32_t status_flags)
{
    /* a ring in shared memory (pipe_ring.c); a Windows pipe only when none can be made */
    if (px_pipe_ring_create(read_end, write_end, status_flags) == 0) return 0;
    px_host_handle r, w;
    int64_t made = px_host_pipe_new(&r, &w, PX_PIPE_CAPACITY);
    if (made < 0) return made;
    uint64_t ino = __atomic_add_fetch(&next_pipe_ino, 1, __ATOMIC_SEQ_CST);
    *read_end = wrap_pipe(r, LINUX_O_RDONLY | status_flags, true, ino, NULL);
    *write_end = *read_end ? wrap_pipe(w, LINUX_O_WRONLY | status_flags, true, ino, ((pipe_state *)(*read_end)->data)->shared)
                           : NULL;
    if (!*read_end || !*write_end) {
        if (*read_end) px_file_unref(*read_end); else px_host_close(r);
        if (*write_end) px_file_unref(*write_end); else px_host_close(w);
        return -LINUX_ENOMEM;
    }
    return 0;
}

/* Linux's pipe_max_size (/proc/sys/fs/pipe-max-size) and its page. */
#define PIPE_MAX_SIZE (1u << 20)
#define PIPE_PAGE 4096u

int64_t px_pipe_size(px_file *f, bool set, uint64_t size)
{
    bool ring = px_pipe_is_ring(f);
    if (f->ops != &pipe_ops && !ring) return -LINUX_EBADF;
    pipe_state *ps = f->data;
    if (!set) return ring ? px_pipe_ring_capacity(f) : __atomic_load_n(&ps->shared->capacity, __ATOMIC_RELAXED);
    /* Linux: a power of two pages, at least one; above pipe-max-size only with
       CAP_SYS_RESOURCE (root here); never below what the pipe holds now (EBUSY; Wine
       tells the bytes held through a read end only) */
    if (size > (1u << 31)) return -LINUX_EINVAL;
    uint32_t capacity = PIPE_PAGE;
    while (capacity < size) capacity <<= 1;
    if (capacity > PIPE_MAX_SIZE && px_current_fsuid() != 0) return -LINUX_EPERM;
    if (ring) return px_pipe_ring_set_capacity(f, capacity);
    int64_t queued = px_host_pipe_queued(f->handle);
    if (queued > 0 && (uint64_t)queued > capacity) return -LINUX_EBUSY;
    __atomic_store_n(&ps->shared->capacity, capacity, __ATOMIC_RELAXED);
    return capacity;
}

/* A character device that is not a console (NUL, a serial port): plain ReadFile/WriteFile. */
static int64_t chardev_read(px_file *f, void *buf, uint64_t len)
{
    if (len > 0x7ffff000u) len = 0x7ffff000u;
    return px_host_pipe_read(f->handle, buf, len); /* 0 at end of file */
}

static int64_t chardev_write(px_file *f, const void *buf, uint64_t len)
{
    if (len > 0x7ffff000u) len = 0x7ffff000u;
    return px_host_pipe_write(f->handle, buf, len);
}

static int64_t chardev_stat(px_file *f, px_stat_info *st)
{
    memset(st, 0, sizeof *st);
    st->mode = LINUX_S_IFCHR | 0666;
    st->rdev = (1 << 8) | 3; /* what /dev/null is: the common case */
    st->dev = 5;
    st->ino = 4;
    st->nlink = 1;
    st->blksize = 4096;
    return 0;
}

static int64_t chardev_lseek(px_file *f, int64_t offset, int whence) { return 0; } /* /dev/null seeks to 0 */

/* f->data non-NULL: the file owns its handle (one handed over from another process). */
static void chardev_release(px_file *f)
{
    if (f->data) px_host_close(f->handle);
}

static px_file *chardev_handoff_rebuild(const px_handoff_file *hf)
{
    px_file *f = px_chardev_file(hf->handle, hf->status_flags);
    if (f) f->data = f; /* owned */
    return f;
}

const px_file_handoff px_chardev_handoff = {.kind = PX_HANDOFF_CHARDEV, .rebuild = chardev_handoff_rebuild};

static const px_file_ops chardev_ops = {
    .read = chardev_read,
    .write = chardev_write,
    .lseek = chardev_lseek,
    .stat = chardev_stat,
    .ioctl = pipe_ioctl,
    .release = chardev_release,
    .handoff = &px_chardev_handoff,
};

px_file *px_chardev_file(void *handle, uint32_t status_flags)
{
    return px_file_new(&chardev_ops, handle, status_flags);
}
