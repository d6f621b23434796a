/* The memory syscalls: mmap, munmap, mprotect, mremap, madvise. The work is in vm.c;
   this handler looks the fd up (fs.h) and hands mm the file as a px_vm_file. */
#include "core/uaccess.h"
#include "fs/fs.h"
#include "mm/vm_private.h"

/* A mapped file, by its fd: the operations mm reaches the file through. */
static int64_t fd_file_pread(const px_vm_file *file, void *buf, uint64_t len, uint64_t offset)
{
    return px_fs_pread(file->fd, buf, len, offset);
}

static px_host_handle fd_file_disk_handle(const px_vm_file *file, bool *writable)
{
    return px_fs_fd_disk_handle(file->fd, writable);
}

static int64_t fd_file_path(const px_vm_file *file, char *buf, size_t size)
{
    return px_fs_fd_path(file->fd, buf, size);
}

static const px_vm_file_ops fd_file_ops = {
    .pread = fd_file_pread,
    .disk_handle = fd_file_disk_handle,
    .path = fd_file_path,
};

static px_vm_file file_of_fd(int fd) { return (px_vm_file){.ops = &fd_file_ops, .fd = fd}; }

/* The checks Linux makes on the fd of a file mapping (do_mmap), in its order: a shared
   writable mapping needs the fd open for writing, every mapping needs it open for
   reading, and the file must be mappable at all (a pipe is not: ENODEV). */
static int64_t check_map_fd(int fd, int prot, int flags)
{
    int64_t access = px_fs_fd_access(fd);
    if (access < 0) return access;
    uint32_t mode = (uint32_t)access & LINUX_O_ACCMODE;
    bool shared = (flags & LINUX_MAP_TYPE) != LINUX_MAP_PRIVATE;
    if (shared && (prot & LINUX_PROT_WRITE) && mode != LINUX_O_RDWR && mode != LINUX_O_WRONLY) return -LINUX_EACCES;
    if (mode != LINUX_O_RDONLY && mode != LINUX_O_RDWR) return -LINUX_EACCES;
    if (!(access & PX_FS_FD_MAPPABLE)) return -LINUX_ENODEV;
    /* a memfd sealed against writes (F_SEAL_WRITE, F_SEAL_FUTURE_WRITE): EPERM */
    if (shared && (prot & LINUX_PROT_WRITE) && (px_fs_fd_seals(fd) & 0x18)) return -LINUX_EPERM;
    return 0;
}

/* Whether fd is /dev/zero: Linux maps it as anonymous memory (MAP_SHARED: a shmem
   object of its own, shared with forked children, as MAP_SHARED|MAP_ANONYMOUS). */
static bool is_dev_zero(int fd)
{
    char path[16];
    return px_fs_fd_path(fd, path, sizeof path) == 9 && !memcmp(path, "/dev/zero", 9);
}

/* mmap(2) */
PX_SYSCALL(mmap)
{
    uint64_t addr = PX_ARG0, len = PX_ARG1, offset = PX_ARG5;
    int prot = (int)PX_ARG2, flags = (int)PX_ARG3, fd = (int)PX_ARG4;
    if (flags & LINUX_MAP_ANONYMOUS) return px_vm_map_file(addr, len, prot, flags, NULL, offset);
    int64_t rc = check_map_fd(fd, prot, flags);
    if (rc < 0) return rc;
    if (is_dev_zero(fd)) {
        if (offset & (PX_PAGE_SIZE - 1)) return -LINUX_EINVAL;
        return px_vm_map_file(addr, len, prot, flags | LINUX_MAP_ANONYMOUS, NULL, 0);
    }
    px_vm_file file = file_of_fd(fd);
    return px_vm_map_file(addr, len, prot, flags, &file, offset);
}

/* munmap(2) */
PX_SYSCALL(munmap)
{
    uint64_t addr = PX_ARG0, len = PX_ARG1;
    return px_vm_unmap(addr, len);
}

/* mprotect(2) */
PX_SYSCALL(mprotect)
{
    uint64_t addr = PX_ARG0, len = PX_ARG1;
    int prot = (int)PX_ARG2;
    return px_vm_protect(addr, len, prot);
}

/* msync(2) */
PX_SYSCALL(msync)
{
    uint64_t addr = PX_ARG0, len = PX_ARG1;
    int flags = (int)PX_ARG2;
    return px_vm_sync(addr, len, flags);
}

/* mremap(2) */
PX_SYSCALL(mremap)
{
    uint64_t old_addr = PX_ARG0, old_len = PX_ARG1, new_len = PX_ARG2, new_addr = PX_ARG4;
    int flags = (int)PX_ARG3;
    return px_vm_remap(old_addr, old_len, new_len, flags, new_addr);
}

/* madvise(2) */
PX_SYSCALL(madvise)
{
    uint64_t addr = PX_ARG0, len = PX_ARG1;
    int advice = (int)PX_ARG2;
    return px_vm_advise(addr, len, advice);
}

/* Grows v (whose end is at old_end) in place to new_end, if those pages are free. */
static bool grow_in_place(const px_vma *v, uint64_t old_start, uint64_t old_end, uint64_t new_end)
{
    if (!px_vma_range_free(&px_vm_vmas, old_end, new_end) ||
        (old_end < px_vm_brk_hi && new_end > px_vm_brk_lo && v->kind != PX_VM_BRK) ||
        px_vm_reserve(old_end, new_end))
        return false;
    px_vma ext = *v;
    ext.start = old_end;
    ext.end = new_end;
    ext.offset = v->offset + (old_end - v->start);
    int64_t rc = 0;
    if (ext.fd >= 0) {
        px_vm_file file = file_of_fd(ext.fd);
        uint64_t filled = 0;
        rc = px_vm_commit(old_end, new_end, PX_HOST_PROT_READ | PX_HOST_PROT_WRITE);
        if (!rc) rc = px_vm_fill_from_file(old_end, new_end, &file, ext.offset, &filled);
        /* the file's data now reaches as far as was read (as at mmap) */
        ext.file_end = ext.offset + PX_ALIGN_UP(filled, PX_PAGE_SIZE);
    }
    if (!rc) rc = px_vm_apply(&ext);
    if (!rc) rc = px_vma_insert(&px_vm_vmas, &ext);
    if (rc) {
        px_vm_decommit(old_end, new_end);
        px_vm_release_empty(old_end, new_end);
        return false;
    }
    (void)old_start;
    return true;
}

/* Moves [old, old+old_len) (inside the single mapping *v) to a new place of new_len bytes:
   new_addr if fixed, else anywhere. */
static int64_t move_mapping(px_vma v, uint64_t old, uint64_t old_len, uint64_t new_len,
                            bool fixed, uint64_t new_addr, bool keep_old)
{
    int64_t rc;
    uint64_t to;
    if (fixed) {
        if ((rc = px_vm_reserve(new_addr, new_addr + new_len))) return rc;
        if ((rc = px_vm_unmap_locked(new_addr, new_addr + new_len, false))) return rc;
        to = new_addr;
    } else if ((rc = px_vm_place(0, new_len, UINT64_MAX, &to))) {
        return rc;
    }
    px_vma moved = v;
    moved.start = to;
    moved.end = to + new_len;
    moved.offset = v.offset + (old - v.start);
    moved.scanned = false; /* code moved elsewhere is scanned again where it lands */
    uint64_t copy = old_len < new_len ? old_len : new_len;
    /* the old pages must be readable to copy them; they go away afterwards */
    rc = px_vm_commit(to, to + new_len, PX_HOST_PROT_READ | PX_HOST_PROT_WRITE);
    if (!rc) rc = px_vm_commit(old, old + copy, PX_HOST_PROT_READ | PX_HOST_PROT_WRITE);
    if (!rc) {
        /* a page past the end of a mapped file faults: EFAULT rather than the runtime's death */
        if (px_copy_in((void *)to, old, copy) < 0) rc = -LINUX_EFAULT;
    }
    if (!rc) {
        if (moved.fd >= 0 && new_len > copy) {
            px_vm_file file = file_of_fd(moved.fd);
            uint64_t filled = 0;
            rc = px_vm_fill_from_file(to + copy, to + new_len, &file, moved.offset + copy, &filled);
            /* the file's data reaches as far as was read (as at mmap) */
            if (filled && moved.file_end < moved.offset + copy + PX_ALIGN_UP(filled, PX_PAGE_SIZE))
                moved.file_end = moved.offset + copy + PX_ALIGN_UP(filled, PX_PAGE_SIZE);
        }
    }
    if (!rc) rc = px_vm_apply(&moved);
    if (!rc) rc = px_vma_insert(&px_vm_vmas, &moved);
    if (rc) {
        px_vm_decommit(to, to + new_len);
        px_vm_release_empty(to, to + new_len);
        px_vma old_part = v;
        old_part.start = old;
        old_part.end = old + old_len;
        px_vm_apply(&old_part);
        return rc;
    }
    if (keep_old) {
        /* MREMAP_DONTUNMAP: the old range stays mapped, empty */
        px_vm_decommit(old, old + old_len);
        px_vma old_part = v;
        old_part.start = old;
        old_part.end = old + old_len;
        px_vm_apply(&old_part);
    } else {
        px_vm_unmap_locked(old, old + old_len, true);
    }
    return (int64_t)to;
}

/* MAP_SHARED memory (a view of a section, shared.c) moved or grown: a view of the same
   section (shared anonymous memory: shared still with forked processes) or file at the
   new place, pages past the object's size SIGBUS as on Linux; the old range goes. */
static int64_t move_view(const px_vma *v, uint64_t old, uint64_t old_len, uint64_t new_len, bool fixed,
                                uint64_t new_addr)
{
    if (fixed && !px_vm_view_fits(new_addr, new_len)) return -LINUX_ENOMEM;
    int flags = v->flags | (fixed ? LINUX_MAP_FIXED : 0);
    int64_t to = px_vm_remap_view_locked(v, old, new_len, flags, fixed ? new_addr : 0);
    if (to >= 0) px_vm_unmap_locked(old, old + old_len, true);
    return to;
}

int64_t px_vm_remap(uint64_t old_addr, uint64_t old_len, uint64_t new_len, int flags, uint64_t new_addr)
{
    bool may_move = flags & LINUX_MREMAP_MAYMOVE, fixed = flags & LINUX_MREMAP_FIXED;
    bool dont_unmap = flags & LINUX_MREMAP_DONTUNMAP;
    if (flags & ~(LINUX_MREMAP_MAYMOVE | LINUX_MREMAP_FIXED | LINUX_MREMAP_DONTUNMAP)) return -LINUX_EINVAL;
    if ((fixed || dont_unmap) && !may_move) return -LINUX_EINVAL;
    if (dont_unmap && old_len != new_len) return -LINUX_EINVAL;
    if (old_addr & (PX_PAGE_SIZE - 1)) return -LINUX_EINVAL;
    old_len = PX_ALIGN_UP(old_len, PX_PAGE_SIZE);
    new_len = PX_ALIGN_UP(new_len, PX_PAGE_SIZE);
    if (new_len == 0) return -LINUX_EINVAL;
    if (new_len > PX_USER_TOP || old_addr + old_len < old_addr) return -LINUX_EINVAL;
    if (fixed) {
        if (new_addr & (PX_PAGE_SIZE - 1)) return -LINUX_EINVAL;
        if (new_addr + new_len > PX_USER_TOP) return -LINUX_EINVAL;
        if (new_addr < old_addr + old_len && old_addr < new_addr + new_len) return -LINUX_EINVAL;
    }
    px_vm_lock();
    int64_t rc;
    px_vma *found = px_vma_find(&px_vm_vmas, old_addr);
    if (!found || old_addr + old_len > found->end) {
        rc = -LINUX_EFAULT;
        goto out;
    }
    /* a private file view moves or grows as private memory (a new view would lose the
       guest's writes) */
    if (px_vm_view_is_copy(found->view)) {
        if ((rc = px_vm_demote_view_locked(found->view))) goto out;
        found = px_vma_find(&px_vm_vmas, old_addr);
        if (!found) {
            rc = -LINUX_EFAULT;
            goto out;
        }
    }
    px_vma v = *found;
    if (old_len == 0) {
        /* a second mapping of the same shared pages (Linux: shared mappings only) */
        if ((v.flags & LINUX_MAP_TYPE) == LINUX_MAP_PRIVATE) rc = -LINUX_EINVAL;
        else if (!may_move) rc = -LINUX_ENOMEM;
        else if (!v.view) rc = -LINUX_EINVAL; /* a copied shared mapping: no pages to share */
        else if (fixed && !px_vm_view_fits(new_addr, new_len)) rc = -LINUX_ENOMEM;
        else rc = px_vm_remap_view_locked(&v, old_addr, new_len, v.flags | (fixed ? LINUX_MAP_FIXED : 0),
                                                 fixed ? new_addr : 0);
        goto out;
    }
    /* a whole view grows in place when the address space after it is free: a new, longer
       view of its section or file at the same address (Windows cannot lengthen a view) */
    if (v.view && !fixed && !dont_unmap && new_len > old_len && old_addr == v.start && old_addr + old_len == v.end &&
        px_vma_range_free(&px_vm_vmas, old_addr + old_len, old_addr + new_len) &&
        !(old_addr + old_len < px_vm_brk_hi && old_addr + new_len > px_vm_brk_lo) &&
        old_addr + new_len <= PX_USER_TOP && px_vm_view_fits(old_addr, new_len)) {
        rc = px_vm_remap_view_locked(&v, old_addr, new_len, v.flags | LINUX_MAP_FIXED, old_addr);
        goto out;
    }
    /* else it moves as a new view of its section or file; shrinking is munmap of its tail */
    if (v.view && !dont_unmap && (fixed || (new_len > old_len && may_move))) {
        rc = move_view(&v, old_addr, old_len, new_len, fixed, new_addr);
        goto out;
    }
    if (v.view && (fixed || dont_unmap || new_len > old_len)) {
        rc = fixed || dont_unmap ? -LINUX_EINVAL : -LINUX_ENOMEM;
        goto out;
    }
    if (fixed || dont_unmap) {
        rc = move_mapping(v, old_addr, old_len, new_len, fixed, new_addr, dont_unmap);
        goto out;
    }
    if (new_len <= old_len) {
        rc = px_vm_unmap_locked(old_addr + new_len, old_addr + old_len, true);
        if (!rc) rc = (int64_t)old_addr;
        goto out;
    }
    if (old_addr + old_len == v.end && grow_in_place(&v, old_addr, old_addr + old_len, old_addr + new_len)) {
        rc = (int64_t)old_addr;
        goto out;
    }
    rc = may_move ? move_mapping(v, old_addr, old_len, new_len, false, 0, false) : -LINUX_ENOMEM;
out:
    px_vm_unlock();
    return rc;
}

/* Advice values Linux knows (5-7 and 24 are unused numbers). */
static bool known_advice(int advice)
{
    static const bool known[] = {
        [LINUX_MADV_NORMAL] = true, [LINUX_MADV_RANDOM] = true, [LINUX_MADV_SEQUENTIAL] = true,
        [LINUX_MADV_WILLNEED] = true, [LINUX_MADV_DONTNEED] = true, [LINUX_MADV_FREE] = true,
        [9] = true,  /* REMOVE */     [LINUX_MADV_DONTFORK] = true, [LINUX_MADV_DOFORK] = true,
        [12] = true, /* MERGEABLE */  [13] = true, /* UNMERGEABLE */ [14] = true, /* HUGEPAGE */
        [15] = true, /* NOHUGEPAGE */ [16] = true, /* DONTDUMP */   [17] = true, /* DODUMP */
        [LINUX_MADV_WIPEONFORK] = true, [LINUX_MADV_KEEPONFORK] = true, [20] = true, /* COLD */
        [21] = true, /* PAGEOUT */    [22] = true, /* POPULATE_READ */
        [23] = true, /* POPULATE_WRITE */ [25] = true, /* COLLAPSE */
    };
    return advice >= 0 && (size_t)advice < PX_ARRAY_LEN(known) && known[advice];
}

/* MADV_DONTNEED: private pages read back as they were mapped (zeros, or the file's bytes). */
static int64_t discard(uint64_t start, uint64_t end)
{
    size_t first, last;
    /* a private file view cannot drop its written pages: it becomes private memory first */
    for (size_t i = px_vma_lower_bound(&px_vm_vmas, start); i < px_vm_vmas.count && px_vm_vmas.items[i].start < end;
         i++) {
        uint32_t view = px_vm_vmas.items[i].view;
        if (px_vm_view_is_copy(view)) {
            int64_t rc = px_vm_demote_view_locked(view);
            if (rc) return rc;
        }
    }
    if (px_vma_isolate(&px_vm_vmas, start, end, &first, &last)) return -LINUX_ENOMEM;
    for (size_t i = first; i < last; i++) {
        const px_vma *v = &px_vm_vmas.items[i];
        if ((v->flags & LINUX_MAP_TYPE) != LINUX_MAP_PRIVATE) continue; /* shared: data stays */
        px_vm_decommit(v->start, v->end);
        int64_t rc = 0;
        if (v->fd >= 0) {
            px_vm_file file = file_of_fd(v->fd);
            rc = px_vm_commit(v->start, v->end, PX_HOST_PROT_READ | PX_HOST_PROT_WRITE);
            if (!rc) rc = px_vm_fill_from_file(v->start, v->end, &file, v->offset, NULL);
        }
        if (!rc) rc = px_vm_apply(v);
        if (rc) return rc;
    }
    px_vma_merge_range(&px_vm_vmas, start, end);
    return 0;
}

/* MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK, MADV_KEEPONFORK: what fork (mm_fork.c)
   does with the mappings of [start, end), recorded on them. As Linux, wiping is for
   private anonymous memory only (EINVAL for a file's, the program's image, shared
   memory), and the mappings before the one refused keep the change. */
static int64_t set_fork_flags(uint64_t start, uint64_t end, int advice)
{
    size_t first, last;
    if (px_vma_isolate(&px_vm_vmas, start, end, &first, &last)) return -LINUX_ENOMEM;
    int64_t rc = 0;
    for (size_t i = first; i < last; i++) {
        px_vma *v = &px_vm_vmas.items[i];
        bool private_anon = v->fd < 0 && v->kind != PX_VM_IMAGE && (v->flags & LINUX_MAP_TYPE) == LINUX_MAP_PRIVATE;
        if (advice == LINUX_MADV_WIPEONFORK && !private_anon) {
            rc = -LINUX_EINVAL;
            break;
        }
        if (advice == LINUX_MADV_DONTFORK) v->fork_flags |= PX_VMA_DONTFORK;
        else if (advice == LINUX_MADV_DOFORK) v->fork_flags &= ~PX_VMA_DONTFORK;
        else if (advice == LINUX_MADV_WIPEONFORK) v->fork_flags |= PX_VMA_WIPEONFORK;
        else v->fork_flags &= ~PX_VMA_WIPEONFORK;
    }
    px_vma_merge_range(&px_vm_vmas, start, end);
    return rc;
}

/* MADV_REMOVE: the shared object's pages in [start, end) read back as zeros, in every
   process that maps them (Linux punches a hole in the file or shmem object; here the
   pages are cleared). As Linux: private anonymous memory EINVAL, a private or read-only
   file mapping EACCES; the mappings before the one refused are cleared. */
static int64_t remove_pages(uint64_t start, uint64_t end)
{
    for (size_t i = px_vma_lower_bound(&px_vm_vmas, start); i < px_vm_vmas.count && px_vm_vmas.items[i].start < end;
         i++) {
        const px_vma *v = &px_vm_vmas.items[i];
        bool shared = (v->flags & LINUX_MAP_TYPE) != LINUX_MAP_PRIVATE;
        if (v->fd < 0 && !shared) return -LINUX_EINVAL;
        if (!shared || (v->fd >= 0 && !v->view)) return -LINUX_EACCES;
        uint64_t s = v->start > start ? v->start : start, e = v->end < end ? v->end : end;
        uint64_t data_end = px_vm_data_end(v);
        if (e > data_end) e = data_end;
        if (s >= e) continue;
        /* the guest may have made them read-only; the object itself is writable */
        int64_t rc = px_host_mem_protect((void *)s, e - s, PX_HOST_PROT_READ | PX_HOST_PROT_WRITE, NULL);
        if (rc) return -LINUX_EACCES; /* a view of a file not open for writing */
        rc = px_clear_out(s, e - s);
        px_vm_apply(v);
        if (rc) return rc;
    }
    return 0;
}

int64_t px_vm_advise(uint64_t addr, uint64_t len, int advice)
{
    if (addr & (PX_PAGE_SIZE - 1)) return -LINUX_EINVAL;
    if (!known_advice(advice)) return -LINUX_EINVAL;
    uint64_t end = addr + PX_ALIGN_UP(len, PX_PAGE_SIZE);
    if (end < addr) return -LINUX_EINVAL;
    if (end == addr) return 0;
    px_vm_lock();
    /* Linux applies the advice to the mapped parts and then reports the holes */
    int64_t rc = px_vma_range_mapped(&px_vm_vmas, addr, end) ? 0 : -LINUX_ENOMEM;
    if (advice == 9 /* MADV_REMOVE */) {
        int64_t r = remove_pages(addr, end);
        if (r) rc = r;
    }
    if (advice == LINUX_MADV_DONTNEED) {
        int64_t r = discard(addr, end);
        if (r) rc = r;
    }
    if (advice == LINUX_MADV_DONTFORK || advice == LINUX_MADV_DOFORK || advice == LINUX_MADV_WIPEONFORK ||
        advice == LINUX_MADV_KEEPONFORK) {
        int64_t r = set_fork_flags(addr, end, advice);
        if (r) rc = r;
    }
    px_vm_unlock();
    return rc;
}
