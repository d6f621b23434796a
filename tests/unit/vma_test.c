/* The pure bookkeeping of the guest address space: VMAs and reservations. */
#include <criterion/criterion.h>
#include <stdio.h>
#include "core/px.h"
#include "mm/vma.h"

#define P 0x1000ull

static px_vma anon(uint64_t start, uint64_t end, int prot)
{
    return (px_vma){ .start = start, .end = end, .prot = prot,
                     .flags = LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS, .fd = -1 };
}

/* The list as "start-end:prot" pairs, to compare in one assertion. */
static const char *dump(const px_vma_list *l)
{
    static char buf[1024];
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < l->count; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%llx-%llx:%d", i ? " " : "",
                              (unsigned long long)l->items[i].start,
                              (unsigned long long)l->items[i].end, l->items[i].prot);
    return buf;
}

Test(vma, insert_merges_compatible_neighbours)
{
    px_vma_list l = {0};
    px_vma a = anon(0x10000, 0x12000, 3), b = anon(0x12000, 0x13000, 3), c = anon(0x14000, 0x15000, 3);
    cr_assert_eq(px_vma_insert(&l, &a), 0);
    cr_assert_eq(px_vma_insert(&l, &c), 0);
    cr_assert_eq(px_vma_insert(&l, &b), 0);
    cr_assert_str_eq(dump(&l), "10000-13000:3 14000-15000:3");
    px_vma d = anon(0x13000, 0x14000, 3);
    cr_assert_eq(px_vma_insert(&l, &d), 0);
    cr_assert_str_eq(dump(&l), "10000-15000:3");
    px_vma e = anon(0x15000, 0x16000, 1); /* other prot: stays apart */
    px_vma_insert(&l, &e);
    cr_assert_str_eq(dump(&l), "10000-15000:3 15000-16000:1");
    px_vma_list_free(&l);
}

Test(vma, scanned_code_and_files_merge_only_when_alike)
{
    px_vma a = anon(0, P, 5), b = anon(P, 2 * P, 5);
    cr_assert(px_vma_can_merge(&a, &b));
    b.scanned = true;
    cr_assert_not(px_vma_can_merge(&a, &b));
    px_vma f = { .start = 0, .end = P, .prot = 1, .flags = LINUX_MAP_PRIVATE, .fd = 3, .offset = 0x5000 };
    px_vma g = f;
    g.start = P; g.end = 2 * P; g.offset = 0x6000;
    cr_assert(px_vma_can_merge(&f, &g));
    g.offset = 0x8000;
    cr_assert_not(px_vma_can_merge(&f, &g));
}

Test(vma, find_and_range_queries)
{
    px_vma_list l = {0};
    px_vma a = anon(0x10000, 0x12000, 3), b = anon(0x13000, 0x14000, 1);
    px_vma_insert(&l, &a);
    px_vma_insert(&l, &b);
    cr_assert_null(px_vma_find(&l, 0xffff));
    cr_assert_eq(px_vma_find(&l, 0x10000)->start, 0x10000);
    cr_assert_eq(px_vma_find(&l, 0x11fff)->start, 0x10000);
    cr_assert_null(px_vma_find(&l, 0x12000));
    cr_assert_eq(px_vma_find(&l, 0x13fff)->start, 0x13000);
    cr_assert_null(px_vma_find(&l, 0x14000));
    cr_assert(px_vma_range_free(&l, 0x12000, 0x13000));
    cr_assert_not(px_vma_range_free(&l, 0x11000, 0x12001));
    cr_assert_not(px_vma_range_free(&l, 0x0, 0x100000));
    cr_assert(px_vma_range_mapped(&l, 0x10000, 0x12000));
    cr_assert_not(px_vma_range_mapped(&l, 0x10000, 0x14000));
    cr_assert(px_vma_range_mapped(&l, 0x13000, 0x14000));
    px_vma_list_free(&l);
}

Test(vma, remove_the_middle_splits)
{
    px_vma_list l = {0};
    px_vma f = { .start = 0x10000, .end = 0x20000, .prot = 1, .flags = LINUX_MAP_PRIVATE, .fd = 3, .offset = 0x3000 };
    px_vma_insert(&l, &f);
    cr_assert_eq(px_vma_remove(&l, 0x14000, 0x15000), 0);
    cr_assert_str_eq(dump(&l), "10000-14000:1 15000-20000:1");
    cr_assert_eq(l.items[1].offset, 0x3000 + 0x5000, "the right part keeps its file offset");
    /* removing across a hole and partial ends */
    cr_assert_eq(px_vma_remove(&l, 0x13000, 0x16000), 0);
    cr_assert_str_eq(dump(&l), "10000-13000:1 16000-20000:1");
    cr_assert_eq(px_vma_remove(&l, 0x0, 0x100000), 0);
    cr_assert_eq(l.count, 0);
    cr_assert_eq(px_vma_remove(&l, 0x0, 0x100000), 0, "unmapping nothing is fine");
    px_vma_list_free(&l);
}

Test(vma, isolate_then_change_then_merge_back)
{
    px_vma_list l = {0};
    px_vma a = anon(0x10000, 0x20000, 3);
    px_vma_insert(&l, &a);
    size_t first, last;
    cr_assert_eq(px_vma_isolate(&l, 0x12000, 0x13000, &first, &last), 0);
    cr_assert_eq(last - first, 1);
    l.items[first].prot = 1;
    px_vma_merge_range(&l, 0x12000, 0x13000);
    cr_assert_str_eq(dump(&l), "10000-12000:3 12000-13000:1 13000-20000:3");
    l.items[1].prot = 3;
    px_vma_merge_range(&l, 0x12000, 0x13000);
    cr_assert_str_eq(dump(&l), "10000-20000:3");
    /* isolating a range that spans several VMAs and a hole */
    px_vma b = anon(0x22000, 0x30000, 1);
    px_vma_insert(&l, &b);
    cr_assert_eq(px_vma_isolate(&l, 0x1f000, 0x23000, &first, &last), 0);
    cr_assert_eq(last - first, 2);
    cr_assert_eq(l.items[first].start, 0x1f000);
    cr_assert_eq(l.items[last - 1].end, 0x23000);
    px_vma_list_free(&l);
}

Test(vma, find_hole)
{
    px_vma_list l = {0};
    uint64_t at = 0;
    cr_assert(px_vma_find_hole(&l, 0x10000, 0x20000, 0x10000, &at));
    cr_assert_eq(at, 0x10000);
    cr_assert_not(px_vma_find_hole(&l, 0x10000, 0x20000, 0x10001, &at));
    px_vma a = anon(0x10000, 0x12000, 3), b = anon(0x13000, 0x18000, 3);
    px_vma_insert(&l, &a);
    px_vma_insert(&l, &b);
    cr_assert(px_vma_find_hole(&l, 0x10000, 0x20000, 0x1000, &at));
    cr_assert_eq(at, 0x12000);
    cr_assert(px_vma_find_hole(&l, 0x10000, 0x20000, 0x2000, &at));
    cr_assert_eq(at, 0x18000);
    cr_assert(px_vma_find_hole(&l, 0x10000, 0x20000, 0x8000, &at));
    cr_assert_eq(at, 0x18000);
    cr_assert_not(px_vma_find_hole(&l, 0x10000, 0x20000, 0x9000, &at));
    cr_assert_not(px_vma_find_hole(&l, 0x10000, 0x12000, 0x1000, &at));
    cr_assert(px_vma_find_hole(&l, 0x11000, 0x13000, 0x1000, &at));
    cr_assert_eq(at, 0x12000);
    px_vma_list_free(&l);
}

Test(vma, many_mappings_stay_sorted)
{
    px_vma_list l = {0};
    for (uint64_t i = 0; i < 1000; i++) {
        uint64_t k = (i * 7919) % 1000; /* a permutation of 0..999 */
        px_vma v = anon(k * 2 * P, k * 2 * P + P, (int)(k % 3));
        cr_assert_eq(px_vma_insert(&l, &v), 0);
    }
    cr_assert_eq(l.count, 1000);
    for (size_t i = 1; i < l.count; i++) cr_assert_lt(l.items[i - 1].end, l.items[i].start + 1);
    cr_assert_eq(px_vma_find(&l, 999 * 2 * P)->start, 999 * 2 * P);
    px_vma_list_free(&l);
}

Test(res, gaps_and_coverage)
{
    px_res_list r = {0};
    cr_assert_eq(px_res_add(&r, 0x30000, 0x10000, 0), 0);
    cr_assert_eq(px_res_add(&r, 0x10000, 0x10000, PX_RES_ADOPTED), 0);
    uint64_t gs, ge;
    cr_assert(px_res_next_gap(&r, 0x0, 0x50000, &gs, &ge));
    cr_assert_eq(gs, 0x0); cr_assert_eq(ge, 0x10000);
    cr_assert(px_res_next_gap(&r, 0x10000, 0x50000, &gs, &ge));
    cr_assert_eq(gs, 0x20000); cr_assert_eq(ge, 0x30000);
    cr_assert(px_res_next_gap(&r, 0x30000, 0x50000, &gs, &ge));
    cr_assert_eq(gs, 0x40000); cr_assert_eq(ge, 0x50000);
    cr_assert_not(px_res_next_gap(&r, 0x30000, 0x40000, &gs, &ge));
    cr_assert(px_res_covers(&r, 0x10000, 0x20000));
    cr_assert_not(px_res_covers(&r, 0x10000, 0x30001));
    cr_assert_eq(px_res_find(&r, 0x1ffff)->flags, PX_RES_ADOPTED);
    cr_assert_null(px_res_find(&r, 0x20000));
    px_res_remove(&r, 0x10000);
    cr_assert_null(px_res_find(&r, 0x10000));
    cr_assert_eq(r.count, 1);
    px_res_list_free(&r);
}

/* madvise's fork advice splits a mapping; undone, the parts merge again (as Linux's
   VM_DONTCOPY and VM_WIPEONFORK decide merging). */
Test(vma, fork_advice_splits_and_merges_back)
{
    px_vma_list l = {0};
    px_vma a = anon(0x10000, 0x14000, 3);
    cr_assert_eq(px_vma_insert(&l, &a), 0);
    size_t first, last;
    cr_assert_eq(px_vma_isolate(&l, 0x11000, 0x12000, &first, &last), 0);
    cr_assert_eq(last - first, 1);
    l.items[first].fork_flags = PX_VMA_DONTFORK;
    px_vma_merge_range(&l, 0x11000, 0x12000);
    cr_assert_str_eq(dump(&l), "10000-11000:3 11000-12000:3 12000-14000:3");
    l.items[first].fork_flags = 0;
    px_vma_merge_range(&l, 0x11000, 0x12000);
    cr_assert_str_eq(dump(&l), "10000-14000:3");
    px_vma_list_free(&l);
}
