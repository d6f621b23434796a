/* Helpers shared by the kernel-area handlers (src/kernel/). Private to this folder. */
#ifndef PX_KERNEL_KERNEL_H
#define PX_KERNEL_KERNEL_H

#include "core/px.h"
#include "core/thread.h"

/* The calling thread's state, read from its TEB slot the way entry.S does: no Win32
   call on the fast paths (gettid, rt_sigprocmask). */
static inline px_task *px_kernel_self(void)
{
    px_task *t;
    __asm__("movq %%gs:(%1), %0" : "=r"(t) : "r"(px_teb_thread_slot));
    return t;
}

/* Time conversions shared by time.c and others: 100 ns units since 1601 vs. 1970. */
#define PX_FILETIME_UNIX_EPOCH 116444736000000000ULL
#define PX_NSEC_PER_SEC 1000000000LL

/* The guest's CLOCK_MONOTONIC (performance counter) and CLOCK_REALTIME, in ns (time.c). */
int64_t px_clock_monotonic_ns(void);
int64_t px_clock_realtime_ns(void);

/* The limits Linux derives from the machine (NPROC, SIGPENDING: from the RAM size), set
   in the first process object (limits.c). */
struct px_process;
void px_limits_host_defaults(struct px_process *p);

/* In a process an execve handed over to: starts the timer thread of an ITIMER_REAL the
   process record brought armed (itimer.c). */
void px_itimer_resume(void);

#endif
