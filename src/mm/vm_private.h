/* Shared by the files of src/mm/: the address-space state and its host helpers.
   Every function here expects the caller to hold the lock (px_vm_lock). */
#ifndef PX_MM_VM_PRIVATE_H
#define PX_MM_VM_PRIVATE_H

#include "core/px.h"
#include "host/host_mem.h"
#include "mm/vm.h"
#include "mm/vma.h"

/* Highest address (exclusive) a guest mapping may reach (Linux's TASK_SIZE). */
#define PX_USER_TOP 0x7ffffffff000ull

struct shared_view;
struct parked_name;

/* The address space object (Linux's mm_struct). A Windows process has exactly one
   address space, so there is exactly one px_mm per Windows process (px_mm_host), shared
   by every task (CLONE_VM; without it a fork will be a new Windows process). Every field
   but refs is touched only with px_vm_lock held, by any thread. */
struct px_mm {
    int32_t refs;                  /* atomic: tasks that point at it; px_mm_host is never freed */
    px_vma_list vmas;              /* the guest's mappings */
    px_res_list reservations;      /* the Windows reservations that hold them */
    uint64_t brk_lo, brk_hi;       /* the brk area [lo, hi): placement without MAP_FIXED stays out of it */
    uint64_t brk_base, brk_current; /* brk(2): where the heap starts, the current break */
    struct shared_view *views;     /* shared.c: coherent MAP_SHARED views */
    size_t view_count, view_cap;
    uint32_t next_view_id;
    struct parked_name *parked_names; /* shared.c: mapped files to delete with their last view */
    px_vm_args args;               /* px_vm_lock: the initial stack's strings (px_vm_set_args) */
    char *exe_path;                /* px_vm_lock: the program's guest path (Linux's mm->exe_file), or NULL */
};
extern struct px_mm px_mm_host;
/* The old names, for mmap.c (helper A's file in this issue): the same fields. */
#define px_vm_vmas (px_mm_host.vmas)
#define px_vm_reservations (px_mm_host.reservations)
#define px_vm_brk_lo (px_mm_host.brk_lo)
#define px_vm_brk_hi (px_mm_host.brk_hi)

/* Recursive: the fault handler may run on a thread that holds it (a fault in runtime
   code under the lock) and the rewriter may map memory while an exec fault holds it. */
void px_vm_lock(void);
void px_vm_unlock(void);

/* Makes [start, end) ours: reserves the 64 KiB-aligned parts no reservation covers.
   All or nothing: 0, or -LINUX_ENOMEM (Windows owns some of it). */
int64_t px_vm_reserve(uint64_t start, uint64_t end);
/* Picks a free guest range of len bytes: the hint if it can be had, else a hole in our
   reservations, else a new reservation. below is an exclusive upper bound for the end
   (UINT64_MAX: anywhere; MAP_32BIT). 0 and *out, or -LINUX_ENOMEM. */
int64_t px_vm_place(uint64_t hint, uint64_t len, uint64_t below, uint64_t *out);
/* Commits [start, end) (pages already committed keep their contents) with the host
   protection host_prot (PX_HOST_PROT_*). 0 or -LINUX_Exxx. */
int64_t px_vm_commit(uint64_t start, uint64_t end, int host_prot);
void px_vm_decommit(uint64_t start, uint64_t end);
/* Gives the pages of v the host protection its Linux prot and scan state call for
   (committing them unless that is PX_HOST_PROT_NONE). 0 or -LINUX_Exxx. */
int64_t px_vm_apply(const px_vma *v);
/* The host protection (PX_HOST_PROT_*) for a Linux prot; exec only once scanned. */
int px_vm_host_prot(int prot, bool scanned);
/* Removes the guest mappings in [start, end) and decommits their pages; with release,
   reservations left empty go back to Windows. 0 or -LINUX_ENOMEM. */
int64_t px_vm_unmap_locked(uint64_t start, uint64_t end, bool release);
/* Releases the reservations intersecting [start, end) that hold no mapping any more. */
void px_vm_release_empty(uint64_t start, uint64_t end);
/* Copies the bytes of file at offset into committed, writable [start, end); zeros
   (already there) past end of file. *filled (if not NULL): the bytes copied.
   0 or -LINUX_Exxx. */
int64_t px_vm_fill_from_file(uint64_t start, uint64_t end, const px_vm_file *file, uint64_t offset,
                             uint64_t *filled);
/* Where the pages past end of file begin in v (v->end if none): private file mappings
   (file_end) and shared views alike. */
uint64_t px_vm_data_end(const px_vma *v);
/* mmap with the lock held (arguments already validated and page-rounded); file NULL
   for anonymous memory. */
int64_t px_vm_map_locked(uint64_t addr, uint64_t len, int prot, int flags, const px_vm_file *file,
                         uint64_t offset);

/* --- shared.c: coherent MAP_SHARED file mappings (host views of a section) --- */
/* Maps [addr or a place of its own, +len) as a view of file (a handle the file's
   disk_handle op gave; taken over), recorded with the guest's fd. Address or -LINUX_Exxx. */
int64_t px_vm_map_shared_locked(uint64_t addr, uint64_t len, int prot, int flags, int fd,
                                uint64_t offset, px_host_handle file, bool writable);
/* Shared anonymous memory (MAP_SHARED|MAP_ANONYMOUS): a view of a new pagefile section,
   so that a forked child maps the same pages. Address or -LINUX_Exxx. */
int64_t px_vm_map_shared_anon_locked(uint64_t addr, uint64_t len, int prot, int flags);
/* mremap of a view's VMA v: a new view from old (in v) of new_len bytes at new_addr
   (flags: v's, with MAP_FIXED for a fixed one) with v's protection: of the same
   section for shared anonymous memory, of the same file otherwise. Pages past the
   object's size (the section's, the file's) are SIGBUS. The old one stays. Address or
   -LINUX_Exxx. */
int64_t px_vm_remap_view_locked(const px_vma *v, uint64_t old, uint64_t new_len, int flags, uint64_t new_addr);
/* A MAP_PRIVATE file mapping as a copy-on-write view of file (a handle the file's
   disk_handle op gave; taken over): pages show the file until the guest writes them,
   as Linux's page cache does. The address, or -LINUX_Exxx (the caller copies instead). */
int64_t px_vm_map_private_view_locked(uint64_t addr, uint64_t len, int prot, int flags, int fd,
                                      uint64_t offset, px_host_handle file);
/* Whether view id is such a copy-on-write view. */
bool px_vm_view_is_copy(uint32_t id);
/* Makes the copy-on-write view id private committed memory with the same contents (its
   VMAs keep their place, protection and file; pages past end of file stay SIGBUS): for
   what a view cannot do (PROT_EXEC, a mapping in its 64 KiB granules, mremap,
   MADV_DONTNEED, truncation of its file). 0 or -LINUX_Exxx. */
int64_t px_vm_demote_view_locked(uint32_t id);
/* The same, leaving [skip_start, skip_end) uncopied (zeros): a fixed mapping replaces it. */
int64_t px_vm_demote_view_but_locked(uint32_t id, uint64_t skip_start, uint64_t skip_end);
/* Demotes the copy-on-write views that a fixed mapping of [start, end) would share a
   64 KiB granule with (or cut in part). 0 or -LINUX_Exxx. */
int64_t px_vm_demote_views_near_locked(uint64_t start, uint64_t end);

/* Whether a MAP_FIXED view can be placed at [addr, addr+len): the rest of its 64 KiB
   granules and the reservations there hold no other mapping. */
bool px_vm_view_fits(uint64_t addr, uint64_t len);
/* The end of the pages view id maps (the file's data), 0 if there is no such view. */
uint64_t px_vm_view_mapped_end(uint32_t id);
/* px_vm_apply for a VMA with a view: protection only (view pages are committed). */
int64_t px_vm_apply_view(const px_vma *v);
/* Makes v's view pages inaccessible (it is being unmapped). */
void px_vm_hide_view_pages(const px_vma *v);
/* Unmaps the views intersecting [start, end) that no VMA uses any more. */
void px_vm_release_views(uint64_t start, uint64_t end);
/* msync(2). */
int64_t px_vm_sync(uint64_t addr, uint64_t len, int flags);

/* fork (mm_fork.c): a view as the parent has it, for the child to map the same section
   at the same place. Handles are the parent's values. */
typedef struct px_vm_view_info {
    uint64_t base, mapped_end, guest_start, guest_end, tail, tail_size;
    uint64_t section_offset, view_len, section_size;
    uint64_t section, file;   /* the parent's handles (0: none) */
    uint64_t file_index;
    uint32_t id, file_volume;
    uint8_t writable, anonymous, identified, copy_on_write, pad[4];
    uint64_t anon_object;
} px_vm_view_info;
/* The views, up to cap of them (how many there are), and the next view id. */
size_t px_vm_list_views(px_vm_view_info *out, size_t cap, uint32_t *next_id);
/* In the child: maps the view in, its section (and file) taken from parent. The place
   [base, end of its granule) must be reserved for us, and the tail too (made ours).
   The pages come inaccessible: px_vm_apply of each VMA gives them their protection. */
int64_t px_vm_adopt_view(const px_vm_view_info *info, px_host_handle parent);
void px_vm_set_next_view_id(uint32_t next_id);
/* fork: the names of mapped files unlinked or renamed over (deleted with the file's last
   view, in whichever process that is) as bytes into out (cap of them): how many there
   are; and the child's taking them over. 0 or -LINUX_Exxx. */
size_t px_vm_list_parked(uint8_t *out, size_t cap);
int64_t px_vm_adopt_parked(const uint8_t *data, size_t len);

#endif
