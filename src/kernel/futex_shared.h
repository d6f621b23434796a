/* Futexes in memory several processes map (futex_shared.c): the session-wide queues
   futex.c uses for a word without FUTEX_PRIVATE_FLAG in a MAP_SHARED mapping. Results
   are futex(2)'s. */
#ifndef PX_KERNEL_FUTEX_SHARED_H
#define PX_KERNEL_FUTEX_SHARED_H

#include <stdbool.h>
#include <stdint.h>
#include "host/host_sync.h"
#include "kernel/deadline.h"
#include "mm/vm.h"

/* Whether the session's table is open (opened on the first call); without it shared
   futexes stay within the process. */
bool px_futex_shared_ready(void);

/* FUTEX_WAIT_BITSET on key: *uaddr (the word's address here) compared with expected
   under the table's lock, then a sleep until a wake, the deadline or a signal. */
int64_t px_futex_shared_wait(const px_vm_futex_key *key, uint64_t uaddr, uint32_t expected, uint32_t bitset,
                             const px_deadline *deadline);
/* A wait in pieces, for futex_waitv's words in shared memory: the calling thread's wake
   event (auto-reset; the caller closes it), each word queued on it after its compare
   (the slot, or -EAGAIN when *uaddr differs, -EFAULT, -ENOMEM), and after the sleep each
   slot out of the table again (whether it was woken). */
px_host_handle px_futex_shared_own_event(void);
int64_t px_futex_shared_queue(const px_vm_futex_key *key, uint64_t uaddr, uint32_t expected, uint32_t bitset);
bool px_futex_shared_unqueue(int32_t slot);
/* FUTEX_WAKE_BITSET: up to max waiters, oldest first. */
int64_t px_futex_shared_wake(const px_vm_futex_key *key, uint32_t bitset, int64_t max);
/* FUTEX_REQUEUE / FUTEX_CMP_REQUEUE (compare: *uaddr must equal expected). */
int64_t px_futex_shared_requeue(const px_vm_futex_key *key, const px_vm_futex_key *key2, uint64_t uaddr,
                                int64_t nr_wake, int64_t nr_requeue, bool compare, uint32_t expected);
/* FUTEX_WAKE_OP: apply (the atomic operation on the second word; 0 or -errno, *hit when
   its comparison holds) runs under the table's lock, then the wakes. */
int64_t px_futex_shared_wake_op(const px_vm_futex_key *key, const px_vm_futex_key *key2, int64_t nr_wake,
                                int64_t nr_wake2, int64_t (*apply)(void *ctx, bool *hit), void *ctx);
/* FUTEX_LOCK_PI (or TRYLOCK_PI: trylock, no wait) of the word at uaddr for tid. */
int64_t px_futex_shared_lock_pi(const px_vm_futex_key *key, uint64_t uaddr, int32_t tid, const px_deadline *deadline,
                                bool trylock);
/* FUTEX_UNLOCK_PI: tid must own the word; the oldest PI waiter becomes the owner. */
int64_t px_futex_shared_unlock_pi(const px_vm_futex_key *key, uint64_t uaddr, int32_t tid);

#endif
