/* Coherent MAP_SHARED file mappings: a Windows section over the file's own handle and a
   view of it where the guest sees the mapping. Windows keeps a section's pages and the
   file's cache one (ReadFile/WriteFile on the same file see the same bytes), so read()
   and write() agree with the mapping, and two mappings of one file share their pages.
   Shared anonymous memory is a view too, of a pagefile section of its own (Linux's
   shmem object): a forked child maps the same section (mm_fork.c), so both see each
   other's writes; mremap maps the section again elsewhere.

   Windows' rules and what follows from them:
   - a view starts at a 64 KiB-aligned file offset and a 64 KiB-aligned address: a guest
     mapping at offset o is placed at (view base + o % 64 KiB), so a MAP_FIXED address must
     agree with its offset modulo 64 KiB (EINVAL otherwise);
   - a view cannot live inside a VirtualAlloc reservation: views are allocations of their
     own, outside px_mm_host.reservations;
   - a writable section larger than the file extends the file: the view covers the file
     only up to its size (rounded up to a page); the rest of the guest's range is reserved
     and inaccessible: a touch is SIGBUS, as on Linux (px_vm_fault_signal), but pages the
     file gains later stay so until the file is mapped again;
   - part of a view cannot be unmapped: munmap of part of it makes those pages
     PAGE_NOACCESS and the view goes when its last guest page does;
   - a mapped file cannot be deleted (Wine has no POSIX deletion and refuses the classic
     one; Windows may refuse both): unlink and rename over it park it under a hidden name
     (file_nt.c) and hand the name to px_vm_delete_when_unmapped, deleted with the
     file's last view. */
#include <stdlib.h>
#include "core/errors.h"
#include "core/timing.h"
#include "host/host_file.h"
#include "host/host_mem.h"
#include "host/host_process.h"
#include "host/host_random.h"
#include "mm/vm_private.h"

typedef struct shared_view {
    uint32_t id;
    uint64_t base;         /* the view's address (64 KiB-aligned) */
    uint64_t mapped_end;   /* end of the pages the view maps (page-aligned) */
    uint64_t guest_start, guest_end; /* the guest's mapping as it was made */
    uint64_t tail, tail_size; /* our reservation past the view's granule, or 0 */
    uint64_t section_offset, view_len; /* what of the section the view maps (its exact length) */
    uint64_t section_size; /* anonymous: the pagefile section's size (the shared object's) */
    px_host_handle section, file; /* file: NULL for a pagefile section; section: NULL when
                                     nothing of the file is in the mapping */
    bool writable;         /* the section and view allow writing */
    bool anonymous;        /* a pagefile section: MAP_SHARED|MAP_ANONYMOUS */
    bool identified;       /* id_of_file is known */
    bool copy_on_write;    /* a MAP_PRIVATE file mapping: a FILE_MAP_COPY view of a read-only
                              section; pages the guest writes become its own */
    struct file_id { uint32_t volume; uint64_t index; } id_of_file; /* to find views by file */
    uint64_t anon_object;  /* anonymous: the section's session-wide name for futex keys (random,
                              kept by fork and mremap), as Linux keys a shmem futex by its inode */
} shared_view;

/* The views (and the parked names of their files) are the address space's: fields of
   px_mm_host (vm_private.h), under px_vm_lock. */
#define VIEWS (px_mm_host.views)

static shared_view *view_by_id(uint32_t id)
{
    for (size_t i = 0; i < px_mm_host.view_count; i++)
        if (VIEWS[i].id == id) return &VIEWS[i];
    return NULL;
}

typedef struct file_id file_id;

static bool identify(px_host_handle file, file_id *out)
{
    return px_host_file_ids(file, &out->volume, &out->index) == 0;
}

static bool is_file(const shared_view *sv, file_id id)
{
    return sv->identified && sv->id_of_file.volume == id.volume && sv->id_of_file.index == id.index;
}

/* Parked names of mapped files (unlinked or renamed over), each deleted when the last
   view of its file goes. */
typedef struct parked_name {
    struct parked_name *next;
    file_id file;
    wchar_t path[];
} parked_name;

static void delete_parked_of(file_id id)
{
    for (size_t i = 0; i < px_mm_host.view_count; i++)
        if (is_file(&VIEWS[i], id)) return; /* still mapped */
    for (parked_name **p = &px_mm_host.parked_names; *p;) {
        parked_name *n = *p;
        if (n->file.volume == id.volume && n->file.index == id.index) {
            /* an fd still open on it: Windows deletes it at its last close */
            px_host_file_delete(n->path);
            *p = n->next;
            px_free(n);
            continue;
        }
        p = &n->next;
    }
}

/* Closes a handle that may be NULL (an anonymous view has no file, an empty one no section). */
static void close_if(px_host_handle h)
{
    if (h) px_host_close(h);
}

static void drop_view(size_t i)
{
    shared_view gone = VIEWS[i];
    if (gone.mapped_end > gone.base) px_host_view_unmap((void *)gone.base);
    if (gone.tail) px_host_mem_release((void *)gone.tail);
    close_if(gone.section);
    close_if(gone.file);
    VIEWS[i] = VIEWS[--px_mm_host.view_count];
    if (gone.identified && px_mm_host.parked_names) delete_parked_of(gone.id_of_file);
}

/* At exit the views go first, so that the parked names can go too (Windows would unmap
   them only after this process's last code ran). Other threads are gone by now. */
static void delete_parked_at_exit(void)
{
    while (px_mm_host.parked_names && px_mm_host.view_count) drop_view(px_mm_host.view_count - 1);
}

static bool exit_hook; /* under px_vm_lock: the atexit hook of this Windows process, registered once */

bool px_vm_delete_when_unmapped(px_host_handle file, const wchar_t *path)
{
    file_id id;
    if (!identify(file, &id)) return false;
    px_vm_lock();
    bool mapped = false;
    for (size_t i = 0; i < px_mm_host.view_count && !mapped; i++) mapped = is_file(&VIEWS[i], id);
    size_t len = wcslen(path);
    parked_name *n = mapped ? px_alloc(sizeof *n + (len + 1) * sizeof(wchar_t)) : NULL;
    if (n) {
        n->file = id;
        memcpy(n->path, path, (len + 1) * sizeof(wchar_t));
        n->next = px_mm_host.parked_names;
        px_mm_host.parked_names = n;
        if (!exit_hook) exit_hook = atexit(delete_parked_at_exit) == 0;
    }
    px_vm_unlock();
    return n != NULL;
}

uint64_t px_vm_view_mapped_end(uint32_t id)
{
    shared_view *sv = view_by_id(id);
    return sv ? sv->mapped_end : 0;
}

/* Maps the view at base (NULL: anywhere) and reserves the tail after its granule. */
static bool place_view(shared_view *sv, uint64_t base, uint64_t file_off, uint64_t view_len,
                       uint64_t total)
{
    void *p = NULL;
    if (view_len) {
        p = sv->copy_on_write ? px_host_view_map_copy(sv->section, file_off, view_len, (void *)base)
                              : px_host_view_map(sv->section, file_off, view_len, (void *)base, sv->writable);
        if (!p) return false;
    }
    sv->view_len = view_len;
    view_len = PX_ALIGN_UP(view_len, PX_PAGE_SIZE);
    uint64_t granule_end = PX_ALIGN_UP(base + view_len, PX_ALLOC_GRANULARITY);
    uint64_t end = base + total;
    if (!view_len) granule_end = base;
    if (granule_end < end && !px_host_mem_reserve((void *)granule_end, end - granule_end)) {
        if (p) px_host_view_unmap(p);
        return false;
    }
    sv->base = base;
    sv->mapped_end = base + view_len;
    sv->tail = granule_end < end ? granule_end : 0;
    sv->tail_size = granule_end < end ? end - granule_end : 0;
    return true;
}

/* Frees what stands in [lo, hi) for a MAP_FIXED view: our empty reservations there are
   released and their parts outside re-reserved. ENOMEM if something else lives there. */
static int64_t clear_for_fixed(uint64_t lo, uint64_t hi)
{
    if (!px_vma_range_free(&px_mm_host.vmas, lo, hi)) return -LINUX_ENOMEM;
    size_t i = px_res_lower_bound(&px_mm_host.reservations, lo);
    while (i < px_mm_host.reservations.count && px_mm_host.reservations.items[i].base < hi) {
        px_res r = px_mm_host.reservations.items[i];
        /* a reservation still holding other mappings cannot be split (Windows) */
        if ((r.flags & PX_RES_KEEP) || !px_vma_range_free(&px_mm_host.vmas, r.base, r.base + r.size))
            return -LINUX_ENOMEM;
        if (px_host_mem_release((void *)r.base)) return -LINUX_ENOMEM;
        px_res_remove(&px_mm_host.reservations, r.base);
        if (r.base < lo && px_host_mem_reserve((void *)r.base, lo - r.base))
            px_res_add(&px_mm_host.reservations, r.base, lo - r.base, r.flags);
        uint64_t r_end = r.base + r.size;
        if (r_end > hi && px_host_mem_reserve((void *)hi, r_end - hi))
            px_res_add(&px_mm_host.reservations, hi, r_end - hi, r.flags);
        i = px_res_lower_bound(&px_mm_host.reservations, hi);
    }
    return 0;
}

bool px_vm_view_fits(uint64_t addr, uint64_t len)
{
    uint64_t lo = PX_ALIGN_DOWN(addr, PX_ALLOC_GRANULARITY), hi = PX_ALIGN_UP(addr + len, PX_ALLOC_GRANULARITY);
    if (!px_vma_range_free(&px_mm_host.vmas, lo, addr) || !px_vma_range_free(&px_mm_host.vmas, addr + len, hi))
        return false;
    /* a reservation there must be empty once [addr, addr+len) is unmapped (clear_for_fixed) */
    for (size_t i = px_res_lower_bound(&px_mm_host.reservations, lo);
         i < px_mm_host.reservations.count && px_mm_host.reservations.items[i].base < hi; i++) {
        const px_res *r = &px_mm_host.reservations.items[i];
        if ((r->flags & PX_RES_KEEP) || !px_vma_range_free(&px_mm_host.vmas, r->base, lo) ||
            !px_vma_range_free(&px_mm_host.vmas, hi, r->base + r->size))
            return false;
    }
    /* so must a view there: part of one cannot be unmapped */
    for (size_t i = 0; i < px_mm_host.view_count; i++) {
        const shared_view *sv = &VIEWS[i];
        uint64_t v_hi = sv->tail ? sv->tail + sv->tail_size : PX_ALIGN_UP(sv->mapped_end, PX_ALLOC_GRANULARITY);
        if (sv->base < hi && lo < v_hi && (sv->guest_start < addr || sv->guest_end > addr + len)) return false;
    }
    return true;
}

/* The common part of both kinds of view: file NULL maps a pagefile section, section
   (taken over) of section_size bytes from offset (mremap), or a new one of the
   mapping's size (shared anonymous memory). */
static int64_t map_view_locked(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t offset,
                               px_host_handle file, bool writable, px_host_handle section, uint64_t section_size,
                               bool copy_on_write)
{
    bool anonymous = !file, fresh = anonymous && !section;
    bool fixed = flags & (LINUX_MAP_FIXED | LINUX_MAP_FIXED_NOREPLACE);
    /* new anonymous memory has no offset: a fixed address off a 64 KiB boundary is reached
       by a section that starts that much earlier (px_vm_view_fits said the granule is free) */
    uint64_t skew = fresh ? (fixed ? addr & (PX_ALLOC_GRANULARITY - 1) : 0) : offset & (PX_ALLOC_GRANULARITY - 1);
    uint64_t file_off = fresh ? 0 : offset - skew;
    int64_t rc = 0;
    if (fixed && (addr & (PX_ALLOC_GRANULARITY - 1)) != skew) rc = -LINUX_EINVAL;
    if (!rc && (prot & LINUX_PROT_WRITE) && !writable && !copy_on_write) rc = -LINUX_EACCES;
    uint64_t file_size = fresh ? skew + len : section_size;
    if (!rc && !anonymous) rc = px_host_file_size(file, &file_size);
    if (rc) {
        close_if(file);
        close_if(section);
        return rc;
    }
    /* a view longer than the section fails (ERROR_ACCESS_DENIED): ask for the file's
       bytes; Windows maps the whole last page. Shared anonymous memory grown by mremap
       is so too: its pages past the object's size are SIGBUS, as Linux has them */
    uint64_t in_file = file_size > file_off ? file_size - file_off : 0;
    uint64_t total = skew + len;
    uint64_t view_len = in_file < total ? in_file : total;
    if (view_len <= skew) view_len = 0; /* the mapping starts past end of file */

    shared_view sv = { .file = file, .writable = writable, .anonymous = anonymous, .section_offset = file_off,
                       .section_size = fresh ? total : section_size, .copy_on_write = copy_on_write };
    sv.identified = !anonymous && identify(file, &sv.id_of_file);
    if (fresh && px_host_random(&sv.anon_object, sizeof sv.anon_object) < 0) sv.anon_object = 0;
    /* maximum size 0: the file's size, so the section never extends the file; a pagefile
       section is always writable (mprotect may add PROT_WRITE later) */
    if (section && !view_len) {
        px_host_close(section);
    } else if (section) {
        sv.section = section;
    } else if (view_len) {
        sv.section = px_host_section_new(file, fresh ? total : 0, writable, false, NULL, NULL);
        if (!sv.section) {
            /* the host's error of the section, as its other users read it */
            rc = anonymous ? -LINUX_ENOMEM : px_err_last();
            close_if(file);
            return rc;
        }
    }
    bool placed = false;
    if (fixed) {
        uint64_t lo = addr - skew, hi = PX_ALIGN_UP(addr + len, PX_ALLOC_GRANULARITY);
        if ((flags & LINUX_MAP_FIXED_NOREPLACE) && !px_vma_range_free(&px_mm_host.vmas, addr, addr + len))
            rc = -LINUX_EEXIST;
        /* the granule's other pages must be free too: check before unmapping anything */
        else if (!px_vma_range_free(&px_mm_host.vmas, lo, addr) || !px_vma_range_free(&px_mm_host.vmas, addr + len, hi))
            rc = -LINUX_ENOMEM;
        if (!rc) rc = px_vm_unmap_locked(addr, addr + len, true);
        if (!rc) rc = clear_for_fixed(lo, hi);
        if (!rc) placed = place_view(&sv, lo, file_off, view_len, total);
    } else {
        uint64_t hint = PX_ALIGN_DOWN(addr, PX_PAGE_SIZE);
        if (hint && (hint & (PX_ALLOC_GRANULARITY - 1)) == skew &&
            px_vma_range_free(&px_mm_host.vmas, hint - skew, hint + len))
            placed = place_view(&sv, hint - skew, file_off, view_len, total);
        /* find free address space, give it back, map there; another thread may take it
           in between: try again. Top down, as vm.c places mappings: a forked child, whose
           runtime lives low as ours does, has the range free too */
        bool low = flags & LINUX_MAP_32BIT;
        for (int attempt = 0; !placed && attempt < 8; attempt++) {
            uint64_t size = PX_ALIGN_UP(total, PX_ALLOC_GRANULARITY);
            void *p = low ? px_host_mem_reserve(NULL, size) : px_host_mem_reserve_high(size);
            if (!p) break;
            px_host_mem_release(p);
            if (low && (uint64_t)p + total > 0x80000000ull) break;
            placed = place_view(&sv, (uint64_t)p, file_off, view_len, total);
        }
    }
    if (!placed) {
        if (!rc) rc = -LINUX_ENOMEM;
        close_if(sv.section);
        close_if(file);
        return rc;
    }
    /* the pages before the guest's part of the granule are no mapping */
    if (skew && sv.mapped_end > sv.base)
        px_host_mem_protect((void *)sv.base, skew < sv.mapped_end - sv.base ? skew : sv.mapped_end - sv.base,
                            PX_HOST_PROT_NONE, NULL);
    sv.id = px_mm_host.next_view_id++;
    sv.guest_start = sv.base + skew;
    sv.guest_end = sv.guest_start + len;
    px_vma v = {
        .start = sv.guest_start, .end = sv.guest_end, .offset = anonymous ? 0 : offset, .prot = prot,
        .flags = flags & (LINUX_MAP_TYPE | LINUX_MAP_NORESERVE), .fd = anonymous ? -1 : fd,
        .kind = PX_VM_FILE, .view = sv.id,
    };
    if (anonymous) {
        v.flags |= flags & (LINUX_MAP_ANONYMOUS | LINUX_MAP_GROWSDOWN);
        v.kind = (flags & (LINUX_MAP_GROWSDOWN | LINUX_MAP_STACK)) ? PX_VM_STACK : PX_VM_ANON;
    }
    if (px_mm_host.view_count == px_mm_host.view_cap) {
        size_t cap = px_mm_host.view_cap ? px_mm_host.view_cap * 2 : 8;
        shared_view *grown = px_realloc(px_mm_host.views, cap * sizeof *grown);
        if (!grown) rc = -LINUX_ENOMEM;
        else px_mm_host.views = grown, px_mm_host.view_cap = cap;
    }
    if (!rc) {
        VIEWS[px_mm_host.view_count++] = sv;
        rc = px_vm_apply(&v);
        if (!rc) rc = px_vma_insert(&px_mm_host.vmas, &v);
        if (rc) drop_view(px_mm_host.view_count - 1);
    } else {
        if (sv.mapped_end > sv.base) px_host_view_unmap((void *)sv.base);
        if (sv.tail) px_host_mem_release((void *)sv.tail);
        close_if(sv.section);
        close_if(file);
    }
    return rc ? rc : (int64_t)v.start;
}

int64_t px_vm_map_shared_locked(uint64_t addr, uint64_t len, int prot, int flags, int fd,
                                uint64_t offset, px_host_handle file, bool writable)
{
    return map_view_locked(addr, len, prot, flags, fd, offset, file, writable, NULL, 0, false);
}

int64_t px_vm_map_private_view_locked(uint64_t addr, uint64_t len, int prot, int flags, int fd,
                                      uint64_t offset, px_host_handle file)
{
    return map_view_locked(addr, len, prot, flags, fd, offset, file, false, NULL, 0, true);
}

bool px_vm_view_is_copy(uint32_t id)
{
    shared_view *sv = id ? view_by_id(id) : NULL;
    return sv && sv->copy_on_write;
}

int64_t px_vm_map_shared_anon_locked(uint64_t addr, uint64_t len, int prot, int flags)
{
    return map_view_locked(addr, len, prot, flags, -1, 0, NULL, true, NULL, 0, false);
}

int64_t px_vm_remap_view_locked(const px_vma *v, uint64_t old, uint64_t new_len, int flags, uint64_t new_addr)
{
    shared_view *sv = view_by_id(v->view);
    if (!sv) return -LINUX_EINVAL;
    /* the new view's own handles: of the same section, or of the file (a section of its own) */
    px_host_handle section = NULL, file = NULL;
    if (sv->anonymous && sv->section && px_host_handle_dup(sv->section, px_host_self(), false, &section) < 0)
        return -LINUX_ENOMEM;
    if (!sv->anonymous && (!sv->file || px_host_handle_dup(sv->file, px_host_self(), false, &file) < 0))
        return -LINUX_ENOMEM;
    uint64_t offset = sv->anonymous ? sv->section_offset + (old - sv->base) : v->offset + (old - v->start);
    uint64_t anon_object = sv->anon_object; /* sv moves if the view list grows */
    int64_t to = map_view_locked(new_addr, new_len, LINUX_PROT_READ, flags, v->fd, offset, file, sv->writable,
                                 section, sv->section_size, false);
    if (to < 0) return to;
    px_vma *moved = px_vma_find(&px_mm_host.vmas, (uint64_t)to);
    shared_view *moved_view = moved ? view_by_id(moved->view) : NULL;
    if (moved_view) moved_view->anon_object = anon_object;
    if (moved) { /* the old mapping's protection, advice and name */
        moved->prot = v->prot;
        moved->fork_flags = v->fork_flags;
        moved->path = v->path;
        int64_t rc = px_vm_apply(moved);
        if (rc) {
            px_vm_unmap_locked((uint64_t)to, (uint64_t)to + new_len, true);
            return rc;
        }
        px_vma_merge_range(&px_mm_host.vmas, (uint64_t)to, (uint64_t)to + new_len);
    }
    return to;
}

bool px_vm_file_mapped_writable(px_host_handle file)
{
    file_id id;
    if (!identify(file, &id)) return false;
    px_vm_lock();
    bool found = false;
    for (size_t i = 0; i < px_mm_host.view_count && !found; i++)
        found = !VIEWS[i].anonymous && VIEWS[i].writable && is_file(&VIEWS[i], id);
    px_vm_unlock();
    return found;
}

int64_t px_vm_resize_mapped(px_host_handle file, int64_t (*resize)(void *ctx), void *ctx, int64_t fail)
{
    file_id id;
    if (!identify(file, &id)) return fail;
    px_vm_lock();
    /* take the views down, keeping their address space reserved */
    size_t taken = 0;
    for (size_t i = 0; i < px_mm_host.view_count; i++) {
        shared_view *sv = &VIEWS[i];
        if (sv->anonymous || !is_file(sv, id)) continue;
        taken++;
        if (sv->mapped_end > sv->base) {
            px_host_view_unmap((void *)sv->base);
            uint64_t granule_end = PX_ALIGN_UP(sv->mapped_end, PX_ALLOC_GRANULARITY);
            px_host_mem_reserve((void *)sv->base, granule_end - sv->base);
        }
        if (sv->tail) px_host_mem_release((void *)sv->tail);
        sv->tail = sv->tail_size = 0;
        close_if(sv->section);
        sv->section = NULL;
        sv->mapped_end = sv->base; /* nothing mapped now */
    }
    if (!taken) {
        px_vm_unlock();
        return fail;
    }
    int64_t rc = resize(ctx);
    /* and up again, over the file's new size (place_view, as map_view_locked does) */
    for (size_t i = 0; i < px_mm_host.view_count; i++) {
        shared_view *sv = &VIEWS[i];
        if (sv->anonymous || !is_file(sv, id)) continue;
        uint64_t file_size = 0, skew = sv->guest_start - sv->base, total = sv->guest_end - sv->base;
        px_host_file_size(sv->file, &file_size);
        uint64_t in_file = file_size > sv->section_offset ? file_size - sv->section_offset : 0;
        uint64_t view_len = in_file < total ? in_file : total;
        if (view_len <= skew) view_len = 0;
        if (view_len) sv->section = px_host_section_new(sv->file, 0, sv->writable, false, NULL, NULL);
        if (!sv->section) view_len = 0;
        px_host_mem_release((void *)sv->base); /* the reservation held while it was down */
        if (!place_view(sv, sv->base, sv->section_offset, view_len, total)) {
            /* cannot happen unless another thread took the place: the pages stay SIGBUS */
            close_if(sv->section);
            sv->section = NULL;
            place_view(sv, sv->base, sv->section_offset, 0, total);
            continue;
        }
        if (sv->mapped_end > sv->base) {
            px_host_mem_protect((void *)sv->base, sv->mapped_end - sv->base, PX_HOST_PROT_NONE, NULL);
            for (size_t k = px_vma_lower_bound(&px_mm_host.vmas, sv->guest_start);
                 k < px_mm_host.vmas.count && px_mm_host.vmas.items[k].start < sv->guest_end; k++)
                if (px_mm_host.vmas.items[k].view == sv->id) px_vm_apply_view(&px_mm_host.vmas.items[k]);
        }
    }
    px_vm_unlock();
    return rc;
}

int64_t px_vm_apply_view(const px_vma *v)
{
    shared_view *sv = view_by_id(v->view);
    if (!sv) return -LINUX_EINVAL;
    if ((v->prot & LINUX_PROT_WRITE) && !sv->writable && !sv->copy_on_write) return -LINUX_EACCES;
    /* no FILE_MAP_EXECUTE: code is not run from views (EACCES; a private one is made
       private memory first, px_vm_demote_view_locked) */
    if (v->prot & LINUX_PROT_EXEC) return -LINUX_EACCES;
    uint64_t end = v->end < sv->mapped_end ? v->end : sv->mapped_end;
    if (v->start >= end) return 0; /* past end of file: stays reserved */
    int host_prot = px_vm_host_prot(v->prot, false);
    if (sv->copy_on_write && (host_prot & PX_HOST_PROT_WRITE)) host_prot |= PX_HOST_PROT_COPY;
    return px_host_mem_protect((void *)v->start, end - v->start, host_prot, NULL);
}

void px_vm_hide_view_pages(const px_vma *v)
{
    shared_view *sv = view_by_id(v->view);
    if (!sv) return;
    uint64_t end = v->end < sv->mapped_end ? v->end : sv->mapped_end;
    if (v->start < end) px_host_mem_protect((void *)v->start, end - v->start, PX_HOST_PROT_NONE, NULL);
}

void px_vm_release_views(uint64_t start, uint64_t end)
{
    for (size_t i = 0; i < px_mm_host.view_count;) {
        shared_view *sv = &VIEWS[i];
        if (sv->guest_start < end && start < sv->guest_end &&
            px_vma_range_free(&px_mm_host.vmas, sv->guest_start, sv->guest_end)) {
            drop_view(i);
            continue;
        }
        i++;
    }
}

int64_t px_vm_sync(uint64_t addr, uint64_t len, int flags)
{
    const int known = LINUX_MS_ASYNC | LINUX_MS_INVALIDATE | LINUX_MS_SYNC;
    if ((addr & (PX_PAGE_SIZE - 1)) || (flags & ~known)) return -LINUX_EINVAL;
    if ((flags & LINUX_MS_ASYNC) && (flags & LINUX_MS_SYNC)) return -LINUX_EINVAL;
    uint64_t end = addr + PX_ALIGN_UP(len, PX_PAGE_SIZE);
    if (end < addr) return -LINUX_ENOMEM;
    px_vm_lock();
    int64_t rc = px_vma_range_mapped(&px_mm_host.vmas, addr, end) ? 0 : -LINUX_ENOMEM;
    for (size_t i = px_vma_lower_bound(&px_mm_host.vmas, addr);
         i < px_mm_host.vmas.count && px_mm_host.vmas.items[i].start < end; i++) {
        const px_vma *v = &px_mm_host.vmas.items[i];
        shared_view *sv = v->view ? view_by_id(v->view) : NULL;
        /* private and anonymous memory: nothing to write back */
        if (!sv || sv->anonymous || sv->copy_on_write) continue;
        uint64_t s = v->start > addr ? v->start : addr;
        uint64_t e = v->end < end ? v->end : end;
        if (e > sv->mapped_end) e = sv->mapped_end;
        /* FlushViewOfFile starts the write-back (MS_ASYNC); MS_SYNC waits for it, and
           FlushFileBuffers needs write access (a read-only view has nothing dirty) */
        if (s < e) {
            int64_t err = px_host_view_flush((void *)s, e - s);
            if (!err && (flags & LINUX_MS_SYNC) && sv->writable) err = px_host_file_flush(sv->file);
            if (err && !rc) rc = err == -LINUX_EINVAL ? -LINUX_EIO : err;
        }
    }
    px_vm_unlock();
    return rc;
}

bool px_vm_futex_key_at(uint64_t addr, px_vm_futex_key *out)
{
    px_vm_lock();
    px_vma *v = px_vma_find(&px_mm_host.vmas, addr);
    const shared_view *sv = v && v->view ? view_by_id(v->view) : NULL;
    /* a copy-on-write view is private memory; a file we could not identify, or a section
       without a name, has no key another process could compute */
    bool shared = sv && !sv->copy_on_write && addr >= sv->base && addr < sv->mapped_end &&
                  (sv->anonymous ? sv->anon_object != 0 : sv->identified);
    if (shared)
        *out = (px_vm_futex_key){
            .object = sv->anonymous ? sv->anon_object : sv->id_of_file.index,
            .volume = sv->anonymous ? PX_VM_FUTEX_ANON_VOLUME : sv->id_of_file.volume,
            .offset = sv->section_offset + (addr - sv->base),
        };
    px_vm_unlock();
    return shared;
}

size_t px_vm_list_views(px_vm_view_info *out, size_t cap, uint32_t *next_id)
{
    for (size_t i = 0; i < px_mm_host.view_count && i < cap; i++) {
        const shared_view *sv = &VIEWS[i];
        out[i] = (px_vm_view_info){
            .base = sv->base, .mapped_end = sv->mapped_end, .guest_start = sv->guest_start,
            .guest_end = sv->guest_end, .tail = sv->tail, .tail_size = sv->tail_size,
            .section_offset = sv->section_offset, .view_len = sv->view_len, .section_size = sv->section_size,
            .section = (uint64_t)(uintptr_t)sv->section, .file = (uint64_t)(uintptr_t)sv->file,
            .file_index = sv->id_of_file.index, .id = sv->id, .file_volume = sv->id_of_file.volume,
            .writable = sv->writable, .anonymous = sv->anonymous, .identified = sv->identified,
            .copy_on_write = sv->copy_on_write, .anon_object = sv->anon_object,
        };
    }
    if (next_id) *next_id = px_mm_host.next_view_id;
    return px_mm_host.view_count;
}

void px_vm_set_next_view_id(uint32_t next_id) { px_mm_host.next_view_id = next_id; }

/* Whether [base, base+size) is one reservation the parent made for us before we ran. */
static bool reserved_here(uint64_t base, uint64_t size)
{
    px_host_region region;
    return px_host_mem_query((void *)(uintptr_t)base, &region) == 0 && region.allocation_base == base &&
           region.state == PX_HOST_MEM_RESERVED && region.size >= size;
}

int64_t px_vm_adopt_view(const px_vm_view_info *info, px_host_handle parent)
{
    shared_view sv = {
        .id = info->id, .base = info->base, .mapped_end = info->mapped_end, .guest_start = info->guest_start,
        .guest_end = info->guest_end, .tail = info->tail, .tail_size = info->tail_size,
        .section_offset = info->section_offset, .view_len = info->view_len, .section_size = info->section_size,
        .writable = info->writable, .anonymous = info->anonymous, .identified = info->identified,
        .copy_on_write = info->copy_on_write, .id_of_file = {info->file_volume, info->file_index},
        .anon_object = info->anon_object,
    };
    if (px_mm_host.view_count == px_mm_host.view_cap) {
        size_t cap = px_mm_host.view_cap ? px_mm_host.view_cap * 2 : 8;
        shared_view *grown = px_realloc(px_mm_host.views, cap * sizeof *grown);
        if (!grown) return -LINUX_ENOMEM;
        px_mm_host.views = grown;
        px_mm_host.view_cap = cap;
    }
    if (sv.tail && !reserved_here(sv.tail, sv.tail_size)) return -LINUX_ENOMEM;
    int64_t rc = 0;
    if (info->section) rc = px_host_handle_from(parent, info->section, &sv.section);
    if (!rc && info->file) rc = px_host_handle_from(parent, info->file, &sv.file);
    if (!rc && sv.mapped_end > sv.base) {
        /* the parent held the place with a reservation: the view takes it over */
        uint64_t granule_end = PX_ALIGN_UP(sv.mapped_end, PX_ALLOC_GRANULARITY);
        if (!reserved_here(sv.base, granule_end - sv.base) || px_host_mem_release((void *)(uintptr_t)sv.base) ||
            (sv.copy_on_write
                 ? px_host_view_map_copy(sv.section, sv.section_offset, sv.view_len, (void *)(uintptr_t)sv.base)
                 : px_host_view_map(sv.section, sv.section_offset, sv.view_len, (void *)(uintptr_t)sv.base,
                                    sv.writable)) != (void *)(uintptr_t)sv.base)
            rc = -LINUX_ENOMEM;
        else
            px_host_mem_protect((void *)(uintptr_t)sv.base, sv.mapped_end - sv.base, PX_HOST_PROT_NONE, NULL);
    }
    if (rc) {
        close_if(sv.section);
        close_if(sv.file);
        return rc;
    }
    VIEWS[px_mm_host.view_count++] = sv;
    return 0;
}

/* fork: the parked names, each a header and its path (wide characters, NUL included),
   8-byte aligned. */
typedef struct parked_record {
    uint64_t index;
    uint32_t volume, chars;
} parked_record;

size_t px_vm_list_parked(uint8_t *out, size_t cap)
{
    size_t need = 0;
    for (const parked_name *n = px_mm_host.parked_names; n; n = n->next) {
        uint32_t chars = (uint32_t)wcslen(n->path) + 1;
        size_t size = PX_ALIGN_UP(sizeof(parked_record) + chars * sizeof(wchar_t), 8);
        if (out && need + size <= cap) {
            parked_record r = {.index = n->file.index, .volume = n->file.volume, .chars = chars};
            memset(out + need, 0, size);
            memcpy(out + need, &r, sizeof r);
            memcpy(out + need + sizeof r, n->path, chars * sizeof(wchar_t));
        }
        need += size;
    }
    return need;
}

int64_t px_vm_adopt_parked(const uint8_t *data, size_t len)
{
    for (size_t at = 0; at + sizeof(parked_record) <= len;) {
        parked_record r;
        memcpy(&r, data + at, sizeof r);
        size_t size = PX_ALIGN_UP(sizeof r + (size_t)r.chars * sizeof(wchar_t), 8);
        if (!r.chars || at + size > len) return -LINUX_EINVAL;
        parked_name *n = px_alloc(sizeof *n + r.chars * sizeof(wchar_t));
        if (!n) return -LINUX_ENOMEM;
        n->file = (file_id){r.volume, r.index};
        memcpy(n->path, data + at + sizeof r, r.chars * sizeof(wchar_t));
        n->path[r.chars - 1] = 0;
        n->next = px_mm_host.parked_names;
        px_mm_host.parked_names = n;
        at += size;
    }
    if (px_mm_host.parked_names && !exit_hook) exit_hook = atexit(delete_parked_at_exit) == 0;
    return 0;
}

/* Copies [start, end) but for [skip_start, skip_end) from `from` to `to`. */
static void copy_but(uint8_t *to, const uint8_t *from, uint64_t start, uint64_t end, uint64_t skip_start,
                     uint64_t skip_end)
{
    uint64_t a = skip_start > start ? (skip_start < end ? skip_start : end) : start;
    uint64_t b = skip_end > start ? (skip_end < end ? skip_end : end) : start;
    if (b < a) b = a;
    memcpy(to, from, a - start);
    memcpy(to + (b - start), from + (b - start), end - b);
}

int64_t px_vm_demote_view_locked(uint32_t id) { return px_vm_demote_view_but_locked(id, 0, 0); }

int64_t px_vm_demote_view_but_locked(uint32_t id, uint64_t skip_start, uint64_t skip_end)
{
    shared_view *sv = view_by_id(id);
    if (!sv || !sv->copy_on_write) return 0;
    uint64_t since = px_timing_now();
    uint64_t start = sv->guest_start, end = sv->guest_end;
    uint64_t data_end = sv->mapped_end < end ? sv->mapped_end : end;
    uint64_t bytes = data_end > start ? data_end - start : 0;
    /* the contents the guest sees (the file's pages and its own), kept across the swap */
    uint8_t *saved = bytes ? px_alloc(bytes) : NULL;
    if (bytes && !saved) return -LINUX_ENOMEM;
    if (bytes) {
        px_host_mem_protect((void *)start, bytes, PX_HOST_PROT_READ, NULL);
        copy_but(saved, (const uint8_t *)start, start, data_end, skip_start, skip_end);
    }
    for (size_t i = px_vma_lower_bound(&px_mm_host.vmas, start);
         i < px_mm_host.vmas.count && px_mm_host.vmas.items[i].start < end; i++) {
        px_vma *v = &px_mm_host.vmas.items[i];
        if (v->view != id) continue;
        v->view = 0;
        v->file_end = data_end > v->start ? v->offset + (data_end - v->start) : v->offset;
    }
    for (size_t i = 0; i < px_mm_host.view_count; i++)
        if (VIEWS[i].id == id) {
            drop_view(i);
            break;
        }
    int64_t rc = px_vm_reserve(start, end);
    for (size_t i = px_vma_lower_bound(&px_mm_host.vmas, start);
         !rc && i < px_mm_host.vmas.count && px_mm_host.vmas.items[i].start < end; i++) {
        px_vma *v = &px_mm_host.vmas.items[i];
        uint64_t e = v->end < data_end ? v->end : data_end;
        if (e > v->start) {
            rc = px_vm_commit(v->start, e, PX_HOST_PROT_READ | PX_HOST_PROT_WRITE);
            if (!rc) copy_but((uint8_t *)v->start, saved + (v->start - start), v->start, e, skip_start, skip_end);
        }
        if (!rc) rc = px_vm_apply(v);
    }
    if (rc) px_log("picolx: mm: cannot make the private file mapping at %p-%p private memory", (void *)start,
                   (void *)end);
    px_free(saved);
    px_timing_work("mm: private view made private memory", start, end - start, since);
    return rc;
}

int64_t px_vm_demote_views_near_locked(uint64_t start, uint64_t end)
{
    uint64_t lo = PX_ALIGN_DOWN(start, PX_ALLOC_GRANULARITY), hi = PX_ALIGN_UP(end, PX_ALLOC_GRANULARITY);
    for (size_t i = 0; i < px_mm_host.view_count;) {
        const shared_view *sv = &VIEWS[i];
        uint64_t v_hi = sv->tail ? sv->tail + sv->tail_size : PX_ALIGN_UP(sv->mapped_end, PX_ALLOC_GRANULARITY);
        if (v_hi < sv->guest_end) v_hi = sv->guest_end;
        if (sv->copy_on_write && sv->base < hi && lo < v_hi && (sv->guest_start < start || sv->guest_end > end)) {
            /* what [start, end) will hold is not copied: the fixed mapping replaces it */
            int64_t rc = px_vm_demote_view_but_locked(sv->id, start, end);
            if (rc) return rc;
            i = 0; /* the views moved */
            continue;
        }
        i++;
    }
    return 0;
}

bool px_vm_copy_file_views(px_host_handle file, uint64_t new_size)
{
    file_id id;
    if (!identify(file, &id)) return false;
    px_vm_lock();
    bool any = false;
    for (size_t i = 0; i < px_mm_host.view_count;) {
        const shared_view *sv = &VIEWS[i];
        if (!sv->copy_on_write || !is_file(sv, id)) {
            i++;
            continue;
        }
        uint64_t start = sv->guest_start, end = sv->guest_end;
        /* Linux zeroes the rest of the new last page in the file's cache: a page the
           guest has not written (it still holds what the section holds) shows zeros */
        uint64_t partial = PX_ALIGN_DOWN(new_size, PX_PAGE_SIZE), zero_at = 0;
        for (size_t k = px_vma_lower_bound(&px_mm_host.vmas, start);
             (new_size & (PX_PAGE_SIZE - 1)) && sv->section && k < px_mm_host.vmas.count &&
             px_mm_host.vmas.items[k].start < end; k++) {
            const px_vma *v = &px_mm_host.vmas.items[k];
            uint64_t at = v->start + (partial - v->offset);
            if (v->view != sv->id || partial < v->offset || at >= v->end || at >= sv->mapped_end) continue;
            uint64_t from = PX_ALIGN_DOWN(partial, PX_ALLOC_GRANULARITY);
            const uint8_t *file_page = px_host_view_map(sv->section, from, partial - from + PX_PAGE_SIZE, NULL, false);
            if (!file_page) break;
            px_host_mem_protect((void *)at, PX_PAGE_SIZE, PX_HOST_PROT_READ, NULL);
            if (!memcmp(file_page + (partial - from), (const void *)at, PX_PAGE_SIZE)) zero_at = at;
            px_host_view_unmap((void *)file_page);
            break;
        }
        if (px_vm_demote_view_locked(sv->id)) break;
        if (zero_at) {
            px_host_mem_protect((void *)zero_at, PX_PAGE_SIZE, PX_HOST_PROT_READ | PX_HOST_PROT_WRITE, NULL);
            memset((uint8_t *)zero_at + (new_size & (PX_PAGE_SIZE - 1)), 0, PX_PAGE_SIZE - (new_size & (PX_PAGE_SIZE - 1)));
            const px_vma *owner = px_vma_find(&px_mm_host.vmas, zero_at);
            if (owner) px_vm_apply(owner);
        }
        any = true;
        i = 0;
        /* as Linux: the pages past the new end of file go, written or not (SIGBUS) */
        uint64_t new_end = PX_ALIGN_UP(new_size, PX_PAGE_SIZE);
        for (size_t k = px_vma_lower_bound(&px_mm_host.vmas, start);
             k < px_mm_host.vmas.count && px_mm_host.vmas.items[k].start < end; k++) {
            px_vma *v = &px_mm_host.vmas.items[k];
            if (v->file_end <= new_end) continue;
            v->file_end = new_end > v->offset ? new_end : v->offset;
            uint64_t data_end = px_vm_data_end(v);
            if (data_end < v->end) px_vm_decommit(data_end, v->end);
            px_vm_apply(v);
        }
    }
    px_vm_unlock();
    return any;
}
