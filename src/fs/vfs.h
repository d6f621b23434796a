/* The VFS: a mount table of file systems, each a type with path operations, and the path
   resolution that walks mounts and symlinks. Handlers (src/fs/..._syscalls.c) resolve a guest
   path to a (mount, path inside it) and call the mount type's operation; open files then
   go through their px_file ops (fs_internal.h).

   Types (one file or folder each):
     drvfs  a Windows directory as it is (drvfs.c over file_nt.c, dir.c, stat.c): Linux
            metadata defaulted
     lxfs   an installed distro: Linux metadata kept in a store beside the files (src/fs/lxfs/)
     proc, devfs, sysfs, tmpfs  synthetic or in-memory (src/fs/pseudo/)
*/
#ifndef PX_FS_VFS_H
#define PX_FS_VFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>
#include "fs/fs_internal.h"

struct linux_statfs; /* abi/linux_types.h */

typedef struct px_mount px_mount;

/* Operations of a file system type. `rel` is a path inside the mount: "" for its root,
   else "a/b" (no leading or trailing '/', no "." or ".." components, symlinks in the
   directories leading to it already resolved by the VFS). None of them follows a
   symlink in the last component: the VFS does that through readlink. A trailing '/' of
   the guest's path is checked by the VFS (ENOTDIR), except for open, which gets
   LINUX_O_DIRECTORY in flags then. An operation left NULL gives the errno listed in
   vfs.c's missing_op_errno (EPERM for link/symlink/mknod/chmod/..., EOPNOTSUPP for
   xattrs, ...). Every result is 0 (or a count) or -LINUX_Exxx.

   The VFS sets f->guest_path and f->mount of a file that open returns (when the type
   left them NULL), and invalidates nothing: a type keeps its own caches coherent. */
typedef struct px_fs_type {
    const char *name;          /* as /proc/mounts shows it: "drvfs", "lxfs", "proc", ... */
    bool has_symlinks;         /* the VFS asks readlink for each component it walks */
    /* Symlinks that one query of a whole path can rule out (drvfs link files): the VFS
       walks such a mount lexically and asks find_link once for the path so far, before
       "..", before another mount and at the end, rather than readlink per component. */
    bool link_files;
    uint64_t magic;            /* f_type of statfs when the type has no statfs op */

    int64_t (*open)(px_mount *m, const char *rel, uint32_t flags, uint32_t mode, px_file **out);
    int64_t (*stat)(px_mount *m, const char *rel, px_stat_info *st);
    int64_t (*readlink)(px_mount *m, const char *rel, char *buf, uint64_t size); /* -EINVAL: not a symlink */
    /* link_files types: 1 and *link_len (the length of rel's shortest prefix that is a
       symlink, a whole number of components), or 0: no component of rel is one. */
    int64_t (*find_link)(px_mount *m, const char *rel, size_t *link_len);
    int64_t (*access)(px_mount *m, const char *rel, int mode);  /* NULL: from stat's mode bits */
    int64_t (*mkdir)(px_mount *m, const char *rel, uint32_t mode); /* mode: umask applied */
    int64_t (*mknod)(px_mount *m, const char *rel, uint32_t mode, uint64_t dev); /* S_IFIFO, S_IFCHR, ... */
    int64_t (*unlink)(px_mount *m, const char *rel);  /* not a directory: EISDIR */
    int64_t (*rmdir)(px_mount *m, const char *rel);   /* only a directory: ENOTDIR */
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
    /* The Windows file behind rel (\\?\-prefixed, px_alloc'd), for the loader and for
       starting programs; NULL: the type has none (synthetic files). */
    int64_t (*host_path)(px_mount *m, const char *rel, wchar_t **out);
    /* Magic links (proc's fd/N): a link that stands for an open file rather than for the
       path readlink shows (a pipe, a console, a deleted file), as Linux's open and stat
       follow them to the file itself. With out NULL: 0 if rel is such a link now, else
       -LINUX_EINVAL (the VFS then follows readlink's text). With out: a referenced
       px_file for an open with these flags, or -LINUX_Exxx. NULL: the type has none. */
    int64_t (*magic_link)(px_mount *m, const char *rel, uint32_t flags, px_file **out);
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
/* The mount at exactly this point, or NULL (e.g. "is /proc mounted?"). */
px_mount *px_vfs_mount_of_point(const char *point);
/* The mount an absolute normalised guest path is in, and the path inside it. */
px_mount *px_vfs_mount_of(const char *abs, const char **rel);

/* The result of resolving a path. */
typedef struct px_vfs_path {
    px_mount *mount;
    char abs[PX_PATH_MAX];   /* the normalised absolute guest path, symlinks resolved */
    const char *rel;         /* points into abs: the path inside mount */
    bool must_be_dir;        /* the path ended with '/' (or '.', '..') */
    bool magic;              /* the last component is a magic link left unfollowed (PX_VFS_MAGIC) */
} px_vfs_path;

/* Resolution flags */
#define PX_VFS_FOLLOW 0x1      /* follow a symlink in the last component */
#define PX_VFS_EMPTY_OK 0x2    /* AT_EMPTY_PATH: "" names dirfd itself (which may be any file with a path) */
#define PX_VFS_MAGIC 0x4       /* with FOLLOW: a magic link as the last component is not followed
                                  but reported (out->magic); px_vfs_open and px_vfs_stat use it */
/* openat2's RESOLVE_* restrictions */
#define PX_VFS_NO_SYMLINKS 0x8    /* a symlink anywhere: ELOOP */
#define PX_VFS_NO_MAGICLINKS 0x10 /* a magic link (proc's fd/N) anywhere: ELOOP */
#define PX_VFS_NO_XDEV 0x20       /* leaving the mount the walk started in: EXDEV */
#define PX_VFS_BENEATH 0x40       /* leaving the starting directory (absolute paths, "..", links): EXDEV */
#define PX_VFS_IN_ROOT 0x80       /* the starting directory is "/" for this walk, as chroot */

/* Resolves path against dirfd (LINUX_AT_FDCWD: the cwd) through mounts and symlinks
   (ELOOP after 40, ENOTDIR, ENAMETOOLONG as Linux). The last component need not exist.
   Absolute paths and ".." stay inside the process root (chroot). */
int64_t px_vfs_resolve(int dirfd, const char *path, int flags, px_vfs_path *out);

/* What handlers use: */
/* stat of a resolved path (the type's stat, then the trailing-slash check). */
int64_t px_vfs_stat(const px_vfs_path *p, px_stat_info *st);
/* open/openat/openat2: resolves (O_NOFOLLOW, O_CREAT|O_EXCL: the last symlink is not
   followed), applies the umask to mode, calls the type's open and names the file. */
int64_t px_vfs_open(int dirfd, const char *path, uint32_t flags, uint32_t mode, px_file **out);
/* mknod's work for a runtime path (a FIFO, a device, a socket node: mode's type and
   permissions, less the umask): 0 or -LINUX_Exxx (EEXIST when the name is taken). */
int64_t px_vfs_mknod(int dirfd, const char *path, uint32_t mode, uint64_t dev);
/* The same with PX_VFS_NO_SYMLINKS .. PX_VFS_IN_ROOT restrictions on the walk (openat2). */
int64_t px_vfs_open_restricted(int dirfd, const char *path, uint32_t flags, uint32_t mode, int restrict_flags,
                               px_file **out);
/* getdents64 of a directory: the type's entries, then the mount points directly inside
   it, once each as directories (a root without /proc still shows "proc"). */
int64_t px_vfs_getdents(px_file *f, void *buf, uint64_t len);
/* The mount and path inside it of an open file (fchmod, fstatfs, ...): -LINUX_EBADF for
   a file with no name (pipes, consoles). */
int64_t px_vfs_path_of_file(px_file *f, px_vfs_path *out);
/* The errno Linux gives for an operation a type lacks (the op's offset in px_fs_type). */
int64_t px_vfs_missing_op(size_t op_offset);
#define PX_VFS_MISSING(op) px_vfs_missing_op(offsetof(px_fs_type, op))

/* The process root (chroot, in the calling task's fs context): a normalised absolute
   guest path, "/" at start, copied into buf: its length or -LINUX_ENAMETOOLONG. */
int64_t px_vfs_root(char *buf, size_t size);
void px_vfs_set_root(const char *abs);
/* The guest-visible form of a global path under the process root ("/" if it is the
   root; the path itself when it is outside, as Linux's getcwd would not be). */
const char *px_vfs_visible(const char *abs);

/* The drvfs type: data is made by px_drvfs_new from a Windows directory (UTF-8). */
extern const px_fs_type px_drvfs_type;
int64_t px_drvfs_new(const char *windows_dir, void **data);

#endif
