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

#endif
