/* The time and CPU calls as functions, shared by their syscall handlers (time.c,
   sched.c) and the vDSO (src/vdso/vdso_host.c), which calls them without the syscall
   path. Arguments are guest values; each returns what the syscall returns. */
#ifndef PX_KERNEL_CLOCK_H
#define PX_KERNEL_CLOCK_H

#include <stdint.h>

int64_t px_time_clock_gettime(int32_t clock, uint64_t ts);
int64_t px_time_clock_getres(int32_t clock, uint64_t res);
int64_t px_time_gettimeofday(uint64_t tv, uint64_t tz);
int64_t px_time_time(uint64_t tloc);
int64_t px_sched_getcpu(uint64_t cpu, uint64_t node);

#endif
