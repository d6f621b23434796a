/* The host side of the guest address space: reservations (64 KiB granularity on Windows)
   hold the guest's mappings (4 KiB granularity); pages are committed per mapping, and code
   stays non-executable for the host until the rewriter has scanned it. */
#include "host/host_env.h"
#include "host/host_mem.h"
#include "host/host_sync.h"
#include "host/host_thread.h"
#include "mm/vm_private.h"
#include "rewrite/image_cache.h"
#include "rewrite/rewrite.h"
#include "core/timing.h"

struct px_mm px_mm_host = {.refs = 1, .next_view_id = 1}; /* the reference of the Windows process itself */

struct px_mm *px_mm_host_take(void) { return px_mm_take(&px_mm_host); }

void px_vm_set_args(const px_vm_args *a)
{
    px_vm_lock();
    px_mm_host.args = *a;
    px_vm_unlock();
}

void px_vm_set_exe_path(const char *path)
{
    char *copy = path ? px_strdup(path) : NULL;
    px_vm_lock();
    char *old = px_mm_host.exe_path;
    px_mm_host.exe_path = copy;
    px_vm_unlock();
    px_free(old);
}

void px_vm_guard_stack(uint64_t stack_lo)
{
    px_host_mem_guard((void *)(uintptr_t)(stack_lo + PX_VM_STACK_LANDING), PX_PAGE_SIZE); /* best effort */
}

size_t px_vm_get_exe_path(char *out, size_t size)
{
    px_vm_lock();
    const char *p = px_mm_host.exe_path;
    size_t n = p ? strlen(p) : 0;
    if (size) {
        size_t m = n < size ? n : size - 1;
        if (m) memcpy(out, p, m);
        out[m] = 0;
    }
    px_vm_unlock();
    return n;
}

px_vm_args px_vm_get_args(void)
{
    px_vm_lock();
    px_vm_args a = px_mm_host.args;
    px_vm_unlock();
    return a;
}

struct px_mm *px_mm_take(struct px_mm *mm)
{
    __atomic_add_fetch(&mm->refs, 1, __ATOMIC_RELAXED);
    return mm;
}

/* The last task gone does not end the address space: the Windows process does. */
void px_mm_drop(struct px_mm *mm)
{
    if (mm) __atomic_sub_fetch(&mm->refs, 1, __ATOMIC_RELAXED);
}

/* New reservations for placed mappings are at least this big, so that small mmaps
   (ld.so's segments, malloc's mmap threshold) share one. */
#define MIN_RESERVATION (1ull << 20)
/* MAP_NORESERVE mappings larger than this are committed page by page when touched. */
#define LAZY_COMMIT_ABOVE (1ull << 30)

/* px_mm_host's lock (one address space per Windows process, so one lock): recursive
   (vm_private.h says why), made of the host's plain lock, its holder's thread id and a
   depth that only the holder touches. */
static px_host_rwlock vm_lock = PX_HOST_RWLOCK_INIT;
static uint32_t vm_lock_holder; /* atomic: the holding thread's id, 0 when free (no host thread has id 0) */
static uint32_t vm_lock_depth;

void px_vm_lock(void)
{
    uint32_t me = px_host_thread_id();
    /* only this thread stores its own id: seeing it means this thread holds the lock */
    if (__atomic_load_n(&vm_lock_holder, __ATOMIC_RELAXED) == me) {
        vm_lock_depth++;
        return;
    }
    px_host_rwlock_lock(&vm_lock);
    __atomic_store_n(&vm_lock_holder, me, __ATOMIC_RELAXED);
    vm_lock_depth = 1;
}

void px_vm_unlock(void)
{
    if (--vm_lock_depth) return;
    __atomic_store_n(&vm_lock_holder, 0, __ATOMIC_RELAXED);
    px_host_rwlock_unlock(&vm_lock);
}

int px_vm_init(void) { return 0; } /* the lock needs no set-up */

/* Linux prot (R=1, W=2, X=4) -> host protection. x86 cannot write or execute without
   reading, so Linux makes W and X imply R; host pages behave the same way here.
   Before the scan, code is readable (and writable if asked) but not executable; after
   it, code is never writable: a write faults and sends the mapping back to be rescanned. */
enum {
    HOST_NONE = PX_HOST_PROT_NONE,
    HOST_R = PX_HOST_PROT_READ,
    HOST_RW = PX_HOST_PROT_READ | PX_HOST_PROT_WRITE,
    HOST_RX = PX_HOST_PROT_READ | PX_HOST_PROT_EXEC,
};
static const int host_prot_unscanned[8] = {HOST_NONE, HOST_R, HOST_RW, HOST_RW, HOST_R, HOST_R, HOST_RW, HOST_RW};
static const int host_prot_scanned[8] = {HOST_NONE, HOST_R, HOST_RW, HOST_RW, HOST_RX, HOST_RX, HOST_RX, HOST_RX};

int px_vm_host_prot(int prot, bool scanned)
{
    return (scanned ? host_prot_scanned : host_prot_unscanned)[prot & 7];
}

/* Host memory calls must stay inside one reservation: the helpers below work on the
   parts of [start, end) that our reservations cover, one reservation at a time. */
typedef struct piece_iter {
    size_t index;
    uint64_t start, end;
} piece_iter;

static piece_iter pieces(uint64_t start, uint64_t end)
{
    return (piece_iter){ px_res_lower_bound(&px_mm_host.reservations, start), start, end };
}

static bool next_piece(piece_iter *it, uint64_t *s, uint64_t *e)
{
    if (it->index >= px_mm_host.reservations.count) return false;
    const px_res *r = &px_mm_host.reservations.items[it->index++];
    if (r->base >= it->end) return false;
    *s = r->base > it->start ? r->base : it->start;
    *e = r->base + r->size < it->end ? r->base + r->size : it->end;
    return true;
}

int64_t px_vm_commit(uint64_t start, uint64_t end, int host_prot)
{
    piece_iter it = pieces(start, end);
    for (uint64_t s, e; next_piece(&it, &s, &e);) {
        int64_t rc = px_host_mem_commit((void *)s, e - s, host_prot);
        /* pages that were committed already keep their old protection otherwise */
        if (!rc) rc = px_host_mem_protect((void *)s, e - s, host_prot, NULL);
        if (rc) return rc;
    }
    return 0;
}

void px_vm_decommit(uint64_t start, uint64_t end)
{
    piece_iter it = pieces(start, end);
    for (uint64_t s, e; next_piece(&it, &s, &e);) px_host_mem_decommit((void *)s, e - s);
}

/* The protection on the committed parts only: an untouched PROT_NONE range (a thread
   stack's guard, a Go arena) is never committed, so it costs no commit charge. */
static int64_t protect_committed(uint64_t start, uint64_t end, int host_prot)
{
    uint64_t at = start;
    while (at < end) {
        px_host_region region;
        int64_t rc = px_host_mem_query((void *)at, &region);
        if (rc) return rc;
        uint64_t stop = region.base + region.size;
        if (stop > end) stop = end;
        if (region.state == PX_HOST_MEM_COMMITTED) {
            rc = px_host_mem_protect((void *)at, stop - at, host_prot, NULL);
            if (rc) return rc;
        }
        at = stop;
    }
    return 0;
}

uint64_t px_vm_data_end(const px_vma *v)
{
    if (v->fd < 0 && !v->view) return v->end;
    uint64_t end;
    if (v->view) {
        end = px_vm_view_mapped_end(v->view);
    } else {
        if (v->file_end <= v->offset) return v->start;
        end = v->start + (v->file_end - v->offset);
        if (end < v->start) end = v->end; /* overflow: all of it is data */
    }
    return end < v->start ? v->start : end < v->end ? end : v->end;
}

int64_t px_vm_apply(const px_vma *v)
{
    if (v->view) return px_vm_apply_view(v);
    /* pages past end of file stay inaccessible whatever prot says: an access is SIGBUS */
    uint64_t data_end = px_vm_data_end(v);
    if (data_end < v->end) {
        int64_t rc = protect_committed(data_end, v->end, PX_HOST_PROT_NONE);
        if (rc || data_end == v->start) return rc;
        px_vma data = *v;
        data.end = data_end;
        return px_vm_apply(&data);
    }
    int wp = px_vm_host_prot(v->prot, v->scanned);
    if (wp == PX_HOST_PROT_NONE) return protect_committed(v->start, v->end, wp);
    /* Huge MAP_NORESERVE mappings (sanitizer shadows, arenas) and those Windows refuses to
       commit (Wine answers ERROR_ACCESS_DENIED past its limit) are committed 64 KiB at a
       time at their first touch instead (px_vm_access_fault). The host's own calls fail on
       such pages rather than fault (read() into them gives EFAULT), so this is only the
       fallback. */
    bool lazy_ok = v->flags & LINUX_MAP_NORESERVE;
    if (lazy_ok && v->end - v->start > LAZY_COMMIT_ABOVE)
        return protect_committed(v->start, v->end, wp);
    int64_t rc = px_vm_commit(v->start, v->end, wp);
    if (rc && lazy_ok) rc = protect_committed(v->start, v->end, wp);
    return rc;
}

int64_t px_vm_reserve(uint64_t start, uint64_t end)
{
    uint64_t lo = PX_ALIGN_DOWN(start, PX_ALLOC_GRANULARITY);
    uint64_t hi = PX_ALIGN_UP(end, PX_ALLOC_GRANULARITY);
    uint64_t made[16];
    unsigned n_made = 0;
    uint64_t at = lo, gs, ge;
    while (px_res_next_gap(&px_mm_host.reservations, at, hi, &gs, &ge)) {
        void *p = NULL;
        if (n_made < PX_ARRAY_LEN(made))
            p = px_host_mem_reserve((void *)gs, ge - gs);
        if (p && (uint64_t)p != gs) { /* cannot happen for aligned gaps; be safe */
            px_host_mem_release(p);
            p = NULL;
        }
        if (!p || px_res_add(&px_mm_host.reservations, gs, ge - gs, 0)) {
            if (p) px_host_mem_release(p);
            for (unsigned k = 0; k < n_made; k++) {
                px_host_mem_release((void *)made[k]);
                px_res_remove(&px_mm_host.reservations, made[k]);
            }
            return -LINUX_ENOMEM; /* the host owns part of it (Windows: ERROR_INVALID_ADDRESS) */
        }
        made[n_made++] = gs;
        at = ge;
    }
    return 0;
}

/* A hole of len bytes in [lo, hi), outside the brk area. */
static bool hole_in(uint64_t lo, uint64_t hi, uint64_t len, uint64_t *out)
{
    if (px_mm_host.brk_hi > px_mm_host.brk_lo && lo < px_mm_host.brk_hi && hi > px_mm_host.brk_lo) {
        if (px_mm_host.brk_lo > lo &&
            px_vma_find_hole(&px_mm_host.vmas, lo, px_mm_host.brk_lo, len, out))
            return true;
        lo = px_mm_host.brk_hi;
        if (lo >= hi) return false;
    }
    return px_vma_find_hole(&px_mm_host.vmas, lo, hi, len, out);
}

int64_t px_vm_place(uint64_t hint, uint64_t len, uint64_t below, uint64_t *out)
{
    uint64_t top = below < PX_USER_TOP ? below : PX_USER_TOP;
    hint = PX_ALIGN_DOWN(hint, PX_PAGE_SIZE);
    if (hint && hint + len > hint && hint + len <= top &&
        px_vma_range_free(&px_mm_host.vmas, hint, hint + len) &&
        !(hint < px_mm_host.brk_hi && hint + len > px_mm_host.brk_lo) &&
        px_vm_reserve(hint, hint + len) == 0) {
        *out = hint;
        return 0;
    }
    for (size_t i = 0; i < px_mm_host.reservations.count; i++) {
        const px_res *r = &px_mm_host.reservations.items[i];
        uint64_t hi = r->base + r->size < top ? r->base + r->size : top;
        if (r->base < hi && hole_in(r->base, hi, len, out)) return 0;
    }
    uint64_t size = PX_ALIGN_UP(len, PX_ALLOC_GRANULARITY);
    if (size < MIN_RESERVATION) size = MIN_RESERVATION;
    /* Top down, as Linux places mappings: then a process forked from this one, whose own
       runtime lives low as ours does, has these ranges free too. MAP_32BIT stays low. */
    bool low = top <= (1ull << 32);
    void *p = low ? px_host_mem_reserve(NULL, size) : px_host_mem_reserve_high(size);
    if (!p && size > len) {
        size = PX_ALIGN_UP(len, PX_ALLOC_GRANULARITY);
        p = low ? px_host_mem_reserve(NULL, size) : px_host_mem_reserve_high(size);
    }
    if (!p) return -LINUX_ENOMEM;
    if ((uint64_t)p + len > top || px_res_add(&px_mm_host.reservations, (uint64_t)p, size, 0)) {
        px_host_mem_release(p);
        return -LINUX_ENOMEM;
    }
    *out = (uint64_t)p;
    return 0;
}

void px_vm_release_empty(uint64_t start, uint64_t end)
{
    size_t i = px_res_lower_bound(&px_mm_host.reservations, start);
    while (i < px_mm_host.reservations.count && px_mm_host.reservations.items[i].base < end) {
        px_res r = px_mm_host.reservations.items[i];
        if (!(r.flags & (PX_RES_ADOPTED | PX_RES_KEEP)) &&
            px_vma_range_free(&px_mm_host.vmas, r.base, r.base + r.size) &&
            px_host_mem_release((void *)r.base) == 0) {
            px_res_remove(&px_mm_host.reservations, r.base);
            continue;
        }
        i++;
    }
}

int64_t px_vm_unmap_locked(uint64_t start, uint64_t end, bool release)
{
    size_t first, last;
    if (px_vma_isolate(&px_mm_host.vmas, start, end, &first, &last)) return -LINUX_ENOMEM;
    for (size_t i = first; i < last; i++) {
        px_vma *v = &px_mm_host.vmas.items[i];
        /* Code going away: its trap sites must not outlive it. */
        if (v->prot & LINUX_PROT_EXEC) px_rewrite_forget(v->start, v->end - v->start);
        if (v->view) px_vm_hide_view_pages(v);
        else px_vm_decommit(v->start, v->end);
    }
    px_vma_remove(&px_mm_host.vmas, start, end);
    px_vm_release_views(start, end);
    if (release) px_vm_release_empty(start, end);
    return 0;
}

int64_t px_vm_fill_from_file(uint64_t start, uint64_t end, const px_vm_file *file, uint64_t offset,
                             uint64_t *filled)
{
    uint64_t at = start;
    while (at < end) {
        int64_t n = file->ops->pread(file, (void *)at, end - at, offset + (at - start));
        if (n < 0) return n;
        if (n == 0) break; /* end of file: the rest stays zero */
        at += (uint64_t)n;
    }
    if (filled) *filled = at - start;
    return 0;
}

/* The flags worth remembering: they decide merging and /proc/self/maps. */
#define KEPT_FLAGS (LINUX_MAP_TYPE | LINUX_MAP_ANONYMOUS | LINUX_MAP_GROWSDOWN | LINUX_MAP_NORESERVE)

int64_t px_vm_map_locked(uint64_t addr, uint64_t len, int prot, int flags, const px_vm_file *file,
                         uint64_t offset)
{
    bool anonymous = flags & LINUX_MAP_ANONYMOUS;
    bool fixed = flags & (LINUX_MAP_FIXED | LINUX_MAP_FIXED_NOREPLACE);
    uint64_t start;
    int64_t rc;
    if (fixed) {
        if ((flags & LINUX_MAP_FIXED_NOREPLACE) && !px_vma_range_free(&px_mm_host.vmas, addr, addr + len))
            return -LINUX_EEXIST;
        /* a private file view sharing a 64 KiB granule with the range becomes private
           memory (ld.so maps a library whole, then its segments over it); a shared file
           view there must go first: it holds the address space itself */
        if ((rc = px_vm_demote_views_near_locked(addr, addr + len))) return rc;
        bool has_view = false;
        for (size_t i = px_vma_lower_bound(&px_mm_host.vmas, addr);
             i < px_mm_host.vmas.count && px_mm_host.vmas.items[i].start < addr + len; i++)
            has_view |= px_mm_host.vmas.items[i].view != 0;
        if (has_view && (rc = px_vm_unmap_locked(addr, addr + len, false))) return rc;
        if ((rc = px_vm_reserve(addr, addr + len))) return rc;
        start = addr;
        if ((rc = px_vm_unmap_locked(start, start + len, false))) return rc;
    } else {
        uint64_t below = (flags & LINUX_MAP_32BIT) ? 0x80000000ull : UINT64_MAX;
        if ((rc = px_vm_place(addr, len, below, &start))) return rc;
    }
    uint64_t end = start + len;

    px_vma v = {
        .start = start, .end = end, .offset = anonymous ? 0 : offset,
        .prot = prot, .flags = flags & KEPT_FLAGS, .fd = anonymous ? -1 : file->fd,
        .kind = !anonymous ? PX_VM_FILE
              : (flags & (LINUX_MAP_GROWSDOWN | LINUX_MAP_STACK)) ? PX_VM_STACK : PX_VM_ANON,
        .scanned = false,
    };
    if (anonymous) {
        rc = px_vm_apply(&v);
    } else {
        uint64_t since = px_timing_now();
        uint64_t filled = 0;
        rc = px_vm_commit(start, end, HOST_RW);
        if (!rc) rc = px_vm_fill_from_file(start, end, file, offset, &filled);
        /* the rest of the last page reads as zeros; whole pages past end of file are
           given back and stay inaccessible (SIGBUS, px_vm_fault_signal) */
        v.file_end = offset + PX_ALIGN_UP(filled, PX_PAGE_SIZE);
        if (!rc && start + PX_ALIGN_UP(filled, PX_PAGE_SIZE) < end)
            px_vm_decommit(start + PX_ALIGN_UP(filled, PX_PAGE_SIZE), end);
        px_timing_work("mm: mmap file, commit+read", start, len, since);
        /* pipes, sockets, directories: Linux has no mmap for them */
        if (rc == -LINUX_ESPIPE || rc == -LINUX_EISDIR) rc = -LINUX_ENODEV;
        if (!rc) rc = px_vm_apply(&v);
    }
    if (!rc) rc = px_vma_insert(&px_mm_host.vmas, &v);
    if (rc) {
        px_vm_decommit(start, end);
        px_vm_release_empty(start, end);
        return rc;
    }
    return (int64_t)start;
}

#define VALIDATED_FLAGS (LINUX_MAP_TYPE | LINUX_MAP_FIXED | LINUX_MAP_ANONYMOUS | LINUX_MAP_32BIT | \
    LINUX_MAP_GROWSDOWN | LINUX_MAP_DENYWRITE | LINUX_MAP_EXECUTABLE | LINUX_MAP_LOCKED |       \
    LINUX_MAP_NORESERVE | LINUX_MAP_POPULATE | LINUX_MAP_NONBLOCK | LINUX_MAP_STACK |            \
    LINUX_MAP_HUGETLB | LINUX_MAP_FIXED_NOREPLACE | (0x3fu << 26) /* MAP_HUGE_SHIFT sizes */)

static void set_path_locked(uint64_t start, uint64_t end, const char *path);

/* Smaller private file mappings are copied: a view costs a few wineserver round trips
   (a section, a view, the handle's duplicate, queries) where reading a few pages costs
   none, and takes a 64 KiB granule of address space. */
#define PRIVATE_VIEW_MIN (64 * 1024ull)

/* PICOLX_PRIVATE_VIEWS=off: private file mappings are copies, as before (to compare). */
static bool private_views_on(void)
{
    static int on = -1;
    if (on < 0) {
        char value[8];
        on = !(px_host_env_get("PICOLX_PRIVATE_VIEWS", value, sizeof value) > 0 && !strcmp(value, "off"));
    }
    return on;
}

int64_t px_vm_map_file(uint64_t addr, uint64_t len, int prot, int flags, const px_vm_file *file, uint64_t offset)
{
    int type = flags & LINUX_MAP_TYPE;
    if (type != LINUX_MAP_SHARED && type != LINUX_MAP_PRIVATE && type != LINUX_MAP_SHARED_VALIDATE)
        return -LINUX_EINVAL;
    /* MAP_SHARED_VALIDATE: flags the kernel does not know (MAP_SYNC among them: no DAX here) */
    if (type == LINUX_MAP_SHARED_VALIDATE && (flags & ~VALIDATED_FLAGS)) return -LINUX_EOPNOTSUPP;
    if (prot & ~(LINUX_PROT_READ | LINUX_PROT_WRITE | LINUX_PROT_EXEC)) return -LINUX_EINVAL;
    if (len == 0) return -LINUX_EINVAL;
    uint64_t rounded = PX_ALIGN_UP(len, PX_PAGE_SIZE);
    if (rounded < len || rounded > PX_USER_TOP) return -LINUX_ENOMEM;
    len = rounded;
    if (offset & (PX_PAGE_SIZE - 1)) return -LINUX_EINVAL;
    if (offset + len < offset) return -LINUX_EOVERFLOW;
    if (flags & (LINUX_MAP_FIXED | LINUX_MAP_FIXED_NOREPLACE)) {
        if (addr & (PX_PAGE_SIZE - 1)) return -LINUX_EINVAL;
        if (addr + len > PX_USER_TOP || addr + len < addr) return -LINUX_ENOMEM;
    }
    px_host_handle shared_file = NULL, private_file = NULL;
    bool writable = false;
    if (flags & LINUX_MAP_ANONYMOUS) {
        file = NULL;
    } else {
        if (!file || file->fd < 0) return -LINUX_EBADF;
        /* Shared file mappings of disk files are views of the file (shared.c), coherent
           with read and write; executable ones and other files are copies (as private
           mappings), so a writable one would silently lose the guest's writes. */
        if (type != LINUX_MAP_PRIVATE && !(prot & LINUX_PROT_EXEC))
            shared_file = file->ops->disk_handle(file, &writable);
        if (type != LINUX_MAP_PRIVATE && (prot & LINUX_PROT_WRITE) && !shared_file) return -LINUX_ENODEV;
        /* Private mappings of disk files are copy-on-write views of the file (shared.c), its
           pages read only when touched and shared with the file's cache until written;
           not code (the rewriter needs execute rights a view has not). ld.so maps a
           library whole (MAP_DENYWRITE) and then its segments over it: the first fixed one
           makes the view private memory, copying only what it does not replace */
        if (type == LINUX_MAP_PRIVATE && !(prot & LINUX_PROT_EXEC) && len >= PRIVATE_VIEW_MIN && private_views_on())
            private_file = file->ops->disk_handle(file, &writable);
    }
    uint64_t since = px_timing_now();
    char path[4096]; /* Linux PATH_MAX: the file's guest path, for /proc/self/maps */
    bool named = file && file->ops->path(file, path, sizeof path) >= 0;
    /* Shared anonymous memory is a pagefile section's view, shared with forked children;
       executable, or fixed where a view cannot go (another mapping in its 64 KiB), it is
       private memory as before (abi/syscalls.tbl's mmap row) */
    bool shared_anon = (flags & LINUX_MAP_ANONYMOUS) && type != LINUX_MAP_PRIVATE && !(prot & LINUX_PROT_EXEC);
    px_vm_lock();
    if (shared_anon && (flags & (LINUX_MAP_FIXED | LINUX_MAP_FIXED_NOREPLACE)) && !px_vm_view_fits(addr, len))
        shared_anon = false;
    int64_t rc = -LINUX_ENOMEM;
    bool done = false;
    if (private_file) {
        bool fixed = flags & (LINUX_MAP_FIXED | LINUX_MAP_FIXED_NOREPLACE);
        /* a fixed one only where its address and offset agree modulo 64 KiB and its
           granules are its own; else (and on failure) a copy, as before */
        if (fixed && (((addr - offset) & (PX_ALLOC_GRANULARITY - 1)) || !px_vm_view_fits(addr, len))) {
            px_host_close(private_file);
        } else {
            rc = px_vm_map_private_view_locked(addr, len, prot, flags, file->fd, offset, private_file);
            done = rc >= 0 || rc == -LINUX_EEXIST; /* MAP_FIXED_NOREPLACE refused stays refused */
        }
    }
    if (file && type == LINUX_MAP_PRIVATE)
        px_timing_add(done ? "mm: mmap private file, view" : "mm: mmap private file, copied", 1, len, 0);
    if (!done && shared_file) {
        rc = px_vm_map_shared_locked(addr, len, prot, flags, file->fd, offset, shared_file, writable);
    } else if (!done) {
        if (shared_anon) rc = px_vm_map_shared_anon_locked(addr, len, prot, flags);
        if (!shared_anon || rc == -LINUX_ENOMEM) rc = px_vm_map_locked(addr, len, prot, flags, file, offset);
    }
    if (rc >= 0 && named) set_path_locked((uint64_t)rc, (uint64_t)rc + len, path);
    /* Linux names shared anonymous memory by its shmem object's file */
    else if (rc >= 0 && (flags & LINUX_MAP_ANONYMOUS) && type != LINUX_MAP_PRIVATE)
        set_path_locked((uint64_t)rc, (uint64_t)rc + len, "/dev/zero (deleted)");
    px_vm_unlock();
    px_timing_work(flags & LINUX_MAP_ANONYMOUS ? "mm: mmap anonymous (all)" : "mm: mmap file (all)",
                   rc >= 0 ? (uint64_t)rc : 0, len, since);
    return rc;
}

int64_t px_vm_map(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t offset)
{
    (void)fd; /* anonymous: no file */
    return px_vm_map_file(addr, len, prot, flags, NULL, offset);
}

int64_t px_vm_unmap(uint64_t addr, uint64_t len)
{
    if ((addr & (PX_PAGE_SIZE - 1)) || len == 0) return -LINUX_EINVAL;
    uint64_t end = addr + PX_ALIGN_UP(len, PX_PAGE_SIZE);
    if (end < addr || end > PX_USER_TOP) return -LINUX_EINVAL;
    px_vm_lock();
    int64_t rc = px_vm_unmap_locked(addr, end, true);
    px_vm_unlock();
    return rc;
}

int64_t px_vm_protect(uint64_t addr, uint64_t len, int prot)
{
    if (addr & (PX_PAGE_SIZE - 1)) return -LINUX_EINVAL;
    /* GROWSDOWN/GROWSUP extend the change to the whole stack mapping on Linux; the
       range given is used as it is */
    prot &= ~(LINUX_PROT_GROWSDOWN | 0x02000000 /* PROT_GROWSUP */);
    if (prot & ~(LINUX_PROT_READ | LINUX_PROT_WRITE | LINUX_PROT_EXEC)) return -LINUX_EINVAL;
    uint64_t end = addr + PX_ALIGN_UP(len, PX_PAGE_SIZE);
    if (end < addr) return -LINUX_ENOMEM;
    if (end == addr) return 0;
    px_vm_lock();
    int64_t rc = 0;
    size_t first, last;
    if (!px_vma_range_mapped(&px_mm_host.vmas, addr, end)) {
        rc = -LINUX_ENOMEM;
        goto out;
    }
    /* a shared file mapping without a view is a copy (see px_vm_map): writes would not
       reach the file */
    for (size_t i = px_vma_lower_bound(&px_mm_host.vmas, addr);
         i < px_mm_host.vmas.count && px_mm_host.vmas.items[i].start < end; i++) {
        const px_vma *v = &px_mm_host.vmas.items[i];
        if ((prot & LINUX_PROT_WRITE) && v->fd >= 0 && !v->view &&
            (v->flags & LINUX_MAP_TYPE) != LINUX_MAP_PRIVATE) {
            rc = -LINUX_EACCES;
            goto out;
        }
    }
    /* a view runs no code: a private file view made executable becomes private memory */
    for (size_t i = px_vma_lower_bound(&px_mm_host.vmas, addr);
         (prot & LINUX_PROT_EXEC) && i < px_mm_host.vmas.count && px_mm_host.vmas.items[i].start < end; i++) {
        uint32_t view = px_mm_host.vmas.items[i].view;
        if (px_vm_view_is_copy(view) && (rc = px_vm_demote_view_locked(view))) goto out;
    }
    if ((rc = px_vma_isolate(&px_mm_host.vmas, addr, end, &first, &last))) goto out;
    for (size_t i = first; i < last; i++) {
        px_vma *v = &px_mm_host.vmas.items[i];
        /* code stays scanned only while it stays code; newly executable memory (a JIT's
           buffer) is scanned at its first execute fault */
        v->scanned = v->scanned && (v->prot & LINUX_PROT_EXEC) && (prot & LINUX_PROT_EXEC);
        v->prot = prot;
        if ((rc = px_vm_apply(v))) break;
    }
    px_vma_merge_range(&px_mm_host.vmas, addr, end);
out:
    px_vm_unlock();
    return rc;
}

void px_vm_adopt_reservation(uint64_t start, uint64_t len)
{
    uint64_t end = start + len, at = start;
    px_vm_lock();
    /* record each host allocation apart: host memory calls cannot span two of them */
    while (at < end) {
        px_host_region region;
        if (px_host_mem_query((void *)at, &region)) break;
        uint64_t base = region.base, stop = base + region.size;
        if (stop > end) stop = end;
        if (region.state != PX_HOST_MEM_FREE && px_res_covers(&px_mm_host.reservations, at, at + 1) == false) {
            uint64_t alloc = region.allocation_base;
            px_res *prev = at > 0 ? px_res_find(&px_mm_host.reservations, at - 1) : NULL;
            if (prev && alloc <= prev->base && prev->base + prev->size == at)
                prev->size = stop - prev->base;
            else
                px_res_add(&px_mm_host.reservations, at, stop - at, PX_RES_ADOPTED);
        }
        at = stop;
    }
    px_vm_unlock();
}

bool px_vm_fixed_range_usable(uint64_t start, uint64_t end)
{
    bool usable = true;
    px_vm_lock();
    for (uint64_t at = start; usable && at < end;) {
        px_host_region region;
        if (px_host_mem_query((void *)at, &region)) {
            usable = false;
            break;
        }
        uint64_t stop = region.base + region.size;
        if (region.state != PX_HOST_MEM_FREE && !px_res_covers(&px_mm_host.reservations, at, stop < end ? stop : end))
            usable = false;
        at = stop;
    }
    px_vm_unlock();
    return usable;
}

bool px_vm_contains(uint64_t addr)
{
    px_vm_lock();
    bool found = px_vma_find(&px_mm_host.vmas, addr) != NULL;
    px_vm_unlock();
    return found;
}

/* True if the page at addr is committed and its protection is one of a or b (another
   thread resolved the same fault while this one waited for the lock). */
static bool page_has(uint64_t addr, int a, int b)
{
    px_host_region region;
    return px_host_mem_query((void *)addr, &region) == 0 && region.state == PX_HOST_MEM_COMMITTED &&
           (region.prot == a || region.prot == b);
}

bool px_vm_exec_fault(uint64_t addr)
{
    uint64_t since = px_timing_now();
    px_vm_lock();
    bool resumed = false;
    px_vma *v = px_vma_find(&px_mm_host.vmas, addr);
    if (!v || !(v->prot & LINUX_PROT_EXEC)) goto out;
    if (v->scanned) {
        resumed = page_has(addr, HOST_RX, HOST_RX | PX_HOST_PROT_WRITE);
        goto out;
    }
    /* pages past end of file hold no code (and cannot be read) */
    uint64_t start = v->start, end = px_vm_data_end(v), vma_end = v->end;
    if (addr >= end) goto out;
    /* code loaded from a file goes through the image cache; code written at run time
       (JIT: anonymous or writable) is rewritten anew each time */
    bool from_file = (v->fd >= 0 || v->kind == PX_VM_IMAGE) && !(v->prot & LINUX_PROT_WRITE);
    if (px_host_mem_protect((void *)start, end - start, HOST_RW, NULL)) goto out;
    uint64_t scan_since = px_timing_now();
    int64_t rc = from_file ? px_image_cache_rewrite(start, end - start) : px_rewrite_region(start, end - start);
    px_timing_work("rewrite: scan region", start, end - start, scan_since);
    v = px_vma_find(&px_mm_host.vmas, addr); /* the rewriter may have mapped memory */
    if (rc < 0 && rc != -LINUX_ENOSYS) { /* -ENOSYS: no rewriter yet, nothing patched */
        px_log("picolx: cannot rewrite the code at %p-%p (error %lld)", (void *)start,
               (void *)end, (long long)-rc);
        if (v) px_vm_apply(v);
        goto out;
    }
    if (!v) goto out;
    px_host_flush_icache();
    v->scanned = true;
    resumed = px_vm_apply(v) == 0;
    px_vma_merge_range(&px_mm_host.vmas, start, vma_end);
    px_timing_work("mm: exec fault (all of it)", start, end - start, since);
out:
    px_vm_unlock();
    return resumed;
}

bool px_vm_access_fault(uint64_t addr, bool write)
{
    px_vm_lock();
    bool resumed = false;
    px_vma *v = px_vma_find(&px_mm_host.vmas, addr);
    /* a view's pages are all there: a fault in one is the guest's (past end of file);
       a page past end of file in a private file mapping is never committed */
    if (!v || v->prot == LINUX_PROT_NONE || v->view || addr >= px_vm_data_end(v)) goto out;
    px_host_region region;
    if (px_host_mem_query((void *)addr, &region)) goto out;
    if (region.state == PX_HOST_MEM_RESERVED) {
        /* a MAP_NORESERVE page touched for the first time: commit its 64 KiB */
        uint64_t s = PX_ALIGN_DOWN(addr, PX_ALLOC_GRANULARITY), e = s + PX_ALLOC_GRANULARITY;
        if (s < v->start) s = v->start;
        if (e > v->end) e = v->end;
        resumed = px_vm_commit(s, e, px_vm_host_prot(v->prot, v->scanned)) == 0;
        goto out;
    }
    if (!write || !(v->prot & LINUX_PROT_WRITE)) {
        /* another thread committed it meanwhile */
        resumed = region.state == PX_HOST_MEM_COMMITTED && region.prot != PX_HOST_PROT_NONE && !write;
        goto out;
    }
    if (!v->scanned) {
        resumed = page_has(addr, HOST_RW, HOST_RW); /* another thread unscanned it meanwhile */
        goto out;
    }
    uint64_t start = v->start, end = v->end;
    v->scanned = false;
    resumed = px_vm_apply(v) == 0;
    px_vma_merge_range(&px_mm_host.vmas, start, end);
out:
    px_vm_unlock();
    return resumed;
}

bool px_vm_write_fault(uint64_t addr) { return px_vm_access_fault(addr, true); }

int px_vm_fault_signal(uint64_t addr, bool write)
{
    px_vm_lock();
    int sig = 0;
    const px_vma *v = px_vma_find(&px_mm_host.vmas, addr);
    /* as Linux: an access the protection forbids is SIGSEGV even past end of file */
    if (v && v->prot != LINUX_PROT_NONE && (!write || (v->prot & LINUX_PROT_WRITE)) &&
        addr >= px_vm_data_end(v))
        sig = LINUX_SIGBUS;
    px_vm_unlock();
    return sig;
}

void px_vm_set_kind(uint64_t start, uint64_t len, enum px_vm_kind kind)
{
    uint64_t end = start + PX_ALIGN_UP(len, PX_PAGE_SIZE);
    size_t first, last;
    px_vm_lock();
    if (px_vma_isolate(&px_mm_host.vmas, start, end, &first, &last) == 0) {
        for (size_t i = first; i < last; i++) px_mm_host.vmas.items[i].kind = (uint8_t)kind;
        px_vma_merge_range(&px_mm_host.vmas, start, end);
    }
    px_vm_unlock();
}

/* Names of mappings, each kept once for the process's life: VMAs are copied by value
   when they split, so they hold these pointers without owning them. An immutable cache
   of strings (under px_vm_lock), not address-space state: any mm may point into it. */
typedef struct interned_path {
    struct interned_path *next;
    char text[];
} interned_path;
static interned_path *interned_paths;

static const char *intern_path_locked(const char *path)
{
    for (interned_path *p = interned_paths; p; p = p->next)
        if (!strcmp(p->text, path)) return p->text;
    size_t n = strlen(path);
    interned_path *p = px_alloc(sizeof *p + n + 1);
    if (!p) return NULL;
    memcpy(p->text, path, n + 1);
    p->next = interned_paths;
    interned_paths = p;
    return p->text;
}

static void set_path_locked(uint64_t start, uint64_t end, const char *path)
{
    const char *name = path ? intern_path_locked(path) : NULL;
    size_t first, last;
    if (px_vma_isolate(&px_mm_host.vmas, start, end, &first, &last) == 0) {
        for (size_t i = first; i < last; i++) px_mm_host.vmas.items[i].path = name;
        px_vma_merge_range(&px_mm_host.vmas, start, end);
    }
}

void px_vm_set_path(uint64_t start, uint64_t len, const char *path)
{
    px_vm_lock();
    set_path_locked(start, start + PX_ALIGN_UP(len, PX_PAGE_SIZE), path);
    px_vm_unlock();
}

bool px_vm_next_region(uint64_t *cursor, px_vm_region *out)
{
    px_vm_lock();
    size_t i = px_vma_lower_bound(&px_mm_host.vmas, *cursor);
    bool found = i < px_mm_host.vmas.count;
    if (found) {
        const px_vma *v = &px_mm_host.vmas.items[i];
        *out = (px_vm_region){ .start = v->start, .end = v->end, .offset = v->offset,
                               .prot = v->prot, .flags = v->flags, .fd = v->fd,
                               .kind = (enum px_vm_kind)v->kind, .path = v->path };
        *cursor = v->end;
    }
    px_vm_unlock();
    return found;
}
