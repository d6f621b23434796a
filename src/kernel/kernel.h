/* Helpers shared by the kernel-area handlers (src/kernel/). Private to this folder. */
#ifndef PX_KERNEL_KERNEL_H
#define PX_KERNEL_KERNEL_H

#include "core/px.h"
#include "core/thread.h"
#include "host/host.h"

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
/* A timer's clock (time.c): what kind of time clk counts, and that time now in ns.
   PX_CLOCK_NONE: no such clock for the caller. */
enum px_clock_kind { PX_CLOCK_NONE, PX_CLOCK_WALL, PX_CLOCK_ELAPSED, PX_CLOCK_PROCESS_CPU, PX_CLOCK_THREAD_CPU,
                     PX_CLOCK_OTHER_CPU };
enum px_clock_kind px_clock_kind_of(int32_t clk);
int64_t px_clock_now(enum px_clock_kind kind);
/* PX_CLOCK_OTHER_CPU (another thread's or process's CPU-time clock, or one counting user
   time only): the host thread or process whose times clk counts, opened (the caller
   closes it; NULL: gone), and that time now in ns. */
px_host_handle px_cpu_clock_open(int32_t clk, bool *thread);
int64_t px_cpu_clock_ns(px_host_handle counted, bool thread, int32_t clk);

/* The limits Linux derives from the machine (NPROC, SIGPENDING: from the RAM size), set
   in the first process object (limits.c). */
struct px_process;
void px_limits_host_defaults(struct px_process *p);

/* POSIX timers (posix_timer.c): the taking of a timer's signal (SI_TIMER: its overruns
   into info, the next expiry may send again); execve deletes the process's timers;
   the process object's end frees them. */
struct linux_siginfo;
void px_posix_timer_taken(struct linux_siginfo *info);
void px_posix_timers_exec(void);
void px_posix_timers_free(struct px_process *p);

/* The interval timers across an execve into a new process (itimer.c): save puts what is
   left of each armed one in the hand-over, restore arms them again on the new process's
   clocks, and resume (once the process runs) starts their thread. */
struct px_handoff;
/* A timer thread of the calling task's process (itimer.c, posix_timer.c): main gets the
   process, with a reference it keeps for the process's life. 0 or -LINUX_EAGAIN. */
int64_t px_timer_thread_start(void (*main)(void *process));
bool px_itimer_save(struct px_process *p, struct px_handoff *h);
void px_itimer_restore(struct px_process *p, const struct px_handoff *h);
void px_itimer_resume(void);

#endif
