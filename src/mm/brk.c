/* The brk area: one large reservation at the end of the image, committed as the break
   moves. */
#include "mm/vm_private.h"


void px_vm_set_brk_base(uint64_t base)
{
    /* as large as the address space allows: programs grow their heap with brk until it
       fails, then fall back to mmap */
    static const uint64_t sizes[] = { 1ull << 30, 256ull << 20, 64ull << 20, 16ull << 20, 1ull << 20 };
    base = PX_ALIGN_UP(base, PX_PAGE_SIZE);
    px_vm_lock();
    uint64_t limit = base;
    for (size_t i = 0; i < PX_ARRAY_LEN(sizes); i++) {
        /* in a child, the parent reserved this area already: that counts as ours */
        if (px_vm_reserve(base, base + sizes[i]) == 0) {
            limit = base + sizes[i];
            break;
        }
    }
    if (limit == base) { /* at least the rest of the image's own reservation */
        const px_res *r = px_res_find(&px_mm_host.reservations, base);
        if (r) limit = r->base + r->size;
    }
    for (size_t i = px_res_lower_bound(&px_mm_host.reservations, base);
         i < px_mm_host.reservations.count && px_mm_host.reservations.items[i].base < limit; i++)
        px_mm_host.reservations.items[i].flags |= PX_RES_KEEP;
    px_mm_host.brk_base = px_mm_host.brk_current = base;
    px_mm_host.brk_lo = base;
    px_mm_host.brk_hi = limit;
    px_vm_unlock();
}

void px_vm_reset(void)
{
    px_vm_lock();
    px_vm_unmap_locked(0, PX_USER_TOP, false);
    for (size_t i = 0; i < px_mm_host.reservations.count; i++) px_mm_host.reservations.items[i].flags &= ~PX_RES_KEEP;
    px_vm_release_empty(0, PX_USER_TOP);
    px_mm_host.brk_base = px_mm_host.brk_current = 0;
    px_mm_host.brk_lo = px_mm_host.brk_hi = 0;
    px_vm_unlock();
}

uint64_t px_vm_brk(uint64_t requested)
{
    px_vm_lock();
    uint64_t result = px_mm_host.brk_current;
    if (!px_mm_host.brk_base || requested < px_mm_host.brk_base || requested > px_mm_host.brk_hi) goto out;
    uint64_t old_top = PX_ALIGN_UP(px_mm_host.brk_current, PX_PAGE_SIZE);
    uint64_t new_top = PX_ALIGN_UP(requested, PX_PAGE_SIZE);
    if (new_top > old_top) {
        if (!px_vma_range_free(&px_mm_host.vmas, old_top, new_top)) goto out; /* a mapping is in the way */
        px_vma v = {
            .start = old_top, .end = new_top, .prot = LINUX_PROT_READ | LINUX_PROT_WRITE,
            .flags = LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS, .fd = -1, .kind = PX_VM_BRK,
        };
        if (px_vm_apply(&v) || px_vma_insert(&px_mm_host.vmas, &v)) {
            px_vm_decommit(old_top, new_top);
            goto out;
        }
    } else if (new_top < old_top) {
        /* decommitted pages read back as zeros when the break grows again, as on Linux */
        if (px_vm_unmap_locked(new_top, old_top, false)) goto out;
    }
    px_mm_host.brk_current = result = requested;
out:
    px_vm_unlock();
    return result;
}

/* brk(2): on failure the old break, as the kernel returns it (glibc checks for that). */
PX_SYSCALL(brk)
{
    uint64_t requested = PX_ARG0;
    return (int64_t)px_vm_brk(requested);
}
