/* The pseudo file systems (proc, devfs, sysfs, tmpfs) and what they share: text
   snapshots read with positions, directory listings built at open, stable inode
   numbers, stat defaults. Private to src/fs/pseudo/ except where marked. */
#ifndef PX_FS_PSEUDO_H
#define PX_FS_PSEUDO_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include "fs/vfs.h"

/* --- for the rest of the runtime --- */

/* Mounts proc at /proc, devfs at /dev (with a tmpfs at /dev/shm), sysfs at /sys, and a
   tmpfs at /tmp when the root has no /tmp directory. Called once, after "/" is mounted. */
void px_pseudo_mount_all(void);

/* The loader tells proc where the initial stack is (rsp at entry: argc, argv[], envp[]),
   for /proc/self/cmdline, environ and the arg/env fields of stat. */
void px_proc_note_initial_stack(uint64_t rsp);
/* The rsp it was given (fork hands it to the child), 0 if none. */
uint64_t px_proc_initial_stack(void);

/* Opens the device a character device node names (rdev, Linux's encoding) as /dev
   does: 1:3 null, 1:5 zero, 1:7 full, 1:8 random, 1:9 urandom, 5:0 tty, 5:1 console;
   -LINUX_ENXIO for any other. fstat of the file answers st (the node's own stat);
   guest_path (may be NULL) is the node's path. */
int64_t px_devfs_open_rdev(uint64_t rdev, uint32_t flags, const px_stat_info *st, const char *guest_path,
                           px_file **out);

/* --- inside src/fs/pseudo/ --- */

extern const px_fs_type px_proc_fs_type, px_devfs_type, px_sysfs_type;
extern px_fs_type px_tmpfs_type; /* lxfs's operations, made at the first px_tmpfs_new */

/* A growing text buffer; out of memory is remembered and reported once at the end. */
typedef struct px_text {
    char *data;
    size_t len, cap;
    bool oom;
} px_text;
void px_text_put(px_text *t, const void *s, size_t n);
void px_text_puts(px_text *t, const char *s);
void px_text_printf(px_text *t, const char *fmt, ...) __attribute__((format(gnu_printf, 2, 3)));
void px_text_free(px_text *t);

/* A stable inode number for a name inside a mount (proc, devfs and sysfs have no store). */
uint64_t px_pseudo_ino(const px_mount *m, const char *rel);
/* The guest path of rel in m (px_alloc'd), or NULL. */
char *px_pseudo_guest_path(const px_mount *m, const char *rel);
/* stat defaults for a synthetic node: dev, ino, nlink 1, owner from the identity, times
   of the mount, blksize 1024 (Linux's proc). */
void px_pseudo_stat_init(px_stat_info *st, const px_mount *m, const char *rel, uint32_t mode);
/* The time now as a Linux timespec (CLOCK_REALTIME). */
struct linux_timespec px_pseudo_now(void);

/* The checks every read-only synthetic node makes of the open flags (is_dir: the node is a
   directory). 0 or -LINUX_Exxx. */
int64_t px_pseudo_check_open(uint32_t flags, bool is_dir, bool writable);

/* Opens a snapshot: the file reads (and preads, seeks in) t's bytes, which it takes over. */
int64_t px_pseudo_open_text(px_mount *m, const char *rel, px_text *t, const px_stat_info *st, uint32_t flags,
                            px_file **out);

/* A directory listing made at open; "." and ".." come first by themselves. */
typedef struct px_pseudo_dirent {
    char *name;
    uint64_t ino;
    uint8_t type; /* LINUX_DT_* */
} px_pseudo_dirent;
typedef struct px_pseudo_listing {
    px_pseudo_dirent *items;
    size_t count, cap;
    bool oom;
} px_pseudo_listing;
void px_pseudo_list_add(px_pseudo_listing *l, const char *name, uint64_t ino, uint8_t type);
void px_pseudo_list_free(px_pseudo_listing *l);
/* Opens a directory whose getdents yields l's entries (taken over) after "." and "..". */
int64_t px_pseudo_open_listing(px_mount *m, const char *rel, px_pseudo_listing *l, const px_stat_info *st,
                               uint32_t flags, px_file **out);

/* The same for a directory whose entries change (proc's fd/): refill lists them again
   whenever getdents starts from position 0. */
typedef void px_pseudo_list_fn(px_mount *m, const char *rel, px_pseudo_listing *l);
int64_t px_pseudo_open_refilled_listing(px_mount *m, const char *rel, px_pseudo_listing *l, px_pseudo_list_fn *refill,
                                        const px_stat_info *st, uint32_t flags, px_file **out);

/* readlink's copy: at most size bytes, no NUL, as Linux. */
int64_t px_pseudo_copy_link(const char *target, char *buf, uint64_t size);

/* The mode bits of a DT_* type. */
uint32_t px_pseudo_mode_of_type(uint8_t type);

/* The tmpfs to mount at point (tmpfs.c): the store every picolx process of this root
   mounts there, empty when no other process has it (root_mode: its root's mode bits).
   Call once "/" is mounted. NULL (logged) when it cannot be opened. */
void *px_tmpfs_new(const char *point, uint32_t root_mode);

/* Fills buf from the system's random generator (dev.c). 0 or -LINUX_EIO. */
int64_t px_pseudo_random_bytes(void *buf, uint64_t len);

/* devfs wants to know whether there is a console (tty, console, pts/0). */
bool px_devfs_has_console(void);

/* lseek of a directory whose position is an entry cookie (SEEK_SET, SEEK_CUR): node.c */
int64_t px_pseudo_dir_lseek(px_file *f, int64_t offset, int whence);

#endif
