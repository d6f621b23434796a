/* futex(2): wait queues keyed by the futex's address in this process.

   Each waiter sits in a hash bucket's list with its own wake flag; the compare of
   *uaddr with the expected value happens under the bucket lock, so a waker that changes
   the word and then calls FUTEX_WAKE (taking the same lock) cannot be missed. Keeping
   our own queues (rather than WaitOnAddress alone) gives the exact counts FUTEX_WAKE
   returns, the bitsets, and requeueing.

   Scope: one process. Addresses are virtual addresses of this process, so a futex in
   MAP_SHARED memory is not shared with another process (there are none yet). */
#include <windows.h>
#include "core/px.h"
#include "kernel/kernel.h"

#define BUCKET_COUNT 256

typedef struct futex_bucket futex_bucket;

typedef struct futex_waiter {
    struct futex_waiter *next;
    uint64_t uaddr;
    uint32_t bitset;
    futex_bucket *volatile bucket; /* changes when requeued; read under the bucket lock */
    volatile LONG woken;
    HANDLE event;
} futex_waiter;

struct futex_bucket {
    SRWLOCK lock;
    futex_waiter *head;
};

static futex_bucket buckets[BUCKET_COUNT];

/* One auto-reset event per thread, the thing a waiter sleeps on. */
static __thread HANDLE wait_event;

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
        AcquireSRWLockExclusive(&b->lock);
        if (w->bucket == b) return b;
        ReleaseSRWLockExclusive(&b->lock);
    }
}

/* Two buckets in a fixed order, once if they are the same. */
static void lock_pair(futex_bucket *a, futex_bucket *b)
{
    if (a == b) {
        AcquireSRWLockExclusive(&a->lock);
    } else if (a < b) {
        AcquireSRWLockExclusive(&a->lock);
        AcquireSRWLockExclusive(&b->lock);
    } else {
        AcquireSRWLockExclusive(&b->lock);
        AcquireSRWLockExclusive(&a->lock);
    }
}

static void unlock_pair(futex_bucket *a, futex_bucket *b)
{
    ReleaseSRWLockExclusive(&a->lock);
    if (a != b) ReleaseSRWLockExclusive(&b->lock);
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
        w->woken = 1;
        SetEvent(w->event); /* before the unlock: a timed-out waiter then finds it set */
        woken++;
    }
    return woken;
}

/* Deadline in the clock's ns (INT64_MAX: none). */
typedef struct futex_deadline {
    int64_t at;
    bool realtime;
} futex_deadline;

static int64_t now_ns(const futex_deadline *d)
{
    return d->realtime ? px_clock_realtime_ns() : px_clock_monotonic_ns();
}

/* Milliseconds to wait for, rounded up; 0 when the deadline has passed. */
static DWORD wait_ms(const futex_deadline *d)
{
    if (d->at == INT64_MAX) return INFINITE;
    int64_t left = d->at - now_ns(d);
    if (left <= 0) return 0;
    int64_t ms = (left + 999999) / 1000000;
    return ms >= (int64_t)INFINITE ? INFINITE - 1 : (DWORD)ms;
}

static int64_t futex_wait(uint64_t uaddr, uint32_t expected, uint32_t bitset, const futex_deadline *deadline)
{
    if (!wait_event) {
        wait_event = CreateEventW(NULL, FALSE, FALSE, NULL);
        if (!wait_event) return -LINUX_ENOMEM;
    }
    futex_waiter w = {.uaddr = uaddr, .bitset = bitset, .event = wait_event};
    futex_bucket *b = bucket_of(uaddr);
    w.bucket = b;
    AcquireSRWLockExclusive(&b->lock);
    if (__atomic_load_n((volatile uint32_t *)(uintptr_t)uaddr, __ATOMIC_SEQ_CST) != expected) {
        ReleaseSRWLockExclusive(&b->lock);
        return -LINUX_EAGAIN;
    }
    w.next = b->head;
    b->head = &w;
    ReleaseSRWLockExclusive(&b->lock);

    for (;;) {
        DWORD ms = wait_ms(deadline);
        if (ms) WaitForSingleObject(w.event, ms);
        if (w.woken) return 0;
        if (ms == 0 || wait_ms(deadline) == 0) break;
        /* woken by a stale SetEvent or early: wait again for the rest */
    }
    b = lock_waiter_bucket(&w);
    bool woken = w.woken;
    if (!woken) bucket_remove(b, &w);
    ReleaseSRWLockExclusive(&b->lock);
    if (woken) {
        WaitForSingleObject(w.event, 0); /* consume the SetEvent the waker made */
        return 0;
    }
    return -LINUX_ETIMEDOUT;
}

/* FUTEX_REQUEUE and FUTEX_CMP_REQUEUE: wake nr_wake, move up to nr_requeue to uaddr2. */
static int64_t futex_requeue(uint64_t uaddr, uint64_t uaddr2, int64_t nr_wake, int64_t nr_requeue,
                             bool compare, uint32_t expected)
{
    futex_bucket *b1 = bucket_of(uaddr), *b2 = bucket_of(uaddr2);
    lock_pair(b1, b2);
    if (compare && __atomic_load_n((volatile uint32_t *)(uintptr_t)uaddr, __ATOMIC_SEQ_CST) != expected) {
        unlock_pair(b1, b2);
        return -LINUX_EAGAIN;
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
    volatile uint32_t *word = (volatile uint32_t *)(uintptr_t)uaddr2;
    uint32_t old = __atomic_load_n(word, __ATOMIC_SEQ_CST), new_value;
    do {
        switch (op) {
        case 0: new_value = oparg; break;         /* SET */
        case 1: new_value = old + oparg; break;   /* ADD */
        case 2: new_value = old | oparg; break;   /* OR */
        case 3: new_value = old & ~oparg; break;  /* ANDN */
        default: new_value = old ^ oparg; break;  /* XOR */
        }
    } while (!__atomic_compare_exchange_n(word, &old, new_value, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
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

static bool bad_futex_ptr(uint64_t p)
{
    return px_kernel_bad_ptr(p);
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
        futex_deadline d = {INT64_MAX, realtime};
        if (timeout_ptr) {
            if (px_kernel_bad_ptr(timeout_ptr)) return -LINUX_EFAULT;
            struct linux_timespec ts = *(const struct linux_timespec *)(uintptr_t)timeout_ptr;
            if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= PX_NSEC_PER_SEC) return -LINUX_EINVAL;
            int64_t ns = ts.tv_sec >= INT64_MAX / PX_NSEC_PER_SEC - 1 ? INT64_MAX
                                                                       : ts.tv_sec * PX_NSEC_PER_SEC + ts.tv_nsec;
            if (cmd == LINUX_FUTEX_WAIT) { /* relative, measured on CLOCK_MONOTONIC */
                d.realtime = false;
                int64_t now = px_clock_monotonic_ns();
                d.at = ns > INT64_MAX - now ? INT64_MAX - 1 : now + ns;
            } else {                       /* absolute, on the chosen clock */
                d.at = ns == INT64_MAX ? INT64_MAX - 1 : ns;
            }
        }
        return futex_wait(uaddr, val, bitset, &d);
    }
    case LINUX_FUTEX_WAKE:
    case LINUX_FUTEX_WAKE_BITSET: {
        uint32_t bitset = cmd == LINUX_FUTEX_WAKE ? LINUX_FUTEX_BITSET_MATCH_ANY : val3;
        if (!bitset) return -LINUX_EINVAL;
        futex_bucket *b = bucket_of(uaddr);
        AcquireSRWLockExclusive(&b->lock);
        int64_t n = wake_locked(b, uaddr, bitset, (int32_t)val <= 0 ? 0 : (int64_t)(int32_t)val);
        ReleaseSRWLockExclusive(&b->lock);
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
