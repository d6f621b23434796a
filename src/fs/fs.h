/* What the rest of the runtime uses from the file-system layer. */
#ifndef PX_FS_FS_H
#define PX_FS_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

/* Sets up the root (a Windows directory, UTF-8), the guest's cwd (a guest path) and
   fds 0, 1, 2 from the process's standard handles. Returns 0 or -LINUX_Exxx. */
int64_t px_fs_init(const char *root, const char *cwd);

/* Resolves a guest path (relative to dirfd, or LINUX_AT_FDCWD) to a Windows path
   (\\?\-prefixed, NUL-terminated, free with px_free). Returns 0 or -LINUX_Exxx. */
int64_t px_fs_host_path(int dirfd, const char *guest_path, wchar_t **out);
/* Whether the caller may execute guest_path (followed) as execve asks: 0 or -LINUX_EACCES
   (no x bit for it: root needs one of the three), or the lookup's error. */
int64_t px_fs_may_exec(const char *guest_path);
/* The ids that own drvfs files with no owner stored (drvfs_meta.h): the session's first
   ones, set by the tasks layer when it makes the first cred. */
void px_fs_set_default_owner(uint32_t uid, uint32_t gid);

/* The fd table object (fd.c): shared by CLONE_FILES (take), copied otherwise (copy: the
   same open file descriptions, one more reference each). drop closes every fd when the
   last task lets go. Its contents travel to a new process with px_fd_handoff_export. */
struct px_fdtable;
struct px_fdtable *px_fdtable_new(void);
struct px_fdtable *px_fdtable_take(struct px_fdtable *t);
void px_fdtable_drop(struct px_fdtable *t);
struct px_fdtable *px_fdtable_copy(struct px_fdtable *from);

/* The fs context object (path.c): root, cwd, umask; shared by CLONE_FS, copied
   otherwise. A new one has root and cwd "/", umask 022. */
struct px_fs_context;
struct px_fs_context *px_fs_context_new(void);
struct px_fs_context *px_fs_context_take(struct px_fs_context *c);
void px_fs_context_drop(struct px_fs_context *c);
struct px_fs_context *px_fs_context_copy(struct px_fs_context *from);
/* umask(2) of the calling task's context: the mask, and setting it (& 0777; returns the old). */
uint32_t px_fs_umask(void);
uint32_t px_fs_set_umask(uint32_t mask);

/* execve: closes every fd marked close-on-exec. */
void px_fd_close_on_exec(void);

/* The process is ending: drops every advisory lock it holds in the table picolx
   processes share (src/fs/lock.c), so that waiters need not find out it died. */
void px_lock_release_process(void);
/* The Linux pid F_GETLK reports for this process's POSIX locks (the process table sets it). */
void px_lock_set_pid(int32_t pid);
/* Ends the stat prefetch workers (stat_prefetch.c) before the process exits. */
void px_stat_prefetch_stop(void);

/* Reads from fd at offset without moving its file position (private file mappings). */
int64_t px_fs_pread(int fd, void *buf, uint64_t len, uint64_t offset);

/* What mmap needs to know of fd: its O_ACCMODE bits (LINUX_O_RDONLY, _WRONLY, _RDWR),
   plus PX_FS_FD_MAPPABLE when its contents can be mapped (a regular file: not a pipe,
   console, device or directory). -LINUX_EBADF for a closed fd or an O_PATH one. */
#define PX_FS_FD_MAPPABLE 0x100
int64_t px_fs_fd_access(int fd);
/* fcntl F_GET_SEALS (add unused) and F_ADD_SEALS of fd (memfd.c): the seals, 0, or -LINUX_Exxx */
int64_t px_fs_seals(int fd, int cmd, uint32_t add);
/* fcntl F_NOTIFY (dnotify_syscalls.c): SIGIO when the directory fd changes. 0 or -LINUX_Exxx */
int64_t px_fs_dnotify(int fd, uint32_t arg);
/* The seals of fd (a memfd's F_SEAL_* bits; 0 for every other file or a bad fd): mmap
   refuses a writable MAP_SHARED mapping of a file sealed against writes. */
int64_t px_fs_fd_seals(int fd);

/* For coherent MAP_SHARED mappings: a duplicate (close it with CloseHandle) of the Windows
   handle of the disk file holding fd's data, when fd is a drvfs or lxfs regular file;
   NULL otherwise. *writable: fd is open O_RDWR (a writable section may be made). */
void *px_fs_fd_disk_handle(int fd, bool *writable);

/* The guest path of fd's file into buf (for /proc/self/maps): its length, -LINUX_ENOENT
   for a file with no name (pipe, console), -LINUX_EBADF, -LINUX_ENAMETOOLONG. */
int64_t px_fs_fd_path(int fd, char *buf, size_t size);

/* The guest path of the cwd that a Windows directory corresponds to, if it is inside
   the root (e.g. Z:\work with root Z:\ -> "/work"); NULL otherwise. Free with px_free. */
char *px_fs_guest_path_of_host(const wchar_t *host_dir);

#endif
