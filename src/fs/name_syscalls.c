/* The syscalls on names: getcwd, chdir, fchdir, access and faccessat(2), readlink,
   mkdir(at), unlink(at), rmdir, rename(at). */
#include "fs/fs_internal.h"
#include "kernel/identity.h"

/* getcwd(2) */
PX_SYSCALL(getcwd)
{
    char *buf = (char *)(uintptr_t)PX_ARG0;
    uint64_t size = PX_ARG1;
    const char *cwd = px_fs_cwd();
    uint64_t len = strlen(cwd) + 1;
    if (size < len) return -LINUX_ERANGE;
    if (!buf) return -LINUX_EFAULT;
    memcpy(buf, cwd, len);
    return (int64_t)len;
}

static int64_t change_dir(const char *abs)
{
    px_stat_info st;
    int64_t r = px_nt_stat_path(abs, true, &st);
    if (r < 0) return r;
    px_fs_set_cwd(abs);
    return 0;
}

/* chdir(2) */
PX_SYSCALL(chdir)
{
    const char *path = (const char *)(uintptr_t)PX_ARG0;
    char abs[PX_PATH_MAX];
    int64_t r = px_fs_resolve(LINUX_AT_FDCWD, path, abs, NULL);
    if (r < 0) return r;
    return change_dir(abs);
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
        r = 0;
    }
    px_file_unref(f);
    return r;
}

static int64_t access_at(int dirfd, const char *path, int mode, uint32_t flags)
{
    if (mode & ~(LINUX_R_OK | LINUX_W_OK | LINUX_X_OK)) return -LINUX_EINVAL;
    if (flags & ~(uint32_t)(LINUX_AT_EACCESS | LINUX_AT_SYMLINK_NOFOLLOW | LINUX_AT_EMPTY_PATH)) return -LINUX_EINVAL;
    if (!path) return -LINUX_EFAULT;
    char abs[PX_PATH_MAX];
    bool must_be_dir = false;
    int64_t r;
    if (!path[0] && (flags & LINUX_AT_EMPTY_PATH)) {
        if (dirfd == LINUX_AT_FDCWD) {
            strcpy(abs, px_fs_cwd());
        } else {
            px_file *f = px_fd_get(dirfd);
            if (!f) return -LINUX_EBADF;
            r = f->guest_path ? 0 : -LINUX_EINVAL; /* pipes and consoles: no name to check */
            if (r == 0) strcpy(abs, f->guest_path);
            px_file_unref(f);
            if (r < 0) return r;
        }
    } else {
        r = px_fs_resolve(dirfd, path, abs, &must_be_dir);
        if (r < 0) return r;
    }
    return px_nt_access(abs, must_be_dir, mode);
}

/* access(2) */
PX_SYSCALL(access)
{
    const char *path = (const char *)(uintptr_t)PX_ARG0;
    int mode = (int)PX_ARG1;
    return access_at(LINUX_AT_FDCWD, path, mode, 0);
}

/* faccessat(2): the kernel call has no flags argument */
PX_SYSCALL(faccessat)
{
    int dirfd = (int)PX_ARG0;
    const char *path = (const char *)(uintptr_t)PX_ARG1;
    int mode = (int)PX_ARG2;
    return access_at(dirfd, path, mode, 0);
}

/* faccessat2(2) */
PX_SYSCALL(faccessat2)
{
    int dirfd = (int)PX_ARG0;
    const char *path = (const char *)(uintptr_t)PX_ARG1;
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

/* readlink(2): /proc/self/exe; there are no symlinks under the root yet (next issue) */
PX_SYSCALL(readlink)
{
    const char *path = (const char *)(uintptr_t)PX_ARG0;
    char *buf = (char *)(uintptr_t)PX_ARG1;
    int64_t size = (int32_t)PX_ARG2;
    if (size <= 0) return -LINUX_EINVAL;
    char abs[PX_PATH_MAX];
    bool must_be_dir;
    int64_t r = px_fs_resolve(LINUX_AT_FDCWD, path, abs, &must_be_dir);
    if (r < 0) return r;
    if (names_own_exe(abs) && px_cfg.exe_path) {
        if (!buf) return -LINUX_EFAULT;
        size_t n = strlen(px_cfg.exe_path);
        if ((int64_t)n > size) n = (size_t)size; /* truncated, without a NUL, as Linux does */
        memcpy(buf, px_cfg.exe_path, n);
        return (int64_t)n;
    }
    px_stat_info st;
    r = px_nt_stat_path(abs, must_be_dir, &st);
    return r < 0 ? r : -LINUX_EINVAL; /* it exists and is not a symlink */
}

static int64_t mkdir_at(int dirfd, const char *path, uint32_t mode)
{
    char abs[PX_PATH_MAX];
    int64_t r = px_fs_resolve(dirfd, path, abs, NULL);
    if (r < 0) return r;
    /* the mode (after px_identity_umask()) is not kept: Windows has no place for it, and
       stat reports 0755 for every directory */
    return px_nt_mkdir(abs, mode & ~px_identity_umask());
}

/* mkdir(2) */
PX_SYSCALL(mkdir)
{
    const char *path = (const char *)(uintptr_t)PX_ARG0;
    uint32_t mode = (uint32_t)PX_ARG1;
    return mkdir_at(LINUX_AT_FDCWD, path, mode);
}

/* mkdirat(2) */
PX_SYSCALL(mkdirat)
{
    int dirfd = (int)PX_ARG0;
    const char *path = (const char *)(uintptr_t)PX_ARG1;
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

static int64_t remove_at(int dirfd, const char *path, bool remove_dir)
{
    if (!path) return -LINUX_EFAULT;
    char abs[PX_PATH_MAX];
    bool must_be_dir;
    int64_t r = px_fs_resolve(dirfd, path, abs, &must_be_dir);
    if (r < 0) return r;
    if (remove_dir) {
        r = check_rmdir_name(path);
        if (r < 0) return r;
    }
    return px_nt_unlink(abs, must_be_dir, remove_dir);
}

/* unlink(2) */
PX_SYSCALL(unlink)
{
    const char *path = (const char *)(uintptr_t)PX_ARG0;
    return remove_at(LINUX_AT_FDCWD, path, false);
}

/* rmdir(2) */
PX_SYSCALL(rmdir)
{
    const char *path = (const char *)(uintptr_t)PX_ARG0;
    return remove_at(LINUX_AT_FDCWD, path, true);
}

/* unlinkat(2) */
PX_SYSCALL(unlinkat)
{
    int dirfd = (int)PX_ARG0;
    const char *path = (const char *)(uintptr_t)PX_ARG1;
    uint32_t flags = (uint32_t)PX_ARG2;
    if (flags & ~(uint32_t)LINUX_AT_REMOVEDIR) return -LINUX_EINVAL;
    return remove_at(dirfd, path, (flags & LINUX_AT_REMOVEDIR) != 0);
}

static int64_t rename_at(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
    if (!oldpath || !newpath) return -LINUX_EFAULT;
    char from[PX_PATH_MAX], to[PX_PATH_MAX];
    bool from_dir, to_dir;
    int64_t r = px_fs_resolve(olddirfd, oldpath, from, &from_dir);
    if (r < 0) return r;
    r = px_fs_resolve(newdirfd, newpath, to, &to_dir);
    if (r < 0) return r;
    return px_nt_rename(from, from_dir, to, to_dir);
}

/* rename(2) */
PX_SYSCALL(rename)
{
    const char *oldpath = (const char *)(uintptr_t)PX_ARG0;
    const char *newpath = (const char *)(uintptr_t)PX_ARG1;
    return rename_at(LINUX_AT_FDCWD, oldpath, LINUX_AT_FDCWD, newpath);
}

/* renameat(2) */
PX_SYSCALL(renameat)
{
    int olddirfd = (int)PX_ARG0;
    const char *oldpath = (const char *)(uintptr_t)PX_ARG1;
    int newdirfd = (int)PX_ARG2;
    const char *newpath = (const char *)(uintptr_t)PX_ARG3;
    return rename_at(olddirfd, oldpath, newdirfd, newpath);
}
