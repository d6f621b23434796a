/* The futex wait queues (futex.c) as the rest of the runtime reaches them. */
#ifndef PX_KERNEL_FUTEX_H
#define PX_KERNEL_FUTEX_H

#include <stdbool.h>
#include <stdint.h>

/* The PI word's bits (Linux's FUTEX_WAITERS, FUTEX_OWNER_DIED, FUTEX_TID_MASK). */
#define PX_FUTEX_WAITERS 0x80000000u
#define PX_FUTEX_OWNER_DIED 0x40000000u
#define PX_FUTEX_TID_MASK 0x3fffffffu

/* FUTEX_WAKE of up to max waiters on the word at uaddr (a thread's CLONE_CHILD_CLEARTID
   at its exit): the number woken. */
int64_t px_futex_wake(uint64_t uaddr, int64_t max);

/* Linux's futex_lock_pi_atomic on the PI word at uaddr for tid, with the lock of the
   word's queue held (futex.c's bucket or futex_shared.c's table): 1 when tid took the
   word (from a free word, keeping FUTEX_OWNER_DIED; FUTEX_WAITERS added when queued or
   set_waiters), 0 when a live owner holds it and it now has FUTEX_WAITERS, or -errno
   (EDEADLK: tid holds it; ESRCH: its owner is gone; EFAULT). queued: PI waiters are in
   the queue (their owner is then known alive). */
int64_t px_futex_pi_take_word(uint64_t uaddr, int32_t tid, bool queued, bool set_waiters);
/* Linux's wake_futex_pi on the word, the queue's lock held: the PI word tid owns given to
   next_tid (with FUTEX_WAITERS), or freed (next_tid 0). 0, -EPERM (tid does not own
   it) or -EFAULT. */
int64_t px_futex_pi_hand_word(uint64_t uaddr, int32_t tid, int32_t next_tid);

#endif
