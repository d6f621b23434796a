/* The guest's address space: mappings at 4 KiB granularity on top of Windows' 64 KiB
   allocation granularity, the brk area, and the execute-after-scan rule for code. */
#ifndef PX_MM_VM_H
#define PX_MM_VM_H

#include <stdbool.h>
#include <stdint.h>

int px_vm_init(void);

/* Adopts an address range reserved (MEM_RESERVE) for this process by its parent before
   it started: later fixed mappings inside it succeed. */
void px_vm_adopt_reservation(uint64_t start, uint64_t len);

/* mmap(2) semantics (LINUX_PROT_*, LINUX_MAP_*): returns the address or -LINUX_Exxx.
   Used by the loader as well (MAP_FIXED for ELF segments). Memory with PROT_EXEC stays
   non-executable to Windows until its code has been scanned by the rewriter. */
int64_t px_vm_map(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t offset);
int64_t px_vm_unmap(uint64_t addr, uint64_t len);
int64_t px_vm_protect(uint64_t addr, uint64_t len, int prot);

/* The brk area starts at base (page-aligned end of the image); the loader sets it. */
void px_vm_set_brk_base(uint64_t base);

/* From the fault handler: an execute fault at addr. If addr is guest code awaiting its
   scan, rewrites it, makes it executable and returns true (the guest resumes). */
bool px_vm_exec_fault(uint64_t addr);

/* True if addr lies in a guest mapping (used to tell a guest crash from a runtime bug). */
bool px_vm_contains(uint64_t addr);

#endif
