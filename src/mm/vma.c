/* Pure bookkeeping of the guest address space: sorted arrays of disjoint ranges.
   Binary search finds; inserts and removals move the tail (a process has hundreds of
   mappings, not millions, and this keeps lookups cache-friendly). */
#include "core/px.h"
#include "mm/vma.h"

static int grow(void **items, size_t *cap, size_t need, size_t item_size)
{
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap * 2 : 16;
    while (n < need) n *= 2;
    void *p = px_realloc(*items, n * item_size);
    if (!p) return -LINUX_ENOMEM;
    *items = p;
    *cap = n;
    return 0;
}

size_t px_vma_lower_bound(const px_vma_list *l, uint64_t addr)
{
    size_t lo = 0, hi = l->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->items[mid].end <= addr) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

px_vma *px_vma_find(const px_vma_list *l, uint64_t addr)
{
    size_t i = px_vma_lower_bound(l, addr);
    if (i < l->count && l->items[i].start <= addr) return &l->items[i];
    return NULL;
}

bool px_vma_range_free(const px_vma_list *l, uint64_t start, uint64_t end)
{
    size_t i = px_vma_lower_bound(l, start);
    return i == l->count || l->items[i].start >= end;
}

bool px_vma_range_mapped(const px_vma_list *l, uint64_t start, uint64_t end)
{
    uint64_t at = start;
    for (size_t i = px_vma_lower_bound(l, start); i < l->count && at < end; i++) {
        if (l->items[i].start > at) return false;
        at = l->items[i].end;
    }
    return at >= end;
}

static int insert_at(px_vma_list *l, size_t i, const px_vma *v)
{
    if (grow((void **)&l->items, &l->cap, l->count + 1, sizeof *l->items)) return -LINUX_ENOMEM;
    memmove(&l->items[i + 1], &l->items[i], (l->count - i) * sizeof *l->items);
    l->items[i] = *v;
    l->count++;
    return 0;
}

static void remove_span(px_vma_list *l, size_t first, size_t last)
{
    memmove(&l->items[first], &l->items[last], (l->count - last) * sizeof *l->items);
    l->count -= last - first;
}

int px_vma_split(px_vma_list *l, uint64_t addr)
{
    size_t i = px_vma_lower_bound(l, addr);
    if (i == l->count || l->items[i].start >= addr) return 0;
    px_vma right = l->items[i];
    right.offset += addr - right.start;
    right.start = addr;
    if (insert_at(l, i + 1, &right)) return -LINUX_ENOMEM;
    l->items[i].end = addr;
    return 0;
}

int px_vma_isolate(px_vma_list *l, uint64_t start, uint64_t end, size_t *first, size_t *last)
{
    if (px_vma_split(l, start) || px_vma_split(l, end)) return -LINUX_ENOMEM;
    size_t i = px_vma_lower_bound(l, start), j = i;
    while (j < l->count && l->items[j].start < end) j++;
    *first = i;
    *last = j;
    return 0;
}

bool px_vma_can_merge(const px_vma *a, const px_vma *b)
{
    if (a->end != b->start || a->prot != b->prot || a->flags != b->flags || a->kind != b->kind ||
        a->scanned != b->scanned || a->fork_flags != b->fork_flags || a->fd != b->fd || a->view != b->view || a->path != b->path ||
        a->file_end != b->file_end)
        return false;
    return a->fd < 0 || b->offset == a->offset + (a->end - a->start);
}

void px_vma_merge_range(px_vma_list *l, uint64_t start, uint64_t end)
{
    size_t i = px_vma_lower_bound(l, start);
    if (i > 0) i--; /* the VMA ending exactly at start may merge too */
    while (i + 1 < l->count && l->items[i].start <= end) {
        if (px_vma_can_merge(&l->items[i], &l->items[i + 1])) {
            l->items[i].end = l->items[i + 1].end;
            remove_span(l, i + 1, i + 2);
        } else {
            i++;
        }
    }
}

int px_vma_insert(px_vma_list *l, const px_vma *v)
{
    size_t i = px_vma_lower_bound(l, v->start);
    if (insert_at(l, i, v)) return -LINUX_ENOMEM;
    px_vma_merge_range(l, v->start, v->end);
    return 0;
}

int px_vma_remove(px_vma_list *l, uint64_t start, uint64_t end)
{
    size_t first, last;
    int rc = px_vma_isolate(l, start, end, &first, &last);
    if (rc) return rc;
    remove_span(l, first, last);
    return 0;
}

bool px_vma_find_hole(const px_vma_list *l, uint64_t lo, uint64_t hi, uint64_t len, uint64_t *out)
{
    uint64_t at = PX_ALIGN_UP(lo, PX_PAGE_SIZE);
    for (size_t i = px_vma_lower_bound(l, at); ; i++) {
        uint64_t next = i < l->count ? l->items[i].start : UINT64_MAX;
        if (next > hi) next = hi;
        if (at <= next && next - at >= len) {
            *out = at;
            return true;
        }
        if (i >= l->count || l->items[i].start >= hi) return false;
        if (l->items[i].end > at) at = l->items[i].end;
    }
}

void px_vma_list_free(px_vma_list *l)
{
    px_free(l->items);
    memset(l, 0, sizeof *l);
}

size_t px_res_lower_bound(const px_res_list *l, uint64_t addr)
{
    size_t lo = 0, hi = l->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->items[mid].base + l->items[mid].size <= addr) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

px_res *px_res_find(const px_res_list *l, uint64_t addr)
{
    size_t i = px_res_lower_bound(l, addr);
    if (i < l->count && l->items[i].base <= addr) return &l->items[i];
    return NULL;
}

int px_res_add(px_res_list *l, uint64_t base, uint64_t size, uint32_t flags)
{
    if (grow((void **)&l->items, &l->cap, l->count + 1, sizeof *l->items)) return -LINUX_ENOMEM;
    size_t i = px_res_lower_bound(l, base);
    memmove(&l->items[i + 1], &l->items[i], (l->count - i) * sizeof *l->items);
    l->items[i] = (px_res){ .base = base, .size = size, .flags = flags };
    l->count++;
    return 0;
}

void px_res_remove(px_res_list *l, uint64_t base)
{
    size_t i = px_res_lower_bound(l, base);
    if (i == l->count || l->items[i].base != base) return;
    memmove(&l->items[i], &l->items[i + 1], (l->count - i - 1) * sizeof *l->items);
    l->count--;
}

bool px_res_next_gap(const px_res_list *l, uint64_t start, uint64_t end,
                     uint64_t *gap_start, uint64_t *gap_end)
{
    uint64_t at = start;
    for (size_t i = px_res_lower_bound(l, at); at < end; i++) {
        if (i == l->count || l->items[i].base > at) {
            uint64_t stop = i == l->count ? end : l->items[i].base;
            *gap_start = at;
            *gap_end = stop < end ? stop : end;
            return true;
        }
        at = l->items[i].base + l->items[i].size;
    }
    return false;
}

bool px_res_covers(const px_res_list *l, uint64_t start, uint64_t end)
{
    uint64_t gs, ge;
    return start >= end || !px_res_next_gap(l, start, end, &gs, &ge);
}

void px_res_list_free(px_res_list *l)
{
    px_free(l->items);
    memset(l, 0, sizeof *l);
}
