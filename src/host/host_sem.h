/* Named semaphores (fs/pipe_ring.c's wake-ups across processes): a waiter takes one
   count with px_host_wait; a waker releases as many as there are waiters. */
#ifndef PX_HOST_SEM_H
#define PX_HOST_SEM_H

#include "host/host.h"

/* Made (count 0), or opened when another process made it (*existed says which, if not
   NULL). NULL on failure. */
px_host_handle px_host_semaphore_named(const wchar_t *name, bool *existed);
/* An existing one (NULL: nobody has it open any more). */
px_host_handle px_host_semaphore_open(const wchar_t *name);
/* Adds count to it (wakes that many waiters). 0 or -LINUX_Exxx. */
int64_t px_host_semaphore_release(px_host_handle sem, uint32_t count);

#endif
