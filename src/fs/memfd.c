/* memfd_create(2) and file seals (F_ADD_SEALS, F_GET_SEALS). A memfd is a file of the
   tmpfs at /dev/shm (src/fs/pseudo/tmpfs.c), made under a hidden name and unlinked at
   once, so it reads, writes, maps MAP_SHARED and truncates as any tmpfs file, and goes
   with its last fd. /proc/self/fd/N names it "/memfd:NAME (deleted)" as Linux does.

   Seals are Linux's per-inode. Here they are one word in a small pagefile section made
   with the memfd, which every process the memfd reaches (fork, execve into a new
   process: the section goes along as the file's second handle) maps: a seal one adds
   holds at once for all. The seals are enforced by the description's ops (a copy of the
   tmpfs file's, with write, pwrite and truncate checked first) and by mmap
   (px_fs_fd_seals). F_SEAL_WRITE's EBUSY sees the writable shared mappings of the
   process that adds it, not those of others. */
#include <stdio.h>
#include "fs/fs_internal.h"
#include "fs/fd_handoff.h"
#include "fs/pseudo/pseudo.h"
#include "fs/vfs.h"
#include "host/host_mem.h"
#include "host/host_sync.h"
#include "host/host_process.h"
#include "mm/vm.h"

#define MFD_CLOEXEC 0x1u
#define MFD_ALLOW_SEALING 0x2u
#define MFD_HUGETLB 0x4u
#define MFD_NOEXEC_SEAL 0x8u
#define MFD_EXEC 0x10u
#define MFD_NAME_MAX_LEN 249 /* NAME_MAX - strlen("memfd:") */

#define SEAL_SEAL 0x1u
#define SEAL_SHRINK 0x2u
#define SEAL_GROW 0x4u
#define SEAL_WRITE 0x8u
#define SEAL_FUTURE_WRITE 0x10u
#define SEAL_EXEC 0x20u
#define SEAL_KNOWN (SEAL_SEAL | SEAL_SHRINK | SEAL_GROW | SEAL_WRITE | SEAL_FUTURE_WRITE | SEAL_EXEC)

#define SEALS_MAGIC 0x316c616573787870ull /* "pxxseal1" */

/* The seals' section: one for every holder of the memfd. */
typedef struct shared_seals {
    uint64_t magic;
    uint32_t seals; /* atomic: only ever grows */
    uint32_t pad;
} shared_seals;

/* The memfd's state: the tmpfs file's own ops and data beside its seals. */
typedef struct memfd {
    const px_file_ops *inner;
    void *inner_data;
    px_host_handle seals_section;
    shared_seals *shared;
} memfd;

static px_file_ops memfd_ops;    /* the tmpfs file's, wrapped; filled once under ops_lock */
static px_host_rwlock ops_lock = PX_HOST_RWLOCK_INIT;
static bool ops_ready;

/* The inner op runs with the tmpfs file's data in f->data, as it expects. */
#define INNER(f, call) ({ memfd *m_ = (f)->data; (f)->data = m_->inner_data; __typeof__(call) r_ = (call); \
                          (f)->data = m_; r_; })

static uint32_t seals_of(px_file *f) { return __atomic_load_n(&((memfd *)f->data)->shared->seals, __ATOMIC_ACQUIRE); }

/* A write of len bytes at offset (the end for O_APPEND): EPERM when a seal forbids it. */
static int64_t write_allowed(px_file *f, uint64_t offset, uint64_t len, bool append)
{
    memfd *m = f->data;
    uint32_t s = seals_of(f);
    if (s & (SEAL_WRITE | SEAL_FUTURE_WRITE)) return -LINUX_EPERM;
    if (!(s & SEAL_GROW) || !len) return 0;
    px_stat_info st;
    int64_t r = INNER(f, m->inner->stat(f, &st));
    if (r < 0) return r;
    if (append) offset = (uint64_t)st.size;
    return offset + len > (uint64_t)st.size ? -LINUX_EPERM : 0;
}

static int64_t memfd_write(px_file *f, const void *buf, uint64_t len)
{
    memfd *m = f->data;
    int64_t r = write_allowed(f, f->pos, len, (f->status_flags & LINUX_O_APPEND) != 0);
    return r < 0 ? r : INNER(f, m->inner->write(f, buf, len));
}

static int64_t memfd_pwrite(px_file *f, const void *buf, uint64_t len, uint64_t offset)
{
    memfd *m = f->data;
    int64_t r = write_allowed(f, offset, len, false);
    return r < 0 ? r : INNER(f, m->inner->pwrite(f, buf, len, offset));
}

static int64_t memfd_truncate(px_file *f, uint64_t len)
{
    memfd *m = f->data;
    uint32_t s = seals_of(f);
    if (s & (SEAL_SHRINK | SEAL_GROW)) {
        px_stat_info st;
        int64_t r = INNER(f, m->inner->stat(f, &st));
        if (r < 0) return r;
        if (((s & SEAL_SHRINK) && len < (uint64_t)st.size) || ((s & SEAL_GROW) && len > (uint64_t)st.size))
            return -LINUX_EPERM;
    }
    return INNER(f, m->inner->truncate(f, len));
}

/* The other ops pass through. */
static int64_t memfd_read(px_file *f, void *buf, uint64_t len) { memfd *m = f->data; return INNER(f, m->inner->read(f, buf, len)); }
static int64_t memfd_pread(px_file *f, void *buf, uint64_t len, uint64_t off) { memfd *m = f->data; return INNER(f, m->inner->pread(f, buf, len, off)); }
static int64_t memfd_lseek(px_file *f, int64_t off, int whence) { memfd *m = f->data; return INNER(f, m->inner->lseek(f, off, whence)); }
static int64_t memfd_stat(px_file *f, px_stat_info *st) { memfd *m = f->data; return INNER(f, m->inner->stat(f, st)); }
static int64_t memfd_fsync(px_file *f) { memfd *m = f->data; return INNER(f, m->inner->fsync(f)); }
static int64_t memfd_chmod(px_file *f, uint32_t mode) { memfd *m = f->data; return INNER(f, m->inner->chmod(f, mode)); }
static int64_t memfd_chown(px_file *f, uint32_t uid, uint32_t gid) { memfd *m = f->data; return INNER(f, m->inner->chown(f, uid, gid)); }
static int64_t memfd_utimens(px_file *f, const struct linux_timespec t[2]) { memfd *m = f->data; return INNER(f, m->inner->utimens(f, t)); }

static void seals_close(memfd *m)
{
    if (m->shared) px_host_view_unmap(m->shared);
    if (m->seals_section) px_host_close(m->seals_section);
    px_free(m);
}

static void memfd_release(px_file *f)
{
    memfd *m = f->data;
    f->data = m->inner_data;
    if (m->inner->release) m->inner->release(f);
    seals_close(m);
}

/* A memfd's state for the seals in section (taken over), or NULL when it is none (the
   section then stays the caller's). */
static memfd *seals_open(px_host_handle section)
{
    memfd *m = px_calloc(1, sizeof *m);
    if (!m) return NULL;
    m->shared = section ? px_host_view_map(section, 0, sizeof *m->shared, NULL, true) : NULL;
    if (!m->shared || m->shared->magic != SEALS_MAGIC) {
        seals_close(m);
        return NULL;
    }
    m->seals_section = section;
    return m;
}

static void make_ops(const px_file_ops *inner);

/* f, a tmpfs file, becomes a memfd of m's seals. */
static void wrap(px_file *f, memfd *m)
{
    make_ops(f->ops);
    m->inner = f->ops;
    m->inner_data = f->data;
    f->data = m;
    f->ops = &memfd_ops;
}

static size_t memfd_handoff_save(px_file *f, void *state)
{
    memfd *m = f->data;
    f->data = m->inner_data;
    size_t n = m->inner->handoff->save(f, state);
    f->data = m;
    return n;
}

static void *memfd_aux_handle(px_file *f) { return ((memfd *)f->data)->seals_section; }

static px_file *memfd_handoff_rebuild(const px_handoff_file *hf)
{
    /* the seals first: a failure after the tmpfs file took the handle could not give it back */
    memfd *m = seals_open(hf->aux_handle);
    if (!m) return NULL;
    px_file *f = px_lxfs_handoff.rebuild(hf);
    if (!f) {
        m->seals_section = NULL; /* the caller closes both handles */
        seals_close(m);
        return NULL;
    }
    wrap(f, m);
    return f;
}

const px_file_handoff px_memfd_handoff = {
    .kind = PX_HANDOFF_MEMFD,
    .save = memfd_handoff_save,
    .rebuild = memfd_handoff_rebuild,
    .aux_handle = memfd_aux_handle,
};

/* The wrapped ops, from the first memfd's tmpfs file (every tmpfs file has the same). */
static void make_ops(const px_file_ops *inner)
{
    px_host_rwlock_lock(&ops_lock);
    if (!ops_ready) {
        memfd_ops = *inner;
#define WRAP(op) memfd_ops.op = inner->op ? memfd_##op : NULL
        WRAP(read); WRAP(write); WRAP(pread); WRAP(pwrite); WRAP(lseek); WRAP(stat); WRAP(fsync);
        WRAP(truncate); WRAP(chmod); WRAP(chown); WRAP(utimens);
#undef WRAP
        memfd_ops.release = memfd_release;
        memfd_ops.handoff = inner->handoff == &px_lxfs_handoff ? &px_memfd_handoff : NULL;
        /* what else the ops table has (poll, ioctl, ...) reads f->data: not for a memfd */
        memfd_ops.getdents = NULL;
        memfd_ops.ioctl = NULL;
        memfd_ops.readable_bytes = NULL;
        memfd_ops.set_status_flags = NULL;
        memfd_ops.poll = NULL;
        memfd_ops.poll_handle = NULL;
        memfd_ops.wait_on = NULL;
        memfd_ops.open_wait = NULL;
        memfd_ops.position_shared = NULL;
        ops_ready = true;
    }
    px_host_rwlock_unlock(&ops_lock);
}

static bool is_memfd(const px_file *f) { return ops_ready && f->ops == &memfd_ops; }

/* memfd_create(2) */
PX_SYSCALL(memfd_create)
{
    uint64_t uname = PX_ARG0;
    uint32_t flags = (uint32_t)PX_ARG1;
    if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC)) return -LINUX_EINVAL;
    if ((flags & MFD_EXEC) && (flags & MFD_NOEXEC_SEAL)) return -LINUX_EINVAL;
    if (flags & MFD_HUGETLB) return -LINUX_EINVAL; /* no huge pages: as a kernel without hugetlbfs */
    char name[MFD_NAME_MAX_LEN + 1];
    int64_t n = px_string_in(name, uname, sizeof name, -LINUX_EINVAL);
    if (n < 0) return n;
    px_mount *m = px_vfs_mount_of_point("/dev/shm");
    if (!m || m->type != &px_tmpfs_type || !m->type->open || !m->type->unlink) return -LINUX_ENOSYS;
    /* a hidden name of its own in the tmpfs, gone again at once */
    static volatile long serial;
    char hidden[64];
    snprintf(hidden, sizeof hidden, ".memfd-%u-%ld", (unsigned)px_host_pid(),
             (long)__atomic_add_fetch(&serial, 1, __ATOMIC_RELAXED));
    uint32_t mode = (flags & MFD_NOEXEC_SEAL) ? 0666 : 0777; /* shmem's S_IRWXUGO, no umask */
    px_file *f = NULL;
    int64_t r = m->type->open(m, hidden, LINUX_O_RDWR | LINUX_O_CREAT | LINUX_O_EXCL | LINUX_O_LARGEFILE, mode, &f);
    if (r < 0) return r;
    m->type->unlink(m, hidden);
    px_host_handle section = px_host_section_new(NULL, sizeof(shared_seals), true, false, NULL, NULL);
    shared_seals *fresh = section ? px_host_view_map(section, 0, sizeof *fresh, NULL, true) : NULL;
    if (fresh) {
        fresh->magic = SEALS_MAGIC;
        fresh->seals = (flags & MFD_NOEXEC_SEAL) ? SEAL_EXEC : (flags & MFD_ALLOW_SEALING) ? 0 : SEAL_SEAL;
        px_host_view_unmap(fresh);
    }
    memfd *md = fresh ? seals_open(section) : NULL;
    if (!md && section) px_host_close(section);
    size_t path_len = (size_t)n + sizeof "/memfd: (deleted)";
    char *path = px_alloc(path_len);
    if (!md || !path || !f->ops->write || !f->ops->truncate) {
        if (md) seals_close(md);
        px_free(path);
        px_file_unref(f);
        return -LINUX_ENOMEM;
    }
    snprintf(path, path_len, "/memfd:%s (deleted)", name);
    wrap(f, md);
    px_free(f->guest_path);
    f->guest_path = path;
    f->mount = m;
    r = px_fd_install(f, 0, (flags & MFD_CLOEXEC) != 0);
    if (r < 0) px_file_unref(f);
    return r;
}

int64_t px_fs_seals(int fd, int cmd, uint32_t add)
{
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r = 0;
    if (!is_memfd(f)) {
        r = -LINUX_EINVAL; /* a file system without seals */
    } else if (cmd == LINUX_F_GET_SEALS) {
        r = seals_of(f);
    } else if (add & ~SEAL_KNOWN) {
        r = -LINUX_EINVAL;
    } else if ((f->status_flags & LINUX_O_ACCMODE) == LINUX_O_RDONLY) {
        r = -LINUX_EPERM;
    } else {
        memfd *m = f->data;
        uint32_t s = __atomic_load_n(&m->shared->seals, __ATOMIC_ACQUIRE);
        for (;;) { /* other processes may add seals at once */
            if (s & SEAL_SEAL) r = -LINUX_EPERM;
            /* F_SEAL_WRITE while a writable shared mapping exists: EBUSY */
            else if ((add & SEAL_WRITE) && !(s & SEAL_WRITE) && px_vm_file_mapped_writable(f->handle)) r = -LINUX_EBUSY;
            else if (!__atomic_compare_exchange_n(&m->shared->seals, &s, s | add, false, __ATOMIC_ACQ_REL,
                                                  __ATOMIC_ACQUIRE))
                continue;
            break;
        }
    }
    px_file_unref(f);
    return r;
}

int64_t px_fs_fd_seals(int fd)
{
    px_file *f = px_fd_get(fd);
    if (!f) return 0;
    int64_t s = is_memfd(f) ? seals_of(f) : 0;
    px_file_unref(f);
    return s;
}
