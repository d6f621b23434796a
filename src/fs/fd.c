/* The fd table object (struct px_fdtable): an array of {open file description,
   close-on-exec} that grows as fds are opened, up to the RLIMIT_NOFILE soft limit of
   the thread group that asks (Linux's expand_files: the limit is checked against the
   caller's rlimit, the table itself has none); the lowest free fd on open and dup, as
   Linux hands them out. Shared by CLONE_FILES, copied otherwise (dup_fd). */
#include "core/thread.h"
#include "fs/fs_internal.h"
#include "fs/fpos.h"
#include "host/host_console.h"
#include "host/host_file.h"
#include "host/host_fileinfo.h"
#include "host/host_sync.h"

/* fs.nr_open: no fd table grows past it, whatever the rlimit says. */
#define NR_OPEN 1048576
/* The first allocation: the default soft limit's worth, so most programs never grow. */
#define INITIAL_SLOTS 64

typedef struct fd_slot {
    px_file *file;
    bool cloexec;    /* the cloexec set: one flag per fd */
} fd_slot;

struct px_fdtable {
    int32_t refs;          /* atomic: tasks that point at it (CLONE_FILES shares) */
    px_host_rwlock lock;   /* guards size, slots and every slot */
    int size;            /* slots allocated; fds >= size are closed */
    fd_slot *slots;
};

struct px_fdtable *px_fdtable_new(void)
{
    struct px_fdtable *t = px_calloc(1, sizeof *t);
    if (!t) return NULL;
    t->refs = 1;
    px_host_rwlock_init(&t->lock);
    t->slots = px_calloc(INITIAL_SLOTS, sizeof *t->slots);
    if (!t->slots) {
        px_free(t);
        return NULL;
    }
    t->size = INITIAL_SLOTS;
    return t;
}

struct px_fdtable *px_fdtable_take(struct px_fdtable *t)
{
    __atomic_add_fetch(&t->refs, 1, __ATOMIC_SEQ_CST);
    return t;
}

/* The last task gone: every fd is closed, as at exit. */
void px_fdtable_drop(struct px_fdtable *t)
{
    if (!t || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_SEQ_CST) != 0) return;
    for (int fd = 0; fd < t->size; fd++) {
        px_file *f = t->slots[fd].file;
        if (!f) continue;
        px_lock_release_posix(f);
        px_file_unref(f);
    }
    px_free(t->slots);
    px_free(t);
}

/* fork without CLONE_FILES: a new table with the same descriptions (each one more
   reference) and the same cloexec flags. */
struct px_fdtable *px_fdtable_copy(struct px_fdtable *from)
{
    struct px_fdtable *t = px_calloc(1, sizeof *t);
    if (!t) return NULL;
    t->refs = 1;
    px_host_rwlock_init(&t->lock);
    px_host_rwlock_lock_shared(&from->lock);
    t->slots = px_calloc((size_t)from->size, sizeof *t->slots);
    if (t->slots) {
        t->size = from->size;
        for (int fd = 0; fd < from->size; fd++) {
            t->slots[fd] = from->slots[fd];
            if (t->slots[fd].file) px_file_ref(t->slots[fd].file);
        }
    }
    px_host_rwlock_unlock_shared(&from->lock);
    if (!t->slots) {
        px_free(t);
        return NULL;
    }
    return t;
}

/* The calling task's table: every fd operation works on it. */
static struct px_fdtable *current_table(void)
{
    px_task *t = px_current();
    return t ? t->files : NULL;
}

int px_fd_limit(void)
{
    px_task *t = px_current();
    uint64_t cur = t && t->rlimits ? __atomic_load_n(&t->rlimits[LINUX_RLIMIT_NOFILE].rlim_cur, __ATOMIC_RELAXED)
                                   : 1024;
    return cur > NR_OPEN ? NR_OPEN : (int)cur;
}

int px_fd_table_end(void)
{
    struct px_fdtable *t = current_table();
    if (!t) return 0;
    px_host_rwlock_lock_shared(&t->lock);
    int n = t->size;
    px_host_rwlock_unlock_shared(&t->lock);
    return n;
}

/* Makes room for fd (with the lock held): doubles the table, at least to fd + 1.
   False when out of memory. */
static bool grow_to_hold(struct px_fdtable *t, int fd)
{
    if (fd < t->size) return true;
    int64_t size = t->size;
    while (size <= fd) size *= 2;
    if (size > NR_OPEN) size = NR_OPEN;
    fd_slot *slots = px_realloc(t->slots, (size_t)size * sizeof *slots);
    if (!slots) return false;
    memset(slots + t->size, 0, (size_t)(size - t->size) * sizeof *slots);
    t->slots = slots;
    t->size = (int)size;
    return true;
}

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

/* Files with readiness (poll) are streams: their calls may block, and they have no
   position to keep. */
static bool positioned(const px_file *f) { return !f->ops->poll; }

void px_file_pos_lock(px_file *f)
{
    if (positioned(f)) px_host_rwlock_lock(&f->pos_lock);
}

void px_file_pos_unlock(px_file *f)
{
    if (positioned(f)) px_host_rwlock_unlock(&f->pos_lock);
}

px_file *px_file_ref(px_file *f)
{
    __atomic_add_fetch(&f->refs, 1, __ATOMIC_SEQ_CST);
    return f;
}

void px_file_unref(px_file *f)
{
    if (f && f->pos_slot) px_fpos_leave(f); /* the syscall that held it is done with it */
    if (!f || __atomic_sub_fetch(&f->refs, 1, __ATOMIC_SEQ_CST) != 0) return;
    /* its OFD and flock locks, unless the description lives on in another process */
    bool elsewhere = f->pos_slot && px_fpos_release(f) > 0;
    if (!elsewhere) px_lock_release_file(f);
    if (f->ops->release) f->ops->release(f);
    px_free(f->guest_path);
    px_free(f);
}

int64_t px_fd_install(px_file *f, int min_fd, bool cloexec)
{
    struct px_fdtable *t = current_table();
    int limit = px_fd_limit();
    if (min_fd < 0) min_fd = 0;
    int64_t r = -LINUX_EMFILE;
    if (t && min_fd < limit) {
        px_host_rwlock_lock(&t->lock);
        int fd = min_fd;
        while (fd < t->size && fd < limit && t->slots[fd].file) fd++;
        if (fd < limit) {
            if (grow_to_hold(t, fd)) {
                t->slots[fd].file = f;
                t->slots[fd].cloexec = cloexec;
                r = fd;
            } else {
                r = -LINUX_ENOMEM;
            }
        }
        px_host_rwlock_unlock(&t->lock);
    }
    if (r < 0) px_file_unref(f);
    return r;
}

int64_t px_fd_install_at(px_file *f, int fd, bool cloexec)
{
    struct px_fdtable *t = current_table();
    if (!t || fd < 0 || fd >= px_fd_limit()) {
        px_file_unref(f);
        return -LINUX_EBADF;
    }
    px_host_rwlock_lock(&t->lock);
    if (!grow_to_hold(t, fd)) {
        px_host_rwlock_unlock(&t->lock);
        px_file_unref(f);
        return -LINUX_ENOMEM;
    }
    px_file *old = t->slots[fd].file;
    t->slots[fd].file = f;
    t->slots[fd].cloexec = cloexec;
    px_host_rwlock_unlock(&t->lock);
    px_file_unref(old);
    return fd;
}

px_file *px_fd_get(int fd)
{
    struct px_fdtable *t;
    if (fd < 0 || !(t = current_table())) return NULL;
    px_file *f = NULL;
    px_host_rwlock_lock_shared(&t->lock);
    if (fd < t->size && (f = t->slots[fd].file)) px_file_ref(f);
    if (f && f->pos_slot) px_fpos_enter(f); /* another process may have moved it */
    px_host_rwlock_unlock_shared(&t->lock);
    return f;
}

int64_t px_fd_close(int fd)
{
    struct px_fdtable *t;
    if (fd < 0 || !(t = current_table())) return -LINUX_EBADF;
    px_file *f = NULL;
    px_host_rwlock_lock(&t->lock);
    if (fd < t->size) {
        f = t->slots[fd].file;
        t->slots[fd].file = NULL;
        t->slots[fd].cloexec = false;
    }
    px_host_rwlock_unlock(&t->lock);
    if (!f) return -LINUX_EBADF;
    px_lock_release_posix(f); /* closing any fd of a file drops the process's record locks on it */
    px_file_unref(f);
    return 0;
}

int64_t px_fd_get_cloexec(int fd)
{
    struct px_fdtable *t;
    if (fd < 0 || !(t = current_table())) return -LINUX_EBADF;
    px_host_rwlock_lock_shared(&t->lock);
    int64_t r = fd < t->size && t->slots[fd].file ? (t->slots[fd].cloexec ? LINUX_FD_CLOEXEC : 0) : -LINUX_EBADF;
    px_host_rwlock_unlock_shared(&t->lock);
    return r;
}

int64_t px_fd_set_cloexec(int fd, bool cloexec)
{
    struct px_fdtable *t;
    if (fd < 0 || !(t = current_table())) return -LINUX_EBADF;
    px_host_rwlock_lock(&t->lock);
    int64_t r = -LINUX_EBADF;
    if (fd < t->size && t->slots[fd].file) {
        t->slots[fd].cloexec = cloexec;
        r = 0;
    }
    px_host_rwlock_unlock(&t->lock);
    return r;
}

void px_fd_close_on_exec(void)
{
    struct px_fdtable *t = current_table();
    if (!t) return;
    for (int fd = 0;; fd++) {
        px_host_rwlock_lock_shared(&t->lock);
        bool end = fd >= t->size;
        bool close_it = !end && t->slots[fd].file && t->slots[fd].cloexec;
        px_host_rwlock_unlock_shared(&t->lock);
        if (end) break;
        if (close_it) px_fd_close(fd);
    }
}

/* Whether two disk handles are one file: by its index (a std handle of a file the shell
   opened for writing may not give its attributes, Wine's GetFileInformationByHandle
   fails on it; the index query needs no access). */
static bool same_disk_file(px_host_handle a, px_host_handle b)
{
    uint64_t ia, ib;
    return a && px_host_file_index(a, &ia) == 0 && px_host_file_index(b, &ib) == 0 && ia == ib;
}

/* One std handle as an open file description, by what the handle is. */
static px_file *file_of_std_handle(px_host_handle h, uint32_t flags)
{
    switch (px_host_handle_kind(h)) {
    case PX_HOST_KIND_CHAR:
        return px_console_is_console(h) ? px_console_file(h, LINUX_O_RDWR) : px_chardev_file(h, flags);
    case PX_HOST_KIND_PIPE:
        return px_pipe_file(h, flags);
    case PX_HOST_KIND_DISK:
        return px_nt_file_of_handle(h, flags);
    default:
        return px_chardev_file(h, flags);
    }
}

int64_t px_fd_init_std(void)
{
    static const struct { int which; uint32_t flags; } std_rows[3] = {
        {PX_HOST_STDIN, LINUX_O_RDONLY},
        {PX_HOST_STDOUT, LINUX_O_WRONLY},
        {PX_HOST_STDERR, LINUX_O_WRONLY},
    };
    px_file *out = NULL;
    for (int fd = 0; fd < 3; fd++) {
        px_host_handle h = px_host_std_handle(std_rows[fd].which);
        if (!h) continue; /* a missing std handle: the fd is closed */
        /* `> log 2>&1`: the shell's fd 2 is a dup of its fd 1, one open file description
           with one offset; Windows hands over two handles. The same disk file for both:
           one description here too, or the two offsets (kept apart once a fork shares
           them) write over each other */
        if (fd == 2 && out && px_host_handle_kind(h) == PX_HOST_KIND_DISK && same_disk_file(out->handle, h)) {
            px_fd_install_at(px_file_ref(out), 2, false);
            continue;
        }
        px_file *f = file_of_std_handle(h, std_rows[fd].flags);
        if (!f) return -LINUX_ENOMEM;
        px_fd_install_at(f, fd, false);
        if (fd == 1 && px_host_handle_kind(h) == PX_HOST_KIND_DISK) out = f;
    }
    return 0;
}
