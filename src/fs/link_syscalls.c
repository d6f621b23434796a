/* The syscalls that make names for files: link(at), symlink(at), mknod(at). Each resolves
   through the VFS and calls the mount type's operation (drvfs: hard links yes, symlinks
   and FIFOs no: EPERM). */
#include "fs/vfs.h"
#include "kernel/identity.h"

static int64_t link_at(int olddirfd, uint64_t guest_old, int newdirfd, uint64_t guest_new, uint32_t flags)
{
    if (flags & ~(uint32_t)(LINUX_AT_SYMLINK_FOLLOW | LINUX_AT_EMPTY_PATH)) return -LINUX_EINVAL;
    px_vfs_path *from = px_alloc(2 * sizeof *from + 2 * PX_PATH_MAX);
    if (!from) return -LINUX_ENOMEM;
    px_vfs_path *to = from + 1;
    char *oldpath = (char *)(to + 1), *newpath = oldpath + PX_PATH_MAX;
    int resolve = (flags & LINUX_AT_SYMLINK_FOLLOW) ? PX_VFS_FOLLOW : 0;
    if (flags & LINUX_AT_EMPTY_PATH) resolve |= PX_VFS_EMPTY_OK;
    int64_t r = px_path_in(oldpath, guest_old);
    if (r == 0) r = px_path_in(newpath, guest_new);
    if (r == 0) r = px_vfs_resolve(olddirfd, oldpath, resolve, from);
    if (r == 0) r = px_vfs_resolve(newdirfd, newpath, 0, to);
    px_mount *m = r == 0 ? from->mount : NULL;
    if (r == 0 && to->mount != m) r = -LINUX_EXDEV;
    if (r == 0 && from->must_be_dir) {
        px_stat_info st;
        r = px_vfs_stat(from, &st);
        if (r == 0) r = -LINUX_EPERM; /* a directory */
    }
    if (r == 0 && to->must_be_dir) r = -LINUX_ENOENT; /* "new/" names a directory that would be made */
    if (r == 0) r = m->type->link ? m->type->link(m, from->rel, to->rel) : PX_VFS_MISSING(link);
    px_free(from);
    return r;
}

/* link(2) */
PX_SYSCALL(link)
{
    uint64_t oldpath = PX_ARG0;
    uint64_t newpath = PX_ARG1;
    return link_at(LINUX_AT_FDCWD, oldpath, LINUX_AT_FDCWD, newpath, 0);
}

/* linkat(2) */
PX_SYSCALL(linkat)
{
    int olddirfd = (int)PX_ARG0;
    uint64_t oldpath = PX_ARG1;
    int newdirfd = (int)PX_ARG2;
    uint64_t newpath = PX_ARG3;
    uint32_t flags = (uint32_t)PX_ARG4;
    return link_at(olddirfd, oldpath, newdirfd, newpath, flags);
}

static int64_t symlink_at(uint64_t guest_target, int newdirfd, uint64_t guest_linkpath)
{
    px_vfs_path *vp = px_alloc(sizeof *vp + 2 * PX_PATH_MAX);
    if (!vp) return -LINUX_ENOMEM;
    char *target = (char *)(vp + 1), *linkpath = target + PX_PATH_MAX;
    int64_t r = px_path_in(target, guest_target);
    if (r == 0 && !target[0]) r = -LINUX_ENOENT;
    if (r == 0) r = px_path_in(linkpath, guest_linkpath);
    if (r == 0) r = px_vfs_resolve(newdirfd, linkpath, 0, vp);
    if (r == 0 && vp->must_be_dir) {
        px_stat_info st;
        r = vp->mount->type->stat && vp->mount->type->stat(vp->mount, vp->rel, &st) == 0 ? -LINUX_EEXIST : -LINUX_ENOENT;
    }
    if (r == 0) {
        px_mount *m = vp->mount;
        r = m->type->symlink ? m->type->symlink(m, target, vp->rel) : PX_VFS_MISSING(symlink);
    }
    px_free(vp);
    return r;
}

/* symlink(2) */
PX_SYSCALL(symlink)
{
    uint64_t target = PX_ARG0;
    uint64_t linkpath = PX_ARG1;
    return symlink_at(target, LINUX_AT_FDCWD, linkpath);
}

/* symlinkat(2) */
PX_SYSCALL(symlinkat)
{
    uint64_t target = PX_ARG0;
    int newdirfd = (int)PX_ARG1;
    uint64_t linkpath = PX_ARG2;
    return symlink_at(target, newdirfd, linkpath);
}

static int64_t mknod_at(int dirfd, uint64_t guest_path, uint32_t mode, uint64_t dev)
{
    char path[PX_PATH_MAX];
    int64_t r = px_path_in(path, guest_path);
    if (r < 0) return r;
    uint32_t type = mode & LINUX_S_IFMT;
    if (type == 0) type = LINUX_S_IFREG; /* as Linux: no type means a regular file */
    switch (type) {
    case LINUX_S_IFREG: {
        /* an empty regular file, made by every type that can create files */
        px_file *f;
        r = px_vfs_open(dirfd, path, LINUX_O_CREAT | LINUX_O_EXCL | LINUX_O_WRONLY, mode & 07777, &f);
        if (r == -LINUX_EISDIR) r = -LINUX_EEXIST;
        if (r == 0) px_file_unref(f);
        return r;
    }
    case LINUX_S_IFCHR:
    case LINUX_S_IFBLK:
        if (px_identity_uid() != 0) return -LINUX_EPERM; /* CAP_MKNOD */
        break;
    case LINUX_S_IFIFO:
    case LINUX_S_IFSOCK:
        break;
    case LINUX_S_IFDIR: return -LINUX_EPERM;
    default: return -LINUX_EINVAL;
    }
    return px_vfs_mknod(dirfd, path, type | (mode & 07777), dev);
}

int64_t px_vfs_mknod(int dirfd, const char *path, uint32_t mode, uint64_t dev)
{
    px_vfs_path *vp = px_alloc(sizeof *vp);
    if (!vp) return -LINUX_ENOMEM;
    int64_t r = px_vfs_resolve(dirfd, path, 0, vp);
    if (r == 0) {
        px_mount *m = vp->mount;
        uint32_t perms = mode & 07777 & ~px_identity_umask();
        r = m->type->mknod ? m->type->mknod(m, vp->rel, (mode & LINUX_S_IFMT) | perms, dev) : PX_VFS_MISSING(mknod);
    }
    px_free(vp);
    return r;
}

/* mknod(2) */
PX_SYSCALL(mknod)
{
    uint64_t path = PX_ARG0;
    uint32_t mode = (uint32_t)PX_ARG1;
    uint64_t dev = (uint32_t)PX_ARG2;
    return mknod_at(LINUX_AT_FDCWD, path, mode, dev);
}

/* mknodat(2) */
PX_SYSCALL(mknodat)
{
    int dirfd = (int)PX_ARG0;
    uint64_t path = PX_ARG1;
    uint32_t mode = (uint32_t)PX_ARG2;
    uint64_t dev = (uint32_t)PX_ARG3;
    return mknod_at(dirfd, path, mode, dev);
}
