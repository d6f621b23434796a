/* futex(2) and futex_waitv(2): wait queues keyed by the futex's address in this process.

   Each waiter sits in a hash bucket's list (in arrival order: Linux wakes the first
   come first) with its own wake state; the compare of *uaddr with the expected value
   happens under the bucket lock, so a waker that changes the word and then calls
   FUTEX_WAKE (taking the same lock) cannot be missed. Keeping our own queues gives the
   exact counts FUTEX_WAKE returns, the bitsets, requeueing and the PI hand-over.

   A waiter sleeps on its task's futex word (block.h, px_block_word: a host address wait,
   as fast as a native futex); its waker, holding the bucket lock, marks it woken and
   wakes the word. The waiter always takes its bucket's lock again before it returns,
   so a waker is done with the waiter (on the waiter's stack) when it leaves.

   PI futexes (LOCK_PI, UNLOCK_PI, TRYLOCK_PI, LOCK_PI2, the requeue_pi pair) follow the
   word protocol of Linux's futex_lock_pi_atomic: the owner's tid in the low 30 bits,
   FUTEX_WAITERS when someone waits in the kernel, FUTEX_OWNER_DIED kept for the next
   owner after a robust owner's death. UNLOCK_PI hands the lock to the first waiter by
   writing its tid into the word. There is no priority boosting: Windows threads of a
   guest run at one priority (the one sched_setscheduler leaves them).

   Scope: one process, all its threads (the buckets are the process's), keyed by this
   process's addresses. A word without FUTEX_PRIVATE_FLAG in MAP_SHARED memory goes to
   the session's queues instead (futex_shared.c), keyed by what it is in: the plain
   ops, the PI locks and futex_waitv's words; the requeue_pi pair stays here. */
#include "core/px.h"
#include "core/uaccess.h"
#include "host/host_sync.h"
#include "host/host_thread.h"
#include "kernel/block.h"
#include "kernel/futex.h"
#include "kernel/futex_shared.h"
#include "mm/vm.h"
#include "kernel/kernel.h"
#include "task/process.h"
#include "task/ptable.h"

#define BUCKET_COUNT 256

typedef struct futex_bucket futex_bucket;

enum waiter_kind {
    WAITER_PLAIN,      /* WAIT, WAIT_BITSET, futex_waitv */
    WAITER_PI,         /* LOCK_PI, LOCK_PI2, or a requeue_pi waiter moved onto the PI word */
    WAITER_REQUEUE_PI, /* WAIT_REQUEUE_PI before its requeue: waits on a plain word */
};

enum waiter_woken {
    NOT_WOKEN,
    WOKEN,       /* a wake: the wait returns 0 */
    WOKEN_OWNER, /* a PI waiter made the lock's owner (the word names it) */
    WOKEN_RETRY, /* a PI waiter told to look at the word again (its owner died) */
};

typedef struct futex_waiter {
    struct futex_waiter *next;
    uint64_t uaddr;
    uint64_t pi_target;  /* WAITER_REQUEUE_PI: the PI word it may be moved to */
    uint32_t bitset;
    uint8_t kind;
    int32_t tid;         /* the waiter's, for a PI hand-over */
    futex_bucket *volatile bucket; /* changes when requeued; read under the bucket lock */
    volatile int32_t woken;        /* enum waiter_woken; written under the bucket lock */
    volatile uint32_t *word;       /* its task's futex word */
    px_host_handle event;          /* instead of the word: a futex_waitv that also waits on shared words */
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

static void bucket_append(futex_bucket *b, futex_waiter *w)
{
    futex_waiter **p = &b->head;
    while (*p) p = &(*p)->next;
    w->next = NULL;
    w->bucket = b;
    *p = w;
}

/* Moves the waiters taken out of their bucket (a list) to b2, waiting on uaddr2 from now
   on; as kind unless it is negative. */
static void requeue_taken(futex_bucket *b2, futex_waiter *taken, uint64_t uaddr2, int kind)
{
    while (taken) {
        futex_waiter *w = taken;
        taken = w->next;
        w->uaddr = uaddr2;
        if (kind >= 0) w->kind = (uint8_t)kind;
        bucket_append(b2, w);
    }
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

/* The host wakes of one call, made after its bucket locks are released (Linux's
   wake_q): a woken waiter then does not run into the lock its waker still holds. The
   word is a task's and the wake only names its address, so a wake that comes after the
   waiter left is harmless (a spurious wake-up, which every word wait looks past). */
#define WAKE_Q_MAX 32
typedef struct wake_q {
    size_t n;
    volatile uint32_t *words[WAKE_Q_MAX];
} wake_q;

/* Marks a waiter (already out of its list) woken; its task's wake goes on q. Bucket
   locked: the waiter takes it again before it returns, so w is alive here. */
static void wake_waiter(wake_q *q, futex_waiter *w, int how)
{
    volatile uint32_t *word = w->word;
    __atomic_store_n(&w->woken, how, __ATOMIC_RELEASE);
    if (w->event) { /* its waiter takes the bucket lock before it closes the event */
        px_host_event_set(w->event);
        return;
    }
    __atomic_or_fetch(word, PX_FUTEX_WORD_WOKEN, __ATOMIC_SEQ_CST);
    if (q->n < WAKE_Q_MAX)
        q->words[q->n++] = word;
    else
        px_host_word_wake(word); /* a full queue: now, under the lock */
}

static void wake_q_run(wake_q *q)
{
    for (size_t i = 0; i < q->n; i++) px_host_word_wake(q->words[i]);
    q->n = 0;
}

/* Linux's wake count: a request for 0 (or a negative int) still wakes one. */
static int64_t wake_limit(int32_t nr) { return nr <= 0 ? 1 : nr; }

/* Wakes up to max plain waiters on uaddr whose bitset meets bitset. A PI or requeue_pi
   waiter met on the way ends the walk with -EINVAL (those before it stay woken), as
   Linux's futex_wake; internal (any_kind: the runtime's own wakes) wakes those too, a
   PI waiter to look at its word again. Bucket locked. */
static int64_t wake_locked(wake_q *q, futex_bucket *b, uint64_t uaddr, uint32_t bitset, int64_t max, bool any_kind)
{
    int64_t woken = 0;
    for (futex_waiter **p = &b->head; *p && woken < max;) {
        futex_waiter *w = *p;
        if (w->uaddr != uaddr) {
            p = &w->next;
            continue;
        }
        if (w->kind != WAITER_PLAIN && !any_kind) return -LINUX_EINVAL;
        if (!(w->bitset & bitset)) {
            p = &w->next;
            continue;
        }
        *p = w->next;
        wake_waiter(q, w, w->kind == WAITER_PI ? WOKEN_RETRY : WOKEN);
        woken++;
    }
    return woken;
}

int64_t px_futex_wake(uint64_t uaddr, int64_t max)
{
    px_vm_futex_key key; /* a robust mutex in shared memory: its waiters may be anywhere */
    if (px_vm_futex_key_at(uaddr, &key) && px_futex_shared_ready())
        return px_futex_shared_wake(&key, LINUX_FUTEX_BITSET_MATCH_ANY, max);
    wake_q q = {0};
    futex_bucket *b = bucket_of(uaddr);
    px_host_rwlock_lock(&b->lock);
    int64_t n = wake_locked(&q, b, uaddr, LINUX_FUTEX_BITSET_MATCH_ANY, max, true);
    px_host_rwlock_unlock(&b->lock);
    wake_q_run(&q);
    return n;
}

/* The caller's waiter record, not queued yet: NULL word when the caller is no guest. */
static futex_waiter waiter_for(uint64_t uaddr, uint32_t bitset, uint8_t kind)
{
    px_task *t = px_kernel_self();
    return (futex_waiter){.uaddr = uaddr, .bitset = bitset, .kind = kind, .tid = t->tid, .word = px_task_futex_word()};
}

/* After the sleep: each of ws[0..n) out of its queue unless it was woken. The index of
   the last woken (Linux's futex_unqueue_multiple), its state in *how; or -1. */
static int64_t unqueue_all(futex_waiter *ws, size_t n, int *how)
{
    int64_t index = -1;
    for (size_t i = 0; i < n; i++) {
        futex_bucket *b = lock_waiter_bucket(&ws[i]);
        int woken = ws[i].woken;
        if (woken == NOT_WOKEN) {
            bucket_remove(b, &ws[i]);
        } else {
            index = (int64_t)i;
            if (how) *how = woken;
        }
        px_host_rwlock_unlock(&b->lock);
    }
    return index;
}

static int64_t block_error(int got)
{
    if (got == PX_BLOCK_INTERRUPTED) return -LINUX_EINTR;
    if (got == PX_BLOCK_FAILED) return -LINUX_EINVAL;
    return -LINUX_ETIMEDOUT;
}

static int64_t futex_lock_pi(uint64_t uaddr, const px_deadline *deadline, bool trylock);

/* FUTEX_WAIT, WAIT_BITSET and WAIT_REQUEUE_PI (kind): sleeps until woken, the deadline
   or an interrupt. The word is read under the bucket lock; a fault there is EFAULT
   (FUTEX_WAIT needs only read access, so it is copied in, not compare-exchanged). A
   requeue_pi waiter returns 0 once it owns the PI word. */
static int64_t futex_wait(uint64_t uaddr, uint32_t expected, uint32_t bitset, uint8_t kind, uint64_t pi_target,
                          const px_deadline *deadline)
{
    futex_waiter w = waiter_for(uaddr, bitset, kind);
    if (!w.word) return -LINUX_ENOMEM;
    w.pi_target = pi_target;
    futex_bucket *b = bucket_of(uaddr);
    uint32_t now_value;
    px_host_rwlock_lock(&b->lock);
    int64_t r = PX_GET(&now_value, uaddr);
    if (r < 0 || now_value != expected) {
        px_host_rwlock_unlock(&b->lock);
        return r < 0 ? r : -LINUX_EAGAIN;
    }
    bucket_append(b, &w);
    px_host_rwlock_unlock(&b->lock);
    int got = px_block_word(w.word, deadline);
    int how = NOT_WOKEN;
    if (unqueue_all(&w, 1, &how) < 0) return block_error(got);
    /* a requeue_pi waiter, moved onto the PI word, whose owner then died (the robust
       list's wake): it takes the lock as LOCK_PI does */
    if (how == WOKEN_RETRY) return futex_lock_pi(pi_target, deadline, false);
    return 0;
}

/* FUTEX_REQUEUE and FUTEX_CMP_REQUEUE: wake nr_wake, move up to nr_requeue to uaddr2. */
static int64_t futex_requeue(uint64_t uaddr, uint64_t uaddr2, int64_t nr_wake, int64_t nr_requeue,
                             bool compare, uint32_t expected)
{
    futex_bucket *b1 = bucket_of(uaddr), *b2 = bucket_of(uaddr2);
    wake_q q = {0};
    lock_pair(b1, b2);
    uint32_t now_value = 0;
    int64_t r = compare ? PX_GET(&now_value, uaddr) : 0;
    if (r < 0 || (compare && now_value != expected)) {
        unlock_pair(b1, b2);
        return r < 0 ? r : -LINUX_EAGAIN;
    }
    int64_t done = 0, moved = 0;
    futex_waiter *taken = NULL, **tail = &taken; /* collected first, so the walk never meets them again */
    for (futex_waiter **p = &b1->head; *p && (done < nr_wake || moved < nr_requeue);) {
        futex_waiter *w = *p;
        if (w->uaddr != uaddr) {
            p = &w->next;
            continue;
        }
        if (w->kind != WAITER_PLAIN) { /* Linux: a requeue_pi waiter needs CMP_REQUEUE_PI */
            r = -LINUX_EINVAL;
            break;
        }
        *p = w->next;
        if (done < nr_wake) {
            wake_waiter(&q, w, WOKEN);
            done++;
            continue;
        }
        w->next = NULL;
        *tail = w;
        tail = &w->next;
        moved++;
    }
    requeue_taken(b2, taken, uaddr2, -1);
    unlock_pair(b1, b2);
    wake_q_run(&q);
    return r < 0 ? r : done + moved;
}

/* FUTEX_WAKE_OP's encoded operation on the second word. */
typedef struct wake_op {
    uint64_t uaddr2;
    uint32_t op, cmp, oparg, cmparg;
} wake_op;

/* Decodes encoded (0, or Linux's error for a bad operation). */
static int64_t wake_op_decode(uint32_t encoded, uint64_t uaddr2, wake_op *o)
{
    *o = (wake_op){.uaddr2 = uaddr2, .op = (encoded >> 28) & 7, .cmp = (encoded >> 24) & 15,
                   .oparg = (encoded >> 12) & 0xfff, .cmparg = encoded & 0xfff};
    if (encoded & (8u << 28)) { /* FUTEX_OP_OPARG_SHIFT */
        if (o->oparg > 31) return -LINUX_EINVAL;
        o->oparg = 1u << o->oparg;
    } else {
        o->oparg = (uint32_t)((int32_t)(o->oparg << 20) >> 20); /* sign-extend 12 bits */
    }
    o->cmparg = (uint32_t)((int32_t)(o->cmparg << 20) >> 20);
    if (o->op > 4 || o->cmp > 5) return -LINUX_ENOSYS; /* as the kernel */
    return 0;
}

/* *uaddr2 = *uaddr2 OP oparg, atomically; *hit when the old value meets the comparison.
   0 or -EFAULT (the word must be writable, as Linux's futex_atomic_op_inuser needs). */
static int64_t wake_op_apply(void *ctx, bool *hit)
{
    const wake_op *o = ctx;
    uint32_t *word = (uint32_t *)(uintptr_t)o->uaddr2;
    uint32_t old, new_value, seen;
    if (PX_GET(&old, o->uaddr2) < 0) return -LINUX_EFAULT;
    for (;;) {
        switch (o->op) {
        case 0: new_value = o->oparg; break;        /* SET */
        case 1: new_value = old + o->oparg; break;  /* ADD */
        case 2: new_value = old | o->oparg; break;  /* OR */
        case 3: new_value = old & ~o->oparg; break; /* ANDN */
        default: new_value = old ^ o->oparg; break; /* XOR */
        }
        if (px_uaccess_cmpxchg32(word, old, new_value, &seen) < 0) return -LINUX_EFAULT;
        if (seen == old) break;
        old = seen;
    }
    int32_t v = (int32_t)old, a = (int32_t)o->cmparg;
    switch (o->cmp) {
    case 0: *hit = v == a; break;
    case 1: *hit = v != a; break;
    case 2: *hit = v < a; break;
    case 3: *hit = v <= a; break;
    case 4: *hit = v > a; break;
    default: *hit = v >= a; break;
    }
    return 0;
}

/* FUTEX_WAKE_OP within the process: the operation on uaddr2, a wake on uaddr, and one on
   uaddr2 if the old value met the comparison. */
static int64_t futex_wake_op(uint64_t uaddr, const wake_op *o, int64_t nr_wake, int64_t nr_wake2)
{
    futex_bucket *b1 = bucket_of(uaddr), *b2 = bucket_of(o->uaddr2);
    wake_q q = {0};
    lock_pair(b1, b2);
    bool hit = false;
    int64_t n = wake_op_apply((void *)o, &hit);
    if (n == 0) n = wake_locked(&q, b1, uaddr, LINUX_FUTEX_BITSET_MATCH_ANY, nr_wake, false);
    if (n >= 0 && hit) {
        int64_t n2 = wake_locked(&q, b2, o->uaddr2, LINUX_FUTEX_BITSET_MATCH_ANY, nr_wake2, false);
        n = n2 < 0 ? n2 : n + n2;
    }
    unlock_pair(b1, b2);
    wake_q_run(&q);
    return n;
}

/* ---- PI futexes ---- */

static bool has_pi_waiter(futex_bucket *b, uint64_t uaddr)
{
    for (futex_waiter *w = b->head; w; w = w->next)
        if (w->uaddr == uaddr && w->kind == WAITER_PI) return true;
    return false;
}

static futex_waiter *first_pi_waiter(futex_bucket *b, uint64_t uaddr, futex_waiter ***link)
{
    for (futex_waiter **p = &b->head; *p; p = &(*p)->next)
        if ((*p)->uaddr == uaddr && (*p)->kind == WAITER_PI) {
            *link = p;
            return *p;
        }
    return NULL;
}

/* Whether the thread a PI word names still runs: Linux's attach_to_pi_owner gives
   ESRCH for a tid no task has. The process's first thread's tid is its pid. */
static bool pi_owner_alive(uint32_t tid)
{
    px_task *self = px_kernel_self();
    if ((int32_t)tid == self->process->tgid) return true;
    if (px_host_thread_alive(tid)) return true;
    px_ptable_entry e; /* another process's first thread (a word in shared memory) */
    return px_ptable_lookup((int32_t)tid, &e) == 0 && e.state != PX_PTABLE_ZOMBIE;
}

int64_t px_futex_pi_take_word(uint64_t uaddr, int32_t tid, bool queued, bool set_waiters)
{
    uint32_t *word = (uint32_t *)(uintptr_t)uaddr;
    uint32_t now, seen;
    if (PX_GET(&now, uaddr) < 0) return -LINUX_EFAULT;
    for (;;) {
        if ((now & PX_FUTEX_TID_MASK) == (uint32_t)tid) return -LINUX_EDEADLK;
        uint32_t next;
        if (!(now & PX_FUTEX_TID_MASK))
            next = (now & PX_FUTEX_OWNER_DIED) | (uint32_t)tid | (queued || set_waiters ? PX_FUTEX_WAITERS : 0);
        else
            next = now | PX_FUTEX_WAITERS;
        if (px_uaccess_cmpxchg32(word, now, next, &seen) < 0) return -LINUX_EFAULT;
        if (seen != now) {
            now = seen;
            continue;
        }
        if (!(now & PX_FUTEX_TID_MASK)) return 1;
        /* an owner already attached (someone waits) is known alive; else look */
        if (!queued && !pi_owner_alive(now & PX_FUTEX_TID_MASK)) return -LINUX_ESRCH;
        return 0;
    }
}

int64_t px_futex_pi_hand_word(uint64_t uaddr, int32_t tid, int32_t next_tid)
{
    uint32_t *word = (uint32_t *)(uintptr_t)uaddr;
    uint32_t now, seen, next = next_tid ? PX_FUTEX_WAITERS | (uint32_t)next_tid : 0;
    if (PX_GET(&now, uaddr) < 0) return -LINUX_EFAULT;
    for (;;) {
        if ((now & PX_FUTEX_TID_MASK) != (uint32_t)tid) return -LINUX_EPERM;
        if (px_uaccess_cmpxchg32(word, now, next, &seen) < 0) return -LINUX_EFAULT;
        if (seen == now) return 0;
        now = seen;
    }
}

static int64_t pi_try_take(futex_bucket *b, uint64_t uaddr, int32_t tid, bool set_waiters)
{
    return px_futex_pi_take_word(uaddr, tid, has_pi_waiter(b, uaddr), set_waiters);
}

/* FUTEX_LOCK_PI, LOCK_PI2 and TRYLOCK_PI. */
static int64_t futex_lock_pi(uint64_t uaddr, const px_deadline *deadline, bool trylock)
{
    futex_waiter w = waiter_for(uaddr, LINUX_FUTEX_BITSET_MATCH_ANY, WAITER_PI);
    if (!w.word) return -LINUX_ENOMEM;
    futex_bucket *b = bucket_of(uaddr);
    px_host_rwlock_lock(&b->lock);
    for (;;) {
        int64_t r = pi_try_take(b, uaddr, w.tid, false);
        if (r != 0 || trylock) {
            px_host_rwlock_unlock(&b->lock);
            return r == 1 ? 0 : r == 0 ? -LINUX_EAGAIN : r;
        }
        w.woken = NOT_WOKEN;
        __atomic_store_n(w.word, 0, __ATOMIC_SEQ_CST);
        bucket_append(b, &w);
        px_host_rwlock_unlock(&b->lock);
        int got = px_block_word(w.word, deadline);
        b = lock_waiter_bucket(&w);
        if (w.woken == NOT_WOKEN) {
            bucket_remove(b, &w);
            px_host_rwlock_unlock(&b->lock);
            return block_error(got);
        }
        if (w.woken == WOKEN_OWNER) {
            px_host_rwlock_unlock(&b->lock);
            return 0;
        }
        /* WOKEN_RETRY: the owner died (robust list); look at the word again, locked */
    }
}

/* FUTEX_UNLOCK_PI: the caller must own the word; the first waiter becomes the owner
   (its tid | FUTEX_WAITERS, as Linux's wake_futex_pi), else the word becomes 0. */
static int64_t futex_unlock_pi(uint64_t uaddr)
{
    int32_t tid = px_kernel_self()->tid;
    futex_bucket *b = bucket_of(uaddr);
    wake_q q = {0};
    px_host_rwlock_lock(&b->lock);
    futex_waiter **link = NULL;
    futex_waiter *next_owner = first_pi_waiter(b, uaddr, &link);
    int64_t r = px_futex_pi_hand_word(uaddr, tid, next_owner ? next_owner->tid : 0);
    if (r == 0 && next_owner) {
        *link = next_owner->next;
        wake_waiter(&q, next_owner, WOKEN_OWNER);
    }
    px_host_rwlock_unlock(&b->lock);
    wake_q_run(&q);
    return r;
}

/* FUTEX_CMP_REQUEUE_PI: the first waiter of uaddr (a WAIT_REQUEUE_PI onto uaddr2) is
   given the PI word if it is free; up to nr_requeue more are moved onto it as PI
   waiters. The number given or moved. */
static int64_t futex_cmp_requeue_pi(uint64_t uaddr, uint64_t uaddr2, int64_t nr_requeue, uint32_t expected)
{
    futex_bucket *b1 = bucket_of(uaddr), *b2 = bucket_of(uaddr2);
    wake_q q = {0};
    lock_pair(b1, b2);
    uint32_t now_value;
    int64_t r = PX_GET(&now_value, uaddr);
    if (r < 0 || now_value != expected) {
        unlock_pair(b1, b2);
        return r < 0 ? r : -LINUX_EAGAIN;
    }
    int64_t given = 0, moved = 0;
    bool tried = false;
    futex_waiter *taken = NULL, **tail = &taken;
    r = 0;
    for (futex_waiter **p = &b1->head; *p && moved < nr_requeue;) {
        futex_waiter *w = *p;
        if (w->uaddr != uaddr) {
            p = &w->next;
            continue;
        }
        if (w->kind != WAITER_REQUEUE_PI || w->pi_target != uaddr2) {
            r = -LINUX_EINVAL;
            break;
        }
        if (!tried) {
            /* Linux's futex_proxy_trylock_atomic, for the first waiter only */
            tried = true;
            int64_t took = pi_try_take(b2, uaddr2, w->tid, true);
            if (took < 0) {
                r = took;
                break;
            }
            if (took == 1) {
                *p = w->next;
                w->uaddr = uaddr2;
                w->kind = WAITER_PI;
                wake_waiter(&q, w, WOKEN_OWNER);
                given++;
                continue;
            }
        }
        *p = w->next;
        w->next = NULL;
        *tail = w;
        tail = &w->next;
        moved++;
    }
    requeue_taken(b2, taken, uaddr2, WAITER_PI);
    unlock_pair(b1, b2);
    wake_q_run(&q);
    return r < 0 && given + moved == 0 ? r : given + moved;
}

/* ---- the calls ---- */

/* Linux checks the futex address before the command (get_futex_key): an address
   outside the user half is EFAULT whatever the command. */
static bool bad_futex_ptr(uint64_t p)
{
    return !px_guest_range_ok(p, 4);
}

/* A guest timespec at ptr (0: none) as a deadline: relative on CLOCK_MONOTONIC, or
   absolute on the chosen clock. 0 or -errno. */
static int64_t deadline_of(uint64_t ptr, bool relative, bool realtime, px_deadline *d)
{
    *d = px_deadline_never();
    if (!ptr) return 0;
    struct linux_timespec ts;
    if (PX_GET(&ts, ptr) < 0) return -LINUX_EFAULT;
    int64_t ns = px_timespec_ns(&ts);
    if (ns < 0) return ns;
    *d = relative ? px_deadline_after(px_clock_monotonic_ns(), ns) : (px_deadline){ns, realtime};
    return 0;
}

/* FUTEX_WAIT and FUTEX_WAIT_BITSET on the word at uaddr: keyed by what it is in when
   not private and in shared memory (futex_shared.c), else the process's. */
static int64_t wait_plain(uint64_t uaddr, uint32_t val, uint32_t bitset, bool private_op, const px_deadline *d);

/* restart_syscall of an interrupted timed wait (Linux's futex_wait_restart): the same
   word and value, on to the same deadline. */
static int64_t wait_restart(px_task *t)
{
    px_deadline d = {(int64_t)t->restart_block[2], (t->restart_block[3] & 1) != 0};
    return wait_plain(t->restart_block[0], (uint32_t)(t->restart_block[1] >> 32), (uint32_t)t->restart_block[1],
                      (t->restart_block[3] & 2) != 0, &d);
}

static int64_t wait_plain(uint64_t uaddr, uint32_t val, uint32_t bitset, bool private_op, const px_deadline *d)
{
    px_vm_futex_key key;
    bool shared = !private_op && px_vm_futex_key_at(uaddr, &key) && px_futex_shared_ready();
    int64_t r = shared ? px_futex_shared_wait(&key, uaddr, val, bitset, d)
                       : futex_wait(uaddr, val, bitset, WAITER_PLAIN, 0, d);
    if (r != -LINUX_EINTR) return r;
    /* interrupted, as Linux's futex_wait: an untimed wait restarts unless a handler without
       SA_RESTART runs; a timed one goes on to its deadline when no handler runs, EINTR
       when one does */
    if (d->at == PX_DEADLINE_NONE) return -LINUX_ERESTARTSYS;
    px_task *t = px_kernel_self();
    t->restart_block[0] = uaddr;
    t->restart_block[1] = (uint64_t)val << 32 | bitset;
    t->restart_block[2] = (uint64_t)d->at;
    t->restart_block[3] = (d->realtime ? 1u : 0u) | (private_op ? 2u : 0u);
    t->restart_fn = wait_restart;
    return -LINUX_ERESTART_RESTARTBLOCK;
}

/* futex(2) */
PX_SYSCALL(futex)
{
    uint64_t uaddr = PX_ARG0, timeout_ptr = PX_ARG3, uaddr2 = PX_ARG4;
    int32_t futex_op = (int32_t)PX_ARG1;
    uint32_t val = (uint32_t)PX_ARG2, val3 = (uint32_t)PX_ARG5;
    int32_t cmd = futex_op & ~(LINUX_FUTEX_PRIVATE_FLAG | LINUX_FUTEX_CLOCK_REALTIME);
    bool realtime = futex_op & LINUX_FUTEX_CLOCK_REALTIME;
    if (realtime && cmd != LINUX_FUTEX_WAIT && cmd != LINUX_FUTEX_WAIT_BITSET && cmd != LINUX_FUTEX_WAIT_REQUEUE_PI &&
        cmd != LINUX_FUTEX_LOCK_PI2)
        return -LINUX_ENOSYS; /* as the kernel */
    if (uaddr & 3) return -LINUX_EINVAL;
    if (bad_futex_ptr(uaddr)) return -LINUX_EFAULT;
    bool two_words = cmd == LINUX_FUTEX_REQUEUE || cmd == LINUX_FUTEX_CMP_REQUEUE || cmd == LINUX_FUTEX_WAKE_OP ||
                     cmd == LINUX_FUTEX_WAIT_REQUEUE_PI || cmd == LINUX_FUTEX_CMP_REQUEUE_PI;
    if (two_words && (uaddr2 & 3)) return -LINUX_EINVAL;
    if (two_words && bad_futex_ptr(uaddr2)) return -LINUX_EFAULT;
    px_deadline d;
    int64_t r;
    /* Without FUTEX_PRIVATE_FLAG, a word in shared memory is keyed by what it is in, for
       every process that maps it (futex_shared.c). */
    px_vm_futex_key key, key2;
    bool plain_cmd = cmd == LINUX_FUTEX_WAIT || cmd == LINUX_FUTEX_WAIT_BITSET || cmd == LINUX_FUTEX_WAKE ||
                     cmd == LINUX_FUTEX_WAKE_BITSET || cmd == LINUX_FUTEX_REQUEUE || cmd == LINUX_FUTEX_CMP_REQUEUE ||
                     cmd == LINUX_FUTEX_WAKE_OP;
    bool not_private = plain_cmd && !(futex_op & LINUX_FUTEX_PRIVATE_FLAG);
    bool shared = not_private && px_vm_futex_key_at(uaddr, &key);
    bool shared2 = two_words && not_private && px_vm_futex_key_at(uaddr2, &key2);
    /* a requeue or wake_op between shared and process memory: unsupported (no program
       known to do it) rather than half done */
    if (two_words && shared != shared2) return -LINUX_EINVAL;
    if (shared && !px_futex_shared_ready()) shared = shared2 = false; /* no table: within the process */
    /* a PI lock in shared memory (PTHREAD_PROCESS_SHARED with PTHREAD_PRIO_INHERIT) is
       the session's too; the requeue_pi pair stays the process's */
    bool pi_cmd = cmd == LINUX_FUTEX_LOCK_PI || cmd == LINUX_FUTEX_LOCK_PI2 || cmd == LINUX_FUTEX_TRYLOCK_PI ||
                  cmd == LINUX_FUTEX_UNLOCK_PI;
    bool shared_pi = pi_cmd && !(futex_op & LINUX_FUTEX_PRIVATE_FLAG) && px_vm_futex_key_at(uaddr, &key) &&
                     px_futex_shared_ready();

    switch (cmd) {
    case LINUX_FUTEX_WAIT:
    case LINUX_FUTEX_WAIT_BITSET: {
        uint32_t bitset = cmd == LINUX_FUTEX_WAIT ? LINUX_FUTEX_BITSET_MATCH_ANY : val3;
        if (!bitset) return -LINUX_EINVAL;
        if ((r = deadline_of(timeout_ptr, cmd == LINUX_FUTEX_WAIT, realtime, &d)) < 0) return r;
        return wait_plain(uaddr, val, bitset, !shared, &d);
    }
    case LINUX_FUTEX_WAKE:
    case LINUX_FUTEX_WAKE_BITSET: {
        uint32_t bitset = cmd == LINUX_FUTEX_WAKE ? LINUX_FUTEX_BITSET_MATCH_ANY : val3;
        if (!bitset) return -LINUX_EINVAL;
        if (shared) return px_futex_shared_wake(&key, bitset, wake_limit((int32_t)val));
        futex_bucket *b = bucket_of(uaddr);
        wake_q q = {0};
        px_host_rwlock_lock(&b->lock);
        int64_t n = wake_locked(&q, b, uaddr, bitset, wake_limit((int32_t)val), false);
        px_host_rwlock_unlock(&b->lock);
        wake_q_run(&q);
        return n;
    }
    case LINUX_FUTEX_REQUEUE:
    case LINUX_FUTEX_CMP_REQUEUE: {
        /* the timeout argument is val2, the number to requeue */
        int64_t nr_wake = (int32_t)val, nr_requeue = (int32_t)timeout_ptr;
        if (nr_wake < 0 || nr_requeue < 0) return -LINUX_EINVAL;
        if (shared2)
            return px_futex_shared_requeue(&key, &key2, uaddr, nr_wake, nr_requeue, cmd == LINUX_FUTEX_CMP_REQUEUE,
                                           val3);
        return futex_requeue(uaddr, uaddr2, nr_wake, nr_requeue, cmd == LINUX_FUTEX_CMP_REQUEUE, val3);
    }
    case LINUX_FUTEX_WAKE_OP: {
        wake_op o;
        if ((r = wake_op_decode(val3, uaddr2, &o)) < 0) return r;
        int64_t nr_wake = wake_limit((int32_t)val), nr_wake2 = wake_limit((int32_t)timeout_ptr);
        if (shared2) return px_futex_shared_wake_op(&key, &key2, nr_wake, nr_wake2, wake_op_apply, &o);
        return futex_wake_op(uaddr, &o, nr_wake, nr_wake2);
    }
    case LINUX_FUTEX_LOCK_PI:
    case LINUX_FUTEX_LOCK_PI2:
        /* LOCK_PI's timeout is absolute on CLOCK_REALTIME; LOCK_PI2's on the chosen clock */
        if ((r = deadline_of(timeout_ptr, false, cmd == LINUX_FUTEX_LOCK_PI || realtime, &d)) < 0) return r;
        r = shared_pi ? px_futex_shared_lock_pi(&key, uaddr, px_kernel_self()->tid, &d, false)
                      : futex_lock_pi(uaddr, &d, false);
        return r == -LINUX_EINTR ? -LINUX_ERESTARTNOINTR : r; /* Linux: the handler runs, the lock goes on */
    case LINUX_FUTEX_TRYLOCK_PI:
        return shared_pi ? px_futex_shared_lock_pi(&key, uaddr, px_kernel_self()->tid, NULL, true)
                         : futex_lock_pi(uaddr, NULL, true);
    case LINUX_FUTEX_UNLOCK_PI:
        return shared_pi ? px_futex_shared_unlock_pi(&key, uaddr, px_kernel_self()->tid) : futex_unlock_pi(uaddr);
    case LINUX_FUTEX_WAIT_REQUEUE_PI:
        if (uaddr == uaddr2) return -LINUX_EINVAL;
        if ((r = deadline_of(timeout_ptr, false, realtime, &d)) < 0) return r;
        r = futex_wait(uaddr, val, LINUX_FUTEX_BITSET_MATCH_ANY, WAITER_REQUEUE_PI, uaddr2, &d);
        return r == -LINUX_EINTR ? -LINUX_ERESTARTNOINTR : r; /* handle_early_requeue_pi_wakeup */
    case LINUX_FUTEX_CMP_REQUEUE_PI: {
        int64_t nr_requeue = (int32_t)timeout_ptr;
        if (uaddr == uaddr2 || (int32_t)val != 1 || nr_requeue < 0) return -LINUX_EINVAL;
        return futex_cmp_requeue_pi(uaddr, uaddr2, nr_requeue, val3);
    }
    default:
        return -LINUX_ENOSYS; /* the kernel's answer to an unknown futex command */
    }
}

/* futex_waitv(2)'s struct futex_waitv and flags (include/uapi/linux/futex.h). */
typedef struct linux_futex_waitv {
    uint64_t val, uaddr;
    uint32_t flags, reserved;
} linux_futex_waitv;
_Static_assert(sizeof(linux_futex_waitv) == 24, "struct futex_waitv");
#define FUTEX2_SIZE_U32 0x02u
#define FUTEX2_SIZE_MASK 0x03u
#define FUTEX2_PRIVATE 128u
#define FUTEX_WAITV_MAX 128

/* One futex_waitv word: in this process's buckets (shared_slot -1) or, without
   FUTEX2_PRIVATE in shared memory, in the session's table. */
typedef struct waitv_word {
    futex_waiter local;
    int32_t shared_slot;
} waitv_word;

/* After the sleep, or when a compare fails at word n: every queued word out again. The
   index of the last woken (Linux's futex_unqueue_multiple), or -1. */
static int64_t waitv_unqueue(waitv_word *ws, uint32_t n)
{
    int64_t index = -1;
    for (uint32_t i = 0; i < n; i++) {
        bool woken = ws[i].shared_slot >= 0 ? px_futex_shared_unqueue(ws[i].shared_slot)
                                            : unqueue_all(&ws[i].local, 1, NULL) == 0;
        if (woken) index = i;
    }
    return index;
}

/* A word compared and queued: 0, or -EAGAIN when it holds another value (a val above
   32 bits never matches, as Linux), -EFAULT, -ENOMEM. */
static int64_t waitv_queue(waitv_word *w, const linux_futex_waitv *v)
{
    px_vm_futex_key key;
    if (w->local.event && !(v->flags & FUTEX2_PRIVATE) && px_vm_futex_key_at(v->uaddr, &key)) {
        if (v->val > UINT32_MAX) return -LINUX_EAGAIN;
        int64_t slot = px_futex_shared_queue(&key, v->uaddr, (uint32_t)v->val, LINUX_FUTEX_BITSET_MATCH_ANY);
        if (slot >= 0) w->shared_slot = (int32_t)slot;
        return slot < 0 ? slot : 0;
    }
    futex_bucket *b = bucket_of(v->uaddr);
    uint32_t now_value;
    px_host_rwlock_lock(&b->lock);
    int64_t r = PX_GET(&now_value, v->uaddr);
    if (r == 0 && now_value != v->val) r = -LINUX_EAGAIN;
    if (r == 0) bucket_append(b, &w->local);
    px_host_rwlock_unlock(&b->lock);
    return r < 0 ? r : 0;
}

/* Whether any word is a shared one: then every word wakes the caller's event. */
static bool waitv_has_shared(const linux_futex_waitv *vs, uint32_t count)
{
    px_vm_futex_key key;
    for (uint32_t i = 0; i < count; i++)
        if (!(vs[i].flags & FUTEX2_PRIVATE) && px_vm_futex_key_at(vs[i].uaddr, &key)) return px_futex_shared_ready();
    return false;
}

static int64_t waitv(const linux_futex_waitv *vs, uint32_t count, const px_deadline *d)
{
    waitv_word ws[FUTEX_WAITV_MAX];
    volatile uint32_t *word = px_task_futex_word();
    if (!word) return -LINUX_ENOMEM;
    bool has_shared = waitv_has_shared(vs, count);
    px_host_handle event = has_shared ? px_futex_shared_own_event() : NULL;
    if (has_shared && !event) return -LINUX_ENOMEM;
    int32_t tid = px_kernel_self()->tid;
    int64_t r = 0;
    for (uint32_t i = 0; i < count && r == 0; i++) {
        ws[i] = (waitv_word){.local = {.uaddr = vs[i].uaddr, .bitset = LINUX_FUTEX_BITSET_MATCH_ANY,
                                       .kind = WAITER_PLAIN, .tid = tid, .word = word, .event = event},
                             .shared_slot = -1};
        if ((r = waitv_queue(&ws[i], &vs[i])) < 0) {
            int64_t woken = waitv_unqueue(ws, i);
            if (event) px_host_close(event);
            return woken >= 0 ? woken : r;
        }
    }
    int got = event ? px_block(&event, 1, d) : px_block_word(word, d);
    int64_t woken = waitv_unqueue(ws, count);
    if (event) px_host_close(event);
    if (woken < 0 && got == PX_BLOCK_INTERRUPTED) return -LINUX_ERESTARTSYS; /* Linux's futex_wait_multiple; the deadline is absolute */
    return woken >= 0 ? woken : block_error(got);
}

/* futex_waitv(2): sleeps on up to 128 words at once; the index of one that was woken. */
PX_SYSCALL(futex_waitv)
{
    uint64_t list = PX_ARG0, timeout_ptr = PX_ARG3;
    uint32_t count = (uint32_t)PX_ARG1, flags = (uint32_t)PX_ARG2;
    int32_t clock = (int32_t)PX_ARG4;
    if (flags || !list || count == 0 || count > FUTEX_WAITV_MAX) return -LINUX_EINVAL;
    px_deadline d = px_deadline_never();
    if (timeout_ptr) {
        if (clock != LINUX_CLOCK_MONOTONIC && clock != LINUX_CLOCK_REALTIME) return -LINUX_EINVAL;
        int64_t r = deadline_of(timeout_ptr, false, clock == LINUX_CLOCK_REALTIME, &d);
        if (r < 0) return r;
    }
    linux_futex_waitv vs[FUTEX_WAITV_MAX];
    if (px_copy_in(vs, list, count * sizeof vs[0]) < 0) return -LINUX_EFAULT;
    for (uint32_t i = 0; i < count; i++) {
        if ((vs[i].flags & ~(FUTEX2_SIZE_MASK | FUTEX2_PRIVATE)) || vs[i].reserved) return -LINUX_EINVAL;
        if ((vs[i].flags & FUTEX2_SIZE_MASK) != FUTEX2_SIZE_U32) return -LINUX_EINVAL;
        if (vs[i].uaddr & 3) return -LINUX_EINVAL;
        if (bad_futex_ptr(vs[i].uaddr)) return -LINUX_EFAULT;
    }
    return waitv(vs, count, &d);
}
