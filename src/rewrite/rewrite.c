/* The rewriter's runtime half (rewrite_core.c is the pure half): trampoline pools close
   to guest code, the trap-site registry the fault handler consults, and
   px_rewrite_region. Host memory and locks come from the host layer. */
#include "core/px.h"
#include "core/timing.h"
#include "host/host_env.h"
#include "host/host_mem.h"
#include "host/host_sync.h"
#include "rewrite/rewrite.h"
#include "rewrite/rewrite_core.h"
#include "uthash.h"

px_rewrite_counters px_rewrite_stats;

/* ---- trampoline pools: executable memory within rel32 reach of the code ---- */

#define POOL_SIZE (1u << 20)
#define POOL_STEP (64u << 10)  /* allocation granularity */
/* Keep every trampoline well inside +-2 GiB of every byte of the region it serves. */
#define REACH ((int64_t)(1u << 31) - (256 << 20))

typedef struct pool {
    uint64_t base, used;
    struct pool *next;
} pool;

static pool *pools;
static px_host_rwlock rewrite_lock = PX_HOST_RWLOCK_INIT; /* one region at a time: pools and scans */

static bool near_enough(uint64_t a, uint64_t b)
{
    int64_t d = (int64_t)(a - b);
    return d < REACH && d > -REACH;
}

/* Finds a free 64 KiB-aligned range close_to `close_to` (upwards first, then downwards). */
static uint64_t pool_alloc_near(uint64_t close_to)
{
    uint64_t lo, hi;
    px_host_mem_bounds(&lo, &hi);
    for (int dir = 0; dir < 2; dir++) {
        uint64_t at = PX_ALIGN_UP(close_to, POOL_STEP);
        if (dir) at = PX_ALIGN_DOWN(close_to, POOL_STEP) - POOL_SIZE;
        while (at >= lo && at + POOL_SIZE <= hi && near_enough(at, close_to) && near_enough(at + POOL_SIZE, close_to)) {
            px_host_region region;
            if (px_host_mem_query((void *)at, &region) < 0) break;
            uint64_t region_end = region.base + region.size;
            bool is_free = region.state == PX_HOST_MEM_FREE;
            if (is_free && region_end >= at + POOL_SIZE) {
                void *p = px_host_mem_alloc((void *)at, POOL_SIZE,
                                            PX_HOST_PROT_READ | PX_HOST_PROT_WRITE | PX_HOST_PROT_EXEC);
                if (p) return (uint64_t)p;
            }
            if (dir == 0) at = PX_ALIGN_UP(is_free ? at + POOL_STEP : region_end, POOL_STEP);
            else if (at < POOL_STEP + lo) break;
            else at -= POOL_STEP;
        }
    }
    return 0;
}

static uint64_t pool_tramp(uint64_t close_to, size_t size, uint8_t **write)
{
    size = PX_ALIGN_UP(size, 16);
    if (size > POOL_SIZE) return 0;
    for (pool *p = pools; p; p = p->next) {
        if (p->used + size <= POOL_SIZE && near_enough(p->base, close_to) && near_enough(p->base + POOL_SIZE, close_to)) {
            uint64_t at = p->base + p->used;
            p->used += size;
            memset((void *)at, 0xCC, size); /* the padding after the trampoline traps */
            *write = (uint8_t *)at;
            return at;
        }
    }
    uint64_t base = pool_alloc_near(close_to);
    pool *p = base ? px_alloc(sizeof *p) : NULL;
    if (!p) return 0;
    /* filled with int3 piece by piece as it is handed out: pages never used are never
       touched (a first touch is what a page costs here) */
    memset((void *)base, 0xCC, size);
    p->base = base;
    p->used = size;
    p->next = pools;
    pools = p;
    *write = (uint8_t *)base;
    return base;
}

/* The rewriter's callbacks: the pools and the trap registry, and what a recorder (the
   image cache) is told of each. */
static uint64_t alloc_tramp(void *ctx, uint64_t close_to, size_t size, uint8_t **write)
{
    uint64_t at = pool_tramp(close_to, size, write);
    const px_rewrite_recorder *rec = ctx;
    if (at && rec) rec->on_alloc(rec->ctx, at, PX_ALIGN_UP(size, 16), close_to);
    return at;
}

uint64_t px_rewrite_tramp_alloc(uint64_t close_to, size_t size, uint8_t **write)
{
    px_host_rwlock_lock(&rewrite_lock);
    uint64_t at = pool_tramp(close_to, size, write);
    px_host_rwlock_unlock(&rewrite_lock);
    return at;
}

/* ---- trap sites ---- */

typedef struct trap_site {
    uint64_t addr;
    uint64_t resume;
    enum px_trap_kind kind;
    UT_hash_handle hh;
} trap_site;

static trap_site *traps;
static px_host_rwlock traps_lock = PX_HOST_RWLOCK_INIT;

static int register_trap(uint64_t addr, enum px_trap_kind kind, uint64_t resume)
{
    px_host_rwlock_lock(&traps_lock);
    trap_site *t;
    HASH_FIND(hh, traps, &addr, sizeof addr, t);
    if (!t) {
        t = px_alloc(sizeof *t);
        if (!t) {
            px_host_rwlock_unlock(&traps_lock);
            return -1;
        }
        t->addr = addr;
        HASH_ADD(hh, traps, addr, sizeof t->addr, t);
    }
    t->kind = kind;
    t->resume = resume;
    px_host_rwlock_unlock(&traps_lock);
    return 0;
}

static int add_trap(void *ctx, uint64_t addr, enum px_trap_kind kind, uint64_t resume)
{
    const px_rewrite_recorder *rec = ctx;
    if (rec) rec->on_trap(rec->ctx, addr, kind, resume);
    return register_trap(addr, kind, resume);
}

static void add_reloc(void *ctx, uint64_t field, enum px_rw_reloc kind, uint8_t end_delta)
{
    const px_rewrite_recorder *rec = ctx;
    rec->on_reloc(rec->ctx, field, (int)kind, end_delta);
}

int px_rewrite_trap_add(uint64_t addr, enum px_trap_kind kind, uint64_t resume)
{
    return register_trap(addr, kind, resume);
}

/* Called from the exception handler: a shared lock and a hash lookup, no allocation. */
enum px_trap_kind px_rewrite_classify_trap(uint64_t rip, uint64_t *resume)
{
    enum px_trap_kind kind = PX_TRAP_NONE;
    px_host_rwlock_lock_shared(&traps_lock);
    trap_site *t;
    HASH_FIND(hh, traps, &rip, sizeof rip, t);
    if (t) {
        kind = t->kind;
        if (resume) *resume = t->resume;
    }
    px_host_rwlock_unlock_shared(&traps_lock);
    return kind;
}

void px_rewrite_forget(uint64_t start, uint64_t len)
{
    px_host_rwlock_lock(&traps_lock);
    trap_site *t, *tmp;
    HASH_ITER(hh, traps, t, tmp) {
        if (t->addr - start < len) {
            HASH_DEL(traps, t);
            px_free(t);
        }
    }
    px_host_rwlock_unlock(&traps_lock);
}

/* ---- fork ---- */

bool px_rewrite_in_pool(uint64_t addr)
{
    px_host_rwlock_lock_shared(&rewrite_lock);
    bool in = false;
    for (pool *p = pools; p && !in; p = p->next) in = addr >= p->base && addr < p->base + POOL_SIZE;
    px_host_rwlock_unlock(&rewrite_lock);
    return in;
}

bool px_rewrite_syscall_site_of(uint64_t ret, uint64_t *site)
{
    uint64_t seq = ret - PX_RW_SYSCALL_SEQ_LEN;
    if (ret < PX_RW_SYSCALL_SEQ_LEN || !px_rewrite_in_pool(seq) || !px_rewrite_in_pool(ret - 1)) return false;
    return px_rw_syscall_site_of((const uint8_t *)(uintptr_t)seq, px_rewrite_get_config()->syscall_entry, site);
}

size_t px_rewrite_list_pools(px_rewrite_pool_info *out, size_t cap)
{
    px_host_rwlock_lock(&rewrite_lock);
    size_t n = 0;
    for (pool *p = pools; p; p = p->next, n++)
        if (n < cap) out[n] = (px_rewrite_pool_info){.base = p->base, .size = POOL_SIZE, .used = p->used};
    px_host_rwlock_unlock(&rewrite_lock);
    return n;
}

size_t px_rewrite_list_traps(px_rewrite_trap_info *out, size_t cap)
{
    px_host_rwlock_lock_shared(&traps_lock);
    size_t n = 0;
    for (trap_site *t = traps; t; t = t->hh.next, n++)
        if (n < cap) out[n] = (px_rewrite_trap_info){.addr = t->addr, .resume = t->resume, .kind = (uint32_t)t->kind};
    px_host_rwlock_unlock_shared(&traps_lock);
    return n;
}

int64_t px_rewrite_adopt_pool(const px_rewrite_pool_info *info)
{
    if (info->size != POOL_SIZE) return -LINUX_EINVAL; /* another build's pools */
    pool *p = px_alloc(sizeof *p);
    if (!p) return -LINUX_ENOMEM;
    px_host_rwlock_lock(&rewrite_lock);
    p->base = info->base;
    p->used = info->used;
    p->next = pools;
    pools = p;
    px_host_rwlock_unlock(&rewrite_lock);
    return 0;
}

int64_t px_rewrite_adopt_trap(const px_rewrite_trap_info *t)
{
    return register_trap(t->addr, (enum px_trap_kind)t->kind, t->resume) == 0 ? 0 : -LINUX_ENOMEM;
}

/* ---- the region ---- */

/* Decoding every trampoline again after emitting it (verify_tramp) finds nothing by
   construction and cost a sixth of the rewrite: the unit tests always do it, the runtime
   only with PICOLX_REWRITE_VERIFY=1. */
static bool verify_tramps;

/* Where the trampolines reach the guest's thread pointer and the syscall entry. */
static px_rewrite_config config;

int px_rewrite_init(const px_rewrite_config *c)
{
    config = *c;
    char on[8];
    verify_tramps = px_host_env_get("PICOLX_REWRITE_VERIFY", on, sizeof on) > 0 && strcmp(on, "0") != 0;
    return 0;
}

const px_rewrite_config *px_rewrite_get_config(void) { return &config; }

int64_t px_rewrite_region(uint64_t start, uint64_t len) { return px_rewrite_region_recorded(start, len, NULL); }

int64_t px_rewrite_region_recorded(uint64_t start, uint64_t len, const px_rewrite_recorder *rec)
{
    px_rw_env env = {
        .ctx = (void *)rec,
        .add_reloc = rec ? add_reloc : NULL,
        .teb_fs_slot = config.teb_fs_slot,
        .teb_scratch_slot = config.teb_scratch_slot,
        .syscall_entry = config.syscall_entry,
        .alloc_tramp = alloc_tramp,
        .add_trap = add_trap,
        .now = px_timing_on ? px_timing_now : NULL,
        .skip_verify = !verify_tramps,
    };
    px_rw_result res;
    memset(&res, 0, sizeof res);
    px_host_rwlock_lock(&rewrite_lock);
    int rc = px_rw_rewrite(&env, (uint8_t *)start, start, (size_t)len, &res);
    px_rewrite_stats.syscall_sites += res.syscall_sites;
    px_rewrite_stats.fs_sites += res.fs_sites;
    px_rewrite_stats.patched_sites += res.patched_sites;
    px_rewrite_stats.trap_sites += res.trap_sites;
    px_rewrite_stats.lost_sites += res.lost_sites;
    if (res.verify_failures)
        px_log("picolx: rewrite %p+%llu: %llu emitted patches did not decode as intended (left to traps)", (void *)start,
               (unsigned long long)len, (unsigned long long)res.verify_failures);
    /* the phases of "rewrite: scan region" (emit and verify are parts of sites and threading) */
    px_timing_add("rewrite/ sweep", 1, len, res.time_sweep);
    px_timing_add("rewrite/ sites (windows)", res.windows, 0, res.time_sites);
    px_timing_add("rewrite/ threading", res.threaded_branches, 0, res.time_thread);
    px_timing_add("rewrite/  emit", res.windows + res.trap_fs + res.entry_traces, res.tramp_bytes, res.time_emit);
    px_timing_add("rewrite/  verify", 0, 0, res.time_verify);
    px_host_rwlock_unlock(&rewrite_lock);
    /* The trampolines were written through the data side; so was the region. */
    px_host_flush_icache();
    return rc;
}
