/* The image cache, the rewriter's side (image_cache.h).

   An entry is keyed by a 128-bit hash of the region's bytes as they are when they are
   first executed (so of exactly the code that would be scanned: a file changed in any
   way, whatever its size and times say, gives another key and never meets an old
   entry), of its length and of what the result depends on besides (the entry format,
   the TEB slots, this build of picolx). It holds what rewriting changed, made
   independent of where the region and its trampolines were:
   - the trampoline runs (pool memory the rewriter took, adjacent pieces merged) with
     their bytes, each with the code address it was allocated close to;
   - the runs of bytes the rewriter changed in the region;
   - every address-dependent field of both (rewrite_core.h's enum px_rw_reloc: rel32
     displacements, a guest return address, the pointer to the syscall entry), with
     where it points as "region start + offset" or "trampoline run + offset";
   - the trap sites, their resume points likewise.
   Taking an entry allocates trampoline memory near the region, copies and relocates
   (giving up, with the region untouched, if a displacement would not reach) and
   registers the traps: no decoding. The rewriter's guarantee is kept by construction:
   the same bytes get the same (moved) result the rewriter gave them.

   Why a diff applied to the code read from the file, not views of a section: measured
   under Wine 8.0 here (a mingw program, 8 MiB file): SEC_IMAGE of a file that is no PE
   image fails (ERROR_BAD_EXE_FORMAT); a file-backed SEC_COMMIT section made with
   PAGE_EXECUTE_READ or PAGE_EXECUTE_WRITECOPY maps as FILE_MAP_READ|FILE_MAP_EXECUTE
   (PAGE_EXECUTE_READ, shared) and as FILE_MAP_COPY|FILE_MAP_EXECUTE (PAGE_EXECUTE_WRITECOPY:
   a written page becomes private, executes what was written, the file keeps its bytes),
   in 0.1-0.6 ms; reading every page of such an 8 MiB view took 19 ms against 112 ms for
   VirtualAlloc + ReadFile of the same file. But a view's file offset must be a multiple of
   64 KiB (ERROR_MAPPED_ALIGNMENT otherwise) and a view cannot be placed inside a
   VirtualAlloc reservation (ERROR_INVALID_ADDRESS: the range must be freed first), while
   ELF segments and the guest's mappings are 4 KiB-aligned and held in picolx's
   reservations (mm/vm.c); a view can be placed where a reservation was only once it is
   released. Views of rewritten code need the cache file laid out for the address the
   region gets (its offset modulo 64 KiB, with the neighbouring segments' pages in the same
   64 KiB blocks) and the address space manager to hold private mappings as views (as
   mm/shared.c does for MAP_SHARED): not done yet. Meanwhile an entry itself is mapped
   (core/image_store.c), which spares fresh pages. */
#include <stdlib.h>
#include "core/errors.h"
#include "core/image_store.h"
#include "core/px.h"
#include "core/timing.h"
#include "host/host_build.h"
#include "rewrite/image_cache.h"
#include "rewrite/rewrite.h"
#include "rewrite/rewrite_core.h"

#define ENTRY_VERSION 2
#define RUN_MAX (256u << 10) /* bytes: the longest trampoline run (rewrite.c's pools are 1 MiB) */

/* ---- the entry's layout (payload of core/image_store.h) ---- */

typedef struct entry_head {
    uint32_t version, pad;
    uint64_t len;
    uint32_t n_alloc, n_patch, n_reloc, n_trap;
    uint64_t patch_bytes, tramp_bytes;
} entry_head;

/* A place: guest address start + off (space -1) or trampoline run `space` + off. */
typedef struct loc {
    int64_t off;
    int32_t space;
    uint32_t pad;
} loc;

typedef struct e_alloc { int64_t close_to; uint64_t size; } e_alloc;  /* close_to: from start */
typedef struct e_patch { uint32_t off, len; } e_patch;
/* The fields are most of an entry: a field's place is in the region or a run (32-bit
   offset), where it points anywhere (64-bit). */
typedef struct e_reloc {
    int64_t target_off;
    uint32_t field_off;
    int16_t field_space, target_space;
    uint8_t kind, end_delta, pad[6];
} e_reloc;
typedef struct e_trap {
    int64_t resume_off;
    uint32_t off;
    int16_t resume_space;
    uint8_t kind, has_resume;
} e_trap;
_Static_assert(sizeof(e_reloc) == 24 && sizeof(e_trap) == 16, "entry records are packed");

static loc field_of(const e_reloc *x) { return (loc){.off = x->field_off, .space = x->field_space}; }
static loc target_of(const e_reloc *x) { return (loc){.off = x->target_off, .space = x->target_space}; }
static loc resume_of(const e_trap *t) { return (loc){.off = t->resume_off, .space = t->resume_space}; }

/* ---- recording a rewrite ---- */

typedef struct rec_alloc { uint64_t at, size, close_to; } rec_alloc;
typedef struct rec_reloc { uint64_t field; uint8_t kind, end_delta; } rec_reloc;
typedef struct rec_trap { uint64_t addr, resume; uint32_t kind; } rec_trap;

typedef struct vec { void *items; size_t count, cap; } vec;

typedef struct recording {
    vec allocs, relocs, traps;
    bool failed;
} recording;

static void *vec_push(vec *v, size_t size, bool *failed)
{
    if (v->count == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        void *grown = px_realloc(v->items, cap * size);
        if (!grown) {
            *failed = true;
            return NULL;
        }
        v->items = grown;
        v->cap = cap;
    }
    return (uint8_t *)v->items + size * v->count++;
}

static void on_alloc(void *ctx, uint64_t at, uint64_t size, uint64_t close_to)
{
    recording *r = ctx;
    rec_alloc *last = r->allocs.count ? (rec_alloc *)r->allocs.items + r->allocs.count - 1 : NULL;
    /* the pools hand out memory in order; a run stays small enough for a pool of its own
       when it is taken (its pieces may have come from two adjacent pools) */
    if (last && last->at + last->size == at && last->size + size <= RUN_MAX) {
        last->size += size;
        return;
    }
    rec_alloc *a = vec_push(&r->allocs, sizeof *a, &r->failed);
    if (a) *a = (rec_alloc){at, size, close_to};
}

static void on_trap(void *ctx, uint64_t addr, enum px_trap_kind kind, uint64_t resume)
{
    recording *r = ctx;
    rec_trap *t = vec_push(&r->traps, sizeof *t, &r->failed);
    if (t) *t = (rec_trap){addr, resume, (uint32_t)kind};
}

static void on_reloc(void *ctx, uint64_t field, int kind, uint8_t end_delta)
{
    recording *r = ctx;
    rec_reloc *x = vec_push(&r->relocs, sizeof *x, &r->failed);
    if (x) *x = (rec_reloc){field, (uint8_t)kind, end_delta};
}

static int by_at(const void *x, const void *y)
{
    const rec_alloc *a = x, *b = y;
    return a->at < b->at ? -1 : a->at > b->at;
}

/* Where addr was: in a trampoline run (binary search) or relative to the region. */
static loc place_of(const recording *r, uint64_t start, uint64_t addr)
{
    const rec_alloc *a = r->allocs.items;
    size_t lo = 0, hi = r->allocs.count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid].at + a[mid].size <= addr) lo = mid + 1;
        else hi = mid;
    }
    if (lo < r->allocs.count && addr >= a[lo].at) return (loc){.off = (int64_t)(addr - a[lo].at), .space = (int32_t)lo};
    return (loc){.off = (int64_t)(addr - start), .space = -1};
}

typedef struct out_buf { uint8_t *data; size_t len, cap; bool failed; } out_buf;

static void put(out_buf *o, const void *p, size_t n)
{
    if (o->failed) return;
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + n) cap *= 2;
        uint8_t *grown = px_realloc(o->data, cap);
        if (!grown) {
            o->failed = true;
            return;
        }
        o->data = grown;
        o->cap = cap;
    }
    memcpy(o->data + o->len, p, n);
    o->len += n;
}

/* Runs of changed bytes, runs closer than this merged (fewer records). */
#define PATCH_GAP 16

/* The entry for the region just rewritten (pristine: its bytes before), or false. */
static bool build_entry(recording *r, const uint8_t *pristine, uint64_t start, uint64_t len, out_buf *o)
{
    const uint8_t *now = (const uint8_t *)start;
    qsort(r->allocs.items, r->allocs.count, sizeof(rec_alloc), by_at);
    vec patches = {0};
    bool failed = false;
    uint64_t patch_bytes = 0, tramp_bytes = 0;
    for (uint64_t i = 0; i < len;) {
        if (now[i] == pristine[i]) {
            i++;
            continue;
        }
        uint64_t j = i + 1, same = 0;
        for (; j < len && same < PATCH_GAP; j++) same = now[j] == pristine[j] ? same + 1 : 0;
        j -= same;
        e_patch *p = vec_push(&patches, sizeof *p, &failed);
        if (p) *p = (e_patch){(uint32_t)i, (uint32_t)(j - i)};
        patch_bytes += j - i;
        i = j;
    }
    const rec_alloc *allocs = r->allocs.items;
    for (size_t i = 0; i < r->allocs.count; i++) tramp_bytes += allocs[i].size;
    entry_head h = {.version = ENTRY_VERSION, .len = len, .n_alloc = (uint32_t)r->allocs.count,
                    .n_patch = (uint32_t)patches.count, .n_reloc = (uint32_t)r->relocs.count,
                    .n_trap = (uint32_t)r->traps.count, .patch_bytes = patch_bytes, .tramp_bytes = tramp_bytes};
    put(o, &h, sizeof h);
    for (size_t i = 0; i < r->allocs.count; i++)
        put(o, &(e_alloc){(int64_t)(allocs[i].close_to - start), allocs[i].size}, sizeof(e_alloc));
    put(o, patches.items, patches.count * sizeof(e_patch));
    if (r->allocs.count > INT16_MAX || len > UINT32_MAX) failed = true;
    const rec_reloc *relocs = r->relocs.items;
    for (size_t i = 0; i < r->relocs.count && !failed; i++) {
        loc field = place_of(r, start, relocs[i].field), target = {0};
        size_t size = relocs[i].kind == PX_RW_REL32 ? 4 : 8;
        if (field.space < 0 ? field.off < 0 || (uint64_t)field.off + size > len
                            : (uint64_t)field.off + size > allocs[field.space].size)
            failed = true;
        if (relocs[i].kind == PX_RW_REL32) {
            int32_t d;
            memcpy(&d, (const void *)relocs[i].field, 4);
            target = place_of(r, start, relocs[i].field + relocs[i].end_delta + (int64_t)d);
        } else if (relocs[i].kind == PX_RW_ABS_GUEST) {
            uint64_t v;
            memcpy(&v, (const void *)relocs[i].field, 8);
            target = place_of(r, start, v);
        }
        e_reloc e = {.target_off = target.off, .field_off = (uint32_t)field.off, .field_space = (int16_t)field.space,
                     .target_space = (int16_t)target.space, .kind = relocs[i].kind, .end_delta = relocs[i].end_delta};
        put(o, &e, sizeof e);
    }
    const rec_trap *traps = r->traps.items;
    for (size_t i = 0; i < r->traps.count && !failed; i++) {
        if (traps[i].addr < start || traps[i].addr >= start + len) failed = true;
        e_trap e = {.off = (uint32_t)(traps[i].addr - start), .kind = (uint8_t)traps[i].kind,
                    .has_resume = traps[i].resume != 0};
        if (e.has_resume) {
            loc resume = place_of(r, start, traps[i].resume);
            e.resume_off = resume.off;
            e.resume_space = (int16_t)resume.space;
        }
        put(o, &e, sizeof e);
    }
    const e_patch *pl = patches.items;
    for (size_t i = 0; i < patches.count; i++) put(o, now + pl[i].off, pl[i].len);
    for (size_t i = 0; i < r->allocs.count; i++) put(o, (const void *)allocs[i].at, allocs[i].size);
    px_free(patches.items);
    return !failed && !o->failed;
}

/* ---- taking an entry ---- */

typedef struct parsed {
    const entry_head *h;
    const e_alloc *allocs;
    const e_patch *patches;
    const e_reloc *relocs;
    const e_trap *traps;
    const uint8_t *patch_data, *tramp_data;
} parsed;

static bool parse(const uint8_t *p, size_t n, uint64_t len, parsed *out)
{
    if (n < sizeof(entry_head)) return false;
    const entry_head *h = (const entry_head *)p;
    if (h->version != ENTRY_VERSION || h->len != len) return false;
    uint64_t need = sizeof *h + (uint64_t)h->n_alloc * sizeof(e_alloc) + (uint64_t)h->n_patch * sizeof(e_patch) +
                    (uint64_t)h->n_reloc * sizeof(e_reloc) + (uint64_t)h->n_trap * sizeof(e_trap);
    if (need > n || n - need != h->patch_bytes + h->tramp_bytes) return false;
    out->h = h;
    out->allocs = (const e_alloc *)(p + sizeof *h);
    out->patches = (const e_patch *)(out->allocs + h->n_alloc);
    out->relocs = (const e_reloc *)(out->patches + h->n_patch);
    out->traps = (const e_trap *)(out->relocs + h->n_reloc);
    out->patch_data = (const uint8_t *)(out->traps + h->n_trap);
    out->tramp_data = out->patch_data + h->patch_bytes;
    uint64_t sum = 0;
    for (uint32_t i = 0; i < h->n_patch; i++) {
        if ((uint64_t)out->patches[i].off + out->patches[i].len > len) return false;
        sum += out->patches[i].len;
    }
    if (sum != h->patch_bytes) return false;
    sum = 0;
    for (uint32_t i = 0; i < h->n_alloc; i++) sum += out->allocs[i].size;
    return sum == h->tramp_bytes;
}

/* The address a place has now; 0 if it names no run. */
static uint64_t addr_of(const parsed *e, const uint64_t *run_at, uint64_t start, loc l)
{
    if (l.space < 0) return start + (uint64_t)l.off;
    if ((uint32_t)l.space >= e->h->n_alloc) return 0;
    return run_at[l.space] + (uint64_t)l.off;
}

/* Whether an 8- or 4-byte field at l lies inside what it names. */
static bool field_ok(const parsed *e, loc l, uint64_t len, size_t size)
{
    if (l.off < 0) return false;
    uint64_t limit = l.space < 0 ? len : (uint32_t)l.space < e->h->n_alloc ? e->allocs[l.space].size : 0;
    return (uint64_t)l.off + size <= limit;
}

static int64_t apply(const uint8_t *payload, size_t n, uint64_t start, uint64_t len)
{
    parsed e;
    if (!parse(payload, n, len, &e)) return -LINUX_EINVAL;
    const entry_head *h = e.h;
    uint64_t *run_at = px_alloc((h->n_alloc + 1) * sizeof *run_at);
    int64_t *code_value = px_alloc((h->n_reloc + 1) * sizeof *code_value);
    int64_t rc = run_at && code_value ? 0 : -LINUX_ENOMEM;
    const uint8_t *data = e.tramp_data;
    for (uint32_t i = 0; rc == 0 && i < h->n_alloc; i++) {
        uint8_t *write;
        run_at[i] = px_rewrite_tramp_alloc(start + (uint64_t)e.allocs[i].close_to, e.allocs[i].size, &write);
        if (!run_at[i]) rc = -LINUX_ENOMEM;
        else memcpy(write, data, e.allocs[i].size);
        data += e.allocs[i].size;
    }
    /* The fields: written at once in the trampolines (nothing jumps there yet), kept for
       later in the region, which is left alone until every one is known to reach. */
    uint64_t entry = px_rewrite_get_config()->syscall_entry;
    for (uint32_t i = 0; rc == 0 && i < h->n_reloc; i++) {
        const e_reloc *x = &e.relocs[i];
        size_t size = x->kind == PX_RW_REL32 ? 4 : 8;
        if (!field_ok(&e, field_of(x), len, size)) {
            rc = -LINUX_EINVAL;
            break;
        }
        uint64_t field = addr_of(&e, run_at, start, field_of(x)), value;
        if (x->kind == PX_RW_REL32) {
            uint64_t to = addr_of(&e, run_at, start, target_of(x));
            int64_t d = (int64_t)(to - (field + x->end_delta));
            if (!to || d != (int32_t)d) {
                rc = -LINUX_ERANGE;
                break;
            }
            value = (uint64_t)d;
        } else if (x->kind == PX_RW_ABS_GUEST) {
            value = addr_of(&e, run_at, start, target_of(x));
        } else if (x->kind == PX_RW_ABS_ENTRY) {
            value = entry;
        } else {
            rc = -LINUX_EINVAL;
            break;
        }
        if (x->field_space >= 0) memcpy((void *)field, &value, size);
        else code_value[i] = (int64_t)value;
    }
    for (uint32_t i = 0; rc == 0 && i < h->n_trap; i++)
        if (e.traps[i].off >= len || (e.traps[i].has_resume && !field_ok(&e, resume_of(&e.traps[i]), len, 0)))
            rc = -LINUX_EINVAL;
    if (rc == 0) {
        const uint8_t *pd = e.patch_data;
        for (uint32_t i = 0; i < h->n_patch; i++) {
            memcpy((void *)(start + e.patches[i].off), pd, e.patches[i].len);
            pd += e.patches[i].len;
        }
        for (uint32_t i = 0; i < h->n_reloc; i++)
            if (e.relocs[i].field_space < 0)
                memcpy((void *)(start + e.relocs[i].field_off), &code_value[i],
                       e.relocs[i].kind == PX_RW_REL32 ? 4 : 8);
        for (uint32_t i = 0; i < h->n_trap && rc == 0; i++) {
            uint64_t resume = e.traps[i].has_resume ? addr_of(&e, run_at, start, resume_of(&e.traps[i])) : 0;
            if (px_rewrite_trap_add(start + e.traps[i].off, (enum px_trap_kind)e.traps[i].kind, resume) < 0)
                rc = -LINUX_ENOMEM;
        }
    }
    px_free(run_at);
    px_free(code_value);
    return rc;
}

/* ---- the region ---- */

/* What a result depends on besides the bytes. */
static uint64_t key_seed(uint64_t len)
{
    const px_rewrite_config *c = px_rewrite_get_config();
    uint64_t parts[5] = {ENTRY_VERSION, len, c->teb_fs_slot, c->teb_scratch_slot, px_host_build_stamp()}, h[2];
    px_hash128(parts, sizeof parts, 0, h);
    return h[0];
}

/* Below this, rewriting costs less than taking an entry (opening, mapping and marking
   its file: a few wineserver round trips; measured: a 16 KiB region 1.4 ms to rewrite,
   1.5-3.5 ms from the cache, ld.so's 152 KiB 16 ms and 1.6-5 ms). */
#define MIN_CACHED (64u << 10)

int64_t px_image_cache_rewrite(uint64_t start, uint64_t len)
{
    if (!px_image_cache_on() || len < MIN_CACHED) return px_rewrite_region(start, len);
    uint64_t since = px_timing_now();
    uint64_t key[2];
    px_hash128((const void *)start, (size_t)len, key_seed(len), key);
    uint64_t read_since = px_timing_now();
    px_timing_add("rewrite/ image cache hash", 1, len, read_since - since);
    const void *payload;
    size_t n;
    if (px_image_cache_get(key, &payload, &n) == 0) {
        uint64_t apply_since = px_timing_now();
        px_timing_add("rewrite/ image cache read", 1, n, apply_since - read_since);
        int64_t rc = apply(payload, n, start, len);
        px_timing_add("rewrite/ image cache apply", 1, n, px_timing_now() - apply_since);
        px_image_cache_release(payload);
        if (rc == 0) {
            px_timing_work("rewrite: from image cache", start, len, since);
            return 0;
        }
        /* a trampoline placed out of a rel32's reach here (ERANGE), say: rewritten as
           on a miss; shown by PICOLX_TIMING, not on the guest's stderr */
        px_timing_work("rewrite: image cache entry not usable here", start, len, since);
    }
    px_timing_work("rewrite: image cache lookup (miss)", start, len, since);
    uint8_t *pristine = px_alloc((size_t)len);
    if (!pristine) return px_rewrite_region(start, len);
    memcpy(pristine, (const void *)start, (size_t)len);
    recording r = {0};
    px_rewrite_recorder rec = {.ctx = &r, .on_alloc = on_alloc, .on_trap = on_trap, .on_reloc = on_reloc};
    int64_t rc = px_rewrite_region_recorded(start, len, &rec);
    if (rc == 0 && !r.failed) {
        uint64_t store_since = px_timing_now();
        out_buf o = {0};
        if (build_entry(&r, pristine, start, len, &o)) px_image_cache_put(key, o.data, o.len);
        px_free(o.data);
        px_timing_work("rewrite: image cache store", start, len, store_since);
    }
    px_free(r.allocs.items);
    px_free(r.relocs.items);
    px_free(r.traps.items);
    px_free(pristine);
    return rc;
}
