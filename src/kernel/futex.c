/* futex(2): wait queues keyed by the futex's address in this process.

   Each waiter sits in a hash bucket's list with its own wake flag; the compare of
   *uaddr with the expected value happens under the bucket lock, so a waker that changes
   the word and then calls FUTEX_WAKE (taking the same lock) cannot be missed. Keeping
   our own queues (rather than WaitOnAddress alone) gives the exact counts FUTEX_WAKE
   returns, the bitsets, and requeueing.

   Scope: one process, all its threads (the buckets are the process's; each waiter
   sleeps on its own task's event). Addresses are virtual addresses of this process, so
   a futex in MAP_SHARED memory is not shared with another process. */
#include "core/px.h"
#include "core/uaccess.h"
#include "host/host_sync.h"
#include "kernel/block.h"
#include "kernel/futex.h"
#include "kernel/kernel.h"

#define BUCKET_COUNT 256

typedef struct futex_bucket futex_bucket;

typedef struct futex_waiter {
    struct futex_waiter *next;
    uint64_t uaddr;
    uint32_t bitset;
    futex_bucket *volatile bucket; /* changes when requeued; read under the bucket lock */
    volatile int32_t woken;
    px_host_handle event;
} futex_waiter;

struct futex_bucket {
    px_host_rwlock lock;
    futex_waiter *head;
};

static futex_bucket buckets[BUCKET_COUNT];

static futex_bucket *bucket_of(uint64_t uaddr)
{
    uint64_t h = (uaddr >> 2) * 0x9e3779b97f4a7c15ull;
    return &buckets[h >> 56];
}

static void bucket_remove(futex_bucket *b, futex_waiter *w)
{
    for (futex_waiter **p = &b->head; *p; p = &(*p)->next)
        if (*p == w) {
            *p = w->next;
            return;
        }
}

/* Locks the bucket w is in now (a requeue may move it while we wait for the lock). */
static futex_bucket *lock_waiter_bucket(futex_waiter *w)
{
    for (;;) {
        futex_bucket *b = w->bucket;
        px_host_rwlock_lock(&b->lock);
        if (w->bucket == b) return b;
        px_host_rwlock_unlock(&b->lock);
    }
}

/* Two buckets in a fixed order, once if they are the same. */
static void lock_pair(futex_bucket *a, futex_bucket *b)
{
    if (a == b) {
        px_host_rwlock_lock(&a->lock);
    } else if (a < b) {
        px_host_rwlock_lock(&a->lock);
        px_host_rwlock_lock(&b->lock);
    } else {
        px_host_rwlock_lock(&b->lock);
        px_host_rwlock_lock(&a->lock);
    }
}

static void unlock_pair(futex_bucket *a, futex_bucket *b)
{
    px_host_rwlock_unlock(&a->lock);
    if (a != b) px_host_rwlock_unlock(&b->lock);
}

/* Wakes up to max waiters on uaddr whose bitset meets bitset. Bucket locked. */
static int64_t wake_locked(futex_bucket *b, uint64_t uaddr, uint32_t bitset, int64_t max)
{
    int64_t woken = 0;
    for (futex_waiter **p = &b->head; *p && woken < max;) {
        futex_waiter *w = *p;
        if (w->uaddr != uaddr || !(w->bitset & bitset)) {
            p = &w->next;
            continue;
        }
        *p = w->next;
        /* the event is read first: once woken is seen, the waiter may return (from a
           stale wake-up) and w, on its stack, be gone */
        px_host_handle event = w->event;
        __atomic_store_n(&w->woken, 1, __ATOMIC_RELEASE);
        px_host_event_set(event); /* before the unlock: a timed-out waiter then finds it set */
        woken++;
    }
    return woken;
}

int64_t px_futex_wake(uint64_t uaddr, int64_t max)
{
    futex_bucket *b = bucket_of(uaddr);
    px_host_rwlock_lock(&b->lock);
    int64_t n = wake_locked(b, uaddr, LINUX_FUTEX_BITSET_MATCH_ANY, max);
    px_host_rwlock_unlock(&b->lock);
    return n;
}

/* Sleeps on the task's futex event (block.h) until woken, the deadline or an interrupt.
   The word is read under the bucket lock; a fault there is EFAULT (FUTEX_WAIT needs only
   read access, so it is copied in, not compare-exchanged). */
static int64_t futex_wait(uint64_t uaddr, uint32_t expected, uint32_t bitset, const px_deadline *deadline)
{
    px_host_handle event = px_task_futex_event();
    if (!event) return -LINUX_ENOMEM;
    futex_waiter w = {.uaddr = uaddr, .bitset = bitset, .event = event};
    futex_bucket *b = bucket_of(uaddr);
    w.bucket = b;
    uint32_t now_value;
    px_host_rwlock_lock(&b->lock);
    int64_t r = PX_GET(&now_value, uaddr);
    if (r < 0 || now_value != expected) {
        px_host_rwlock_unlock(&b->lock);
        return r < 0 ? r : -LINUX_EAGAIN;
    }
    w.next = b->head;
    b->head = &w;
    px_host_rwlock_unlock(&b->lock);

    int got;
    do {
        void *h = w.event;
        got = px_block(&h, 1, deadline);
        /* a stale wake-up from an earlier wait (its waker raced our timeout): again */
    } while (got == 0 && !w.woken);
    if (w.woken) return 0;
    b = lock_waiter_bucket(&w);
    bool woken = w.woken;
    if (!woken) bucket_remove(b, &w);
    px_host_rwlock_unlock(&b->lock);
    if (woken) {
        px_host_wait(w.event, 0); /* consume the wake-up the waker set; never blocks */
        return 0;
    }
    if (got == PX_BLOCK_INTERRUPTED) return -LINUX_EINTR;
    if (got == PX_BLOCK_FAILED) return -LINUX_EINVAL;
    return -LINUX_ETIMEDOUT;
}

/* FUTEX_REQUEUE and FUTEX_CMP_REQUEUE: wake nr_wake, move up to nr_requeue to uaddr2. */
static int64_t futex_requeue(uint64_t uaddr, uint64_t uaddr2, int64_t nr_wake, int64_t nr_requeue,
                             bool compare, uint32_t expected)
{
    futex_bucket *b1 = bucket_of(uaddr), *b2 = bucket_of(uaddr2);
    lock_pair(b1, b2);
    uint32_t now_value = 0;
    int64_t r = compare ? PX_GET(&now_value, uaddr) : 0;
    if (r < 0 || (compare && now_value != expected)) {
        unlock_pair(b1, b2);
        return r < 0 ? r : -LINUX_EAGAIN;
    }
    int64_t done = wake_locked(b1, uaddr, LINUX_FUTEX_BITSET_MATCH_ANY, nr_wake);
    int64_t moved = 0;
    futex_waiter *taken = NULL; /* collected first, so the walk never meets them again */
    for (futex_waiter **p = &b1->head; *p && moved < nr_requeue;) {
        futex_waiter *w = *p;
        if (w->uaddr != uaddr) {
            p = &w->next;
            continue;
        }
        *p = w->next;
        w->next = taken;
        taken = w;
        moved++;
    }
    while (taken) {
        futex_waiter *w = taken;
        taken = w->next;
        w->uaddr = uaddr2;
        w->bucket = b2;
        w->next = b2->head;
        b2->head = w;
    }
    unlock_pair(b1, b2);
    return done + moved;
}

/* FUTEX_WAKE_OP: *uaddr2 = *uaddr2 OP oparg (atomically); wake on uaddr; if the old
   value of *uaddr2 meets the comparison, wake on uaddr2 too. */
static int64_t futex_wake_op(uint64_t uaddr, uint64_t uaddr2, int64_t nr_wake, int64_t nr_wake2, uint32_t encoded)
{
    uint32_t op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
    uint32_t oparg = (encoded >> 12) & 0xfff, cmparg = encoded & 0xfff;
    if (encoded & (8u << 28)) { /* FUTEX_OP_OPARG_SHIFT */
        if (oparg > 31) return -LINUX_EINVAL;
        oparg = 1u << oparg;
    } else {
        oparg = (uint32_t)((int32_t)(oparg << 20) >> 20); /* sign-extend 12 bits */
    }
    cmparg = (uint32_t)((int32_t)(cmparg << 20) >> 20);
    if (op > 4 || cmp > 5) return -LINUX_ENOSYS; /* as the kernel */
    futex_bucket *b1 = bucket_of(uaddr), *b2 = bucket_of(uaddr2);
    lock_pair(b1, b2);
    uint32_t *word = (uint32_t *)(uintptr_t)uaddr2;
    uint32_t old, new_value, seen;
    if (PX_GET(&old, uaddr2) < 0) {
        unlock_pair(b1, b2);
        return -LINUX_EFAULT;
    }
    for (;;) {
        switch (op) {
        case 0: new_value = oparg; break;         /* SET */
        case 1: new_value = old + oparg; break;   /* ADD */
        case 2: new_value = old | oparg; break;   /* OR */
        case 3: new_value = old & ~oparg; break;  /* ANDN */
        default: new_value = old ^ oparg; break;  /* XOR */
        }
        /* the word must be writable, as Linux's futex_atomic_op_inuser needs */
        if (px_uaccess_cmpxchg32(word, old, new_value, &seen) < 0) {
            unlock_pair(b1, b2);
            return -LINUX_EFAULT;
        }
        if (seen == old) break;
        old = seen;
    }
    int32_t o = (int32_t)old, a = (int32_t)cmparg;
    bool hit;
    switch (cmp) {
    case 0: hit = o == a; break;
    case 1: hit = o != a; break;
    case 2: hit = o < a; break;
    case 3: hit = o <= a; break;
    case 4: hit = o > a; break;
    default: hit = o >= a; break;
    }
    int64_t n = wake_locked(b1, uaddr, LINUX_FUTEX_BITSET_MATCH_ANY, nr_wake);
    if (hit) n += wake_locked(b2, uaddr2, LINUX_FUTEX_BITSET_MATCH_ANY, nr_wake2);
    unlock_pair(b1, b2);
    return n;
}

/* Linux checks the futex address before the command (get_futex_key): an address
   outside the user half is EFAULT whatever the command. */
static bool bad_futex_ptr(uint64_t p)
{
    return !px_guest_range_ok(p, 4);
}

/* futex(2) */
PX_SYSCALL(futex)
{
    uint64_t uaddr = PX_ARG0, timeout_ptr = PX_ARG3, uaddr2 = PX_ARG4;
    int32_t futex_op = (int32_t)PX_ARG1;
    uint32_t val = (uint32_t)PX_ARG2, val3 = (uint32_t)PX_ARG5;
    int32_t cmd = futex_op & ~(LINUX_FUTEX_PRIVATE_FLAG | LINUX_FUTEX_CLOCK_REALTIME);
    bool realtime = futex_op & LINUX_FUTEX_CLOCK_REALTIME;
    /* Shared and private futexes are the same thing within one process. */
    if (realtime && cmd != LINUX_FUTEX_WAIT && cmd != LINUX_FUTEX_WAIT_BITSET && cmd != LINUX_FUTEX_WAIT_REQUEUE_PI &&
        cmd != LINUX_FUTEX_LOCK_PI2)
        return -LINUX_ENOSYS; /* as the kernel */
    if (uaddr & 3) return -LINUX_EINVAL;
    if (bad_futex_ptr(uaddr)) return -LINUX_EFAULT;

    switch (cmd) {
    case LINUX_FUTEX_WAIT:
    case LINUX_FUTEX_WAIT_BITSET: {
        uint32_t bitset = cmd == LINUX_FUTEX_WAIT ? LINUX_FUTEX_BITSET_MATCH_ANY : val3;
        if (!bitset) return -LINUX_EINVAL;
        px_deadline d = px_deadline_never();
        if (timeout_ptr) {
            struct linux_timespec ts;
            if (PX_GET(&ts, timeout_ptr) < 0) return -LINUX_EFAULT;
            int64_t ns = px_timespec_ns(&ts);
            if (ns < 0) return ns;
            if (cmd == LINUX_FUTEX_WAIT) /* relative, measured on CLOCK_MONOTONIC */
                d = px_deadline_after(px_clock_monotonic_ns(), ns);
            else                         /* absolute, on the chosen clock */
                d = (px_deadline){ns, realtime};
        }
        return futex_wait(uaddr, val, bitset, &d);
    }
    case LINUX_FUTEX_WAKE:
    case LINUX_FUTEX_WAKE_BITSET: {
        uint32_t bitset = cmd == LINUX_FUTEX_WAKE ? LINUX_FUTEX_BITSET_MATCH_ANY : val3;
        if (!bitset) return -LINUX_EINVAL;
        futex_bucket *b = bucket_of(uaddr);
        px_host_rwlock_lock(&b->lock);
        int64_t n = wake_locked(b, uaddr, bitset, (int32_t)val <= 0 ? 0 : (int64_t)(int32_t)val);
        px_host_rwlock_unlock(&b->lock);
        return n;
    }
    case LINUX_FUTEX_REQUEUE:
    case LINUX_FUTEX_CMP_REQUEUE: {
        /* the timeout argument is val2, the number to requeue */
        int64_t nr_wake = (int32_t)val, nr_requeue = (int32_t)timeout_ptr;
        if (nr_wake < 0 || nr_requeue < 0) return -LINUX_EINVAL;
        if ((uaddr2 & 3)) return -LINUX_EINVAL;
        if (bad_futex_ptr(uaddr2)) return -LINUX_EFAULT;
        return futex_requeue(uaddr, uaddr2, nr_wake, nr_requeue, cmd == LINUX_FUTEX_CMP_REQUEUE, val3);
    }
    case LINUX_FUTEX_WAKE_OP: {
        int64_t nr_wake = (int32_t)val, nr_wake2 = (int32_t)timeout_ptr;
        if ((uaddr2 & 3)) return -LINUX_EINVAL;
        if (bad_futex_ptr(uaddr2)) return -LINUX_EFAULT;
        return futex_wake_op(uaddr, uaddr2, nr_wake < 0 ? 0 : nr_wake, nr_wake2 < 0 ? 0 : nr_wake2, val3);
    }
    case LINUX_FUTEX_LOCK_PI:
    case LINUX_FUTEX_UNLOCK_PI:
    case LINUX_FUTEX_TRYLOCK_PI:
    case LINUX_FUTEX_WAIT_REQUEUE_PI:
    case LINUX_FUTEX_CMP_REQUEUE_PI:
    case LINUX_FUTEX_LOCK_PI2:
        return -LINUX_ENOSYS; /* priority inheritance is not offered */
    default:
        return -LINUX_ENOSYS; /* the kernel's answer to an unknown futex command */
    }
}
