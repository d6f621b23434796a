/* The rewriter: makes every `syscall` and every %fs:-relative instruction of guest code
   safe before it runs. Zydis types stay inside src/rewrite/. */
#ifndef PX_REWRITE_H
#define PX_REWRITE_H

#include <stdbool.h>
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

/* For the image cache (image_cache.c): px_rewrite_region telling rec of every trampoline
   allocated, trap site registered and address-dependent field written (enum px_rw_reloc
   of rewrite_core.h), so that the result can be stored and moved; trampoline memory and
   trap sites for a result taken from the cache; the configuration in use. */
typedef struct px_rewrite_recorder {
    void *ctx;
    void (*on_alloc)(void *ctx, uint64_t at, uint64_t size, uint64_t close_to);
    void (*on_trap)(void *ctx, uint64_t addr, enum px_trap_kind kind, uint64_t resume);
    void (*on_reloc)(void *ctx, uint64_t field, int kind, uint8_t end_delta);
} px_rewrite_recorder;
int64_t px_rewrite_region_recorded(uint64_t start, uint64_t len, const px_rewrite_recorder *rec);
/* size bytes of trampoline memory within reach of close_to: its address (where to write
   it in *write), or 0. */
uint64_t px_rewrite_tramp_alloc(uint64_t close_to, size_t size, uint8_t **write);
int px_rewrite_trap_add(uint64_t addr, enum px_trap_kind kind, uint64_t resume);
const px_rewrite_config *px_rewrite_get_config(void);

/* Whether addr lies in a trampoline pool: code the rewriter made for the guest, where a
   signal may interrupt a thread as in the guest's own code (kernel/signal.c). Not to be
   asked of a thread that may hold the rewriter's lock (one suspended inside picolx). */
bool px_rewrite_in_pool(uint64_t addr);

/* Whether ret, a return address px_syscall_entry got in rcx, ends the syscall sequence of
   a trampoline, and the address of the syscall instruction it replaced. */
bool px_rewrite_syscall_site_of(uint64_t ret, uint64_t *site);

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
