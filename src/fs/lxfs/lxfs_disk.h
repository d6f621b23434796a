/* The lxfs store on disk (a Windows directory): the log file and the data files, shared
   safely by every picolx process of the distro (see lxstore.h for the layout). */
#ifndef PX_FS_LXFS_DISK_H
#define PX_FS_LXFS_DISK_H

#include <stdbool.h>
#include <stdint.h>
#include <wchar.h>
#include "fs/lxfs/lxstore.h"

typedef struct lx_disk {
    lx_store st;
    wchar_t *dir;          /* \\?\-prefixed store directory, no trailing '\' */
    void *log;             /* HANDLE of lxfs.log */
    uint64_t log_end;      /* how much of it st has applied */
    void *lock;            /* SRWLOCK: threads of this process */
    uint64_t dev;
    bool tmpfs_sizes;      /* a tmpfs's store: directories' sizes as tmpfs has them */
} lx_disk;

/* Opens a store: replays its log (cutting a torn tail off), deletes data files no inode
   owns, compacts the log when it is much longer than the state. dir is a Windows path
   (UTF-16, any form). 0 or -LINUX_Exxx. */
int64_t lx_disk_open(const wchar_t *dir, lx_disk **out);
void lx_disk_close(lx_disk *d);
/* Brackets every use of d->st: takes the process's and the other processes' lock and
   applies what other processes appended meanwhile. Changes made inside go to the log. */
int64_t lx_disk_begin(lx_disk *d);
void lx_disk_end(lx_disk *d);
/* The data file of a regular file's inode (px_alloc'd). */
wchar_t *lx_disk_data_path(const lx_disk *d, uint64_t ino);
/* Writes a new store's log from an in-memory state (import): dir\lxfs.log, flushed. */
int64_t lx_disk_write_snapshot(const lx_store *s, const wchar_t *dir);
/* Windows' time as lx_time. */
lx_time lx_time_now(void);

#define LX_LOG_NAME L"lxfs.log"
#define LX_DATA_DIR L"data"

#endif
