/* The VFS: a mount table of file systems, each a type with path operations, and the path
   resolution that walks mounts and symlinks. Handlers (src/fs/*_syscalls.c) resolve a guest
   path to a (mount, path inside it) and call the mount type's operation; open files then
   go through their px_file ops (fs_internal.h).

   Types (one file or folder each):
     drvfs  a Windows directory as it is (file_nt.c, dir.c, stat.c): Linux metadata defaulted
     lxfs   an installed distro: Linux metadata kept in a store beside the files (src/fs/lxfs/)
     proc, devfs, sysfs, tmpfs  synthetic or in-memory (src/fs/pseudo/)
*/
#ifndef PX_FS_VFS_H
#define PX_FS_VFS_H

#include <stdbool.h>
#include <stdint.h>
#include <wchar.h>
#include "fs/fs_internal.h"

struct linux_statfs; /* abi/linux_types.h */

typedef struct px_mount px_mount;

/* Operations of a file system type. `rel` is a path inside the mount: "" for its root,
   else "a/b" (no leading or trailing '/', no "." or ".." components, symlinks in the
   directories leading to it already resolved by the VFS). None of them follows a
   symlink in the last component: the VFS does that through readlink. An operation left
   NULL gives the errno Linux gives for a file system without it (EPERM for link/symlink,
   EOPNOTSUPP for xattrs, ...; see vfs.c). Every result is 0 (or a count) or -LINUX_Exxx. */
typedef struct px_fs_type {
    const char *name;          /* as /proc/mounts shows it: "drvfs", "lxfs", "proc", ... */
    bool has_symlinks;         /* the VFS asks readlink for each component it walks */

    int64_t (*open)(px_mount *m, const char *rel, uint32_t flags, uint32_t mode, px_file **out);
    int64_t (*stat)(px_mount *m, const char *rel, px_stat_info *st);
    int64_t (*readlink)(px_mount *m, const char *rel, char *buf, uint64_t size); /* -EINVAL: not a symlink */
    int64_t (*access)(px_mount *m, const char *rel, int mode);
    int64_t (*mkdir)(px_mount *m, const char *rel, uint32_t mode);
    int64_t (*mknod)(px_mount *m, const char *rel, uint32_t mode, uint64_t dev);
    int64_t (*unlink)(px_mount *m, const char *rel);
    int64_t (*rmdir)(px_mount *m, const char *rel);
    /* Both names in this mount (the VFS gives EXDEV across mounts); flags: RENAME_NOREPLACE,
       RENAME_EXCHANGE as renameat2. */
    int64_t (*rename)(px_mount *m, const char *from, const char *to, uint32_t flags);
    int64_t (*link)(px_mount *m, const char *existing, const char *new_rel);
    int64_t (*symlink)(px_mount *m, const char *target, const char *rel);
    int64_t (*chmod)(px_mount *m, const char *rel, uint32_t mode);
    int64_t (*chown)(px_mount *m, const char *rel, uint32_t uid, uint32_t gid); /* (uint32_t)-1: keep */
    int64_t (*utimens)(px_mount *m, const char *rel, const struct linux_timespec times[2]); /* UTIME_NOW replaced by the time now; UTIME_OMIT kept */
    int64_t (*truncate)(px_mount *m, const char *rel, uint64_t len);
    int64_t (*statfs)(px_mount *m, const char *rel, struct linux_statfs *out);
    int64_t (*getxattr)(px_mount *m, const char *rel, const char *name, void *value, uint64_t size);
    int64_t (*setxattr)(px_mount *m, const char *rel, const char *name, const void *value, uint64_t size, int flags);
    int64_t (*listxattr)(px_mount *m, const char *rel, char *list, uint64_t size);
    int64_t (*removexattr)(px_mount *m, const char *rel, const char *name);
} px_fs_type;

struct px_mount {
    const px_fs_type *type;
    char *point;         /* the guest mount point: "/" or "/proc" (normalised, absolute) */
    size_t point_len;
    char *source;        /* for /proc/mounts: the Windows directory, or the type's name */
    uint64_t dev;        /* st_dev of everything in it */
    void *data;          /* the instance: a host root, a store, a tree in memory */
};

/* Mounts an instance at point (an absolute guest path; "/" first). Later mounts cover
   earlier ones below their point. Returns 0 or -LINUX_Exxx. */
int64_t px_vfs_mount(const char *point, const px_fs_type *type, const char *source, void *data);
/* The mounts, oldest first, for /proc/mounts: i from 0 until NULL. */
const px_mount *px_vfs_mount_at(int i);

/* The result of resolving a path. */
typedef struct px_vfs_path {
    px_mount *mount;
    char abs[PX_PATH_MAX];   /* the normalised absolute guest path, symlinks resolved */
    const char *rel;         /* points into abs: the path inside mount */
    bool must_be_dir;        /* the path ended with '/' */
} px_vfs_path;

/* Resolution flags */
#define PX_VFS_FOLLOW 0x1      /* follow a symlink in the last component */
#define PX_VFS_EMPTY_OK 0x2    /* AT_EMPTY_PATH: "" names dirfd itself */

/* Resolves path against dirfd (LINUX_AT_FDCWD: the cwd) through mounts and symlinks
   (ELOOP after 40, ENOTDIR, ENAMETOOLONG as Linux). The last component need not exist. */
int64_t px_vfs_resolve(int dirfd, const char *path, int flags, px_vfs_path *out);

#endif
