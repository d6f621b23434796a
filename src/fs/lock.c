/* Advisory locks: flock(2) and fcntl(2) record locks (F_GETLK, F_SETLK, F_SETLKW and the
   F_OFD_* forms), kept in an in-process table keyed by the file's (st_dev, st_ino), for
   every file system alike. One process only: locks are not seen by other picolx
   processes (nor by Windows programs) until processes share state. Within the process
   Linux's rules hold: POSIX locks belong to the process (so its own never conflict, and
   closing any fd of the file drops them), OFD and flock locks to the open file
   description (dropped at its last close); flock and fcntl locks do not interact. */
#include <windows.h>
#include "fs/fs_internal.h"
#include "kernel/identity.h"

typedef enum lock_kind { KIND_POSIX, KIND_OFD, KIND_FLOCK } lock_kind;

typedef struct lock_entry {
    uint64_t dev, ino;
    lock_kind kind;
    const void *owner;   /* the px_file for OFD and flock locks; &process_owner for POSIX */
    int type;            /* LINUX_F_RDLCK or LINUX_F_WRLCK */
    int64_t start, end;  /* bytes [start, end], end INT64_MAX: to the end of the file, always */
} lock_entry;

static const char process_owner = 0;
static lock_entry *locks;
static size_t lock_count, lock_capacity;
static SRWLOCK lock_table_lock = SRWLOCK_INIT;

static bool same_file(const lock_entry *e, uint64_t dev, uint64_t ino) { return e->dev == dev && e->ino == ino; }

/* Whether a lock of (kind, owner) may coexist with e. POSIX and OFD locks are one family. */
static bool conflicts(const lock_entry *e, lock_kind kind, const void *owner, int type, int64_t start, int64_t end)
{
    if ((e->kind == KIND_FLOCK) != (kind == KIND_FLOCK)) return false;
    if (e->owner == owner) return false;
    if (e->type == LINUX_F_RDLCK && type == LINUX_F_RDLCK) return false;
    return e->start <= end && start <= e->end;
}

static const lock_entry *find_conflict(uint64_t dev, uint64_t ino, lock_kind kind, const void *owner, int type,
                                       int64_t start, int64_t end)
{
    for (size_t i = 0; i < lock_count; i++)
        if (same_file(&locks[i], dev, ino) && conflicts(&locks[i], kind, owner, type, start, end)) return &locks[i];
    return NULL;
}

static int64_t append(const lock_entry *e)
{
    if (lock_count == lock_capacity) {
        size_t cap = lock_capacity ? lock_capacity * 2 : 16;
        lock_entry *grown = px_realloc(locks, cap * sizeof *grown);
        if (!grown) return -LINUX_ENOLCK;
        locks = grown;
        lock_capacity = cap;
    }
    locks[lock_count++] = *e;
    return 0;
}

/* Takes [start, end] away from owner's locks of this file (splitting the ones that
   straddle it). */
static int64_t carve(uint64_t dev, uint64_t ino, lock_kind kind, const void *owner, int64_t start, int64_t end)
{
    for (size_t i = 0; i < lock_count;) {
        lock_entry *e = &locks[i];
        if (!same_file(e, dev, ino) || e->owner != owner || e->kind != kind || e->end < start || e->start > end) {
            i++;
            continue;
        }
        if (e->start < start && e->end > end) { /* the hole is inside: two pieces */
            lock_entry right = *e;
            right.start = end + 1;
            e->end = start - 1;
            if (append(&right) < 0) return -LINUX_ENOLCK;
            i++;
        } else if (e->start < start) {
            e->end = start - 1;
            i++;
        } else if (e->end > end) {
            e->start = end + 1;
            i++;
        } else {
            locks[i] = locks[--lock_count];
        }
    }
    return 0;
}

static void drop_owner(const void *owner, lock_kind kind, bool any_kind, uint64_t dev, uint64_t ino, bool any_file)
{
    AcquireSRWLockExclusive(&lock_table_lock);
    for (size_t i = 0; i < lock_count;) {
        lock_entry *e = &locks[i];
        if (e->owner == owner && (any_kind || e->kind == kind) && (any_file || same_file(e, dev, ino)))
            locks[i] = locks[--lock_count];
        else
            i++;
    }
    ReleaseSRWLockExclusive(&lock_table_lock);
}

static int64_t identify(px_file *f, uint64_t *dev, uint64_t *ino)
{
    if (!f->ops->stat) return -LINUX_EINVAL;
    px_stat_info st;
    int64_t r = f->ops->stat(f, &st);
    if (r < 0) return r;
    *dev = st.dev;
    *ino = st.ino;
    return 0;
}

/* Sets (type F_RDLCK/F_WRLCK) or removes (F_UNLCK) a lock, waiting for conflicts if asked.
   Waits poll: the holder is another thread of this process, which gives no event. */
static int64_t set_lock(uint64_t dev, uint64_t ino, lock_kind kind, const void *owner, int type, int64_t start,
                        int64_t end, bool wait)
{
    for (;;) {
        AcquireSRWLockExclusive(&lock_table_lock);
        int64_t r;
        if (type != LINUX_F_UNLCK && find_conflict(dev, ino, kind, owner, type, start, end)) {
            r = -LINUX_EAGAIN;
        } else {
            r = carve(dev, ino, kind, owner, start, end);
            if (r == 0 && type != LINUX_F_UNLCK) {
                lock_entry e = {.dev = dev, .ino = ino, .kind = kind, .owner = owner, .type = type, .start = start, .end = end};
                r = append(&e);
            }
        }
        ReleaseSRWLockExclusive(&lock_table_lock);
        if (r != -LINUX_EAGAIN || !wait) return r;
        Sleep(1);
    }
}

/* flock(2) */
PX_SYSCALL(flock)
{
    int fd = (int)PX_ARG0;
    uint32_t op = (uint32_t)PX_ARG1;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    static const int type_of_op[] = {[LINUX_LOCK_SH] = LINUX_F_RDLCK, [LINUX_LOCK_EX] = LINUX_F_WRLCK,
                                     [LINUX_LOCK_UN] = LINUX_F_UNLCK};
    uint32_t base = op & ~(uint32_t)LINUX_LOCK_NB;
    uint64_t dev, ino;
    int64_t r = 0;
    if (base != LINUX_LOCK_SH && base != LINUX_LOCK_EX && base != LINUX_LOCK_UN) r = -LINUX_EINVAL;
    else if (f->status_flags & LINUX_O_PATH) r = -LINUX_EBADF;
    if (r == 0) r = identify(f, &dev, &ino);
    if (r == 0) {
        /* a conversion drops the old lock first, as Linux does (not atomic there either) */
        if (base != LINUX_LOCK_UN) set_lock(dev, ino, KIND_FLOCK, f, LINUX_F_UNLCK, 0, INT64_MAX, false);
        r = set_lock(dev, ino, KIND_FLOCK, f, type_of_op[base], 0, INT64_MAX, !(op & LINUX_LOCK_NB));
    }
    px_file_unref(f);
    return r;
}

/* The byte range [start, end] of a struct flock, as Linux computes it. */
static int64_t range_of(px_file *f, const struct linux_flock *fl, int64_t *start, int64_t *end)
{
    int64_t base;
    switch (fl->l_whence) {
    case LINUX_SEEK_SET: base = 0; break;
    case LINUX_SEEK_CUR: base = (int64_t)f->pos; break;
    case LINUX_SEEK_END: {
        px_stat_info st;
        int64_t r = f->ops->stat ? f->ops->stat(f, &st) : -LINUX_EINVAL;
        if (r < 0) return r;
        base = st.size;
        break;
    }
    default: return -LINUX_EINVAL;
    }
    if (fl->l_start > 0 && base > INT64_MAX - fl->l_start) return -LINUX_EOVERFLOW;
    int64_t s = base + fl->l_start;
    if (s < 0) return -LINUX_EINVAL;
    if (fl->l_len > 0) {
        if (fl->l_len - 1 > INT64_MAX - s) return -LINUX_EOVERFLOW;
        *start = s;
        *end = s + fl->l_len - 1;
    } else if (fl->l_len < 0) { /* the bytes before start */
        if (s + fl->l_len < 0) return -LINUX_EINVAL;
        *start = s + fl->l_len;
        *end = s - 1;
    } else {
        *start = s;
        *end = INT64_MAX;
    }
    return 0;
}

int64_t px_lock_fcntl(px_file *f, int cmd, struct linux_flock *fl)
{
    if (!fl) return -LINUX_EFAULT;
    bool ofd = cmd == LINUX_F_OFD_GETLK || cmd == LINUX_F_OFD_SETLK || cmd == LINUX_F_OFD_SETLKW;
    if (ofd && fl->l_pid != 0) return -LINUX_EINVAL;
    if (fl->l_type != LINUX_F_RDLCK && fl->l_type != LINUX_F_WRLCK && fl->l_type != LINUX_F_UNLCK) return -LINUX_EINVAL;
    if (f->status_flags & LINUX_O_PATH) return -LINUX_EBADF;
    bool get = cmd == LINUX_F_GETLK || cmd == LINUX_F_OFD_GETLK;
    uint32_t acc = f->status_flags & LINUX_O_ACCMODE;
    if (!get && fl->l_type == LINUX_F_RDLCK && acc == LINUX_O_WRONLY) return -LINUX_EBADF;
    if (!get && fl->l_type == LINUX_F_WRLCK && acc == LINUX_O_RDONLY) return -LINUX_EBADF;
    int64_t start, end;
    int64_t r = range_of(f, fl, &start, &end);
    if (r < 0) return r;
    uint64_t dev, ino;
    r = identify(f, &dev, &ino);
    if (r < 0) return r;
    lock_kind kind = ofd ? KIND_OFD : KIND_POSIX;
    const void *owner = ofd ? (const void *)f : &process_owner;
    if (get) {
        if (fl->l_type == LINUX_F_UNLCK) return -LINUX_EINVAL;
        AcquireSRWLockShared(&lock_table_lock);
        const lock_entry *c = find_conflict(dev, ino, kind, owner, fl->l_type, start, end);
        if (c) {
            fl->l_type = (int16_t)c->type;
            fl->l_whence = LINUX_SEEK_SET;
            fl->l_start = c->start;
            fl->l_len = c->end == INT64_MAX ? 0 : c->end - c->start + 1;
            fl->l_pid = c->kind == KIND_OFD ? -1 : px_identity_pid();
        } else {
            fl->l_type = LINUX_F_UNLCK;
        }
        ReleaseSRWLockShared(&lock_table_lock);
        return 0;
    }
    bool wait = cmd == LINUX_F_SETLKW || cmd == LINUX_F_OFD_SETLKW;
    return set_lock(dev, ino, kind, owner, fl->l_type, start, end, wait);
}

void px_lock_release_file(px_file *f)
{
    if (lock_count) drop_owner(f, KIND_OFD, true, 0, 0, true);
}

void px_lock_release_posix(px_file *f)
{
    if (!lock_count) return;
    uint64_t dev, ino;
    if (identify(f, &dev, &ino) == 0) drop_owner(&process_owner, KIND_POSIX, false, dev, ino, false);
}
