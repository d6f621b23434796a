/* Pseudo-terminals (pty.c): devfs opens /dev/ptmx and /dev/pts/N through these. */
#ifndef PX_FS_PTY_H
#define PX_FS_PTY_H

#include "fs/fs_internal.h"

/* pts/1 .. pts/PX_PTY_MAX (pts/0 is the Windows console's, devfs's minor byte the rest) */
#define PX_PTY_MAX 255

/* A new master at the lowest free number: 0 and *out, or -LINUX_ENOSPC, -LINUX_ENOMEM.
   master_st is its fstat; slave_stat fills what its slave's fstat will say (as devfs
   answers stat of /dev/pts/N). */
int64_t px_pty_open_master(uint32_t flags, const px_stat_info *master_st,
                           void (*slave_stat)(int index, px_stat_info *st, void *ctx), void *ctx, px_file **out);
/* The slave of pty index: -LINUX_ENOENT (no such pty), -LINUX_EIO (locked: unlockpt),
   -LINUX_ENXIO (its ends are not in this process). */
int64_t px_pty_open_slave(int index, uint32_t flags, const px_stat_info *st, px_file **out);
bool px_pty_exists(int index);
/* The number of a pty's file, or -1 for any other file. */
int px_pty_index_of(px_file *f);

extern const struct px_file_handoff px_pty_handoff;

/* What a pty needs of the task layer for job control, which sets it once at start: the
   caller's pid, process group and session (0s: none), and a signal to a process group
   (ISIG's characters, SIGWINCH). */
typedef struct px_pty_jobs {
    void (*who)(int32_t *pid, int32_t *pgid, int32_t *sid);
    void (*signal_group)(int32_t pgid, int sig);
} px_pty_jobs;
void px_pty_set_jobs(const px_pty_jobs *jobs);
extern const px_pty_jobs px_pty_task_jobs; /* fs/io_syscalls.c, beside the console's job ioctls */

#endif
