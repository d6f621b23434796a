/* The rewriter: makes every `syscall` and every %fs:-relative instruction of guest code
   safe before it runs. Zydis types stay inside src/rewrite/. */
#ifndef PX_REWRITE_H
#define PX_REWRITE_H

#include <stdint.h>
#include "rewrite/rewrite_trap.h"

/* What the patched code jumps to: gs offsets of the TEB slots that hold the guest's FS
   base and a scratch word (core/thread.h's px_teb_fs_slot, px_teb_scratch_slot), and the
   address of px_syscall_entry. Given by the runtime's start-up, so that the rewriter
   needs nothing of the task layer. */
typedef struct px_rewrite_config {
    uint64_t teb_fs_slot, teb_scratch_slot;
    uint64_t syscall_entry;
} px_rewrite_config;
int px_rewrite_init(const px_rewrite_config *c);

/* Scans guest code at [start, start+len) - writable and not yet executable - and patches
   each syscall (to a jump into px_syscall_entry through a trampoline) and each %fs:
   instruction (to code that reaches the guest's thread pointer through the TEB).
   Sites that cannot be patched get a trap (ud2) that the fault handler resolves.
   Returns 0 or -LINUX_Exxx. */
int64_t px_rewrite_region(uint64_t start, uint64_t len);

/* For the fault handler: what the trap (ud2 or int3) at rip is. */
enum px_trap_kind px_rewrite_classify_trap(uint64_t rip, uint64_t *resume);

/* Drops the trap sites registered in [start, start+len): for the memory manager when
   guest code there is unmapped or replaced. (Trampolines are not reclaimed.) */
void px_rewrite_forget(uint64_t start, uint64_t len);

/* fork: what a copy of this address space in another Windows process needs to go on
   where this one is. The pools (their memory is copied with the rest of the guest's)
   and the trap sites, listed into out (at most cap; returns how many there are), and
   taken over in the new process once the memory is there. */
typedef struct px_rewrite_pool_info { uint64_t base, size, used; } px_rewrite_pool_info;
typedef struct px_rewrite_trap_info { uint64_t addr, resume; uint32_t kind, pad; } px_rewrite_trap_info;
size_t px_rewrite_list_pools(px_rewrite_pool_info *out, size_t cap);
size_t px_rewrite_list_traps(px_rewrite_trap_info *out, size_t cap);
/* 0 or -LINUX_ENOMEM. */
int64_t px_rewrite_adopt_pool(const px_rewrite_pool_info *p);
int64_t px_rewrite_adopt_trap(const px_rewrite_trap_info *t);

typedef struct px_rewrite_counters {
    uint64_t syscall_sites;   /* syscall instructions found */
    uint64_t fs_sites;        /* %fs: instructions found */
    uint64_t patched_sites;   /* handled by a jump to a trampoline */
    uint64_t trap_sites;      /* left to the trap path */
    uint64_t lost_sites;      /* of trap_sites: no trap possible either, left as they were */
    uint64_t trap_hits;       /* traps taken at run time */
} px_rewrite_counters;
extern px_rewrite_counters px_rewrite_stats;

#endif
