/* The pipe backend: anonymous Windows pipes (pipe(2) within one process, and std handles
   that are pipes, as in `picolx run ... | wc -l`), plus plain character devices (NUL). */
#include <windows.h>
#include <winternl.h>
#include "core/errors.h"
#include "fs/fd_handoff.h"
#include "fs/fs_internal.h"
#include "kernel/identity.h"


typedef struct pipe_state {
    bool owns_handle;   /* false for inherited std handles: the process keeps them */
    bool nowait;        /* the handle is in PIPE_NOWAIT mode (O_NONBLOCK writes) */
    uint64_t ino;
} pipe_state;

static volatile LONG64 next_pipe_ino = 100000;

static int64_t pipe_read(px_file *f, void *buf, uint64_t len)
{
    if (len == 0) return 0;
    if (len > 0x7ffff000u) len = 0x7ffff000u;
    if (f->status_flags & LINUX_O_NONBLOCK) {
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

static int64_t pipe_write(px_file *f, const void *buf, uint64_t len)
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

static int64_t pipe_readable_bytes(px_file *f)
{
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
    .release = pipe_release,
    .handoff = &px_pipe_handoff,
};

static px_file *wrap_pipe(HANDLE h, uint32_t status_flags, bool owns, uint64_t ino)
{
    pipe_state *ps = px_calloc(1, sizeof *ps);
    if (!ps) return NULL;
    ps->owns_handle = owns;
    ps->ino = ino;
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
