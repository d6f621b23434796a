/* fork's copy of the address space into a new Windows process (mm_fork.c). */
#ifndef PX_MM_MM_FORK_H
#define PX_MM_MM_FORK_H

#include <stddef.h>
#include <stdint.h>
#include "host/host_process.h"

/* In the parent: the address space as one record (px_free it); NULL when out of memory. */
void *px_mm_fork_save(size_t *len);
/* In the parent, the child created suspended: reserves in it every range the record's
   memory lives in. 0 or -LINUX_Exxx (the child's own start-up holds one: -LINUX_ENOMEM). */
int64_t px_mm_fork_reserve(const void *rec, size_t len, px_host_child *child);
/* In the child, before any guest code runs: takes those reservations over, rebuilds the
   mappings, the brk area, the pools and trap sites, and copies every committed page from
   parent (a handle that may read its memory) while the parent waits. 0 or -LINUX_Exxx. */
int64_t px_mm_fork_restore(const void *rec, size_t len, px_host_handle parent);

#endif
