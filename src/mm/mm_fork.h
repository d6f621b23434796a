/* fork's copy of the address space into a new Windows process (mm_fork.c). */
#ifndef PX_MM_MM_FORK_H
#define PX_MM_MM_FORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "host/host_process.h"

/* In the parent: the address space as one record (px_free it); NULL when out of memory. */
void *px_mm_fork_save(size_t *len);
typedef struct px_mm_range { uint64_t base, size; } px_mm_range;
/* In the parent, the child created suspended (or a spare: running): reserves in it every
   range the record's memory lives in, but those of ready[0..n_ready), reserved already.
   0 or -LINUX_Exxx (the child's own runtime holds one: -LINUX_ENOMEM). */
int64_t px_mm_fork_reserve(const void *rec, size_t len, px_host_child *child, const px_mm_range *ready,
                           size_t n_ready);
/* The reservations made for this process before it started (a fixed-address program's
   image and brk area, where a running Wine process has its own things): a spare gets
   them reserved before it runs. How many (at most cap). */
size_t px_mm_fork_fixed_ranges(px_mm_range *out, size_t cap);
/* In the child, before any guest code runs: takes those reservations over, rebuilds the
   mappings, the brk area, the pools and trap sites, and copies every committed page from
   parent (a handle that may read its memory) while the parent waits, or (lazy_but_at: a
   vfork child's rsp) borrows them (mm_lazy.c). 0 or -LINUX_Exxx. */
int64_t px_mm_fork_restore(const void *rec, size_t len, px_host_handle parent, uint64_t lazy_but_at);

/* mm_lazy.c: a vfork child's memory read from its frozen parent page block by page block
   at first touch: restore with lazy_but_at nonzero (the guest's rsp: the mapping it lies
   in is copied now; the handle stays in use until the write-back). A run is added as
   borrowed, or as copied already (then written back whole). */
int64_t px_mm_lazy_add(px_host_handle parent, uint64_t start, uint64_t len, int prot, bool copied);
/* From the fault handler: true if addr was borrowed memory, now here (resume). */
bool px_mm_lazy_fault(uint64_t addr, bool write);
/* At the vfork child's execve or exit: writes what it changed back into the parent; the
   parent handle is not used after. */
void px_mm_lazy_write_back(void);
bool px_mm_lazy_active(void);

#endif
