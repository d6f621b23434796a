/* The pipe backend: anonymous Windows pipes (pipe(2) within one process, and std handles
   that are pipes, as in `picolx run ... | wc -l`), plus plain character devices (NUL).

   Readiness. Windows cannot wait on a synchronous pipe handle, but a zero-byte ReadFile
   on one blocks until bytes arrive (or every writer is gone) and takes nothing (libuv's
   "zero read"; measured under Wine 8: it wakes 0.3-0.6 ms after the write on a loaded
   machine, and CancelSynchronousIo ends it). So a read end that someone must wait for
   gets a watcher thread, made on first need and kept for the file's life, which on each
   arming makes one zero-byte read and then sets the end's "ready" event: poll and a
   blocking read wait on that event with px_block (block.h), so both are interruptible,
   and the pipe stays a plain anonymous pipe for Windows children and std handles.
   On real Windows I/O on a synchronous file object is serialised, so a peek or read
   while the watcher's read is pending would block: the watcher is disarmed (its read
   cancelled) before we touch the handle. Wine does not serialise; disarming happens
   only after a wait that ended for another reason (a timeout, another fd). */
#include <windows.h>
#include <winternl.h>
#include "core/errors.h"
#include "fs/fd_handoff.h"
#include "fs/fs_internal.h"
#include "kernel/block.h"
#include "kernel/identity.h"


/* A read end's watcher (see the top). Made once under the file's lock; then armed is
   the only shared word: 1 from an arming until the watcher's zero-byte read returned. */
typedef struct pipe_watch {
    HANDLE handle;        /* the pipe's read end (the file's) */
    HANDLE thread;
    HANDLE arm;           /* auto-reset: start one zero-byte read */
    HANDLE ready;         /* manual-reset: set when that read returned */
    volatile LONG armed;
    volatile LONG closing;
} pipe_watch;

typedef struct pipe_state {
    bool owns_handle;   /* false for inherited std handles: the process keeps them */
    bool nowait;        /* the handle is in PIPE_NOWAIT mode (O_NONBLOCK writes) */
    uint64_t ino;
    SRWLOCK watch_lock; /* guards making the watcher */
    pipe_watch *watch;  /* NULL until a wait needs it */
} pipe_state;

static DWORD WINAPI watcher_main(void *arg)
{
    pipe_watch *w = arg;
    for (;;) {
        WaitForSingleObject(w->arm, INFINITE);
        if (w->closing) break;
        char none;
        DWORD got;
        ReadFile(w->handle, &none, 0, &got, NULL); /* bytes, end of file, or cancelled */
        /* cleared first, so a waiter that sees the event finds the handle free; an
           arming in between at worst sees a stale set event: one spurious re-check */
        InterlockedExchange(&w->armed, 0);
        SetEvent(w->ready);
    }
    return 0;
}

static pipe_watch *watch_of(px_file *f)
{
    pipe_state *ps = f->data;
    AcquireSRWLockExclusive(&ps->watch_lock);
    if (!ps->watch) {
        pipe_watch *w = px_calloc(1, sizeof *w);
        if (w) {
            w->handle = f->handle;
            w->arm = CreateEventW(NULL, FALSE, FALSE, NULL);
            w->ready = CreateEventW(NULL, TRUE, FALSE, NULL);
            w->thread = w->arm && w->ready ? CreateThread(NULL, 64 * 1024, watcher_main, w,
                                                          STACK_SIZE_PARAM_IS_A_RESERVATION, NULL) : NULL;
            if (w->thread) {
                ps->watch = w;
            } else {
                if (w->arm) CloseHandle(w->arm);
                if (w->ready) CloseHandle(w->ready);
                px_free(w);
            }
        }
    }
    ReleaseSRWLockExclusive(&ps->watch_lock);
    return ps->watch;
}

/* The event that turns set once the read end may have become readable (or hung up): arms
   the watcher unless its read is still pending. NULL when no watcher can be made. */
static HANDLE pipe_arm(px_file *f)
{
    pipe_watch *w = watch_of(f);
    if (!w) return NULL;
    if (InterlockedCompareExchange(&w->armed, 1, 0) == 0) {
        ResetEvent(w->ready);
        SetEvent(w->arm);
    }
    return w->ready;
}

/* True where I/O on a synchronous file object is serialised (Windows; not Wine, which
   answered a peek at once while a zero-byte read was pending). */
static bool io_serialised(void)
{
    static volatile LONG known; /* 0: not yet, 1: serialised, 2: not */
    if (!known) {
        bool wine = GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != NULL;
        InterlockedExchange(&known, wine ? 2 : 1);
    }
    return known == 1;
}

/* Ends a pending zero-byte read before the handle is used (see the top). */
static void pipe_disarm(px_file *f)
{
    pipe_state *ps = f->data;
    pipe_watch *w = ps->watch;
    if (!w || !w->armed || !io_serialised()) return;
    while (w->armed) {
        CancelSynchronousIo(w->thread);
        SwitchToThread();
    }
}

static void watch_close(pipe_watch *w)
{
    w->closing = 1;
    SetEvent(w->arm);
    while (WaitForSingleObject(w->thread, 1) == WAIT_TIMEOUT) CancelSynchronousIo(w->thread);
    CloseHandle(w->thread);
    CloseHandle(w->arm);
    CloseHandle(w->ready);
    px_free(w);
}

static uint32_t pipe_poll(px_file *f, uint32_t events);

static volatile LONG64 next_pipe_ino = 100000;

static int64_t pipe_read(px_file *f, void *buf, uint64_t len)
{
    if (len == 0) return 0;
    if (len > 0x7ffff000u) len = 0x7ffff000u;
    pipe_disarm(f);
    if (!(f->status_flags & LINUX_O_NONBLOCK) && (f->status_flags & LINUX_O_ACCMODE) != LINUX_O_WRONLY) {
        /* wait, interruptibly, until a read would not block; then it returns what is there */
        while (!(pipe_poll(f, LINUX_POLLIN) & (LINUX_POLLIN | LINUX_POLLHUP | LINUX_POLLERR))) {
            HANDLE ready = pipe_arm(f);
            if (!ready) break; /* no watcher: block in ReadFile, uninterruptibly */
            int r = px_block(&ready, 1, NULL);
            if (r == PX_BLOCK_INTERRUPTED) return -LINUX_EINTR;
            if (r < 0) break;
        }
    } else {
        DWORD avail = 0;
        if (!PeekNamedPipe(f->handle, NULL, 0, NULL, &avail, NULL)) {
            DWORD e = GetLastError();
            return e == ERROR_BROKEN_PIPE ? 0 : px_err_win32(e);
        }
        if (avail == 0) return -LINUX_EAGAIN;
        if (len > avail) len = avail;
    }
    DWORD got = 0;
    if (!ReadFile(f->handle, buf, (DWORD)len, &got, NULL)) {
        DWORD e = GetLastError();
        /* every writer is gone: end of file, as on Linux */
        if (e == ERROR_BROKEN_PIPE || e == ERROR_HANDLE_EOF || e == ERROR_PIPE_NOT_CONNECTED) return 0;
        return px_err_win32(e);
    }
    return got;
}

static int64_t pipe_write_direct(px_file *f, const void *buf, uint64_t len)
{
    if (len > 0x7ffff000u) len = 0x7ffff000u;
    /* O_NONBLOCK: in PIPE_NOWAIT mode a write to a full pipe returns at once with
       what fitted, possibly nothing, which Linux reports as EAGAIN. */
    pipe_state *ps = f->data;
    bool nonblock = (f->status_flags & LINUX_O_NONBLOCK) != 0;
    if (nonblock != ps->nowait) {
        DWORD mode = nonblock ? PIPE_NOWAIT : PIPE_WAIT;
        if (SetNamedPipeHandleState(f->handle, &mode, NULL, NULL)) ps->nowait = nonblock;
    }
    DWORD put = 0;
    if (!WriteFile(f->handle, buf, (DWORD)len, &put, NULL)) {
        DWORD e = GetLastError();
        /* no reader: EPIPE (SIGPIPE is delivered once signals are) */
        if (e == ERROR_NO_DATA || e == ERROR_BROKEN_PIPE || e == ERROR_PIPE_NOT_CONNECTED) return -LINUX_EPIPE;
        return px_err_win32(e);
    }
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
    DWORD avail = 0;
    if (!PeekNamedPipe(f->handle, NULL, 0, NULL, &avail, NULL)) {
        DWORD e = GetLastError();
        return e == ERROR_BROKEN_PIPE ? 0 : px_err_win32(e);
    }
    return avail;
}

/* The pipe's state as NT reports it: FilePipeLocalInformation (a FILE_READ_ATTRIBUTES
   query, which both ends allow; PeekNamedPipe needs read access). */
typedef struct {
    ULONG NamedPipeType, NamedPipeConfiguration, MaximumInstances, CurrentInstances, InboundQuota,
        ReadDataAvailable, OutboundQuota, WriteQuotaAvailable, NamedPipeState, NamedPipeEnd;
} pipe_local_info;
#define FILE_PIPE_LOCAL_INFORMATION_CLASS 24
#define FILE_PIPE_CONNECTED_STATE 3

/* Linux's pipe_poll: readable when bytes wait, POLLHUP once every writer is gone;
   writable, with POLLERR once every reader is gone. A full pipe still says POLLOUT (a
   write then blocks): Windows' write quota is not the free space while a read waits. */
/* False once the other end is closed. */
static bool pipe_connected(HANDLE h)
{
    pipe_local_info info;
    IO_STATUS_BLOCK io;
    return !NT_SUCCESS(NtQueryInformationFile(h, &io, &info, sizeof info,
                                              (FILE_INFORMATION_CLASS)FILE_PIPE_LOCAL_INFORMATION_CLASS)) ||
           info.NamedPipeState == FILE_PIPE_CONNECTED_STATE;
}

static uint32_t pipe_poll(px_file *f, uint32_t events)
{
    uint32_t acc = f->status_flags & LINUX_O_ACCMODE;
    uint32_t ready = 0;
    pipe_disarm(f);
    if (acc != LINUX_O_WRONLY) {
        DWORD avail = 0;
        if (PeekNamedPipe(f->handle, NULL, 0, NULL, &avail, NULL)) {
            /* bytes left by a writer that is gone: Linux says both */
            if (avail) ready |= LINUX_POLLIN | LINUX_POLLRDNORM | (pipe_connected(f->handle) ? 0 : LINUX_POLLHUP);
        } else {
            DWORD e = GetLastError();
            if (e == ERROR_BROKEN_PIPE || e == ERROR_PIPE_NOT_CONNECTED || e == ERROR_NO_DATA) ready |= LINUX_POLLHUP;
            else ready |= LINUX_POLLERR;
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

static int64_t pipe_stat(px_file *f, px_stat_info *st)
{
    pipe_state *ps = f->data;
    memset(st, 0, sizeof *st);
    st->mode = LINUX_S_IFIFO | 0600;
    st->dev = 0xc; /* pipefs */
    st->ino = ps->ino;
    st->nlink = 1;
    st->uid = px_identity_uid();
    st->gid = px_identity_gid();
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
    if (ps->watch) watch_close(ps->watch); /* before the handle it reads goes */
    if (ps->owns_handle) CloseHandle(f->handle);
    px_free(ps);
}

static px_file *wrap_pipe(HANDLE h, uint32_t status_flags, bool owns, uint64_t ino);

/* A new process (fd_handoff.h): the handle is duplicated; the inode and the wait mode go along. */
typedef struct pipe_handoff_state {
    uint64_t ino;
    uint8_t nowait;
} pipe_handoff_state;

static size_t pipe_handoff_save(px_file *f, void *state)
{
    pipe_state *ps = f->data;
    pipe_handoff_state s = {.ino = ps->ino, .nowait = ps->nowait};
    memcpy(state, &s, sizeof s);
    return sizeof s;
}

static px_file *pipe_handoff_rebuild(const px_handoff_file *hf)
{
    pipe_handoff_state s = {0};
    if (hf->state_len == sizeof s) memcpy(&s, hf->state, sizeof s);
    px_file *f = wrap_pipe(hf->handle, hf->status_flags, true, s.ino);
    if (f) ((pipe_state *)f->data)->nowait = s.nowait;
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
    .release = pipe_release,
    .handoff = &px_pipe_handoff,
};

static px_file *wrap_pipe(HANDLE h, uint32_t status_flags, bool owns, uint64_t ino)
{
    pipe_state *ps = px_calloc(1, sizeof *ps);
    if (!ps) return NULL;
    ps->owns_handle = owns;
    ps->ino = ino;
    InitializeSRWLock(&ps->watch_lock);
    px_file *f = px_file_new(&pipe_ops, h, status_flags);
    if (!f) {
        px_free(ps);
        return NULL;
    }
    f->data = ps;
    return f;
}

px_file *px_pipe_file(void *handle, uint32_t status_flags)
{
    return wrap_pipe(handle, status_flags, false, (uint64_t)InterlockedIncrement64(&next_pipe_ino));
}

int64_t px_pipe_create(px_file **read_end, px_file **write_end, uint32_t status_flags)
{
    HANDLE r, w;
    if (!CreatePipe(&r, &w, NULL, PX_PIPE_CAPACITY)) return px_err_last();
    uint64_t ino = (uint64_t)InterlockedIncrement64(&next_pipe_ino);
    *read_end = wrap_pipe(r, LINUX_O_RDONLY | status_flags, true, ino);
    *write_end = wrap_pipe(w, LINUX_O_WRONLY | status_flags, true, ino);
    if (!*read_end || !*write_end) {
        if (*read_end) px_file_unref(*read_end); else CloseHandle(r);
        if (*write_end) px_file_unref(*write_end); else CloseHandle(w);
        return -LINUX_ENOMEM;
    }
    return 0;
}

/* A character device that is not a console (NUL, a serial port): plain ReadFile/WriteFile. */
static int64_t chardev_read(px_file *f, void *buf, uint64_t len)
{
    if (len > 0x7ffff000u) len = 0x7ffff000u;
    DWORD got = 0;
    if (!ReadFile(f->handle, buf, (DWORD)len, &got, NULL)) {
        DWORD e = GetLastError();
        return (e == ERROR_HANDLE_EOF || e == ERROR_BROKEN_PIPE) ? 0 : px_err_win32(e);
    }
    return got;
}

static int64_t chardev_write(px_file *f, const void *buf, uint64_t len)
{
    if (len > 0x7ffff000u) len = 0x7ffff000u;
    DWORD put = 0;
    if (!WriteFile(f->handle, buf, (DWORD)len, &put, NULL)) return px_err_last();
    return put;
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
    if (f->data) CloseHandle(f->handle);
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
