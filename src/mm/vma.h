/* Pure bookkeeping of the guest address space (no Windows here, so it is unit-tested
   natively): the guest's mappings (VMAs, 4 KiB granularity) and the Windows reservations
   (64 KiB granularity) that hold them. Both are sorted arrays of disjoint ranges. */
#ifndef PX_MM_VMA_H
#define PX_MM_VMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PX_PAGE_SIZE 0x1000ull
#define PX_ALLOC_GRANULARITY 0x10000ull

typedef struct px_vma {
    uint64_t start, end;  /* [start, end), page-aligned */
    uint64_t offset;      /* file offset of start (file mappings) */
    uint64_t file_end;    /* private file mappings: the file offset where the file's data
                             ended at mmap, page-aligned; pages from there on are past end
                             of file (inaccessible, SIGBUS as on Linux) */
    int32_t prot;         /* LINUX_PROT_* as the guest asked */
    int32_t flags;        /* LINUX_MAP_* as the guest asked (type and GROWSDOWN matter) */
    int32_t fd;           /* the fd it was mapped from, -1 for anonymous memory */
    uint8_t kind;         /* enum px_vm_kind (vm.h) */
    bool scanned;         /* code (PROT_EXEC) already scanned by the rewriter */
    uint8_t fork_flags;   /* PX_VMA_DONTFORK, PX_VMA_WIPEONFORK (madvise): what fork does */
    uint32_t view;        /* the Windows view of a section (shared.c) that holds a
                             MAP_SHARED mapping (a file's, or a pagefile section for
                             shared anonymous memory), 0 for memory we commit ourselves */
    const char *path;     /* the name /proc/self/maps shows (an interned string that lives
                             as long as the process), or NULL */
} px_vma;

/* px_vma.fork_flags, as Linux's VM_DONTCOPY and VM_WIPEONFORK. */
enum {
    PX_VMA_DONTFORK = 1,   /* absent in a forked child (MADV_DONTFORK) */
    PX_VMA_WIPEONFORK = 2, /* zero-filled in a forked child (MADV_WIPEONFORK) */
};

typedef struct px_vma_list {
    px_vma *items;
    size_t count, cap;
} px_vma_list;

/* Index of the first VMA that ends after addr (count if none). */
size_t px_vma_lower_bound(const px_vma_list *l, uint64_t addr);
/* The VMA containing addr, or NULL. */
px_vma *px_vma_find(const px_vma_list *l, uint64_t addr);
/* True if no VMA intersects [start, end). */
bool px_vma_range_free(const px_vma_list *l, uint64_t start, uint64_t end);
/* True if VMAs cover all of [start, end) without gaps. */
bool px_vma_range_mapped(const px_vma_list *l, uint64_t start, uint64_t end);
/* Makes addr a VMA boundary (splits the VMA containing it). 0 or -LINUX_ENOMEM. */
int px_vma_split(px_vma_list *l, uint64_t addr);
/* Splits at start and end; *first, *last: the index range [first, last) of the VMAs
   that now lie inside [start, end). 0 or -LINUX_ENOMEM. */
int px_vma_isolate(px_vma_list *l, uint64_t start, uint64_t end, size_t *first, size_t *last);
/* Inserts v; [v->start, v->end) must be free. Merges with compatible neighbours.
   0 or -LINUX_ENOMEM. */
int px_vma_insert(px_vma_list *l, const px_vma *v);
/* Removes everything in [start, end), splitting VMAs that straddle its ends. */
int px_vma_remove(px_vma_list *l, uint64_t start, uint64_t end);
/* Merges compatible neighbours among the VMAs touching [start, end]. */
void px_vma_merge_range(px_vma_list *l, uint64_t start, uint64_t end);
/* True if b directly follows a and both describe the same kind of memory. */
bool px_vma_can_merge(const px_vma *a, const px_vma *b);
/* Lowest page-aligned address >= lo with [addr, addr+len) free and addr+len <= hi. */
bool px_vma_find_hole(const px_vma_list *l, uint64_t lo, uint64_t hi, uint64_t len, uint64_t *out);
void px_vma_list_free(px_vma_list *l);

/* Windows reservations (VirtualAlloc MEM_RESERVE regions) that belong to the guest. */
enum {
    PX_RES_ADOPTED = 1, /* reserved by our parent before we started: never released */
    PX_RES_KEEP = 2,    /* kept even when empty (the brk area) */
};
typedef struct px_res {
    uint64_t base, size;
    uint32_t flags;
} px_res;

typedef struct px_res_list {
    px_res *items;
    size_t count, cap;
} px_res_list;

/* Index of the first reservation that ends after addr (count if none). */
size_t px_res_lower_bound(const px_res_list *l, uint64_t addr);
/* The reservation containing addr, or NULL. */
px_res *px_res_find(const px_res_list *l, uint64_t addr);
/* Adds [base, base+size), which must not overlap an existing one. 0 or -LINUX_ENOMEM. */
int px_res_add(px_res_list *l, uint64_t base, uint64_t size, uint32_t flags);
void px_res_remove(px_res_list *l, uint64_t base);
/* The first part of [*cursor, end) that no reservation covers: [*gap_start, *gap_end).
   Returns false when there is none. */
bool px_res_next_gap(const px_res_list *l, uint64_t start, uint64_t end,
                     uint64_t *gap_start, uint64_t *gap_end);
/* True if reservations cover all of [start, end). */
bool px_res_covers(const px_res_list *l, uint64_t start, uint64_t end);
void px_res_list_free(px_res_list *l);

#endif
