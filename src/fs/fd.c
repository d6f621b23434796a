/* The fd table: an array of {open file description, close-on-exec}; the lowest free fd
   on open and dup, as Linux hands them out. An SRW lock keeps it whole once threads come. */
#include <windows.h>
#include "fs/fs_internal.h"

typedef struct fd_slot {
    px_file *file;
    bool cloexec;
} fd_slot;

static fd_slot fd_table[PX_FD_LIMIT];
static SRWLOCK fd_lock = SRWLOCK_INIT;

px_file *px_file_new(const px_file_ops *ops, void *handle, uint32_t status_flags)
{
    px_file *f = px_calloc(1, sizeof *f);
    if (!f) return NULL;
    f->refs = 1;
    f->ops = ops;
    f->handle = handle;
    f->status_flags = status_flags;
    return f;
}

px_file *px_file_ref(px_file *f)
{
    InterlockedIncrement(&f->refs);
    return f;
}

void px_file_unref(px_file *f)
{
    if (!f || InterlockedDecrement(&f->refs) != 0) return;
    px_lock_release_file(f); /* its OFD and flock locks */
    if (f->ops->release) f->ops->release(f);
    px_free(f->guest_path);
    px_free(f);
}

int64_t px_fd_install(px_file *f, int min_fd, bool cloexec)
{
    if (min_fd < 0) min_fd = 0;
    AcquireSRWLockExclusive(&fd_lock);
    for (int fd = min_fd; fd < PX_FD_LIMIT; fd++) {
        if (!fd_table[fd].file) {
            fd_table[fd].file = f;
            fd_table[fd].cloexec = cloexec;
            ReleaseSRWLockExclusive(&fd_lock);
            return fd;
        }
    }
    ReleaseSRWLockExclusive(&fd_lock);
    px_file_unref(f);
    return -LINUX_EMFILE;
}

int64_t px_fd_install_at(px_file *f, int fd, bool cloexec)
{
    if (fd < 0 || fd >= PX_FD_LIMIT) {
        px_file_unref(f);
        return -LINUX_EBADF;
    }
    AcquireSRWLockExclusive(&fd_lock);
    px_file *old = fd_table[fd].file;
    fd_table[fd].file = f;
    fd_table[fd].cloexec = cloexec;
    ReleaseSRWLockExclusive(&fd_lock);
    px_file_unref(old);
    return fd;
}

px_file *px_fd_get(int fd)
{
    if (fd < 0 || fd >= PX_FD_LIMIT) return NULL;
    AcquireSRWLockShared(&fd_lock);
    px_file *f = fd_table[fd].file;
    if (f) px_file_ref(f);
    ReleaseSRWLockShared(&fd_lock);
    return f;
}

int64_t px_fd_close(int fd)
{
    if (fd < 0 || fd >= PX_FD_LIMIT) return -LINUX_EBADF;
    AcquireSRWLockExclusive(&fd_lock);
    px_file *f = fd_table[fd].file;
    fd_table[fd].file = NULL;
    fd_table[fd].cloexec = false;
    ReleaseSRWLockExclusive(&fd_lock);
    if (!f) return -LINUX_EBADF;
    px_lock_release_posix(f); /* closing any fd of a file drops the process's record locks on it */
    px_file_unref(f);
    return 0;
}

int64_t px_fd_get_cloexec(int fd)
{
    if (fd < 0 || fd >= PX_FD_LIMIT) return -LINUX_EBADF;
    AcquireSRWLockShared(&fd_lock);
    int64_t r = fd_table[fd].file ? (fd_table[fd].cloexec ? LINUX_FD_CLOEXEC : 0) : -LINUX_EBADF;
    ReleaseSRWLockShared(&fd_lock);
    return r;
}

int64_t px_fd_set_cloexec(int fd, bool cloexec)
{
    if (fd < 0 || fd >= PX_FD_LIMIT) return -LINUX_EBADF;
    AcquireSRWLockExclusive(&fd_lock);
    int64_t r = -LINUX_EBADF;
    if (fd_table[fd].file) {
        fd_table[fd].cloexec = cloexec;
        r = 0;
    }
    ReleaseSRWLockExclusive(&fd_lock);
    return r;
}

void px_fd_close_on_exec(void)
{
    for (int fd = 0; fd < PX_FD_LIMIT; fd++) {
        AcquireSRWLockShared(&fd_lock);
        bool close_it = fd_table[fd].file && fd_table[fd].cloexec;
        ReleaseSRWLockShared(&fd_lock);
        if (close_it) px_fd_close(fd);
    }
}

/* One std handle as an open file description, by what the handle is. */
static px_file *file_of_std_handle(HANDLE h, uint32_t flags)
{
    switch (GetFileType(h)) {
    case FILE_TYPE_CHAR:
        return px_console_is_console(h) ? px_console_file(h, LINUX_O_RDWR) : px_chardev_file(h, flags);
    case FILE_TYPE_PIPE:
        return px_pipe_file(h, flags);
    case FILE_TYPE_DISK:
        return px_nt_file_of_handle(h, flags);
    default:
        return px_chardev_file(h, flags);
    }
}

int64_t px_fd_init_std(void)
{
    static const struct { DWORD which; uint32_t flags; } std_rows[3] = {
        {STD_INPUT_HANDLE, LINUX_O_RDONLY},
        {STD_OUTPUT_HANDLE, LINUX_O_WRONLY},
        {STD_ERROR_HANDLE, LINUX_O_WRONLY},
    };
    for (int fd = 0; fd < 3; fd++) {
        HANDLE h = GetStdHandle(std_rows[fd].which);
        if (h == NULL || h == INVALID_HANDLE_VALUE) continue; /* a missing std handle: the fd is closed */
        px_file *f = file_of_std_handle(h, std_rows[fd].flags);
        if (!f) return -LINUX_ENOMEM;
        px_fd_install_at(f, fd, false);
    }
    return 0;
}
