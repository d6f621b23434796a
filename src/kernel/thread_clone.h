/* Guest threads (thread_clone.c): clone with CLONE_THREAD makes a Windows thread running
   a new task that shares the process's objects; exit(2) ends one thread, exit_group all. */
#ifndef PX_KERNEL_THREAD_CLONE_H
#define PX_KERNEL_THREAD_CLONE_H

#include <stdint.h>
#include "core/syscall.h"

/* clone / clone3 with CLONE_THREAD, from do_fork (fork.c): the new thread starts at the
   instruction after the syscall with the registers of regs, rax = 0, rsp = stack (the
   caller's if 0), its thread pointer tls under CLONE_SETTLS. Its tid, or -LINUX_Exxx. */
int64_t px_thread_clone(px_regs *regs, uint64_t flags, uint64_t stack, uint64_t parent_tid, uint64_t child_tid,
                        uint64_t tls);

/* exit(2): clears and wakes the thread's clear_child_tid word, then ends the calling
   thread alone, or the whole process with status when it is the last thread. */
__attribute__((noreturn)) void px_thread_exit(int status);

/* exit_group(2): ends the process with status, whichever thread calls it. */
__attribute__((noreturn)) void px_thread_group_exit(int status);

#endif
