/* Pipes the guest makes, as rings in shared memory (pipe_ring.c); pipe.c keeps the
   Windows pipes (the host's standard handles) and answers F_GETPIPE_SZ/F_SETPIPE_SZ
   for both kinds. */
#ifndef PX_FS_PIPE_RING_H
#define PX_FS_PIPE_RING_H

#include "fs/fd_handoff.h"

/* A new pipe: 0 and its two ends (status_flags: O_NONBLOCK, O_DIRECT), or -LINUX_Exxx. */
int64_t px_pipe_ring_create(px_file **read_end, px_file **write_end, uint32_t status_flags);
bool px_pipe_is_ring(const px_file *f);
uint32_t px_pipe_ring_capacity(px_file *f);
/* capacity: a power of two pages, checked by the caller. It, or -LINUX_EBUSY (more bytes
   are held), -LINUX_ENOMEM. */
int64_t px_pipe_ring_set_capacity(px_file *f, uint32_t capacity);

/* tee(2): whether two ends are of one pipe; up to len bytes of in's copied into out,
   leaving them in in: the count, 0 (in is empty, its writers gone), -LINUX_EAGAIN
   (nonblock), -LINUX_EPIPE, or PX_WOULD_BLOCK: wait on in's POLLIN, or on out's POLLOUT
   when *wait_for_room. */
bool px_pipe_ring_same(const px_file *a, const px_file *b);
int64_t px_pipe_ring_tee(px_file *in, px_file *out, uint64_t len, bool nonblock, bool *wait_for_room);

/* The process ends (its files are not closed one by one): its ends leave the counts. */
void px_pipe_ring_process_exit(void);

extern const px_file_handoff px_pipe_ring_handoff;

#endif
