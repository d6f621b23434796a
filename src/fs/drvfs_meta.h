/* Linux metadata on drvfs (a --root Windows directory), as WSL's DrvFs keeps it with its
   `metadata` option: a file's mode (all 12 bits and its type: FIFOs and device nodes
   are empty Windows files with a stored type), owner and device number, and the
   nanoseconds of times utimensat set (Windows keeps 100 ns).

   Where they live: on a volume with extended attributes (NTFS), mode, owner and device
   are WSL's own $LX* EAs (host_ea.h); elsewhere (Wine) and for the nanoseconds, a log of
   picolx's own in its home (drvfs_meta_store.h), keyed by the file's volume and index
   (under Wine the inode), so renames and hard links keep them. An index outlives its
   file: one deleted behind picolx's back (natively, under Wine) may come back as another
   file's. So a file with a record in the store also carries a marker, the hidden
   attribute (Wine keeps it in the user.DOSATTRIB xattr, which a new file does not
   have), and a record whose file has lost it is another file's. A file with nothing
   stored keeps drvfs's defaults (stat.c: the session's ids, 0644/0755). */
#ifndef PX_FS_DRVFS_META_H
#define PX_FS_DRVFS_META_H

#include "fs/drvfs_meta_store.h"
#include "fs/fs_internal.h"
#include "fs/vfs.h"
#include "host/host.h"

/* The owner of a file with none stored: the ids the session started with (the guest's
   first process's, PICOLX_UID/PICOLX_GID applied), so a user a process setuid()s to does
   not own everything. */
void px_drvfs_meta_default_owner(uint32_t *uid, uint32_t *gid);
/* Whether any file may have metadata (an EA volume, or a non-empty store): the callers
   skip the lookups (a query of a handle's index) when none can. h (may be NULL): a file
   of the root, to learn whether its volume keeps EAs. */
bool px_drvfs_meta_in_use(px_host_handle h);
/* Until a file was looked at, whether the volume keeps EAs is not known: the stat memo,
   which has no EAs, is for volumes known to have none. */
bool px_drvfs_meta_maybe_ea_volume(void);
/* The stored metadata of a file (h: an open handle of it, or NULL: the store only). */
bool px_drvfs_meta_of(px_host_handle h, uint64_t dev, uint64_t ino, dm_meta *out);
/* Puts m over the defaults in st (a the host's facts of the file: the nanoseconds hold
   only while the host's times are the ones they were stored with). */
void px_drvfs_meta_apply(px_stat_info *st, const px_nt_attrs *a, const dm_meta *m);
/* The same from the store by (st->dev, st->ino): stat's by-name answers (memo, cache). */
void px_drvfs_meta_overlay(px_stat_info *st, const px_nt_attrs *a);

/* A stat of a file with no mode stored reads its first bytes for the exec bit (stat.c),
   which may move its access time (put back, which moves the change time, so the next
   stat would read again, for ever): the answer is kept, valid while the file keeps its
   write time and size (its content). */
bool px_drvfs_meta_sniff_known(const dm_meta *m, const px_nt_attrs *a, bool *program);
void px_drvfs_meta_sniffed(uint64_t dev, uint64_t ino, const px_nt_attrs *a, bool program);

/* The operations: st is the file's stat now (its identity, mode and owner), h an open
   handle of it or NULL, host_path its Windows path or NULL (one of them given). */
int64_t px_drvfs_meta_chmod(px_host_handle h, const wchar_t *host_path, const px_stat_info *st, uint32_t mode);
int64_t px_drvfs_meta_chown(px_host_handle h, const wchar_t *host_path, const px_stat_info *st, uint32_t uid,
                            uint32_t gid);
/* After utimensat set the host's times of h: keeps the nanoseconds Windows drops. */
void px_drvfs_meta_times_set(px_host_handle h, const struct linux_timespec times[2]);
/* A file picolx just made (open O_CREAT, mkdir): mode with its type, umask applied. */
void px_drvfs_meta_created(px_host_handle h, uint32_t mode);
/* Only what identifies rel's file (dev, ino, nlink, and S_IFDIR or S_IFREG), without
   reading it: for the name operations. 0 or -LINUX_Exxx. */
int64_t px_drvfs_meta_identity(px_mount *m, const char *rel, px_stat_info *st);
/* The file of st loses a name (unlink, rmdir, rename over it). */
void px_drvfs_meta_unlinked(const px_stat_info *st);
/* An open of an existing drvfs file (f: its nt file): the permission check for users
   other than root on stored bits, and FIFOs and device nodes, which open as such (*out
   then takes f over). 0: open f as it is; 1: *out is the special file; or -LINUX_Exxx
   (f taken over: released). */
int64_t px_drvfs_meta_open(px_file *f, uint32_t flags, px_file **out);
/* For users other than root: may they add or remove names in rel's directory (write and
   search bits stored for it)? 0 or -LINUX_EACCES. Root, and a tree with nothing stored, may. */
int64_t px_drvfs_meta_may_change_dir(px_mount *m, const char *rel);
/* drvfs's open and mkdir: file_nt.c's px_nt_open and px_nt_mkdir with the metadata
   steps around them (a new file's mode, the directory's bits for users other than root,
   FIFOs and device nodes). */
int64_t px_drvfs_open(px_mount *m, const char *rel, uint32_t flags, uint32_t mode, px_file **out);
int64_t px_drvfs_mkdir(px_mount *m, const char *rel, uint32_t mode);
/* mknod(2) on drvfs: an empty Windows file with the node's type. */
int64_t px_drvfs_mknod(px_mount *m, const char *rel, uint32_t mode, uint64_t dev);

#endif
