/* pthreads (clone with CLONE_THREAD): create and join with return values, a mutex and
   condition variable counter, __thread variables per thread, gettid and getpid, the
   value of pthread_exit, a detached thread, two threads writing to one pipe and to
   stdout, malloc in threads, and the end of main while other threads still block.
   `threads lastexit`: the leader exits alone (exit(2) with 5), another thread exits
   last with 9: the process's status is the last thread's, 9, as Linux reports it. */
#include "guest.h"
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#define WORKERS 4
#define PER_WORKER 10000 /* 4 x 10000 = 40000 increments under the mutex */

static __thread int tls_value = 7;
static __thread char tls_name[16];

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long counter;
static int finished;
static pid_t tids[WORKERS], pids[WORKERS];

static void *compute(void *arg)
{
    long n = (long)(intptr_t)arg;
    tids[n] = (pid_t)syscall(SYS_gettid);
    pids[n] = getpid();
    /* __thread: each thread starts from the initial value and keeps its own */
    int tls_ok = tls_value == 7;
    tls_value = 100 + (int)n;
    snprintf(tls_name, sizeof tls_name, "worker%ld", n);
    long sum = 0;
    for (long i = 1; i <= 1000 * (n + 1); i++) sum += i;
    for (int i = 0; i < PER_WORKER; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    /* malloc and free in threads at the same time */
    for (int i = 0; i < 200; i++) {
        char *p = malloc(64 + (size_t)(i * 37 % 4000));
        if (!p) return (void *)-1;
        memset(p, (int)n, 64);
        free(p);
    }
    char expect[16];
    snprintf(expect, sizeof expect, "worker%ld", n);
    if (!tls_ok || tls_value != 100 + n || strcmp(tls_name, expect) != 0) return (void *)-2;
    pthread_mutex_lock(&lock);
    finished++;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    return (void *)(intptr_t)sum;
}

static void *exits_early(void *arg)
{
    (void)arg;
    pthread_exit((void *)(intptr_t)4242);
    return NULL;
}

static int detached_done;

static void *detached(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    detached_done = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    return NULL;
}

/* Two writers to one pipe: every 16-byte line arrives whole (below PIPE_BUF). */
static int pipe_fds[2];

static void *pipe_writer(void *arg)
{
    char c = (char)(intptr_t)arg;
    for (int i = 0; i < 300; i++) {
        char line[16];
        snprintf(line, sizeof line, "%c %012d", c, i);
        line[15] = '\n';
        if (write(pipe_fds[1], line, 16) != 16) return (void *)1;
    }
    return NULL;
}

/* Two threads printing to stdout in turn (a baton under the mutex), so the output is
   the same natively. */
static int turn;

static void *printer(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (int i = 0; i < 5; i++) {
        pthread_mutex_lock(&lock);
        while (turn % 2 != me) pthread_cond_wait(&cond, &lock);
        printf("printer %d line %d\n", me, i);
        turn++;
        pthread_cond_broadcast(&cond);
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

static void *block_forever(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;) pthread_cond_wait(&cond, &lock);
    return NULL;
}

/* A robust mutex whose owner ends without unlocking it: the next locker gets
   EOWNERDEAD (from the word the exit marked FUTEX_OWNER_DIED), also one already
   waiting when the owner ends. */
static pthread_mutex_t robust;
static pthread_barrier_t robust_taken;

static void *dies_holding(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&robust);
    pthread_barrier_wait(&robust_taken);
    usleep(50 * 1000); /* the waiter is (most likely) asleep on the word by now */
    return NULL;       /* ends holding it */
}

static void *robust_waiter(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&robust_taken);
    int r = pthread_mutex_lock(&robust);
    if (r == EOWNERDEAD) pthread_mutex_consistent(&robust);
    if (r == 0 || r == EOWNERDEAD) pthread_mutex_unlock(&robust);
    return (void *)(intptr_t)r;
}

static void robust_mutexes(void)
{
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&robust, &ma);
    pthread_barrier_init(&robust_taken, NULL, 3);
    pthread_t owner, waiter;
    pthread_create(&owner, NULL, dies_holding, NULL);
    pthread_create(&waiter, NULL, robust_waiter, NULL);
    pthread_barrier_wait(&robust_taken);
    void *wr = NULL;
    pthread_join(owner, NULL);
    pthread_join(waiter, &wr);
    int wr_errno = (int)(intptr_t)wr;
    printf("robust: the waiter got %s\n", wr_errno == EOWNERDEAD ? "EOWNERDEAD" : errno_name(wr_errno));
    /* and once more with nobody waiting: the owner is gone before the lock */
    pthread_barrier_destroy(&robust_taken);
    pthread_barrier_init(&robust_taken, NULL, 2);
    pthread_create(&owner, NULL, dies_holding, NULL);
    pthread_barrier_wait(&robust_taken);
    pthread_join(owner, NULL);
    int r = pthread_mutex_lock(&robust);
    printf("robust: after the owner's end, lock gives %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : errno_name(r));
    if (r == EOWNERDEAD) CHECK("robust: consistent", pthread_mutex_consistent(&robust) == 0);
    CHECK("robust: unlock", pthread_mutex_unlock(&robust) == 0);
}

/* The calls around pthread_create on their own: get_robust_list's pointers, and the
   flag sets Linux refuses before it makes a thread. */
static void raw_calls(void)
{
    void *head = NULL;
    size_t len = 0;
    CHECK("get_robust_list", syscall(SYS_get_robust_list, 0, &head, &len) == 0 && len == 24);
    EXPECT_ERRNO("get_robust_list NULL head", syscall(SYS_get_robust_list, 0, NULL, &len), EFAULT);
    EXPECT_ERRNO("get_robust_list bad len", syscall(SYS_get_robust_list, 0, &head, (void *)8), EFAULT);
    uint64_t args[11] = {0}; /* struct clone_args: flags first */
    args[0] = CLONE_THREAD | CLONE_VM;
    EXPECT_ERRNO("clone3 CLONE_THREAD without CLONE_SIGHAND", syscall(SYS_clone3, args, 88), EINVAL);
    args[0] = CLONE_THREAD | CLONE_SIGHAND;
    EXPECT_ERRNO("clone3 CLONE_SIGHAND without CLONE_VM", syscall(SYS_clone3, args, 88), EINVAL);
    EXPECT_ERRNO("clone CLONE_THREAD without CLONE_SIGHAND",
                 syscall(SYS_clone, CLONE_THREAD | CLONE_VM, NULL, NULL, NULL, NULL), EINVAL);
}

/* lastexit: the leader's end, seen through its own clear-tid word */
static uint32_t leader_word = 1;

static void *outlive_leader(void *arg)
{
    (void)arg;
    while (__atomic_load_n(&leader_word, __ATOMIC_ACQUIRE) != 0)
        syscall(SYS_futex, &leader_word, 0 /* FUTEX_WAIT */, 1, NULL, NULL, 0);
    printf("the leader has gone\n");
    fflush(stdout);
    syscall(SYS_exit, 9);
    return NULL;
}

static int last_exit(void)
{
    pthread_t t;
    CHECK("lastexit create", pthread_create(&t, NULL, outlive_leader, NULL) == 0);
    fflush(stdout);
    syscall(SYS_set_tid_address, &leader_word);
    syscall(SYS_exit, 5);
    return 1;
}

int main(int argc, char **argv)
{
    GUEST_START();
    if (argc > 1 && strcmp(argv[1], "lastexit") == 0) return last_exit();

    pthread_t t[WORKERS];
    for (long i = 0; i < WORKERS; i++)
        CHECK("create", pthread_create(&t[i], NULL, compute, (void *)(intptr_t)i) == 0);
    pthread_mutex_lock(&lock);
    while (finished < WORKERS) pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    for (long i = 0; i < WORKERS; i++) {
        void *ret = NULL;
        CHECK("join", pthread_join(t[i], &ret) == 0);
        printf("worker %ld returned %ld\n", i, (long)(intptr_t)ret);
    }
    printf("counter %ld\n", counter);
    CHECK("counter is 40000", counter == WORKERS * PER_WORKER);
    CHECK("main's __thread untouched", tls_value == 7 && tls_name[0] == 0);

    pid_t me = (pid_t)syscall(SYS_gettid);
    CHECK("main's tid is the pid", me == getpid());
    int distinct = 1;
    for (int i = 0; i < WORKERS; i++) {
        if (tids[i] <= 0 || tids[i] == me) distinct = 0;
        if (pids[i] != getpid()) distinct = 0;
        for (int j = 0; j < i; j++)
            if (tids[i] == tids[j]) distinct = 0;
    }
    CHECK("tids distinct, getpid the same in every thread", distinct);

    pthread_t e;
    void *ev = NULL;
    CHECK("create exits_early", pthread_create(&e, NULL, exits_early, NULL) == 0);
    CHECK("join exits_early", pthread_join(e, &ev) == 0);
    printf("pthread_exit value %ld\n", (long)(intptr_t)ev);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t d;
    CHECK("create detached", pthread_create(&d, &attr, detached, NULL) == 0);
    pthread_mutex_lock(&lock);
    while (!detached_done) pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    CHECK("detached ran", detached_done);

    CHECK("pipe", pipe(pipe_fds) == 0);
    pthread_t w1, w2;
    CHECK("writers", pthread_create(&w1, NULL, pipe_writer, (void *)'a') == 0 &&
                         pthread_create(&w2, NULL, pipe_writer, (void *)'b') == 0);
    int count[2] = {0, 0}, whole = 1;
    for (int got = 0; got < 600; got++) {
        char line[16];
        size_t have = 0;
        while (have < 16) {
            ssize_t n = read(pipe_fds[0], line + have, 16 - have);
            if (n <= 0) break;
            have += (size_t)n;
        }
        if (have != 16 || line[15] != '\n' || (line[0] != 'a' && line[0] != 'b') ||
            atoi(line + 2) != count[line[0] - 'a']) {
            whole = 0;
            break;
        }
        count[line[0] - 'a']++;
    }
    void *r1, *r2;
    pthread_join(w1, &r1);
    pthread_join(w2, &r2);
    CHECK("pipe lines whole and in order per writer", whole && count[0] == 300 && count[1] == 300 && !r1 && !r2);

    pthread_t p0, p1;
    pthread_create(&p0, NULL, printer, (void *)0);
    pthread_create(&p1, NULL, printer, (void *)1);
    pthread_join(p0, NULL);
    pthread_join(p1, NULL);

    robust_mutexes();
    raw_calls();

    /* main returns while these block: exit_group ends them, nobody joins them */
    pthread_t b1, b2;
    CHECK("blockers", pthread_create(&b1, NULL, block_forever, NULL) == 0 &&
                          pthread_create(&b2, NULL, block_forever, NULL) == 0);
    return GUEST_END();
}
