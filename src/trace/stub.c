/* STUB: replaced by the tracer. */
#include "core/px.h"
#include "trace/trace.h"
int px_trace_open(const char *path) { return 0; }
int64_t px_trace_syscall(px_regs *regs, uint64_t nr) { px_syscall_fn *fn = nr < px_syscall_table_size ? px_syscall_table[nr].fn : NULL; return fn ? fn(regs) : -LINUX_ENOSYS; }
void px_trace_count_trap(uint64_t nr) { (void)nr; }
void px_trace_summary(void) {}
