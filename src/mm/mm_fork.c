/* fork's copy of the address space (Linux's copy_mm / dup_mmap). Wine has no kernel
   fork, so the child is a new Windows process: the parent lists what it has (the
   reservations, the VMAs, the brk area, the committed runs of pages with their
   protection, the rewriter's trampoline pools and trap sites) as one record; it reserves
   every range in the child while the child is suspended, so that the child's own
   start-up cannot land there; the child then commits the same runs and reads their
   bytes from the parent with a few large reads (each one is a wineserver round trip),
   while the parent waits in fork.

   MAP_SHARED memory stays shared: it is a view of a section (a file's, or a pagefile
   section for shared anonymous memory: shared.c), so the record lists the views with
   the parent's section handles; the parent reserves their places in the child, and the
   child takes the handles over from the parent and maps the same sections there.
   Nothing of a view is copied. A VMA marked MADV_DONTFORK is left out of a forked
   child (and a view all of whose VMAs are); one marked MADV_WIPEONFORK comes as fresh
   zero pages. A vfork child has both as they are (it borrows the parent's memory, as
   Linux lends it the whole address space): the record has everything, the child
   decides. */
#include "core/errors.h"
#include "core/px.h"
#include "core/timing.h"
#include "host/host_mem.h"
#include "host/host_process.h"
#include "mm/mm_fork.h"
#include "mm/vm.h"
#include "mm/vm_private.h"
#include "rewrite/rewrite.h"

#define MM_RECORD_MAGIC 0x6b726f466d6d7870ull /* "pxmmFork" */
/* Bytes per read from the parent: large reads are cheap per byte, but one read holds
   the single-threaded wineserver (a 64 MiB one froze every other process for 0.87 s). */
#define READ_CHUNK (1u << 20)

typedef struct mm_header {
    uint64_t magic;
    uint64_t brk_lo, brk_hi, brk_base, brk_current;
    uint32_t n_res, n_vma, n_run, n_pool, n_trap, n_view, strings_len, next_view_id, parked_len, pad;
} mm_header;

typedef struct vma_record {
    uint64_t start, end, offset, file_end;
    int32_t prot, flags, fd;
    uint8_t kind, scanned, fork_flags, pad;
    uint32_t path_at; /* 1 + the path's offset in the strings, 0 for none */
    uint32_t view;
} vma_record;

/* A run of committed pages and its host protection; PX_HOST_PROT_NONE runs are
   committed inaccessible and not read. */
typedef struct run_record {
    uint64_t start, len;
    int32_t prot;
    uint32_t zero;   /* every byte 0 (never written, most of a stack): committed, not read */
    uint32_t guard;  /* a stack's guard page (px_vm_guard_stack), never touched: the child's is one too */
    uint32_t pad;
} run_record;

/* A growing byte buffer for the record's arrays. */
typedef struct buf { uint8_t *data; size_t len, cap; bool failed; } buf;

static void *buf_grow(buf *b, size_t n)
{
    if (b->failed) return NULL;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + n) cap *= 2;
        uint8_t *d = px_realloc(b->data, cap);
        if (!d) {
            b->failed = true;
            return NULL;
        }
        b->data = d;
        b->cap = cap;
    }
    void *at = b->data + b->len;
    b->len += n;
    return at;
}

static void buf_put(buf *b, const void *p, size_t n)
{
    void *at = buf_grow(b, n);
    if (at) memcpy(at, p, n);
}

/* Whether the page at p holds only zeros (a page never written reads so). */
static bool page_is_zero(const uint64_t *p)
{
    for (size_t i = 0; i < PX_PAGE_SIZE / sizeof *p; i++)
        if (p[i]) return false;
    return true;
}

/* Appends [at, end) with prot (merged with the last run when alike and adjacent, and
   may_merge: runs stay inside one VMA, whose advice decides what the child does). */
static uint32_t put_run(buf *runs, uint64_t at, uint64_t end, int prot, bool zero, bool guard, bool may_merge)
{
    run_record *last = runs->len >= sizeof *last ? (run_record *)(runs->data + runs->len - sizeof *last) : NULL;
    if (may_merge && !guard && last && !last->guard && last->start + last->len == at && last->prot == prot &&
        last->zero == (uint32_t)zero) {
        last->len += end - at;
        return 0;
    }
    run_record r = {.start = at, .len = end - at, .prot = prot, .zero = zero, .guard = guard};
    buf_put(runs, &r, sizeof r);
    return 1;
}

/* The committed runs of [start, end) into runs, readable ones split into pages that hold
   data and pages of zeros: those need no copy, and copying costs most per page here
   (every page the child fills is a fresh page, a fault each). */
static uint32_t list_runs(uint64_t start, uint64_t end, buf *runs)
{
    uint32_t n = 0;
    for (uint64_t at = start; at < end;) {
        px_host_region region;
        if (px_host_mem_query((void *)(uintptr_t)at, &region) < 0) break;
        uint64_t run_end = region.base + region.size;
        if (run_end > end) run_end = end;
        if (run_end <= at) break;
        if (region.state == PX_HOST_MEM_COMMITTED) {
            if (region.guard) { /* untouched, so all zeros: reading it would spend the guard */
                n += put_run(runs, at, run_end, region.prot, true, true, n > 0);
            } else if (region.prot & PX_HOST_PROT_READ) {
                for (uint64_t page = at; page < run_end; page += PX_PAGE_SIZE)
                    n += put_run(runs, page, page + PX_PAGE_SIZE, region.prot,
                                 page_is_zero((const uint64_t *)(uintptr_t)page), false, n > 0);
            } else {
                n += put_run(runs, at, run_end, region.prot, false, false, n > 0);
            }
        }
        at = run_end;
    }
    return n;
}

void *px_mm_fork_save(size_t *len)
{
    buf res = {0}, vmas = {0}, runs = {0}, pools = {0}, traps = {0}, strings = {0}, views = {0};
    mm_header h = {.magic = MM_RECORD_MAGIC};
    px_vm_lock();
    const struct px_mm *mm = &px_mm_host;
    h.brk_lo = mm->brk_lo;
    h.brk_hi = mm->brk_hi;
    h.brk_base = mm->brk_base;
    h.brk_current = mm->brk_current;
    for (size_t i = 0; i < mm->reservations.count; i++, h.n_res++)
        buf_put(&res, &mm->reservations.items[i], sizeof(px_res));
    for (size_t i = 0; i < mm->vmas.count; i++) {
        const px_vma *v = &mm->vmas.items[i];
        vma_record r = {.start = v->start, .end = v->end, .offset = v->offset, .file_end = v->file_end,
                        .prot = v->prot, .flags = v->flags, .fd = v->fd, .kind = v->kind, .scanned = v->scanned,
                        .fork_flags = v->fork_flags, .view = v->view};
        if (v->path) {
            r.path_at = (uint32_t)strings.len + 1;
            buf_put(&strings, v->path, strlen(v->path) + 1);
        }
        buf_put(&vmas, &r, sizeof r);
        h.n_vma++;
        /* a view's pages are the section's, shared. The advice is the child's to follow:
           a vfork child borrows the parent's memory, advised or not, as Linux lends it */
        if (!v->view || px_vm_view_is_copy(v->view)) h.n_run += list_runs(v->start, v->end, &runs);
        if (runs.failed) break;
    }
    size_t nv = px_vm_list_views(NULL, 0, &h.next_view_id);
    px_vm_view_info *vl = nv ? px_alloc(nv * sizeof *vl) : NULL;
    if (nv && !vl) views.failed = true;
    if (vl) {
        px_vm_list_views(vl, nv, NULL);
        buf_put(&views, vl, nv * sizeof *vl);
        h.n_view = (uint32_t)nv;
        px_free(vl);
    }
    buf parked = {0};
    size_t np_bytes = px_vm_list_parked(NULL, 0);
    uint8_t *pk = np_bytes ? buf_grow(&parked, np_bytes) : NULL;
    if (pk) px_vm_list_parked(pk, np_bytes);
    h.parked_len = (uint32_t)parked.len;
    px_vm_unlock();

    size_t np = px_rewrite_list_pools(NULL, 0);
    px_rewrite_pool_info *pl = buf_grow(&pools, np * sizeof *pl);
    if (pl) h.n_pool = (uint32_t)px_rewrite_list_pools(pl, np);
    size_t nt = px_rewrite_list_traps(NULL, 0);
    px_rewrite_trap_info *tl = buf_grow(&traps, nt * sizeof *tl);
    if (tl) h.n_trap = (uint32_t)px_rewrite_list_traps(tl, nt);
    if (h.n_pool > np) h.n_pool = (uint32_t)np; /* nothing is rewritten while we wait in fork */
    if (h.n_trap > nt) h.n_trap = (uint32_t)nt;
    h.strings_len = (uint32_t)strings.len;

    buf out = {0};
    buf_put(&out, &h, sizeof h);
    buf_put(&out, res.data, res.len);
    buf_put(&out, vmas.data, vmas.len);
    buf_put(&out, runs.data, runs.len);
    buf_put(&out, views.data, views.len);
    buf_put(&out, pools.data, h.n_pool * sizeof(px_rewrite_pool_info));
    buf_put(&out, traps.data, h.n_trap * sizeof(px_rewrite_trap_info));
    buf_put(&out, strings.data, strings.len);
    buf_put(&out, parked.data, parked.len);
    bool failed = res.failed || vmas.failed || runs.failed || pools.failed || traps.failed || strings.failed ||
                  views.failed || parked.failed;
    px_free(parked.data);
    px_free(res.data);
    px_free(vmas.data);
    px_free(runs.data);
    px_free(views.data);
    px_free(pools.data);
    px_free(traps.data);
    px_free(strings.data);
    if (failed || out.failed) {
        px_free(out.data);
        return NULL;
    }
    *len = out.len;
    return out.data;
}

/* The record's parts, checked against its length. */
typedef struct mm_parts {
    const mm_header *h;
    const px_res *res;
    const vma_record *vmas;
    const run_record *runs;
    const px_vm_view_info *views;
    const px_rewrite_pool_info *pools;
    const px_rewrite_trap_info *traps;
    const char *strings;
    const uint8_t *parked;
} mm_parts;

static bool parts_of(const void *rec, size_t len, mm_parts *p)
{
    if (len < sizeof(mm_header)) return false;
    p->h = rec;
    if (p->h->magic != MM_RECORD_MAGIC) return false;
    size_t need = sizeof(mm_header) + p->h->n_res * sizeof(px_res) + p->h->n_vma * sizeof(vma_record) +
                  p->h->n_run * sizeof(run_record) + p->h->n_view * sizeof(px_vm_view_info) + p->h->n_pool * sizeof(px_rewrite_pool_info) +
                  p->h->n_trap * sizeof(px_rewrite_trap_info) + p->h->strings_len + p->h->parked_len;
    if (need != len) return false;
    const uint8_t *at = (const uint8_t *)rec + sizeof(mm_header);
    p->res = (const px_res *)at;
    at += p->h->n_res * sizeof(px_res);
    p->vmas = (const vma_record *)at;
    at += p->h->n_vma * sizeof(vma_record);
    p->runs = (const run_record *)at;
    at += p->h->n_run * sizeof(run_record);
    p->views = (const px_vm_view_info *)at;
    at += p->h->n_view * sizeof(px_vm_view_info);
    p->pools = (const px_rewrite_pool_info *)at;
    at += p->h->n_pool * sizeof(px_rewrite_pool_info);
    p->traps = (const px_rewrite_trap_info *)at;
    at += p->h->n_trap * sizeof(px_rewrite_trap_info);
    p->strings = (const char *)at;
    p->parked = (const uint8_t *)at + p->h->strings_len;
    return p->h->strings_len == 0 || p->strings[p->h->strings_len - 1] == 0;
}

size_t px_mm_fork_fixed_ranges(px_mm_range *out, size_t cap)
{
    size_t n = 0;
    px_vm_lock();
    for (size_t i = 0; i < px_mm_host.reservations.count; i++) {
        const px_res *r = &px_mm_host.reservations.items[i];
        if (!(r->flags & PX_RES_ADOPTED)) continue;
        if (n < cap) out[n] = (px_mm_range){r->base, r->size};
        n++;
    }
    px_vm_unlock();
    return n < cap ? n : cap;
}

int64_t px_mm_fork_reserve(const void *rec, size_t len, px_host_child *child, const px_mm_range *ready,
                           size_t n_ready)
{
    mm_parts p;
    if (!parts_of(rec, len, &p)) return -LINUX_EINVAL;
    for (uint32_t i = 0; i < p.h->n_res; i++) {
        bool made = false;
        for (size_t k = 0; k < n_ready && !made; k++)
            made = ready[k].base == p.res[i].base && ready[k].size == p.res[i].size;
        int64_t r = made ? 0 : px_host_child_reserve(child, p.res[i].base, p.res[i].size);
        if (r < 0) return r;
    }
    for (uint32_t i = 0; i < p.h->n_pool; i++) {
        int64_t r = px_host_child_reserve(child, p.pools[i].base, p.pools[i].size);
        if (r < 0) return r;
    }
    /* a view's place: its granules (the child maps the view there), and its tail */
    for (uint32_t i = 0; i < p.h->n_view; i++) {
        const px_vm_view_info *v = &p.views[i];
        int64_t r = 0;
        if (v->mapped_end > v->base)
            r = px_host_child_reserve(child, v->base, PX_ALIGN_UP(v->mapped_end, PX_ALLOC_GRANULARITY) - v->base);
        if (r == 0 && v->tail) r = px_host_child_reserve(child, v->tail, v->tail_size);
        if (r < 0) return r;
    }
    return 0;
}

/* Whether the parent reserved exactly [base, base+size) for us before we started. */
static bool reserved_for_us(uint64_t base, uint64_t size)
{
    px_host_region region;
    return px_host_mem_query((void *)(uintptr_t)base, &region) == 0 && region.allocation_base == base &&
           region.state == PX_HOST_MEM_RESERVED && region.size >= size;
}

/* Commits [start, start+len) (one piece per reservation of ours it crosses: a commit
   cannot span two), fills it with the parent's bytes, then gives it prot. */
static int64_t copy_run(px_host_handle parent, uint64_t start, uint64_t len, int prot, bool zero)
{
    int first = prot == PX_HOST_PROT_NONE ? PX_HOST_PROT_NONE : PX_HOST_PROT_READ | PX_HOST_PROT_WRITE;
    uint64_t end = start + len;
    for (uint64_t at = start; at < end;) {
        px_host_region region;
        if (px_host_mem_query((void *)(uintptr_t)at, &region) < 0 || region.state == PX_HOST_MEM_FREE)
            return -LINUX_ENOMEM;
        uint64_t piece_end = region.base + region.size < end ? region.base + region.size : end;
        int64_t r = px_host_mem_commit((void *)(uintptr_t)at, piece_end - at, first);
        if (r < 0) return r;
        at = piece_end;
    }
    if (prot == PX_HOST_PROT_NONE) return 0;
    for (uint64_t at = start; at < end && !zero; at += READ_CHUNK) {
        uint64_t n = end - at < READ_CHUNK ? end - at : READ_CHUNK;
        int64_t r = px_host_process_read(parent, at, (void *)(uintptr_t)at, n);
        if (r < 0) return r;
    }
    if (prot == first) return 0;
    for (uint64_t at = start; at < end;) { /* protections, too, are set per reservation */
        px_host_region region;
        if (px_host_mem_query((void *)(uintptr_t)at, &region) < 0) return -LINUX_ENOMEM;
        uint64_t piece_end = region.base + region.size < end ? region.base + region.size : end;
        int64_t r = px_host_mem_protect((void *)(uintptr_t)at, piece_end - at, prot, NULL);
        if (r < 0) return r;
        at = piece_end;
    }
    return 0;
}

/* A run of a private file view (copy-on-write): the child maps the same view, then
   writes the parent's bytes over it (each page written becomes the child's own). Pages
   are read through a buffer: the host's read writes into a page only once it is
   private. */
static int64_t copy_run_into_view(px_host_handle parent, const px_vma *owner, uint64_t start, uint64_t len,
                                  bool zero)
{
    int64_t r = px_host_mem_protect((void *)(uintptr_t)start, len,
                                    PX_HOST_PROT_READ | PX_HOST_PROT_WRITE | PX_HOST_PROT_COPY, NULL);
    static uint8_t bounce[64 * 1024]; /* one fork at a time restores a process */
    for (uint64_t at = start; r == 0 && at < start + len; at += sizeof bounce) {
        uint64_t n = start + len - at < sizeof bounce ? start + len - at : sizeof bounce;
        if (zero) memset(bounce, 0, n);
        else r = px_host_process_read(parent, at, bounce, n);
        if (r == 0) memcpy((void *)(uintptr_t)at, bounce, n);
    }
    int64_t a = px_vm_apply(owner);
    return r ? r : a;
}

/* A failure of the child to rebuild what the parent has: named, since it is a bug or a
   clash with the child's own start-up. */
static void failed_at(const char *what, uint64_t start, uint64_t len)
{
    px_log("picolx: fork: the %s at 0x%llx-0x%llx cannot be made in the new process", what,
           (unsigned long long)start, (unsigned long long)(start + len));
}

int64_t px_mm_fork_restore(const void *rec, size_t len, px_host_handle parent, uint64_t lazy_but_at)
{
    mm_parts p;
    if (!parts_of(rec, len, &p)) return -LINUX_EINVAL;
    int64_t r = 0;
    px_vm_lock();
    struct px_mm *mm = &px_mm_host;
    for (uint32_t i = 0; i < p.h->n_res && r == 0; i++) {
        const px_res *res = &p.res[i];
        if (!reserved_for_us(res->base, res->size)) r = -LINUX_ENOMEM;
        else if (px_res_add(&mm->reservations, res->base, res->size, res->flags) < 0) r = -LINUX_ENOMEM;
        if (r < 0) failed_at("reservation", res->base, res->size);
    }
    for (uint32_t i = 0; i < p.h->n_view && r == 0; i++) {
        r = px_vm_adopt_view(&p.views[i], parent);
        if (r < 0) failed_at("shared mapping", p.views[i].base, p.views[i].mapped_end - p.views[i].base);
    }
    px_vm_set_next_view_id(p.h->next_view_id);
    if (r == 0) r = px_vm_adopt_parked(p.parked, p.h->parked_len);
    for (uint32_t i = 0; i < p.h->n_vma && r == 0; i++) {
        const vma_record *v = &p.vmas[i];
        if (!lazy_but_at && (v->fork_flags & PX_VMA_DONTFORK)) continue; /* absent in a forked child */
        px_vma vma = {.start = v->start, .end = v->end, .offset = v->offset, .file_end = v->file_end,
                      .prot = v->prot, .flags = v->flags, .fd = v->fd, .kind = v->kind, .scanned = v->scanned,
                      .fork_flags = v->fork_flags, .view = v->view};
        if (v->path_at) {
            if (v->path_at > p.h->strings_len) r = -LINUX_EINVAL;
            else vma.path = px_strdup(p.strings + v->path_at - 1); /* lives as long as the process */
        }
        if (r == 0 && px_vma_insert(&mm->vmas, &vma) < 0) r = -LINUX_ENOMEM;
        /* a view's pages get the VMA's protection; wiped memory is committed afresh */
        bool wiped = !lazy_but_at && (vma.fork_flags & PX_VMA_WIPEONFORK);
        if (r == 0 && (vma.view || wiped)) r = px_vm_apply(&vma);
        if (r < 0) failed_at("mapping", v->start, v->end - v->start);
    }
    if (r == 0) px_vm_release_views(0, PX_USER_TOP); /* views whose every VMA was MADV_DONTFORK */
    uint64_t since = px_timing_now(), copied_bytes = 0, copied_runs = 0;
    for (uint32_t i = 0; i < p.h->n_run && r == 0; i++) {
        const run_record *run = &p.runs[i];
        const px_vma *owner = px_vma_find(&mm->vmas, run->start);
        if (!owner || (!lazy_but_at && (owner->fork_flags & PX_VMA_WIPEONFORK))) continue; /* left out, wiped */
        const px_vma *stack = lazy_but_at ? px_vma_find(&mm->vmas, lazy_but_at - 8) : NULL; /* rsp may be a fresh stack's end */
        bool now = !lazy_but_at || run->zero || (stack && run->start < stack->end && run->start + run->len > stack->start);
        if (owner->view) { /* a private file view: copied now, never lent */
            if (run->prot != PX_HOST_PROT_NONE) r = copy_run_into_view(parent, owner, run->start, run->len, run->zero);
            if (r < 0) failed_at("private file mapping", run->start, run->len);
            continue;
        }
        r = now ? copy_run(parent, run->start, run->len, run->prot, run->zero) : 0;
        if (r == 0 && run->guard) px_host_mem_guard((void *)(uintptr_t)run->start, run->len);
        if (now && !run->zero) copied_bytes += run->len, copied_runs++;
        if (r == 0 && lazy_but_at && !run->zero) r = px_mm_lazy_add(parent, run->start, run->len, run->prot, now);
        if (r < 0) failed_at("memory", p.runs[i].start, p.runs[i].len);
    }
    px_timing_add("fork: memory copied", copied_runs, copied_bytes, px_timing_now() - since);
    mm->brk_lo = p.h->brk_lo;
    mm->brk_hi = p.h->brk_hi;
    mm->brk_base = p.h->brk_base;
    mm->brk_current = p.h->brk_current;
    px_vm_unlock();

    for (uint32_t i = 0; i < p.h->n_pool && r == 0; i++) {
        const px_rewrite_pool_info *pool = &p.pools[i];
        void *base = (void *)(uintptr_t)pool->base;
        uint64_t used = PX_ALIGN_UP(pool->used, PX_PAGE_SIZE);
        if (!reserved_for_us(pool->base, pool->size) || used > pool->size) {
            r = -LINUX_ENOMEM;
            failed_at("trampoline pool", pool->base, pool->size);
            break;
        }
        r = px_host_mem_commit(base, pool->size, PX_HOST_PROT_READ | PX_HOST_PROT_WRITE | PX_HOST_PROT_EXEC);
        if (r == 0) memset((uint8_t *)base + used, 0xCC, pool->size - used); /* as a new pool is */
        for (uint64_t at = 0; r == 0 && at < used; at += READ_CHUNK)
            r = px_host_process_read(parent, pool->base + at, (uint8_t *)base + at,
                                     used - at < READ_CHUNK ? used - at : READ_CHUNK);
        if (r == 0) r = px_rewrite_adopt_pool(pool);
    }
    for (uint32_t i = 0; i < p.h->n_trap && r == 0; i++) r = px_rewrite_adopt_trap(&p.traps[i]);
    px_host_flush_icache();
    return r;
}
