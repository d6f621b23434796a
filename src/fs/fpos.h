/* Shared file positions (fpos.c): an open file description that lives in several picolx
   processes at once (after fork, or while an execve's new process takes it over) must
   have one position, as on Linux: `{ cmd1; cmd2; } > out` writes both outputs one after
   the other. Such a description's position is kept in a slot of a table that every
   process of the tree maps; each process loads it when a syscall takes the file
   (px_fd_get) and stores it back when the syscall lets go of it (px_file_unref). */
#ifndef PX_FS_FPOS_H
#define PX_FS_FPOS_H

#include <stdint.h>
#include "fs/fs_internal.h"

/* Before f goes to another process: its position moves to a slot (if not yet) and the
   slot gets a reference for the other process. The slot number for the record (1-based),
   or 0 when there is no table (f's position then stays private: a warning-free fallback
   that is Linux's behaviour for a description not shared). */
uint32_t px_fpos_share(px_file *f);
/* Makes the table if there is none yet (fork calls it before it first starts a process,
   so that every later process inherits the table). */
void px_fpos_prepare(void);
/* In the other process: f's position is slot's (the reference the sender took is f's). */
void px_fpos_adopt(px_file *f, uint32_t slot);
/* The calls of fd.c: at a syscall's start (px_fd_get) the position and the F_SETFL flags
   are loaded, and other processes' syscalls on the description wait (Linux's f_pos_lock
   keeps two writes through one description apart); at its end (px_file_unref) they are
   stored and the others go on; px_fpos_release at this process's last close. */
void px_fpos_enter(px_file *f);
void px_fpos_leave(px_file *f);
/* The processes that hold the description still (0: it is gone everywhere). */
int32_t px_fpos_release(px_file *f);

#endif
