/* Guest threads (thread_clone.c): clone with CLONE_THREAD makes a Windows thread running
   a new task that shares the process's objects; exit(2) ends one thread, exit_group all. */
#ifndef PX_KERNEL_THREAD_CLONE_H
#define PX_KERNEL_THREAD_CLONE_H

#include <stdbool.h>
#include <stdint.h>
#include "core/syscall.h"
#include "core/thread.h"

/* clone / clone3 with CLONE_THREAD, from do_fork (fork.c): the new thread starts at the
   instruction after the syscall with the registers of regs, rax = 0, rsp = stack (the
   caller's if 0), its thread pointer tls under CLONE_SETTLS. Its tid, or -LINUX_Exxx. */
int64_t px_thread_clone(px_regs *regs, uint64_t flags, uint64_t stack, uint64_t parent_tid, uint64_t child_tid,
                        uint64_t tls);

/* Runs visit on the threads of the calling process, the first thread first, until it
   returns true (then true), with the roster locked: a task visited is not freed while
   visit runs (visit must not block). */
bool px_thread_each(bool (*visit)(px_task *t, void *ctx), void *ctx);
/* How many threads the process has (/proc's Threads:). */
int32_t px_thread_count(void);
/* Waits (at most 2 s) until every thread clone made has started: the process's exit
   comes after it. Under Wine a thread still in its start-up while the process exits
   fails with "wine client error: sendmsg" on stderr (the server socket is closed). */
void px_thread_await_starting(void);

/* exit(2): clears and wakes the thread's clear_child_tid word, then ends the calling
   thread alone, or the whole process with status when it is the last thread. */
__attribute__((noreturn)) void px_thread_exit(int status);

/* Parks the calling thread for good when another thread runs exit_group (from the
   syscall exit path: it never returns to the guest). */
void px_thread_stop_if_exiting(px_task *t);

/* execve's de_thread: the process's other threads end (each where it stands in guest
   code, or once it parked at its next return towards the guest), their tasks released;
   a non-leader caller takes the leader's pid. 0, or -LINUX_EAGAIN when one never
   stopped. */
int64_t px_thread_end_others(void);

/* exit_group(2): ends the process with status, whichever thread calls it. */
__attribute__((noreturn)) void px_thread_group_exit(int status);

#endif
