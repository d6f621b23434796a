/* strace-like tracing of guest syscalls, and the summary at exit. */
#ifndef PX_TRACE_H
#define PX_TRACE_H

#include <stdint.h>
#include "core/syscall.h"

/* Opens the trace (path NULL means the host's standard error) and makes
   px_trace_syscall the wrapper of every syscall. Returns 0 or -1. */
int px_trace_open(const char *path);
/* Runs syscall nr (px_syscall_run) with a trace line: name, decoded arguments, result. */
int64_t px_trace_syscall(px_regs *regs, uint64_t nr);
/* Counts one syscall that arrived through the trap path. */
void px_trace_count_trap(uint64_t nr);
/* Writes the summary (count, time, errors and trap-path calls per syscall). */
void px_trace_summary(void);

#endif
