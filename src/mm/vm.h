/* The guest's address space: mappings at 4 KiB granularity on top of Windows' 64 KiB
   allocation granularity, the brk area, and the execute-after-scan rule for code. */
#ifndef PX_MM_VM_H
#define PX_MM_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "host/host.h"

int px_vm_init(void);

/* The address space object (vm_private.h): the Windows process's one, with a reference
   for a new task; take and drop for clone (CLONE_VM). */
struct px_mm;
struct px_mm *px_mm_host_take(void);
struct px_mm *px_mm_take(struct px_mm *mm);
void px_mm_drop(struct px_mm *mm);

/* Adopts an address range reserved (MEM_RESERVE) for this process by its parent before
   it started: later fixed mappings inside it succeed. */
void px_vm_adopt_reservation(uint64_t start, uint64_t len);

/* A file to map, as the mmap handler (mmap.c) hands it over: mm reaches the file only
   through these operations and knows nothing of the fd's open file (src/fs). */
typedef struct px_vm_file px_vm_file;
typedef struct px_vm_file_ops {
    /* Up to len bytes at offset into buf, reading on until they are there or the file
       ends: the count (0 at end of file), or -LINUX_Exxx (-LINUX_ENODEV: no contents to
       map, a pipe; -LINUX_EISDIR). */
    int64_t (*pread)(const px_vm_file *file, void *buf, uint64_t len, uint64_t offset);
    /* For a coherent MAP_SHARED view (shared.c): a host handle of the disk file that holds
       the data (the caller owns it), or NULL when there is none (not a disk file).
       *writable: the file is open for reading and writing (a writable section may be made). */
    px_host_handle (*disk_handle)(const px_vm_file *file, bool *writable);
    /* The file's guest path into buf (for /proc/self/maps): its length, or -LINUX_Exxx. */
    int64_t (*path)(const px_vm_file *file, char *buf, size_t size);
} px_vm_file_ops;
struct px_vm_file {
    const px_vm_file_ops *ops;
    int fd;  /* the guest's fd: the mapping records it (the re-reads of mremap and
                MADV_DONTNEED name the file by it, as does /proc/self/maps) */
};

/* mmap(2) semantics (LINUX_PROT_*, LINUX_MAP_*): returns the address or -LINUX_Exxx.
   file: the mapped file, NULL for MAP_ANONYMOUS (-LINUX_EBADF without one otherwise).
   Memory with PROT_EXEC stays non-executable to the host until its code has been
   scanned by the rewriter. */
int64_t px_vm_map_file(uint64_t addr, uint64_t len, int prot, int flags, const px_vm_file *file, uint64_t offset);
/* Anonymous memory (the loader's segments, MAP_FIXED included; its stack; the vDSO):
   px_vm_map_file without a file. fd is -1, as mmap(2) has it with MAP_ANONYMOUS. */
int64_t px_vm_map(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t offset);
int64_t px_vm_unmap(uint64_t addr, uint64_t len);
int64_t px_vm_protect(uint64_t addr, uint64_t len, int prot);

/* For execve: true if [start, end) can hold a fixed mapping once the guest's mappings
   are gone (each part is free or one of our reservations; Windows owns none of it). */
bool px_vm_fixed_range_usable(uint64_t start, uint64_t end);
/* For execve: unmaps every guest mapping (their trap sites are forgotten), gives back
   the reservations left empty (adopted ones stay ours) and forgets the brk area. */
void px_vm_reset(void);

/* The brk area starts at base (page-aligned end of the image); the loader sets it. */
void px_vm_set_brk_base(uint64_t base);

/* From the fault handler: an execute fault at addr. If addr is guest code awaiting its
   scan, rewrites it, makes it executable and returns true (the guest resumes). */
bool px_vm_exec_fault(uint64_t addr);

/* True if addr lies in a guest mapping (used to tell a guest crash from a runtime bug). */
bool px_vm_contains(uint64_t addr);

/* From the fault handler: a write fault at addr. If addr is in a PROT_WRITE|PROT_EXEC
   mapping that was scanned (and so made execute-read for Windows), makes the mapping
   writable and non-executable again, to be rescanned at its next execute fault (JIT
   compilers), and returns true (the guest resumes). */
bool px_vm_write_fault(uint64_t addr);
/* From the fault handler: a read (write = false) or write fault at addr. Handles the
   write case above, and commits a MAP_NORESERVE page at its first touch when the
   mapping was too large to commit up front. Returns true if the guest may resume. */
bool px_vm_access_fault(uint64_t addr, bool write);

/* From the fault handler, for an access fault px_vm_access_fault did not resolve: the
   signal Linux sends for it. LINUX_SIGBUS for a page of a file mapping past end of file
   (the rest of the last partial page reads as zeros), else 0 (SIGSEGV). */
int px_vm_fault_signal(uint64_t addr, bool write);

/* For unlink and rename over a file whose deletion Windows refuses because it is mapped
   (a section): if a shared view of this process maps the file behind the open handle
   file, the parked name path is deleted when the last such view goes (munmap, execve,
   exit) and true is returned; false if no view maps it. The path is copied. */
bool px_vm_delete_when_unmapped(px_host_handle file, const wchar_t *path);

/* For truncate, which Windows refuses while a view maps the file (ETXTBSY): makes this
   process's copy-on-write views of the file behind handle file private memory, their
   pages past new_size gone (SIGBUS, as Linux has them after the truncation). True if
   there were any (the caller tries again). */
bool px_vm_copy_file_views(px_host_handle file, uint64_t new_size);

/* ftruncate of a file Windows refuses to shrink because this process maps it (a section
   holds it: Linux has no such rule): the views of the file are taken down, resize(ctx)
   runs, and the views are made again at their addresses over the file as it now is:
   whole pages past the new end are SIGBUS, the rest of the last page zeros, as Linux.
   Returns resize's result; or fail (unchanged) when no view of this process maps the
   file (another process's view still holds it: the resize's own error stands). */
int64_t px_vm_resize_mapped(px_host_handle file, int64_t (*resize)(void *ctx), void *ctx, int64_t fail);

/* Whether a writable shared view of this process maps the file behind the handle file
   (F_SEAL_WRITE is refused then: EBUSY). */
bool px_vm_file_mapped_writable(px_host_handle file);

/* What names a futex word in MAP_SHARED memory for every process that maps it (Linux's
   get_futex_key for a shared mapping: the object and the offset in it): a file's volume
   serial and index, or PX_VM_FUTEX_ANON_VOLUME and the session-wide name of a shared
   anonymous section (kept by fork and mremap). */
#define PX_VM_FUTEX_ANON_VOLUME 0xffffffffu
typedef struct px_vm_futex_key {
    uint64_t object, offset;
    uint32_t volume, pad;
} px_vm_futex_key;
/* Whether addr lies in shared memory another process may map too (a MAP_SHARED view; not
   a private or copy-on-write mapping), and its key. */
bool px_vm_futex_key_at(uint64_t addr, px_vm_futex_key *out);

/* mremap(2) and madvise(2) semantics; results as the syscalls. */
int64_t px_vm_remap(uint64_t old_addr, uint64_t old_len, uint64_t new_len, int flags, uint64_t new_addr);
int64_t px_vm_advise(uint64_t addr, uint64_t len, int advice);
/* brk(2): returns the new break, or the old one when it cannot move. */
uint64_t px_vm_brk(uint64_t new_brk);

/* What a mapping holds (for /proc/self/maps). */
enum px_vm_kind { PX_VM_ANON, PX_VM_FILE, PX_VM_STACK, PX_VM_BRK, PX_VM_IMAGE };
/* Records what [start, start+len) holds (the loader marks its segments PX_VM_IMAGE). */
void px_vm_set_kind(uint64_t start, uint64_t len, enum px_vm_kind kind);

/* Names what [start, start+len) holds for /proc/self/maps ("[vdso]"; file mappings get
   their file's guest path at mmap). The string is copied. */
void px_vm_set_path(uint64_t start, uint64_t len, const char *path);

typedef struct px_vm_region {
    uint64_t start, end, offset;
    int prot, flags, fd;
    enum px_vm_kind kind;
    const char *path;     /* the recorded name, or NULL; valid for the process's life */
} px_vm_region;
/* Iterates over the guest's mappings in address order: start with *cursor = 0; each call
   fills *out with the first mapping that ends above *cursor and advances *cursor.
   Returns false when there are no more. */
bool px_vm_next_region(uint64_t *cursor, px_vm_region *out);

/* Where the program's argument and environment strings lie on its initial stack, and
   that stack's top (Linux's mm->arg_start .. env_end and start_stack): /proc's cmdline,
   environ and stat read them. Part of the address space; set once the loader built the
   stack (and again by execve, or a fork child from its parent's). */
typedef struct px_vm_args {
    uint64_t arg_start, arg_end, env_start, env_end, initial_rsp;
} px_vm_args;
void px_vm_set_args(const px_vm_args *a);
px_vm_args px_vm_get_args(void);

/* The program's absolute guest path (/proc/self/exe, comm's default, ps), as Linux's
   mm->exe_file: set by the loader at execve, copied by fork. set copies path (NULL:
   none); get copies it into out (size > 0: cut to fit, NUL-terminated) and returns its
   whole length, or 0 when there is none. */
void px_vm_set_exe_path(const char *path);

/* The main stack's overflow guard: the page PX_VM_STACK_LANDING bytes above its lowest
   address becomes a guard page. A guest that runs its stack down into it gets SIGSEGV
   (SEGV_MAPERR, as past Linux's stack) while the host still has the landing below to
   raise the exception on, so a handler on a sigaltstack runs (faulthandler); without
   the guard the host could not dispatch the fault at all. The guest loses the landing
   and the guard page of its 8 MiB. */
#define PX_VM_STACK_LANDING (64u << 10)
void px_vm_guard_stack(uint64_t stack_lo);
size_t px_vm_get_exe_path(char *out, size_t size);

#endif
