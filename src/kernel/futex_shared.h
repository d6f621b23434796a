/* Futexes in memory several processes map (futex_shared.c): the session-wide queues
   futex.c uses for a word without FUTEX_PRIVATE_FLAG in a MAP_SHARED mapping. Results
   are futex(2)'s. */
#ifndef PX_KERNEL_FUTEX_SHARED_H
#define PX_KERNEL_FUTEX_SHARED_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/deadline.h"
#include "mm/vm.h"

/* Whether the session's table is open (opened on the first call); without it shared
   futexes stay within the process. */
bool px_futex_shared_ready(void);

/* FUTEX_WAIT_BITSET on key: *uaddr (the word's address here) compared with expected
   under the table's lock, then a sleep until a wake, the deadline or a signal. */
int64_t px_futex_shared_wait(const px_vm_futex_key *key, uint64_t uaddr, uint32_t expected, uint32_t bitset,
                             const px_deadline *deadline);
/* FUTEX_WAKE_BITSET: up to max waiters, oldest first. */
int64_t px_futex_shared_wake(const px_vm_futex_key *key, uint32_t bitset, int64_t max);
/* FUTEX_REQUEUE / FUTEX_CMP_REQUEUE (compare: *uaddr must equal expected). */
int64_t px_futex_shared_requeue(const px_vm_futex_key *key, const px_vm_futex_key *key2, uint64_t uaddr,
                                int64_t nr_wake, int64_t nr_requeue, bool compare, uint32_t expected);
/* FUTEX_WAKE_OP: apply (the atomic operation on the second word; 0 or -errno, *hit when
   its comparison holds) runs under the table's lock, then the wakes. */
int64_t px_futex_shared_wake_op(const px_vm_futex_key *key, const px_vm_futex_key *key2, int64_t nr_wake,
                                int64_t nr_wake2, int64_t (*apply)(void *ctx, bool *hit), void *ctx);

#endif
