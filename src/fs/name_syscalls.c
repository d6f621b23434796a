/* The syscalls on names: getcwd, chdir, fchdir, access and faccessat(2), readlink(at),
   mkdir(at), unlink(at), rmdir, rename(at)(2). */
#include "fs/vfs.h"
#include "mm/vm.h"
#include "kernel/identity.h"
#include "task/ptable.h"

/* getcwd(2) */
PX_SYSCALL(getcwd)
{
    uint64_t buf = PX_ARG0;
    uint64_t size = PX_ARG1;
    char cwd_buf[PX_PATH_MAX];
    if (px_fs_cwd(cwd_buf, sizeof cwd_buf) < 0) return -LINUX_ENAMETOOLONG;
    const char *cwd = px_vfs_visible(cwd_buf); /* as the process root shows it */
    uint64_t len = strlen(cwd) + 1;
    if (size < len) return -LINUX_ERANGE;
    if (px_copy_out(buf, cwd, (size_t)len) < 0) return -LINUX_EFAULT;
    return (int64_t)len;
}

static int64_t change_dir(const px_vfs_path *vp)
{
    px_stat_info st;
    int64_t r = px_vfs_stat(vp, &st);
    if (r < 0) return r;
    if ((st.mode & LINUX_S_IFMT) != LINUX_S_IFDIR) return -LINUX_ENOTDIR;
    px_fs_set_cwd(vp->abs);
    px_ptable_set_cwd(px_identity_pid(), vp->abs); /* /proc/<pid>/cwd for the others */
    return 0;
}

/* chdir(2) */
PX_SYSCALL(chdir)
{
    uint64_t guest_path = PX_ARG0;
    char path[PX_PATH_MAX];
    int64_t r = px_path_in(path, guest_path);
    if (r < 0) return r;
    px_vfs_path *vp = px_alloc(sizeof *vp);
    if (!vp) return -LINUX_ENOMEM;
    r = px_vfs_resolve(LINUX_AT_FDCWD, path, PX_VFS_FOLLOW, vp);
    if (r == 0) r = change_dir(vp);
    px_free(vp);
    return r;
}

/* fchdir(2) */
PX_SYSCALL(fchdir)
{
    int fd = (int)PX_ARG0;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r = -LINUX_ENOTDIR;
    if (f->is_dir && f->guest_path) {
        px_fs_set_cwd(f->guest_path);
        px_ptable_set_cwd(px_identity_pid(), f->guest_path);
        r = 0;
    }
    px_file_unref(f);
    return r;
}

/* Permission bits as Linux checks them: root passes read and write always and execute
   when anyone may execute (or it is a directory); the others by owner, group, other. */
static int64_t check_mode_bits(const px_stat_info *st, int mode)
{
    uint32_t uid = px_identity_uid();
    if (uid == 0) {
        bool is_dir = (st->mode & LINUX_S_IFMT) == LINUX_S_IFDIR;
        if ((mode & LINUX_X_OK) && !is_dir && !(st->mode & 0111)) return -LINUX_EACCES;
        return 0;
    }
    uint32_t allowed = st->uid == uid ? (st->mode >> 6) & 7 : st->gid == px_identity_gid() ? (st->mode >> 3) & 7 : st->mode & 7;
    if ((mode & LINUX_R_OK) && !(allowed & 4)) return -LINUX_EACCES;
    if ((mode & LINUX_W_OK) && !(allowed & 2)) return -LINUX_EACCES;
    if ((mode & LINUX_X_OK) && !(allowed & 1)) return -LINUX_EACCES;
    return 0;
}

static int64_t access_at(int dirfd, uint64_t guest_path, int mode, uint32_t flags)
{
    if (mode & ~(LINUX_R_OK | LINUX_W_OK | LINUX_X_OK)) return -LINUX_EINVAL;
    if (flags & ~(uint32_t)(LINUX_AT_EACCESS | LINUX_AT_SYMLINK_NOFOLLOW | LINUX_AT_EMPTY_PATH)) return -LINUX_EINVAL;
    char path[PX_PATH_MAX];
    int64_t r = px_path_in(path, guest_path);
    if (r < 0) return r;
    px_vfs_path *vp = px_alloc(sizeof *vp);
    if (!vp) return -LINUX_ENOMEM;
    int resolve = (flags & LINUX_AT_SYMLINK_NOFOLLOW) ? 0 : PX_VFS_FOLLOW;
    if (flags & LINUX_AT_EMPTY_PATH) resolve |= PX_VFS_EMPTY_OK;
    r = px_vfs_resolve(dirfd, path, resolve, vp);
    if (r == 0) {
        px_mount *m = vp->mount;
        if (m->type->access) {
            r = m->type->access(m, vp->rel, mode);
            if (r == 0 && vp->must_be_dir) {
                px_stat_info st;
                r = px_vfs_stat(vp, &st);
            }
        } else {
            px_stat_info st;
            r = px_vfs_stat(vp, &st);
            if (r == 0) r = check_mode_bits(&st, mode);
        }
    }
    px_free(vp);
    return r;
}
int64_t px_fs_may_exec(const char *guest_path)
{
    px_vfs_path *vp = px_alloc(sizeof *vp);
    if (!vp) return -LINUX_ENOMEM;
    int64_t r = px_vfs_resolve(LINUX_AT_FDCWD, guest_path, PX_VFS_FOLLOW, vp);
    px_stat_info st;
    if (r == 0) r = px_vfs_stat(vp, &st);
    /* directories are execve's EACCES too, which the loader says */
    if (r == 0 && (st.mode & LINUX_S_IFMT) != LINUX_S_IFDIR) r = check_mode_bits(&st, LINUX_X_OK);
    px_free(vp);
    return r;
}

/* access(2) */
PX_SYSCALL(access)
{
    uint64_t path = PX_ARG0;
    int mode = (int)PX_ARG1;
    return access_at(LINUX_AT_FDCWD, path, mode, 0);
}

/* faccessat(2): the kernel call has no flags argument */
PX_SYSCALL(faccessat)
{
    int dirfd = (int)PX_ARG0;
    uint64_t path = PX_ARG1;
    int mode = (int)PX_ARG2;
    return access_at(dirfd, path, mode, 0);
}

/* faccessat2(2) */
PX_SYSCALL(faccessat2)
{
    int dirfd = (int)PX_ARG0;
    uint64_t path = PX_ARG1;
    int mode = (int)PX_ARG2;
    uint32_t flags = (uint32_t)PX_ARG3;
    return access_at(dirfd, path, mode, flags);
}

/* True for /proc/self/exe and /proc/<our pid>/exe. */
static bool names_own_exe(const char *abs)
{
    if (!strcmp(abs, "/proc/self/exe")) return true;
    char own[64];
    size_t n = 0;
    memcpy(own, "/proc/", 6);
    n = 6;
    char digits[16];
    int nd = 0;
    uint32_t pid = (uint32_t)px_identity_pid();
    do {
        digits[nd++] = (char)('0' + pid % 10);
        pid /= 10;
    } while (pid);
    while (nd) own[n++] = digits[--nd];
    memcpy(own + n, "/exe", 5);
    return !strcmp(abs, own);
}

/* The target is made in the runtime's memory (every type's readlink) and copied out. */
static int64_t readlink_at(int dirfd, uint64_t guest_path, uint64_t guest_buf, int64_t size, bool empty_is_enoent)
{
    if (size <= 0) return -LINUX_EINVAL;
    char path[PX_PATH_MAX];
    int64_t r = px_path_in(path, guest_path);
    if (r < 0) return r;
    if (!path[0] && empty_is_enoent) return -LINUX_ENOENT;
    if (size > PX_PATH_MAX) size = PX_PATH_MAX; /* no target is longer */
    px_vfs_path *vp = px_alloc(sizeof *vp + (size_t)size + 1);
    if (!vp) return -LINUX_ENOMEM;
    char *buf = (char *)(vp + 1);
    r = px_vfs_resolve(dirfd, path, PX_VFS_EMPTY_OK, vp);
    /* /proc/self/exe while no /proc is mounted (the pseudo file systems answer it then) */
    size_t exe_len = 0;
    if (r == 0 && names_own_exe(vp->abs) && !px_vfs_mount_of_point("/proc") &&
        (exe_len = px_vm_get_exe_path(buf, (size_t)size + 1)) > 0) {
        /* truncated, without a NUL, as Linux does (buf has room for one past size) */
        r = (int64_t)(exe_len > (size_t)size ? (size_t)size : exe_len);
    } else if (r == 0) {
        px_mount *m = vp->mount;
        if (m->type->readlink) {
            r = m->type->readlink(m, vp->rel, buf, (uint64_t)size);
        } else {
            px_stat_info st;
            r = px_vfs_stat(vp, &st);
            if (r == 0) r = -LINUX_EINVAL; /* it exists and is not a symlink */
        }
    }
    if (r > 0 && px_copy_out(guest_buf, buf, (size_t)r) < 0) r = -LINUX_EFAULT;
    px_free(vp);
    return r;
}

/* readlink(2) */
PX_SYSCALL(readlink)
{
    uint64_t path = PX_ARG0;
    uint64_t buf = PX_ARG1;
    int64_t size = (int32_t)PX_ARG2;
    return readlink_at(LINUX_AT_FDCWD, path, buf, size, true);
}

/* readlinkat(2): "" with a dirfd names that fd (an O_PATH fd of a symlink) */
PX_SYSCALL(readlinkat)
{
    int dirfd = (int)PX_ARG0;
    uint64_t path = PX_ARG1;
    uint64_t buf = PX_ARG2;
    int64_t size = (int32_t)PX_ARG3;
    return readlink_at(dirfd, path, buf, size, dirfd == LINUX_AT_FDCWD);
}

static int64_t mkdir_at(int dirfd, uint64_t guest_path, uint32_t mode)
{
    char path[PX_PATH_MAX];
    int64_t r = px_path_in(path, guest_path);
    if (r < 0) return r;
    px_vfs_path *vp = px_alloc(sizeof *vp);
    if (!vp) return -LINUX_ENOMEM;
    r = px_vfs_resolve(dirfd, path, 0, vp);
    if (r == 0) {
        px_mount *m = vp->mount;
        r = m->type->mkdir ? m->type->mkdir(m, vp->rel, mode & 07777 & ~px_identity_umask()) : PX_VFS_MISSING(mkdir);
    }
    px_free(vp);
    return r;
}

/* mkdir(2) */
PX_SYSCALL(mkdir)
{
    uint64_t path = PX_ARG0;
    uint32_t mode = (uint32_t)PX_ARG1;
    return mkdir_at(LINUX_AT_FDCWD, path, mode);
}

/* mkdirat(2) */
PX_SYSCALL(mkdirat)
{
    int dirfd = (int)PX_ARG0;
    uint64_t path = PX_ARG1;
    uint32_t mode = (uint32_t)PX_ARG2;
    return mkdir_at(dirfd, path, mode);
}

/* What the last component of a raw path is: Linux refuses rmdir of "." and "..". */
static int64_t check_rmdir_name(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;
    size_t start = n;
    while (start > 0 && path[start - 1] != '/') start--;
    size_t len = n - start;
    if (len == 1 && path[start] == '.') return -LINUX_EINVAL;
    if (len == 2 && path[start] == '.' && path[start + 1] == '.') return -LINUX_ENOTEMPTY;
    return 0;
}

static int64_t unlink_with_slash(int dirfd, const char *path)
{
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') len--;
    char *name = px_alloc(len + 1);
    px_vfs_path *vp = px_alloc(sizeof *vp);
    int64_t r = name && vp ? 0 : -LINUX_ENOMEM;
    if (r == 0) {
        memcpy(name, path, len);
        name[len] = 0;
        r = px_vfs_resolve(dirfd, name, 0, vp);
    }
    px_stat_info st;
    if (r == 0) r = px_vfs_stat(vp, &st);
    if (r == 0) r = (st.mode & LINUX_S_IFMT) == LINUX_S_IFDIR ? -LINUX_EISDIR : -LINUX_ENOTDIR;
    px_free(name);
    px_free(vp);
    return r;
}

static int64_t remove_at(int dirfd, uint64_t guest_path, bool remove_dir)
{
    char path[PX_PATH_MAX];
    int64_t r = px_path_in(path, guest_path);
    if (r < 0) return r;
    px_vfs_path *vp = px_alloc(sizeof *vp);
    if (!vp) return -LINUX_ENOMEM;
    r = px_vfs_resolve(dirfd, path, 0, vp);
    if (r == 0 && remove_dir) r = check_rmdir_name(path);
    if (r == 0) {
        px_mount *m = vp->mount;
        if (!vp->rel[0] && strcmp(vp->abs, "/")) {
            r = remove_dir ? -LINUX_EBUSY : -LINUX_EISDIR; /* a mount point */
        } else if (remove_dir) {
            r = m->type->rmdir ? m->type->rmdir(m, vp->rel) : PX_VFS_MISSING(rmdir);
        } else if (vp->must_be_dir) {
            /* "name/": Linux says EISDIR for a directory, ENOTDIR for the rest, judging
               the name itself (a symlink to a directory is not one) */
            r = unlink_with_slash(dirfd, path);
        } else {
            r = m->type->unlink ? m->type->unlink(m, vp->rel) : PX_VFS_MISSING(unlink);
        }
    }
    px_free(vp);
    return r;
}
/* unlink(2) */
PX_SYSCALL(unlink)
{
    uint64_t path = PX_ARG0;
    return remove_at(LINUX_AT_FDCWD, path, false);
}

/* rmdir(2) */
PX_SYSCALL(rmdir)
{
    uint64_t path = PX_ARG0;
    return remove_at(LINUX_AT_FDCWD, path, true);
}

/* unlinkat(2) */
PX_SYSCALL(unlinkat)
{
    int dirfd = (int)PX_ARG0;
    uint64_t path = PX_ARG1;
    uint32_t flags = (uint32_t)PX_ARG2;
    if (flags & ~(uint32_t)LINUX_AT_REMOVEDIR) return -LINUX_EINVAL;
    return remove_at(dirfd, path, (flags & LINUX_AT_REMOVEDIR) != 0);
}

static int64_t rename_at(int olddirfd, uint64_t guest_old, int newdirfd, uint64_t guest_new, uint32_t flags)
{
    if (flags & ~(uint32_t)(LINUX_RENAME_NOREPLACE | LINUX_RENAME_EXCHANGE | LINUX_RENAME_WHITEOUT)) return -LINUX_EINVAL;
    if ((flags & LINUX_RENAME_EXCHANGE) && (flags & (LINUX_RENAME_NOREPLACE | LINUX_RENAME_WHITEOUT))) return -LINUX_EINVAL;
    if (flags & LINUX_RENAME_WHITEOUT) return -LINUX_EINVAL; /* overlay file systems only */
    px_vfs_path *from = px_alloc(2 * sizeof *from + 2 * PX_PATH_MAX);
    if (!from) return -LINUX_ENOMEM;
    px_vfs_path *to = from + 1;
    char *oldpath = (char *)(to + 1), *newpath = oldpath + PX_PATH_MAX;
    int64_t r = px_path_in(oldpath, guest_old);
    if (r == 0) r = px_path_in(newpath, guest_new);
    if (r == 0) r = px_vfs_resolve(olddirfd, oldpath, 0, from);
    if (r == 0) r = px_vfs_resolve(newdirfd, newpath, 0, to);
    px_mount *m = r == 0 ? from->mount : NULL;
    if (r == 0 && (!from->rel[0] || !to->rel[0])) r = -LINUX_EBUSY; /* a mount point or the root */
    if (r == 0 && to->mount != m) r = -LINUX_EXDEV;
    if (r == 0 && (from->must_be_dir || to->must_be_dir)) {
        /* "a/" renames only a directory */
        px_stat_info st;
        r = m->type->stat ? m->type->stat(m, from->rel, &st) : PX_VFS_MISSING(stat);
        if (r == 0 && (st.mode & LINUX_S_IFMT) != LINUX_S_IFDIR) r = -LINUX_ENOTDIR;
    }
    if (r == 0) r = m->type->rename ? m->type->rename(m, from->rel, to->rel, flags) : PX_VFS_MISSING(rename);
    px_free(from);
    return r;
}

/* rename(2) */
PX_SYSCALL(rename)
{
    uint64_t oldpath = PX_ARG0;
    uint64_t newpath = PX_ARG1;
    return rename_at(LINUX_AT_FDCWD, oldpath, LINUX_AT_FDCWD, newpath, 0);
}

/* renameat(2) */
PX_SYSCALL(renameat)
{
    int olddirfd = (int)PX_ARG0;
    uint64_t oldpath = PX_ARG1;
    int newdirfd = (int)PX_ARG2;
    uint64_t newpath = PX_ARG3;
    return rename_at(olddirfd, oldpath, newdirfd, newpath, 0);
}

/* renameat2(2): RENAME_NOREPLACE, RENAME_EXCHANGE */
PX_SYSCALL(renameat2)
{
    int olddirfd = (int)PX_ARG0;
    uint64_t oldpath = PX_ARG1;
    int newdirfd = (int)PX_ARG2;
    uint64_t newpath = PX_ARG3;
    uint32_t flags = (uint32_t)PX_ARG4;
    return rename_at(olddirfd, oldpath, newdirfd, newpath, flags);
}
