/* STUB: replaced by the memory manager. */
#include "core/px.h"
#include "mm/vm.h"
int px_vm_init(void) { return 0; }
void px_vm_adopt_reservation(uint64_t start, uint64_t len) { (void)start; (void)len; }
int64_t px_vm_map(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t offset) { return -LINUX_ENOSYS; }
int64_t px_vm_unmap(uint64_t addr, uint64_t len) { return -LINUX_ENOSYS; }
int64_t px_vm_protect(uint64_t addr, uint64_t len, int prot) { return -LINUX_ENOSYS; }
void px_vm_set_brk_base(uint64_t base) { (void)base; }
bool px_vm_exec_fault(uint64_t addr) { (void)addr; return false; }
bool px_vm_contains(uint64_t addr) { (void)addr; return false; }
