/* The futex wait queues (futex.c) as the rest of the runtime reaches them. */
#ifndef PX_KERNEL_FUTEX_H
#define PX_KERNEL_FUTEX_H

#include <stdint.h>

/* FUTEX_WAKE of up to max waiters on the word at uaddr (a thread's CLONE_CHILD_CLEARTID
   at its exit): the number woken. */
int64_t px_futex_wake(uint64_t uaddr, int64_t max);

#endif
