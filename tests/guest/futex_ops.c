/* futex(2) between threads, op by op, with the results Linux gives: WAKE's counts,
   bitsets, REQUEUE and CMP_REQUEUE, WAKE_OP, the PI operations (LOCK_PI, TRYLOCK_PI,
   UNLOCK_PI, LOCK_PI2, the requeue_pi pair) with their errors, a PTHREAD_PRIO_INHERIT
   mutex under contention, robust PI mutexes whose owner dies, and futex_waitv.

   Waiters are known to be queued without sleeping on a guess: a CMP_REQUEUE of a word
   onto itself counts its waiters and wakes none (Linux's futex_requeue moves them
   nowhere), and a FUTEX_WAKE meets a requeue_pi waiter with EINVAL. */
#include "guest.h"
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum {
    FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4, FUTEX_WAKE_OP = 5,
    FUTEX_LOCK_PI = 6, FUTEX_UNLOCK_PI = 7, FUTEX_TRYLOCK_PI = 8, FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10,
    FUTEX_WAIT_REQUEUE_PI = 11, FUTEX_CMP_REQUEUE_PI = 12, FUTEX_LOCK_PI2 = 13,
    FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256,
};
#define P(op) ((op) | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK 0x3fffffffu
#define FUTEX_OP(op, oparg, cmp, cmparg) \
    ((((op) & 0xf) << 28) | (((cmp) & 0xf) << 24) | (((oparg) & 0xfff) << 12) | ((cmparg) & 0xfff))
enum { FUTEX_OP_SET = 0, FUTEX_OP_ADD = 1, FUTEX_OP_CMP_EQ = 0, FUTEX_OP_CMP_GT = 4 };

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
struct waitv { uint64_t val, uaddr; uint32_t flags, reserved; };
#define FUTEX2_SIZE_U32 0x02
#define FUTEX2_PRIVATE 128

static long futex(volatile uint32_t *uaddr, int op, uint32_t val, const void *ts, volatile uint32_t *uaddr2,
                  uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static uint32_t tid(void) { return (uint32_t)syscall(SYS_gettid); }

static struct timespec abs_after(clockid_t c, long ms)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    ts.tv_nsec += ms * 1000000;
    ts.tv_sec += ts.tv_nsec / 1000000000;
    ts.tv_nsec %= 1000000000;
    return ts;
}

/* The waiters queued on w now (none woken). */
static long queued(volatile uint32_t *w) { return futex(w, P(FUTEX_CMP_REQUEUE), 0, (void *)(long)INT_MAX, w, *w); }

/* Until n waiters are queued on w (at most ~5 s). */
static long await_queued(volatile uint32_t *w, long n)
{
    long got = 0;
    for (int i = 0; i < 5000 && (got = queued(w)) < n; i++) usleep(1000);
    return got;
}

/* A thread blocked in one futex call; what it returned, and errno. */
typedef struct call {
    pthread_t thread;
    volatile uint32_t *w, *w2;
    int op;
    uint32_t val, val3;
    const struct timespec *ts;
    long ret;
    int err;
    uint32_t tid;
    volatile int done;
} call;

static void *run_call(void *arg)
{
    call *c = arg;
    c->tid = tid();
    c->ret = futex(c->w, c->op, c->val, c->ts, c->w2, c->val3);
    c->err = c->ret < 0 ? errno : 0;
    __atomic_store_n(&c->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void start(call *c, volatile uint32_t *w, int op, uint32_t val, volatile uint32_t *w2, uint32_t val3)
{
    memset(c, 0, sizeof *c);
    c->w = w, c->op = op, c->val = val, c->w2 = w2, c->val3 = val3;
    pthread_create(&c->thread, NULL, run_call, c);
}

static void finish(const char *name, call *c, long want_ret, int want_err)
{
    pthread_join(c->thread, NULL);
    printf("%s: ret=%ld errno=%s\n", name, c->ret, c->ret < 0 ? errno_name(c->err) : "-");
    if (c->ret != want_ret || (want_ret < 0 && c->err != want_err)) guest_failures++;
}

static volatile uint32_t a, b, m;

static void wakes(void)
{
    call c[3];
    a = 1;
    for (int i = 0; i < 3; i++) start(&c[i], &a, P(FUTEX_WAIT), 1, NULL, 0);
    EXPECT_RET("three waiters queued", await_queued(&a, 3), 3);
    EXPECT_RET("WAKE 1 wakes one", futex(&a, P(FUTEX_WAKE), 1, NULL, NULL, 0), 1);
    EXPECT_RET("two left", await_queued(&a, 2), 2);
    EXPECT_RET("WAKE 0 wakes one too", futex(&a, P(FUTEX_WAKE), 0, NULL, NULL, 0), 1);
    EXPECT_RET("WAKE INT_MAX wakes the last", futex(&a, P(FUTEX_WAKE), INT_MAX, NULL, NULL, 0), 1);
    for (int i = 0; i < 3; i++) finish("a woken WAIT", &c[i], 0, 0);

    /* bitsets: a waiter wakes only for a WAKE_BITSET that shares a bit */
    call b1, b2;
    start(&b1, &a, P(FUTEX_WAIT_BITSET), 1, NULL, 0x1);
    start(&b2, &a, P(FUTEX_WAIT_BITSET), 1, NULL, 0x6);
    EXPECT_RET("two bitset waiters", await_queued(&a, 2), 2);
    EXPECT_RET("WAKE_BITSET 0x8 wakes none", futex(&a, P(FUTEX_WAKE_BITSET), INT_MAX, NULL, NULL, 0x8), 0);
    EXPECT_RET("WAKE_BITSET 0x2 wakes the 0x6 one", futex(&a, P(FUTEX_WAKE_BITSET), INT_MAX, NULL, NULL, 0x2), 1);
    finish("bitset 0x6 waiter", &b2, 0, 0);
    CHECK("bitset 0x1 waiter still waits", !b1.done);
    EXPECT_RET("plain WAKE wakes a bitset waiter", futex(&a, P(FUTEX_WAKE), 1, NULL, NULL, 0), 1);
    finish("bitset 0x1 waiter", &b1, 0, 0);

    /* a shared (not private) futex between threads */
    start(&b1, &a, FUTEX_WAIT, 1, NULL, 0);
    while (futex(&a, FUTEX_CMP_REQUEUE, 0, (void *)(long)INT_MAX, &a, 1) < 1) usleep(1000);
    EXPECT_RET("shared WAKE", futex(&a, FUTEX_WAKE, 1, NULL, NULL, 0), 1);
    finish("shared WAIT", &b1, 0, 0);
}

static void requeues(void)
{
    call c[3];
    a = 1, b = 2;
    for (int i = 0; i < 3; i++) start(&c[i], &a, P(FUTEX_WAIT), 1, NULL, 0);
    await_queued(&a, 3);
    EXPECT_RET("REQUEUE wake 1, move 1", futex(&a, P(FUTEX_REQUEUE), 1, (void *)1, &b, 0), 2);
    EXPECT_RET("one left on a", queued(&a), 1);
    EXPECT_RET("one moved to b", queued(&b), 1);
    EXPECT_ERRNO("CMP_REQUEUE value changed: EAGAIN", futex(&a, P(FUTEX_CMP_REQUEUE), 0, (void *)1, &b, 7), EAGAIN);
    EXPECT_RET("CMP_REQUEUE move 1", futex(&a, P(FUTEX_CMP_REQUEUE), 0, (void *)1, &b, 1), 1);
    EXPECT_RET("two on b", queued(&b), 2);
    EXPECT_RET("a WAKE on a finds none", futex(&a, P(FUTEX_WAKE), INT_MAX, NULL, NULL, 0), 0);
    EXPECT_RET("a WAKE on b wakes both", futex(&b, P(FUTEX_WAKE), INT_MAX, NULL, NULL, 0), 2);
    for (int i = 0; i < 3; i++) finish("a requeued WAIT", &c[i], 0, 0);

    /* WAKE_OP: *b = 7 (old 2 > 1: the second wake happens) */
    call x, y;
    a = 1, b = 2;
    start(&x, &a, P(FUTEX_WAIT), 1, NULL, 0);
    start(&y, &b, P(FUTEX_WAIT), 2, NULL, 0);
    await_queued(&a, 1);
    await_queued(&b, 1);
    EXPECT_RET("WAKE_OP set, old > 1: wakes both",
               futex(&a, P(FUTEX_WAKE_OP), 1, (void *)1, &b, FUTEX_OP(FUTEX_OP_SET, 7, FUTEX_OP_CMP_GT, 1)), 2);
    CHECK("WAKE_OP stored 7", b == 7);
    finish("WAKE_OP first", &x, 0, 0);
    finish("WAKE_OP second", &y, 0, 0);
    start(&y, &b, P(FUTEX_WAIT), 7, NULL, 0);
    await_queued(&b, 1);
    EXPECT_RET("WAKE_OP add, old != 0: second not woken",
               futex(&a, P(FUTEX_WAKE_OP), 1, (void *)1, &b, FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0)), 0);
    CHECK("WAKE_OP added 1", b == 8);
    EXPECT_RET("the waiter on b still queued", queued(&b), 1);
    futex(&b, P(FUTEX_WAKE), 1, NULL, NULL, 0);
    finish("WAKE_OP leftover", &y, 0, 0);
}

static void *hold_and_exit(void *arg)
{
    pthread_mutex_t *mx = arg;
    return (void *)(long)pthread_mutex_lock(mx);
}

static long counter;
static pthread_mutex_t pi_mutex;

static void *pi_worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20000; i++) {
        pthread_mutex_lock(&pi_mutex);
        counter++;
        pthread_mutex_unlock(&pi_mutex);
    }
    return NULL;
}

static void pi_ops(void)
{
    m = 0;
    EXPECT_RET("TRYLOCK_PI free", futex(&m, P(FUTEX_TRYLOCK_PI), 0, NULL, NULL, 0), 0);
    CHECK("the word holds the owner's tid", m == tid());
    EXPECT_ERRNO("LOCK_PI own: EDEADLK", futex(&m, P(FUTEX_LOCK_PI), 0, NULL, NULL, 0), EDEADLK);
    EXPECT_ERRNO("TRYLOCK_PI own: EDEADLK", futex(&m, P(FUTEX_TRYLOCK_PI), 0, NULL, NULL, 0), EDEADLK);
    EXPECT_RET("UNLOCK_PI", futex(&m, P(FUTEX_UNLOCK_PI), 0, NULL, NULL, 0), 0);
    CHECK("the word is 0", m == 0);
    EXPECT_ERRNO("UNLOCK_PI not owned: EPERM", futex(&m, P(FUTEX_UNLOCK_PI), 0, NULL, NULL, 0), EPERM);
    m = 0x3ffffff0; /* a tid no thread has */
    EXPECT_ERRNO("LOCK_PI of a dead owner: ESRCH", futex(&m, P(FUTEX_LOCK_PI), 0, NULL, NULL, 0), ESRCH);
    m = FUTEX_OWNER_DIED;
    EXPECT_RET("LOCK_PI of OWNER_DIED, tid 0", futex(&m, P(FUTEX_LOCK_PI), 0, NULL, NULL, 0), 0);
    CHECK("OWNER_DIED is kept", m == (FUTEX_OWNER_DIED | tid()));
    EXPECT_RET("UNLOCK_PI clears OWNER_DIED", futex(&m, P(FUTEX_UNLOCK_PI), 0, NULL, NULL, 0), 0);
    CHECK("the word is 0 again", m == 0);
}

/* Runs with m held by the main thread. */
static void *pi_contender(void *arg)
{
    struct timespec rt = abs_after(CLOCK_REALTIME, 30), mono = abs_after(CLOCK_MONOTONIC, 30);
    long *out = arg;
    errno = 0;
    out[0] = futex(&m, P(FUTEX_TRYLOCK_PI), 0, NULL, NULL, 0) == -1 ? errno : 0;
    out[1] = (m & FUTEX_WAITERS) != 0;
    out[2] = futex(&m, P(FUTEX_LOCK_PI), 0, &rt, NULL, 0) == -1 ? errno : 0;
    out[3] = futex(&m, P(FUTEX_LOCK_PI2), 0, &mono, NULL, 0) == -1 ? errno : 0;
    rt = abs_after(CLOCK_REALTIME, 30);
    out[4] = futex(&m, P(FUTEX_LOCK_PI2) | FUTEX_CLOCK_REALTIME, 0, &rt, NULL, 0) == -1 ? errno : 0;
    out[5] = futex(&m, P(FUTEX_LOCK_PI) | FUTEX_CLOCK_REALTIME, 0, &rt, NULL, 0) == -1 ? errno : 0;
    /* then a lock that waits for the owner's unlock: handed over, the word names us */
    out[6] = futex(&m, P(FUTEX_LOCK_PI), 0, NULL, NULL, 0);
    out[7] = (m & FUTEX_TID_MASK) == tid();
    out[8] = futex(&m, P(FUTEX_UNLOCK_PI), 0, NULL, NULL, 0);
    return NULL;
}

static void pi_contended(void)
{
    m = 0;
    futex(&m, P(FUTEX_LOCK_PI), 0, NULL, NULL, 0);
    long out[9] = {0};
    pthread_t t;
    pthread_create(&t, NULL, pi_contender, out);
    /* the contender's timed locks fail; its last, untimed one waits for this unlock */
    for (int i = 0; i < 5000 && !(m & FUTEX_WAITERS && out[5]); i++) usleep(1000);
    usleep(50000);
    EXPECT_RET("UNLOCK_PI hands over", futex(&m, P(FUTEX_UNLOCK_PI), 0, NULL, NULL, 0), 0);
    pthread_join(t, NULL);
    printf("TRYLOCK_PI held: %s; sets FUTEX_WAITERS: %ld\n", errno_name((int)out[0]), out[1]);
    printf("LOCK_PI realtime timeout: %s\n", errno_name((int)out[2]));
    printf("LOCK_PI2 monotonic timeout: %s\n", errno_name((int)out[3]));
    printf("LOCK_PI2|CLOCK_REALTIME timeout: %s\n", errno_name((int)out[4]));
    printf("LOCK_PI|CLOCK_REALTIME: %s\n", errno_name((int)out[5]));
    printf("LOCK_PI after unlock: %ld, owner in word: %ld, unlock: %ld\n", out[6], out[7], out[8]);
    CHECK("the word is free at the end", m == 0);

    /* glibc's or musl's PTHREAD_PRIO_INHERIT mutex, four threads */
    pthread_mutexattr_t at;
    pthread_mutexattr_init(&at);
    pthread_mutexattr_setprotocol(&at, PTHREAD_PRIO_INHERIT);
    pthread_mutex_init(&pi_mutex, &at);
    pthread_t w[4];
    for (int i = 0; i < 4; i++) pthread_create(&w[i], NULL, pi_worker, NULL);
    for (int i = 0; i < 4; i++) pthread_join(w[i], NULL);
    printf("PI mutex, 4 x 20000 increments: %ld\n", counter);
    if (counter != 80000) guest_failures++;

    /* robust PI mutexes: the owner exits holding it, with and without a waiter */
    pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_t rm;
    pthread_mutex_init(&rm, &at);
    pthread_create(&t, NULL, hold_and_exit, &rm);
    pthread_join(t, NULL);
    EXPECT_RET("lock of a robust PI mutex whose owner died", pthread_mutex_lock(&rm), EOWNERDEAD);
    EXPECT_RET("consistent", pthread_mutex_consistent(&rm), 0);
    EXPECT_RET("unlock", pthread_mutex_unlock(&rm), 0);
    EXPECT_RET("lock again", pthread_mutex_lock(&rm), 0);
    pthread_mutex_unlock(&rm);
}

/* requeue_pi: a waiter on a (a condition) moved onto the PI lock m. */
static void requeue_pi(void)
{
    call c;
    a = 0, m = 0;
    EXPECT_ERRNO("WAIT_REQUEUE_PI onto itself: EINVAL", futex(&a, P(FUTEX_WAIT_REQUEUE_PI), 0, NULL, &a, 0), EINVAL);
    EXPECT_ERRNO("CMP_REQUEUE_PI nr_wake 2: EINVAL", futex(&a, P(FUTEX_CMP_REQUEUE_PI), 2, (void *)1, &m, 0), EINVAL);
    EXPECT_RET("CMP_REQUEUE_PI no waiters", futex(&a, P(FUTEX_CMP_REQUEUE_PI), 1, (void *)1, &m, 0), 0);
    EXPECT_ERRNO("CMP_REQUEUE_PI value changed: EAGAIN", futex(&a, P(FUTEX_CMP_REQUEUE_PI), 1, (void *)1, &m, 5), EAGAIN);

    /* the lock is free: the waiter is given it at once */
    start(&c, &a, P(FUTEX_WAIT_REQUEUE_PI), 0, &m, 0);
    int seen = 0;
    for (int i = 0; i < 5000 && !seen; i++) {
        seen = futex(&a, P(FUTEX_WAKE), 1, NULL, NULL, 0) == -1 && errno == EINVAL;
        if (!seen) usleep(1000);
    }
    CHECK("a WAKE meets the requeue_pi waiter with EINVAL", seen);
    EXPECT_RET("CMP_REQUEUE_PI, lock free: taken for the waiter", futex(&a, P(FUTEX_CMP_REQUEUE_PI), 1, (void *)1, &m, 0), 1);
    finish("WAIT_REQUEUE_PI given the lock", &c, 0, 0);
    CHECK("the word names the waiter, with FUTEX_WAITERS", m == (c.tid | FUTEX_WAITERS) || m == c.tid);
    m = 0;

    /* the lock is held: requeued, then handed over by UNLOCK_PI */
    futex(&m, P(FUTEX_LOCK_PI), 0, NULL, NULL, 0);
    start(&c, &a, P(FUTEX_WAIT_REQUEUE_PI), 0, &m, 0);
    seen = 0;
    for (int i = 0; i < 5000 && !seen; i++) {
        seen = futex(&a, P(FUTEX_WAKE), 1, NULL, NULL, 0) == -1 && errno == EINVAL;
        if (!seen) usleep(1000);
    }
    EXPECT_RET("CMP_REQUEUE_PI, lock held: requeued", futex(&a, P(FUTEX_CMP_REQUEUE_PI), 1, (void *)1, &m, 0), 1);
    CHECK("FUTEX_WAITERS set on the lock", (m & FUTEX_WAITERS) != 0);
    CHECK("the waiter still waits", !c.done);
    EXPECT_RET("UNLOCK_PI hands over", futex(&m, P(FUTEX_UNLOCK_PI), 0, NULL, NULL, 0), 0);
    finish("WAIT_REQUEUE_PI after the requeue", &c, 0, 0);
    CHECK("the word names the waiter", (m & FUTEX_TID_MASK) == c.tid);
}

static long waitv(struct waitv *w, unsigned n, unsigned flags, const struct timespec *ts, int clock)
{
    return syscall(SYS_futex_waitv, w, n, flags, ts, clock);
}

static struct waitv vs[3];
static long waitv_ret;
static int waitv_err;

static void *waitv_thread(void *arg)
{
    (void)arg;
    waitv_ret = waitv(vs, 3, 0, NULL, 0);
    waitv_err = waitv_ret < 0 ? errno : 0;
    return NULL;
}

static void futex_waitv(void)
{
    static volatile uint32_t w[3] = {1, 2, 3};
    for (int i = 0; i < 3; i++)
        vs[i] = (struct waitv){.val = w[i], .uaddr = (uintptr_t)&w[i], .flags = FUTEX2_SIZE_U32 | FUTEX2_PRIVATE};
    struct timespec ts = abs_after(CLOCK_MONOTONIC, 20);
    EXPECT_ERRNO("waitv flags 1: EINVAL", waitv(vs, 3, 1, NULL, 0), EINVAL);
    EXPECT_ERRNO("waitv none: EINVAL", waitv(vs, 0, 0, NULL, 0), EINVAL);
    EXPECT_ERRNO("waitv 129: EINVAL", waitv(vs, 129, 0, NULL, 0), EINVAL);
    EXPECT_ERRNO("waitv bad clock: EINVAL", waitv(vs, 3, 0, &ts, 7), EINVAL);
    vs[1].flags = 3;
    EXPECT_ERRNO("waitv size u64: EINVAL", waitv(vs, 3, 0, &ts, 1), EINVAL);
    vs[1].flags = FUTEX2_SIZE_U32 | FUTEX2_PRIVATE;
    vs[2].val = 4;
    EXPECT_ERRNO("waitv a value differs: EAGAIN", waitv(vs, 3, 0, &ts, 1), EAGAIN);
    vs[2].val = 3;
    EXPECT_ERRNO("waitv bad pointer: EFAULT", waitv((void *)16, 3, 0, &ts, 1), EFAULT);
    EXPECT_ERRNO("waitv timeout (monotonic)", waitv(vs, 3, 0, &ts, CLOCK_MONOTONIC), ETIMEDOUT);
    ts = abs_after(CLOCK_REALTIME, 20);
    EXPECT_ERRNO("waitv timeout (realtime)", waitv(vs, 3, 0, &ts, CLOCK_REALTIME), ETIMEDOUT);
    pthread_t t;
    pthread_create(&t, NULL, waitv_thread, NULL);
    EXPECT_RET("waitv queued on the second word", await_queued(&w[1], 1), 1);
    EXPECT_RET("waitv queued on the third word", queued(&w[2]), 1);
    EXPECT_RET("a WAKE of the second word", futex(&w[1], P(FUTEX_WAKE), 1, NULL, NULL, 0), 1);
    pthread_join(t, NULL);
    printf("waitv woken: ret=%ld errno=%s\n", waitv_ret, waitv_ret < 0 ? errno_name(waitv_err) : "-");
    if (waitv_ret != 1) guest_failures++;
    EXPECT_RET("nothing left queued", queued(&w[0]) + queued(&w[2]), 0);
}

static void on_alarm(int sig) { (void)sig; }

/* A handled signal (no SA_RESTART) ends a FUTEX_WAIT and a LOCK_PI with EINTR. */
static void interrupted(void)
{
    struct sigaction sa = {.sa_handler = on_alarm};
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {.it_value = {0, 50000}};
    a = 1;
    setitimer(ITIMER_REAL, &it, NULL);
    EXPECT_ERRNO("WAIT ended by a signal: EINTR", futex(&a, P(FUTEX_WAIT), 1, NULL, NULL, 0), EINTR);
    struct timespec rel = {5, 0};
    setitimer(ITIMER_REAL, &it, NULL);
    EXPECT_ERRNO("timed WAIT ended by a signal: EINTR", futex(&a, P(FUTEX_WAIT), 1, &rel, NULL, 0), EINTR);
}

int main(void)
{
    GUEST_START();
    wakes();
    requeues();
    pi_ops();
    pi_contended();
    requeue_pi();
    futex_waitv();
    interrupted();
    return GUEST_END();
}
