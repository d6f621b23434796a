/* Host threads: the runtime's own workers, and the TEB slots guest threads keep their
   state in. (Suspend, interrupt and register context come with guest threads.) */
#ifndef PX_HOST_THREAD_H
#define PX_HOST_THREAD_H

#include "host/host.h"
#include "core/syscall.h"

/* Starts fn(arg) on a new host thread with stack_reserve bytes of stack reserved (0: the
   default). Its handle (px_host_wait waits for its end; px_host_close), or NULL. */
px_host_handle px_host_thread_start(void (*fn)(void *arg), void *arg, size_t stack_reserve);
/* The same for a guest thread, made suspended so that its id is known (*id) before it
   runs: px_host_thread_resume starts it. Its handle, or NULL. */
px_host_handle px_host_thread_start_suspended(void (*fn)(void *arg), void *arg, size_t stack_reserve, uint32_t *id);
/* 0 or -LINUX_Exxx. */
int64_t px_host_thread_resume(px_host_handle thread);
uint32_t px_host_thread_id(void);
/* Whether a thread with this id exists and has not ended (in any process). */
bool px_host_thread_alive(uint32_t id);
/* The Windows process id of the running thread id, or 0 (no such thread, or ended). */
uint32_t px_host_thread_process(uint32_t id);
/* Sets a thread's processor mask (thread NULL: the calling thread's). 0 or -LINUX_Exxx. */
int64_t px_host_thread_set_affinity(px_host_handle thread, uint64_t mask);
/* Names the calling thread for Windows tools (its thread description; UTF-8 in). */
void px_host_thread_set_name(const char *name);
/* A full memory barrier on every thread of this process (membarrier's expedited one). */
void px_host_process_barrier(void);
/* Suspends thread, and ends it if may_end(rip, arg) says so while it stands still at rip
   (else it resumes): whether it was ended. For threads that hold nothing another needs
   (a guest thread in guest code, or parked for good). */
bool px_host_thread_end_if(px_host_handle thread, bool (*may_end)(uint64_t rip, void *arg), void *arg);
/* Gives up the rest of the time slice. */
void px_host_yield(void);
void px_host_sleep_ms(uint32_t ms);

/* A thread-local slot at a fixed offset from the thread's gs base (the TEB), for code
   that reaches it without a call (entry.S, the rewriter's trampolines): its index and
   *gs_offset, or -LINUX_ENOSPC when no such slot is left. */
int64_t px_host_tls_slot_new(uint64_t *gs_offset);
void px_host_tls_set(uint32_t slot, void *value);
void *px_host_tls_get(uint32_t slot);

/* Waits (at most max_ms) until every thread px_host_thread_start made has begun to run
   its function: the process may then exit without a thread still in the host's start-up. */
void px_host_threads_await_started(uint32_t max_ms);

/* A handle of the calling thread that other threads may suspend and redirect with
   (px_host_thread_redirect) and read the CPU times of (px_host_thread_times_of), or NULL. */
px_host_handle px_host_thread_self_handle(void);
/* A thread of this process by its host id, for reading its CPU times, or NULL. */
px_host_handle px_host_thread_open(uint32_t host_tid);
/* Suspends thread; when its rip passes may_redirect, saves its general registers, rip,
   rflags (saved->xmm untouched) and makes it go on at entry with rsp = stack and
   rcx = arg; resumes it. The FPU state is left as it is. true if redirected. Never
   call it for the calling thread. */
bool px_host_thread_redirect(px_host_handle thread, bool (*may_redirect)(uint64_t rip, void *arg),
                             px_regs *saved, uint64_t entry, uint64_t stack, void *arg);

#endif
