/* STUB: handlers of this subsystem not written yet; each returns -ENOSYS.
   Delete a line when its handler exists; delete the file when empty. */
#include "core/px.h"
int64_t px_sys_mmap(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_mprotect(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_munmap(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_brk(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_mremap(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_madvise(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
