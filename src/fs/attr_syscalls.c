/* The syscalls on a file's attributes: chmod, chown, times, truncate, fallocate,
   fdatasync, statfs, the xattr calls and chroot. A path is resolved through the VFS, an
   fd names its file's (mount, path); the mount type's operation does the work. */
#include "fs/vfs.h"
#include "host/host_time.h"
#include "kernel/identity.h"

/* Where an attribute call acts: a path (followed or not) or an open file. */
typedef struct target {
    px_vfs_path p;
} target;

/* path is the guest's: copied in first (EFAULT, ENAMETOOLONG). */
static int64_t target_of_path(int dirfd, uint64_t guest_path, bool follow, bool empty_ok, target **out)
{
    char path[PX_PATH_MAX];
    int64_t r = px_path_in(path, guest_path);
    if (r < 0) return r;
    target *t = px_alloc(sizeof *t);
    if (!t) return -LINUX_ENOMEM;
    r = px_vfs_resolve(dirfd, path, (follow ? PX_VFS_FOLLOW : 0) | (empty_ok ? PX_VFS_EMPTY_OK : 0), &t->p);
    if (r == 0 && t->p.must_be_dir) {
        px_stat_info st;
        r = px_vfs_stat(&t->p, &st);
    }
    if (r < 0) {
        px_free(t);
        return r;
    }
    *out = t;
    return 0;
}

static int64_t target_of_fd(int fd, target **out)
{
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    target *t = px_alloc(sizeof *t);
    int64_t r = t ? px_vfs_path_of_file(f, &t->p) : -LINUX_ENOMEM;
    px_file_unref(f);
    if (r < 0) {
        px_free(t);
        return r;
    }
    *out = t;
    return 0;
}

/* ---- chmod ---- */

static int64_t do_chmod(target *t, uint32_t mode)
{
    px_mount *m = t->p.mount;
    int64_t r = m->type->chmod ? m->type->chmod(m, t->p.rel, mode & 07777) : PX_VFS_MISSING(chmod);
    px_free(t);
    return r;
}

/* chmod(2) */
PX_SYSCALL(chmod)
{
    uint64_t path = PX_ARG0;
    uint32_t mode = (uint32_t)PX_ARG1;
    target *t;
    int64_t r = target_of_path(LINUX_AT_FDCWD, path, true, false, &t);
    return r < 0 ? r : do_chmod(t, mode);
}

/* fchmod(2): through the open file when its type can (no second lookup of the name) */
PX_SYSCALL(fchmod)
{
    int fd = (int)PX_ARG0;
    uint32_t mode = (uint32_t)PX_ARG1;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r = f->ops->chmod ? f->ops->chmod(f, mode & 07777) : PX_FILE_OP_BY_PATH;
    px_file_unref(f);
    if (r != PX_FILE_OP_BY_PATH) return r;
    target *t;
    r = target_of_fd(fd, &t);
    return r < 0 ? r : do_chmod(t, mode);
}

/* fchmodat(2): the kernel call has no flags argument */
PX_SYSCALL(fchmodat)
{
    int dirfd = (int)PX_ARG0;
    uint64_t path = PX_ARG1;
    uint32_t mode = (uint32_t)PX_ARG2;
    target *t;
    int64_t r = target_of_path(dirfd, path, true, false, &t);
    return r < 0 ? r : do_chmod(t, mode);
}

/* ---- chown ---- */

static int64_t do_chown(target *t, uint32_t uid, uint32_t gid)
{
    px_mount *m = t->p.mount;
    int64_t r = m->type->chown ? m->type->chown(m, t->p.rel, uid, gid) : PX_VFS_MISSING(chown);
    px_free(t);
    return r;
}

/* chown(2) */
PX_SYSCALL(chown)
{
    uint64_t path = PX_ARG0;
    uint32_t uid = (uint32_t)PX_ARG1, gid = (uint32_t)PX_ARG2;
    target *t;
    int64_t r = target_of_path(LINUX_AT_FDCWD, path, true, false, &t);
    return r < 0 ? r : do_chown(t, uid, gid);
}

/* lchown(2) */
PX_SYSCALL(lchown)
{
    uint64_t path = PX_ARG0;
    uint32_t uid = (uint32_t)PX_ARG1, gid = (uint32_t)PX_ARG2;
    target *t;
    int64_t r = target_of_path(LINUX_AT_FDCWD, path, false, false, &t);
    return r < 0 ? r : do_chown(t, uid, gid);
}

/* chown of an open file: through the file when its type can, else its path */
static int64_t chown_fd(int fd, uint32_t uid, uint32_t gid)
{
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r = f->ops->chown ? f->ops->chown(f, uid, gid) : PX_FILE_OP_BY_PATH;
    px_file_unref(f);
    if (r != PX_FILE_OP_BY_PATH) return r;
    target *t;
    r = target_of_fd(fd, &t);
    return r < 0 ? r : do_chown(t, uid, gid);
}

/* fchown(2) */
PX_SYSCALL(fchown)
{
    int fd = (int)PX_ARG0;
    uint32_t uid = (uint32_t)PX_ARG1, gid = (uint32_t)PX_ARG2;
    return chown_fd(fd, uid, gid);
}

/* fchownat(2) */
PX_SYSCALL(fchownat)
{
    int dirfd = (int)PX_ARG0;
    uint64_t path = PX_ARG1;
    uint32_t uid = (uint32_t)PX_ARG2, gid = (uint32_t)PX_ARG3;
    uint32_t flags = (uint32_t)PX_ARG4;
    if (flags & ~(uint32_t)(LINUX_AT_SYMLINK_NOFOLLOW | LINUX_AT_EMPTY_PATH)) return -LINUX_EINVAL;
    char first;
    if ((flags & LINUX_AT_EMPTY_PATH) && dirfd != LINUX_AT_FDCWD && PX_GET(&first, path) == 0 && !first)
        return chown_fd(dirfd, uid, gid);
    target *t;
    int64_t r = target_of_path(dirfd, path, !(flags & LINUX_AT_SYMLINK_NOFOLLOW), (flags & LINUX_AT_EMPTY_PATH) != 0, &t);
    return r < 0 ? r : do_chown(t, uid, gid);
}

/* ---- times ---- */

static struct linux_timespec time_now(void)
{
    return px_timespec_of_filetime(px_host_time_now());
}

/* times (NULL: both now) with UTIME_NOW replaced, as the utimens ops take them; false
   when both are UTIME_OMIT (nothing to do). */
static bool times_to_set(const struct linux_timespec *times, struct linux_timespec ts[2])
{
    for (int i = 0; i < 2; i++) {
        ts[i] = times ? times[i] : (struct linux_timespec){.tv_nsec = LINUX_UTIME_NOW};
        if (ts[i].tv_nsec == LINUX_UTIME_NOW) ts[i] = time_now();
    }
    return ts[0].tv_nsec != LINUX_UTIME_OMIT || ts[1].tv_nsec != LINUX_UTIME_OMIT;
}

static int64_t do_utimens(target *t, const struct linux_timespec *times)
{
    struct linux_timespec ts[2];
    times_to_set(times, ts);
    px_mount *m = t->p.mount;
    int64_t r = 0;
    if (ts[0].tv_nsec != LINUX_UTIME_OMIT || ts[1].tv_nsec != LINUX_UTIME_OMIT)
        r = m->type->utimens ? m->type->utimens(m, t->p.rel, ts) : PX_VFS_MISSING(utimens);
    px_free(t);
    return r;
}

static bool valid_timespec(struct linux_timespec t)
{
    return (t.tv_nsec >= 0 && t.tv_nsec < 1000000000) || t.tv_nsec == LINUX_UTIME_NOW || t.tv_nsec == LINUX_UTIME_OMIT;
}

/* utimensat(2); a NULL path names dirfd itself (futimens) */
PX_SYSCALL(utimensat)
{
    int dirfd = (int)PX_ARG0;
    uint64_t path = PX_ARG1;
    uint64_t times_addr = PX_ARG2;
    uint32_t flags = (uint32_t)PX_ARG3;
    struct linux_timespec times_in[2], *times = NULL;
    if (times_addr) {
        if (PX_GET(&times_in, times_addr) < 0) return -LINUX_EFAULT;
        times = times_in;
    }
    if (flags & ~(uint32_t)(LINUX_AT_SYMLINK_NOFOLLOW | LINUX_AT_EMPTY_PATH)) return -LINUX_EINVAL;
    if (times && (!valid_timespec(times[0]) || !valid_timespec(times[1]))) return -LINUX_EINVAL;
    target *t;
    int64_t r;
    char first = 1;
    if (path && (flags & LINUX_AT_EMPTY_PATH) && dirfd != LINUX_AT_FDCWD && PX_GET(&first, path) < 0)
        return -LINUX_EFAULT;
    if (!path || !first) {
        if (!path && dirfd == LINUX_AT_FDCWD) return -LINUX_EFAULT;
        /* futimens: on the open file when its type can (tar sets the times of every
           file it writes so; reopening it by name cost three wineserver round trips) */
        px_file *f = px_fd_get(dirfd);
        if (!f) return -LINUX_EBADF;
        struct linux_timespec ts[2];
        r = !f->ops->utimens ? PX_FILE_OP_BY_PATH : times_to_set(times, ts) ? f->ops->utimens(f, ts) : 0;
        px_file_unref(f);
        if (r != PX_FILE_OP_BY_PATH) return r;
        r = target_of_fd(dirfd, &t);
    } else {
        r = target_of_path(dirfd, path, !(flags & LINUX_AT_SYMLINK_NOFOLLOW), (flags & LINUX_AT_EMPTY_PATH) != 0, &t);
    }
    return r < 0 ? r : do_utimens(t, times);
}

/* struct timeval[2] (NULL: now) to timespecs; EINVAL for microseconds out of range. */
static int64_t timespecs_of_timevals(const struct linux_timeval *tv, struct linux_timespec ts[2])
{
    for (int i = 0; i < 2; i++) {
        if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000) return -LINUX_EINVAL;
        ts[i] = (struct linux_timespec){.tv_sec = tv[i].tv_sec, .tv_nsec = tv[i].tv_usec * 1000};
    }
    return 0;
}

static int64_t utimes_at(int dirfd, uint64_t path, uint64_t tv_addr)
{
    struct linux_timespec ts[2];
    struct linux_timeval tv[2];
    if (tv_addr) {
        if (PX_GET(&tv, tv_addr) < 0) return -LINUX_EFAULT;
        int64_t r = timespecs_of_timevals(tv, ts);
        if (r < 0) return r;
    }
    target *t;
    int64_t r = target_of_path(dirfd, path, true, false, &t);
    return r < 0 ? r : do_utimens(t, tv_addr ? ts : NULL);
}

/* utimes(2) */
PX_SYSCALL(utimes)
{
    uint64_t path = PX_ARG0;
    uint64_t tv = PX_ARG1;
    return utimes_at(LINUX_AT_FDCWD, path, tv);
}

/* futimesat(2) */
PX_SYSCALL(futimesat)
{
    int dirfd = (int)PX_ARG0;
    uint64_t path = PX_ARG1;
    uint64_t tv = PX_ARG2;
    return utimes_at(dirfd, path, tv);
}

/* utime(2) */
PX_SYSCALL(utime)
{
    uint64_t path = PX_ARG0;
    uint64_t buf_addr = PX_ARG1;
    struct linux_timespec ts[2];
    struct linux_utimbuf buf;
    if (buf_addr) {
        if (PX_GET(&buf, buf_addr) < 0) return -LINUX_EFAULT;
        ts[0] = (struct linux_timespec){.tv_sec = buf.actime};
        ts[1] = (struct linux_timespec){.tv_sec = buf.modtime};
    }
    target *t;
    int64_t r = target_of_path(LINUX_AT_FDCWD, path, true, false, &t);
    return r < 0 ? r : do_utimens(t, buf_addr ? ts : NULL);
}

/* ---- sizes and data ---- */

/* truncate(2) */
PX_SYSCALL(truncate)
{
    uint64_t path = PX_ARG0;
    int64_t len = (int64_t)PX_ARG1;
    if (len < 0) return -LINUX_EINVAL;
    target *t;
    int64_t r = target_of_path(LINUX_AT_FDCWD, path, true, false, &t);
    if (r < 0) return r;
    px_mount *m = t->p.mount;
    r = m->type->truncate ? m->type->truncate(m, t->p.rel, (uint64_t)len) : PX_VFS_MISSING(truncate);
    px_free(t);
    return r;
}

/* fallocate(2): mode 0 makes the file at least offset + len long (the bytes read as
   zeros, as allocated ones do); the other modes (KEEP_SIZE, PUNCH_HOLE, ...) need
   control of allocation no type offers yet: EOPNOTSUPP */
PX_SYSCALL(fallocate)
{
    int fd = (int)PX_ARG0;
    uint32_t mode = (uint32_t)PX_ARG1;
    int64_t offset = (int64_t)PX_ARG2;
    int64_t len = (int64_t)PX_ARG3;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    uint32_t acc = f->status_flags & LINUX_O_ACCMODE;
    int64_t r = 0;
    px_stat_info st;
    if (offset < 0 || len <= 0) r = -LINUX_EINVAL;
    else if ((f->status_flags & LINUX_O_PATH) || (acc != LINUX_O_WRONLY && acc != LINUX_O_RDWR)) r = -LINUX_EBADF;
    else if (f->is_dir) r = -LINUX_EISDIR;
    else if (!f->ops->pwrite || !f->ops->truncate || !f->ops->stat) r = -LINUX_ESPIPE; /* pipes; -ENODEV for others on Linux */
    else if (mode != 0) r = -LINUX_EOPNOTSUPP;
    else if (len > INT64_MAX - offset) r = -LINUX_EFBIG;
    else r = f->ops->stat(f, &st);
    if (r == 0 && st.size < offset + len) {
        px_stat_cache_invalidate();
        r = f->ops->truncate(f, (uint64_t)(offset + len));
    }
    px_file_unref(f);
    return r;
}

/* fdatasync(2): as fsync (Windows flushes data and metadata together) */
int64_t px_sys_fsync(px_regs *regs);
PX_SYSCALL(fdatasync)
{
    return px_sys_fsync(regs);
}

/* ---- statfs ---- */

static int64_t do_statfs(target *t, uint64_t buf)
{
    px_mount *m = t->p.mount;
    struct linux_statfs out;
    int64_t r = 0;
    if (m->type->statfs) {
        r = m->type->statfs(m, t->p.rel, &out);
    } else {
        /* a synthetic file system: no blocks, its magic, as Linux's proc or sysfs */
        memset(&out, 0, sizeof out);
        out.f_type = (int64_t)m->type->magic;
        out.f_bsize = 4096;
        out.f_frsize = 4096;
        out.f_namelen = 255;
        out.f_fsid[0] = (int32_t)m->dev;
    }
    px_free(t);
    if (r < 0) return r;
    return PX_PUT(buf, &out);
}

/* statfs(2) */
PX_SYSCALL(statfs)
{
    uint64_t path = PX_ARG0;
    uint64_t buf = PX_ARG1;
    target *t;
    int64_t r = target_of_path(LINUX_AT_FDCWD, path, true, false, &t);
    return r < 0 ? r : do_statfs(t, buf);
}

/* fstatfs(2) */
PX_SYSCALL(fstatfs)
{
    int fd = (int)PX_ARG0;
    uint64_t buf = PX_ARG1;
    target *t;
    int64_t r = target_of_fd(fd, &t);
    return r < 0 ? r : do_statfs(t, buf);
}

/* ---- extended attributes: the type's ops, or EOPNOTSUPP as DrvFs gives ----
   The types store names and values (CREATE/REPLACE, ENODATA, ERANGE); who may read or
   change which namespace is decided here, once, as Linux's fs/xattr.c (xattr_permission)
   and the capability LSM do it:
     user.*      regular files and directories only (others: EPERM to change, ENODATA to
                 read); read or write permission on the file; a sticky directory's only
                 for its owner
     trusted.*   root only (others: EPERM to change, ENODATA to read, hidden from lists)
     security.*  anyone reads; root only changes (security.capability: a v2 or v3 header)
     system.*    the POSIX ACLs (system.posix_acl_access/default) are not kept: EOPNOTSUPP,
                 as every other name outside these namespaces */

#define XATTR_NAME_MAX 255
#define XATTR_SIZE_MAX 65536
#define XATTR_LIST_MAX 65536

enum xattr_ns { NS_USER, NS_TRUSTED, NS_SECURITY, NS_SYSTEM, NS_OTHER };

static enum xattr_ns namespace_of(const char *name)
{
    static const struct { const char *prefix; enum xattr_ns ns; } rows[] = {
        {"user.", NS_USER}, {"trusted.", NS_TRUSTED}, {"security.", NS_SECURITY}, {"system.", NS_SYSTEM},
    };
    for (size_t i = 0; i < PX_ARRAY_LEN(rows); i++)
        if (!strncmp(name, rows[i].prefix, strlen(rows[i].prefix))) return rows[i].ns;
    return NS_OTHER;
}

/* Permission bits of the file for the caller (root: all). */
static bool may_access(const px_stat_info *st, uint32_t want)
{
    uint32_t uid = px_identity_uid();
    if (uid == 0) return true;
    uint32_t bits = uid == st->uid ? st->mode >> 6 : px_identity_gid() == st->gid ? st->mode >> 3 : st->mode;
    return ((bits & 7) & want) == want;
}

/* A security.capability value: struct vfs_cap_data (revision 2, 20 bytes) or
   vfs_ns_cap_data (revision 3, 24 bytes), the revision in the top byte of magic_etc. */
static bool valid_file_caps(const void *value, uint64_t size)
{
    if (!value || size < 4) return false;
    const uint8_t *v = value;
    uint32_t revision = (uint32_t)v[3] << 24;
    return (size == 20 && revision == 0x02000000u) || (size == 24 && revision == 0x03000000u);
}

/* May the caller read (write false) or change (write true) name on the file at t? */
static int64_t xattr_permission(target *t, const char *name, bool write)
{
    enum xattr_ns ns = namespace_of(name);
    bool root = px_identity_uid() == 0;
    if (ns == NS_SYSTEM || ns == NS_OTHER) return -LINUX_EOPNOTSUPP;
    if (ns == NS_TRUSTED) return root ? 0 : write ? -LINUX_EPERM : -LINUX_ENODATA;
    if (ns == NS_SECURITY) return write && !root ? -LINUX_EPERM : 0;
    px_stat_info st;
    int64_t r = px_vfs_stat(&t->p, &st);
    if (r < 0) return r;
    uint32_t fmt = st.mode & LINUX_S_IFMT;
    if (fmt != LINUX_S_IFREG && fmt != LINUX_S_IFDIR) return write ? -LINUX_EPERM : -LINUX_ENODATA;
    if (write && fmt == LINUX_S_IFDIR && (st.mode & LINUX_S_ISVTX) && !root && st.uid != px_identity_uid())
        return -LINUX_EPERM;
    return may_access(&st, write ? 2 : 4) ? 0 : -LINUX_EACCES;
}

/* The guest's attribute name into name (XATTR_NAME_MAX + 1 bytes): ERANGE for "" or a
   longer one, as Linux's strncpy_from_user of it. */
static int64_t xattr_name_in(char *name, uint64_t guest)
{
    int64_t n = px_string_in(name, guest, XATTR_NAME_MAX + 1, -LINUX_ERANGE);
    if (n < 0) return n;
    return n == 0 ? -LINUX_ERANGE : 0;
}

/* path is the guest's, used when fd is BY_PATH (no fd the guest can name) */
#define BY_PATH INT64_MIN
static int64_t xattr_target(uint64_t path, int64_t fd, bool follow, target **out)
{
    return fd == BY_PATH ? target_of_path(LINUX_AT_FDCWD, path, follow, false, out) : target_of_fd((int)fd, out);
}

/* The value is read into the runtime's memory and copied out. */
static int64_t get_xattr(uint64_t path, int64_t fd, bool follow, uint64_t guest_name, uint64_t guest_value, uint64_t size)
{
    char name[XATTR_NAME_MAX + 1];
    int64_t r = xattr_name_in(name, guest_name);
    target *t;
    if (r == 0) r = xattr_target(path, fd, follow, &t);
    if (r < 0) return r;
    px_mount *m = t->p.mount;
    if (size > XATTR_SIZE_MAX) size = XATTR_SIZE_MAX;
    void *value = size ? px_alloc((size_t)size) : NULL;
    if (size && !value) r = -LINUX_ENOMEM;
    else if (!m->type->getxattr) r = PX_VFS_MISSING(getxattr);
    else if ((r = xattr_permission(t, name, false)) == 0) r = m->type->getxattr(m, t->p.rel, name, value, size);
    if (r > 0 && size && px_copy_out(guest_value, value, (size_t)r) < 0) r = -LINUX_EFAULT;
    px_free(value);
    px_free(t);
    return r;
}

static int64_t set_xattr(uint64_t path, int64_t fd, bool follow, uint64_t guest_name, uint64_t guest_value, uint64_t size,
                         int flags)
{
    if (flags & ~(LINUX_XATTR_CREATE | LINUX_XATTR_REPLACE)) return -LINUX_EINVAL;
    char name[XATTR_NAME_MAX + 1];
    int64_t r = xattr_name_in(name, guest_name);
    if (r < 0) return r;
    if (size > XATTR_SIZE_MAX) return -LINUX_E2BIG;
    void *value = size ? px_alloc((size_t)size) : NULL;
    if (size && !value) return -LINUX_ENOMEM;
    if (size && px_copy_in(value, guest_value, (size_t)size) < 0) {
        px_free(value);
        return -LINUX_EFAULT;
    }
    target *t;
    if ((r = xattr_target(path, fd, follow, &t)) < 0) {
        px_free(value);
        return r;
    }
    px_mount *m = t->p.mount;
    if (!m->type->setxattr) r = PX_VFS_MISSING(setxattr);
    /* a malformed capability set is refused before the permission check, as Linux does */
    else if (!strcmp(name, "security.capability") && !valid_file_caps(value, size)) r = -LINUX_EINVAL;
    else if ((r = xattr_permission(t, name, true)) == 0) r = m->type->setxattr(m, t->p.rel, name, size ? value : "", size, flags);
    px_free(value);
    px_free(t);
    return r;
}

/* The type's list with the trusted.* names left out for all but root (as Linux hides
   them), into the caller's buffer: the length, or ERANGE when size is too small. */
static int64_t filtered_list(px_mount *m, const char *rel, char *list, uint64_t size)
{
    if (px_identity_uid() == 0) return m->type->listxattr(m, rel, list, size);
    char *all = NULL;
    int64_t n;
    for (int attempt = 0;; attempt++) { /* the list may grow between the two calls */
        if ((n = m->type->listxattr(m, rel, NULL, 0)) <= 0) return n;
        px_free(all);
        if (!(all = px_alloc((size_t)n))) return -LINUX_ENOMEM;
        int64_t got = m->type->listxattr(m, rel, all, (uint64_t)n);
        if (got != -LINUX_ERANGE || attempt == 3) { n = got; break; }
    }
    uint64_t kept = 0;
    for (int64_t at = 0; n > 0 && at < n;) {
        size_t len = strnlen(all + at, (size_t)(n - at)) + 1;
        if (namespace_of(all + at) != NS_TRUSTED) {
            if (size && kept + len <= size) memcpy(list + kept, all + at, len);
            kept += len;
        }
        at += (int64_t)len;
    }
    px_free(all);
    if (n < 0) return n;
    return size && kept > size ? -LINUX_ERANGE : (int64_t)kept;
}

/* The list is made in the runtime's memory and copied out. */
static int64_t list_xattr(uint64_t path, int64_t fd, bool follow, uint64_t guest_list, uint64_t size)
{
    target *t;
    int64_t r = xattr_target(path, fd, follow, &t);
    if (r < 0) return r;
    px_mount *m = t->p.mount;
    if (size > XATTR_LIST_MAX) size = XATTR_LIST_MAX;
    char *list = size ? px_alloc((size_t)size) : NULL;
    if (size && !list) r = -LINUX_ENOMEM;
    else if (!m->type->listxattr) r = PX_VFS_MISSING(listxattr);
    else {
        r = filtered_list(m, t->p.rel, list, size);
        if (r == -LINUX_ERANGE && size == XATTR_LIST_MAX) r = -LINUX_E2BIG; /* longer than any buffer may be */
    }
    if (r > 0 && size && px_copy_out(guest_list, list, (size_t)r) < 0) r = -LINUX_EFAULT;
    px_free(list);
    px_free(t);
    return r;
}

static int64_t remove_xattr(uint64_t path, int64_t fd, bool follow, uint64_t guest_name)
{
    char name[XATTR_NAME_MAX + 1];
    int64_t r = xattr_name_in(name, guest_name);
    target *t;
    if (r == 0) r = xattr_target(path, fd, follow, &t);
    if (r < 0) return r;
    px_mount *m = t->p.mount;
    if (!m->type->removexattr) r = PX_VFS_MISSING(removexattr);
    else if ((r = xattr_permission(t, name, true)) == 0) r = m->type->removexattr(m, t->p.rel, name);
    px_free(t);
    return r;
}

#define PATH_ARG PX_ARG0

/* getxattr(2) */
PX_SYSCALL(getxattr) { return get_xattr(PATH_ARG, BY_PATH, true, PX_ARG1, PX_ARG2, PX_ARG3); }
/* lgetxattr(2) */
PX_SYSCALL(lgetxattr) { return get_xattr(PATH_ARG, BY_PATH, false, PX_ARG1, PX_ARG2, PX_ARG3); }
/* fgetxattr(2) */
PX_SYSCALL(fgetxattr) { return get_xattr(0, (int)PX_ARG0, true, PX_ARG1, PX_ARG2, PX_ARG3); }
/* setxattr(2) */
PX_SYSCALL(setxattr) { return set_xattr(PATH_ARG, BY_PATH, true, PX_ARG1, PX_ARG2, PX_ARG3, (int)PX_ARG4); }
/* lsetxattr(2) */
PX_SYSCALL(lsetxattr) { return set_xattr(PATH_ARG, BY_PATH, false, PX_ARG1, PX_ARG2, PX_ARG3, (int)PX_ARG4); }
/* fsetxattr(2) */
PX_SYSCALL(fsetxattr) { return set_xattr(0, (int)PX_ARG0, true, PX_ARG1, PX_ARG2, PX_ARG3, (int)PX_ARG4); }
/* listxattr(2) */
PX_SYSCALL(listxattr) { return list_xattr(PATH_ARG, BY_PATH, true, PX_ARG1, PX_ARG2); }
/* llistxattr(2) */
PX_SYSCALL(llistxattr) { return list_xattr(PATH_ARG, BY_PATH, false, PX_ARG1, PX_ARG2); }
/* flistxattr(2) */
PX_SYSCALL(flistxattr) { return list_xattr(0, (int)PX_ARG0, true, PX_ARG1, PX_ARG2); }
/* removexattr(2) */
PX_SYSCALL(removexattr) { return remove_xattr(PATH_ARG, BY_PATH, true, PX_ARG1); }
/* lremovexattr(2) */
PX_SYSCALL(lremovexattr) { return remove_xattr(PATH_ARG, BY_PATH, false, PX_ARG1); }
/* fremovexattr(2) */
PX_SYSCALL(fremovexattr) { return remove_xattr(0, (int)PX_ARG0, true, PX_ARG1); }

/* ---- chroot ---- */

/* chroot(2): root only (CAP_SYS_CHROOT); later absolute paths and ".." stay inside */
PX_SYSCALL(chroot)
{
    uint64_t path = PX_ARG0;
    target *t;
    int64_t r = target_of_path(LINUX_AT_FDCWD, path, true, false, &t);
    if (r < 0) return r;
    px_stat_info st;
    r = px_vfs_stat(&t->p, &st);
    if (r == 0 && (st.mode & LINUX_S_IFMT) != LINUX_S_IFDIR) r = -LINUX_ENOTDIR;
    if (r == 0 && px_identity_uid() != 0) r = -LINUX_EPERM;
    if (r == 0) px_vfs_set_root(t->p.abs);
    px_free(t);
    return r;
}
