/* A vfork child's memory (CLONE_VM|CLONE_VFORK: vfork, posix_spawn): Linux lends it the
   parent's own address space until it execs or exits, the parent asleep meanwhile. Here
   the child is another Windows process, so it borrows instead: nothing is copied at the
   start; a page is read from the (frozen) parent the first time the child touches it, a
   64 KiB block at a time; what the child changed in them is written back into the
   parent before the parent wakes (px_mm_lazy_write_back), so the parent sees it, as
   with one shared memory: posix_spawn's child reports a failed execve that way. Only
   the bytes the child changed go back (each written block keeps the parent's bytes as
   they were read, to compare with): only the vforking thread sleeps, so the parent's
   other threads (a Go program's) go on writing the same blocks meanwhile, and a whole
   block written back would undo what they wrote. A child that execs after touching a
   few pages costs a few reads, not a copy of the whole address space.

   The mapping the child's stack is in is copied at the start all the same: a fault
   while rsp points at memory that is not there or not writable cannot be handled (the
   host builds its exception frame on that stack).

   Code the child runs that the parent never ran gets rewritten here (its trampolines are
   the child's); executable mappings are therefore never written back. */
#include "core/errors.h"
#include "core/px.h"
#include "host/host_mem.h"
#include "host/host_process.h"
#include "mm/mm_fork.h"
#include "mm/vm_private.h"

#define BLOCK PX_ALLOC_GRANULARITY

enum block_state { NOT_COPIED = 0, CLEAN, DIRTY };

typedef struct lazy_run {
    uint64_t start, end;
    int prot;               /* PX_HOST_PROT_* the parent had */
    uint8_t *state;         /* enum block_state per block of [start, end) */
    uint8_t **was;          /* per block: the parent's bytes before the child wrote (DIRTY) */
} lazy_run;

/* This Windows process's borrowed memory (one vfork child per process): set before the
   guest runs, read by the fault handler; the guest's one thread and its faults are the
   only users. */
static struct {
    px_host_handle parent;  /* reads and writes the parent's memory; NULL: not lazy */
    lazy_run *runs;
    size_t count, cap;
} lazy;

/* The part of block b of run r that lies in the run. */
static void block_range(const lazy_run *r, uint64_t b, uint64_t *lo, uint64_t *hi)
{
    uint64_t base = PX_ALIGN_DOWN(r->start, BLOCK) + b * BLOCK;
    *lo = base < r->start ? r->start : base;
    *hi = base + BLOCK > r->end ? r->end : base + BLOCK;
}

/* Block b of r (its bytes here are still the parent's) becomes DIRTY: those bytes are
   kept to compare with at the write-back. */
static bool keep_parent_bytes(lazy_run *r, uint64_t b)
{
    uint64_t lo, hi;
    block_range(r, b, &lo, &hi);
    if (!r->was[b] && !(r->was[b] = px_alloc(hi - lo))) return false;
    memcpy(r->was[b], (const void *)(uintptr_t)lo, hi - lo);
    r->state[b] = DIRTY;
    return true;
}

int64_t px_mm_lazy_add(px_host_handle parent, uint64_t start, uint64_t len, int prot, bool copied)
{
    if (lazy.count == lazy.cap) {
        size_t cap = lazy.cap ? lazy.cap * 2 : 64;
        lazy_run *grown = px_realloc(lazy.runs, cap * sizeof *grown);
        if (!grown) return -LINUX_ENOMEM;
        lazy.runs = grown;
        lazy.cap = cap;
    }
    uint64_t blocks = (PX_ALIGN_UP(start + len, BLOCK) - PX_ALIGN_DOWN(start, BLOCK)) / BLOCK;
    uint8_t *state = px_calloc((size_t)blocks, 1);
    uint8_t **was = px_calloc((size_t)blocks, sizeof *was);
    if (!state || !was) {
        px_free(state);
        px_free(was);
        return -LINUX_ENOMEM;
    }
    lazy_run *r = &lazy.runs[lazy.count++];
    *r = (lazy_run){.start = start, .end = start + len, .prot = prot, .state = state, .was = was};
    lazy.parent = parent;
    /* copied now, and writable (the stack's mapping): compared block by block at the end */
    for (uint64_t b = 0; copied && b < blocks; b++)
        if (!keep_parent_bytes(r, b)) return -LINUX_ENOMEM;
    return 0;
}

static lazy_run *run_of(uint64_t addr)
{
    for (size_t i = 0; i < lazy.count; i++)
        if (addr >= lazy.runs[i].start && addr < lazy.runs[i].end) return &lazy.runs[i];
    return NULL;
}

/* Commits [lo, hi) as the reservations of this process allow (one piece per host region). */
static bool commit_rw(uint64_t lo, uint64_t hi)
{
    for (uint64_t at = lo; at < hi;) {
        px_host_region region;
        if (px_host_mem_query((void *)(uintptr_t)at, &region) < 0 || region.state == PX_HOST_MEM_FREE) return false;
        uint64_t end = region.base + region.size < hi ? region.base + region.size : hi;
        if (px_host_mem_commit((void *)(uintptr_t)at, end - at, PX_HOST_PROT_READ | PX_HOST_PROT_WRITE) < 0)
            return false;
        at = end;
    }
    return true;
}

static bool protect(uint64_t lo, uint64_t hi, int prot)
{
    for (uint64_t at = lo; at < hi;) {
        px_host_region region;
        if (px_host_mem_query((void *)(uintptr_t)at, &region) < 0) return false;
        uint64_t end = region.base + region.size < hi ? region.base + region.size : hi;
        if (px_host_mem_protect((void *)(uintptr_t)at, end - at, prot, NULL) < 0) return false;
        at = end;
    }
    return true;
}

bool px_mm_lazy_fault(uint64_t addr, bool write)
{
    if (!lazy.parent) return false;
    lazy_run *r = run_of(addr);
    if (!r) return false;
    uint64_t b = (addr - PX_ALIGN_DOWN(r->start, BLOCK)) / BLOCK, lo, hi;
    block_range(r, b, &lo, &hi);
    bool writable = (r->prot & PX_HOST_PROT_WRITE) != 0;
    if (r->state[b] == NOT_COPIED) {
        if (r->prot == PX_HOST_PROT_NONE) return false; /* inaccessible in the parent too */
        if (!commit_rw(lo, hi) || px_host_process_read(lazy.parent, lo, (void *)(uintptr_t)lo, hi - lo) < 0)
            return false;
        r->state[b] = CLEAN;
        /* writable memory stays read-only until its first write, which marks it dirty */
        int prot = writable && write ? r->prot : (r->prot & ~PX_HOST_PROT_WRITE);
        if (writable && write && !keep_parent_bytes(r, b)) return false;
        if (prot != (PX_HOST_PROT_READ | PX_HOST_PROT_WRITE) && !protect(lo, hi, prot)) return false;
        return true;
    }
    if (r->state[b] == CLEAN && write && writable) {
        if (!keep_parent_bytes(r, b)) return false;
        return protect(lo, hi, r->prot);
    }
    return false; /* a real fault: the parent's protection says no */
}

/* Nearby changes closer than this go back as one write (each write is a wineserver
   round trip); the few bytes between them are in practice the child's own stack frame,
   which no other thread of the parent writes. */
#define MERGE_GAP 32

/* Writes back what differs between [lo, hi) here and was (the parent's bytes before). */
static void write_changes(uint64_t lo, uint64_t hi, const uint8_t *was)
{
    const uint8_t *now = (const uint8_t *)(uintptr_t)lo;
    size_t n = (size_t)(hi - lo), i = 0;
    while (i < n) {
        if (i % 64 == 0 && i + 64 <= n && memcmp(now + i, was + i, 64) == 0) { /* the common case: unchanged */
            i += 64;
            continue;
        }
        if (now[i] == was[i]) {
            i++;
            continue;
        }
        size_t first = i, last = i;
        for (i++; i < n && i - last <= MERGE_GAP; i++)
            if (now[i] != was[i]) last = i;
        px_host_process_write(lazy.parent, lo + first, now + first, last + 1 - first);
        i = last + 1;
    }
}

void px_mm_lazy_write_back(void)
{
    if (!lazy.parent) return;
    for (size_t i = 0; i < lazy.count; i++) {
        lazy_run *r = &lazy.runs[i];
        if (r->prot & PX_HOST_PROT_EXEC) continue; /* rewritten here: the trampolines are ours */
        uint64_t blocks = (PX_ALIGN_UP(r->end, BLOCK) - PX_ALIGN_DOWN(r->start, BLOCK)) / BLOCK;
        for (uint64_t b = 0; b < blocks; b++) {
            if (r->state[b] != DIRTY) continue;
            uint64_t lo, hi;
            block_range(r, b, &lo, &hi);
            if (r->was[b]) write_changes(lo, hi, r->was[b]);
            else px_host_process_write(lazy.parent, lo, (const void *)(uintptr_t)lo, hi - lo);
        }
        for (uint64_t b = 0; b < blocks; b++) px_free(r->was[b]);
        px_free(r->was);
        r->was = NULL;
    }
    lazy.parent = NULL; /* from here the memory is the child's own: the parent runs again */
    /* blocks not copied yet are never needed (execve or exit follows) */
}

bool px_mm_lazy_active(void) { return lazy.parent != NULL; }
