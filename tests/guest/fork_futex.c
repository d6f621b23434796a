/* Futexes across processes (issue 9): a word in MAP_SHARED memory without
   FUTEX_PRIVATE_FLAG is one queue for every process that maps it, keyed by what it is
   in (an anonymous shared mapping inherited by fork, or a file mapped at different
   addresses), and a private futex on the same word is not. Then what is built on them:
   a PTHREAD_PROCESS_SHARED mutex and condvar taking turns, sem_open semaphores (what
   Python's multiprocessing uses), CMP_REQUEUE between two shared words, a robust
   shared mutex whose owner process died, a waiter killed in its wait, which must not
   take a later wake, a PTHREAD_PRIO_INHERIT shared mutex (LOCK_PI and UNLOCK_PI between
   processes, taking turns, and its robust owner's death while another process waits in
   LOCK_PI), and futex_waitv on a shared word and a private one at once.

   Nothing printed depends on timing: a waker that must find its waiters queued wakes
   one at a time until it has woken them all (a wake that finds nobody returns 0 and is
   tried again). Runs in the cwd (a file for the file-backed case). */
#include "fork_common.h"
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

/* Linux's futex commands (include/uapi/linux/futex.h; musl has no linux/ headers) */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)

static long futex(volatile uint32_t *w, int op, uint32_t val, const struct timespec *ts, volatile uint32_t *w2,
                  uint32_t val3)
{
    return syscall(SYS_futex, w, op, val, ts, w2, val3);
}

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Wakes one at a time until n waiters were woken (up to about 20 s): how many were. */
static long wake_until(volatile uint32_t *w, int op, long n)
{
    long total = 0;
    for (int tries = 0; total < n && tries < 20000; tries++) {
        long r = futex(w, op, 1, NULL, NULL, 0);
        if (r < 0) return -1;
        total += r;
        if (!r) pause_ms(1);
    }
    return total;
}

/* A child that waits on w (shared) until woken: exit 0 when the wait returned 0. */
static pid_t spawn_waiter(volatile uint32_t *w, int op, volatile uint32_t *ready)
{
    pid_t pid = fork_flushed();
    if (pid == 0) {
        __atomic_add_fetch(ready, 1, __ATOMIC_SEQ_CST);
        long r;
        do r = futex(w, op, 0, NULL, NULL, op == FUTEX_WAIT_BITSET ? 0xffffffffu : 0); while (r < 0 && errno == EINTR);
        _exit(r == 0 ? 0 : 10 + errno);
    }
    return pid;
}

static void raw_words(volatile uint32_t *page)
{
    volatile uint32_t *word = &page[0], *ready = &page[1];
    printf("-- raw futex words in a shared anonymous mapping\n");
    pid_t a = spawn_waiter(word, FUTEX_WAIT, ready);
    printf("wake of the child's wait: %ld\n", wake_until(word, FUTEX_WAKE, 1));
    expect_child_ok("the waiter", a);

    *ready = 0;
    pid_t kids[3];
    for (int i = 0; i < 3; i++) kids[i] = spawn_waiter(word, FUTEX_WAIT_BITSET, ready);
    printf("woken one by one: %ld\n", wake_until(word, FUTEX_WAKE, 3));
    for (int i = 0; i < 3; i++) expect_child_ok("a bitset waiter", kids[i]);
    printf("a wake with nobody waiting: %ld\n", futex(word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0));

    struct timespec ts = {0, 50 * 1000 * 1000};
    errno = 0;
    long r = futex(word, FUTEX_WAIT, 0, &ts, NULL, 0);
    printf("timed wait: %ld %s\n", r, r < 0 ? err_name(errno) : "-");
    errno = 0;
    r = futex(word, FUTEX_WAIT, 7, NULL, NULL, 0);
    printf("wait on a changed value: %ld %s\n", r, r < 0 ? err_name(errno) : "-");

    /* a private futex is the process's own: another process's private wait on the same
       shared word never sees this process's wakes */
    pid_t pid = fork_flushed();
    if (pid == 0) {
        struct timespec t = {0, 300 * 1000 * 1000};
        long got = futex(word, FUTEX_WAIT_PRIVATE, 0, &t, NULL, 0);
        _exit(got < 0 && errno == ETIMEDOUT ? 0 : 1);
    }
    pause_ms(50);
    long private_woken = 0;
    for (int i = 0; i < 5; i++) private_woken += futex(word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
    printf("private wakes found in this process: %ld\n", private_woken);
    expect_child_ok("the private waiter timed out", pid);
}

/* Two mappings of one file at different addresses in different processes: one queue. */
static void file_words(void)
{
    printf("-- a file mapped in two processes\n");
    int fd = open("fork_futex.map", O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, 8192) != 0) {
        printf("file: %s\n", err_name(errno));
        guest_failures++;
        return;
    }
    pid_t pid = fork_flushed();
    if (pid == 0) {
        volatile uint32_t *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED) _exit(3);
        long r;
        do r = futex(&m[1024 + 5], FUTEX_WAIT, 0, NULL, NULL, 0); while (r < 0 && errno == EINTR);
        _exit(r == 0 ? 0 : 1);
    }
    /* mapped after the fork, with something before it: another address than the child's */
    void *spacer = mmap(NULL, 65536 * 3, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    volatile uint32_t *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("wake through another mapping: %ld\n", wake_until(&m[1024 + 5], FUTEX_WAKE, 1));
    expect_child_ok("the file waiter", pid);
    munmap((void *)m, 8192);
    munmap(spacer, 65536 * 3);
    close(fd);
    unlink("fork_futex.map");
}

struct turns {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    int turn, count;
};

static void mutex_and_condvar(struct turns *t)
{
    printf("-- PTHREAD_PROCESS_SHARED mutex and condvar, parent and child taking turns\n");
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&t->mutex, &ma);
    pthread_cond_init(&t->cond, &ca);
    t->turn = 0;
    t->count = 0;
    enum { ROUNDS = 300 };
    pid_t pid = fork_flushed();
    int me = pid == 0 ? 1 : 0;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&t->mutex);
        while (t->turn != me) pthread_cond_wait(&t->cond, &t->mutex);
        t->count++;
        t->turn = 1 - me;
        pthread_cond_signal(&t->cond);
        pthread_mutex_unlock(&t->mutex);
    }
    if (pid == 0) _exit(0);
    expect_child_ok("the child's turns", pid);
    printf("turns taken: %d\n", t->count);
}

static void semaphores(void)
{
    printf("-- sem_open semaphores between processes\n");
    char name_a[64], name_b[64];
    snprintf(name_a, sizeof name_a, "/pxft-a-%d", (int)getpid());
    snprintf(name_b, sizeof name_b, "/pxft-b-%d", (int)getpid());
    sem_t *a = sem_open(name_a, O_CREAT | O_EXCL, 0600, 0);
    sem_t *b = sem_open(name_b, O_CREAT | O_EXCL, 0600, 0);
    if (a == SEM_FAILED || b == SEM_FAILED) {
        printf("sem_open: %s\n", err_name(errno));
        guest_failures++;
        return;
    }
    enum { ROUNDS = 200 };
    pid_t pid = fork_flushed();
    if (pid == 0) {
        for (int i = 0; i < ROUNDS; i++) {
            while (sem_wait(a) != 0 && errno == EINTR) {}
            sem_post(b);
        }
        _exit(0);
    }
    int rounds = 0;
    for (int i = 0; i < ROUNDS; i++) {
        sem_post(a);
        while (sem_wait(b) != 0 && errno == EINTR) {}
        rounds++;
    }
    expect_child_ok("the semaphore child", pid);
    printf("ping-pong rounds: %d\n", rounds);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 50 * 1000 * 1000;
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    errno = 0;
    int r = sem_timedwait(a, &until);
    printf("sem_timedwait on an empty semaphore: %d %s\n", r, r ? err_name(errno) : "-");
    sem_close(a);
    sem_close(b);
    sem_unlink(name_a);
    sem_unlink(name_b);
}

static void requeue(volatile uint32_t *page)
{
    printf("-- CMP_REQUEUE between two shared words\n");
    volatile uint32_t *from = &page[16], *to = &page[32], *ready = &page[48];
    pid_t kids[2];
    for (int i = 0; i < 2; i++) kids[i] = spawn_waiter(from, FUTEX_WAIT, ready);
    long moved = 0;
    for (int tries = 0; moved < 2 && tries < 20000; tries++) {
        long r = futex(from, FUTEX_CMP_REQUEUE, 0, (const struct timespec *)(uintptr_t)1, to, 0);
        if (r < 0) break;
        moved += r;
        if (!r) pause_ms(1);
    }
    printf("moved: %ld\n", moved);
    printf("a wake on the first word: %ld\n", futex(from, FUTEX_WAKE, INT_MAX, NULL, NULL, 0));
    printf("a wake on the second word: %ld\n", futex(to, FUTEX_WAKE, INT_MAX, NULL, NULL, 0));
    for (int i = 0; i < 2; i++) expect_child_ok("a requeued waiter", kids[i]);
    errno = 0;
    long r = futex(from, FUTEX_CMP_REQUEUE, 0, (const struct timespec *)(uintptr_t)1, to, 5);
    printf("CMP_REQUEUE with a wrong value: %ld %s\n", r, r < 0 ? err_name(errno) : "-");
}

/* A robust PROCESS_SHARED mutex at m. */
static void robust_shared_init(pthread_mutex_t *m)
{
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(m, &ma);
}

/* Once the owner process pid ended holding m: the lock's answer, then m made usable. */
static void lock_after_owner_ended(pthread_mutex_t *m, pid_t pid)
{
    expect_child_ok("the owner", pid);
    int r = pthread_mutex_lock(m);
    printf("lock after the owner's end: %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : err_name(r));
    if (r == EOWNERDEAD) pthread_mutex_consistent(m);
    pthread_mutex_unlock(m);
}

static void robust_owner_died(pthread_mutex_t *m)
{
    printf("-- a robust shared mutex whose owner process ended holding it\n");
    robust_shared_init(m);
    pid_t pid = fork_flushed();
    if (pid == 0) {
        pthread_mutex_lock(m);
        _exit(0);
    }
    lock_after_owner_ended(m, pid);
}

static volatile int thread_holds;

static void *hold_and_wait(void *m)
{
    pthread_mutex_lock(m);
    __atomic_store_n(&thread_holds, 1, __ATOMIC_SEQ_CST);
    for (;;) pause_ms(1000); /* ended by the process's exit_group */
    return NULL;
}

/* The holder is a second thread of the owner process, ended by its main thread's
   exit_group: Linux walks every thread's robust list as it dies, not only the caller's. */
static void robust_other_thread_died(pthread_mutex_t *m)
{
    printf("-- a robust shared mutex held by another thread of a process that exit_group ends\n");
    robust_shared_init(m);
    pid_t pid = fork_flushed();
    if (pid == 0) {
        pthread_t t;
        if (pthread_create(&t, NULL, hold_and_wait, m) != 0) _exit(3);
        while (!__atomic_load_n(&thread_holds, __ATOMIC_SEQ_CST)) pause_ms(1);
        _exit(0);
    }
    lock_after_owner_ended(m, pid);
}

static void killed_waiter(volatile uint32_t *page)
{
    printf("-- a waiter killed in its wait takes no later wake\n");
    volatile uint32_t *word = &page[64], *ready = &page[65];
    pid_t doomed = spawn_waiter(word, FUTEX_WAIT, ready);
    while (__atomic_load_n(ready, __ATOMIC_SEQ_CST) < 1) pause_ms(1);
    pause_ms(200); /* in its wait by now (if not, it dies before it and the rest holds) */
    kill(doomed, SIGKILL);
    int st;
    waitpid(doomed, &st, 0);
    printf("the killed waiter: %s\n", status_text(st));
    pid_t next = spawn_waiter(word, FUTEX_WAIT, ready);
    printf("wake of the next waiter: %ld\n", wake_until(word, FUTEX_WAKE, 1));
    expect_child_ok("the next waiter", next);
}

static void pi_shared_init(pthread_mutex_t *m, bool robust)
{
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT);
    if (robust) pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(m, &ma);
}

struct pi_turns {
    pthread_mutex_t m;
    volatile uint32_t ready;
    long count;
};

/* The child blocks in LOCK_PI on the parent's lock; the parent's unlock (UNLOCK_PI, as
   the word has FUTEX_WAITERS) must hand it over. Then both add 20000 under the lock. */
static void pi_shared_mutex(struct pi_turns *t)
{
    printf("-- a PTHREAD_PRIO_INHERIT mutex shared by two processes\n");
    pi_shared_init(&t->m, false);
    t->count = 0;
    t->ready = 0;
    pthread_mutex_lock(&t->m);
    pid_t pid = fork_flushed();
    if (pid == 0) {
        __atomic_store_n(&t->ready, 1, __ATOMIC_SEQ_CST);
        int r = pthread_mutex_lock(&t->m); /* held by the parent: into LOCK_PI */
        if (r) _exit(20 + r);
        t->count += 1;
        pthread_mutex_unlock(&t->m);
        for (int i = 0; i < 20000; i++) {
            pthread_mutex_lock(&t->m);
            t->count++;
            pthread_mutex_unlock(&t->m);
        }
        _exit(0);
    }
    while (!__atomic_load_n(&t->ready, __ATOMIC_SEQ_CST)) pause_ms(1);
    pause_ms(200); /* the child in LOCK_PI by now (if not, it takes the lock later all the same) */
    t->count = 100000;
    printf("unlock with a waiter in another process: %s\n", err_name(pthread_mutex_unlock(&t->m)));
    for (int i = 0; i < 20000; i++) {
        pthread_mutex_lock(&t->m);
        t->count++;
        pthread_mutex_unlock(&t->m);
    }
    expect_child_ok("the PI child", pid);
    printf("count after both: %ld\n", t->count);
    printf("trylock of the free lock: %s\n", err_name(pthread_mutex_trylock(&t->m)));
    pthread_mutex_unlock(&t->m);
}

/* The owner process ends holding a robust PI mutex while this one waits in LOCK_PI. */
static void pi_robust_owner_died(struct pi_turns *t)
{
    printf("-- a robust PRIO_INHERIT shared mutex whose owner ends while another process waits\n");
    pi_shared_init(&t->m, true);
    t->ready = 0;
    pid_t pid = fork_flushed();
    if (pid == 0) {
        pthread_mutex_lock(&t->m);
        __atomic_store_n(&t->ready, 1, __ATOMIC_SEQ_CST);
        pause_ms(300); /* the parent in LOCK_PI by now */
        _exit(0);
    }
    while (!__atomic_load_n(&t->ready, __ATOMIC_SEQ_CST)) pause_ms(1);
    int r = pthread_mutex_lock(&t->m);
    printf("lock while the owner ended: %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : err_name(r));
    if (r == EOWNERDEAD) pthread_mutex_consistent(&t->m);
    pthread_mutex_unlock(&t->m);
    expect_child_ok("the PI owner", pid);
}

/* futex_waitv(2)'s list entry and flags (include/uapi/linux/futex.h). */
struct waitv_entry {
    uint64_t val, uaddr;
    uint32_t flags, reserved;
};
#define FUTEX2_SIZE_U32 0x02
#define FUTEX2_PRIVATE 128
#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

static volatile uint32_t local_word;

static void *wake_local_later(void *arg)
{
    (void)arg;
    pause_ms(200);
    __atomic_store_n(&local_word, 1, __ATOMIC_SEQ_CST);
    syscall(SYS_futex, &local_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    return NULL;
}

/* A child waits on [a private word, a shared word] twice: woken once through the shared
   word by the parent (index 1), once through the private one by its own thread (0). */
static void waitv_shared(volatile uint32_t *page)
{
    printf("-- futex_waitv on a shared word and a private one\n");
    volatile uint32_t *shared = &page[80], *ready = &page[81];
    *shared = 0;
    *ready = 0;
    pid_t pid = fork_flushed();
    if (pid == 0) {
        struct waitv_entry v[2] = {
            {.val = 0, .uaddr = (uintptr_t)&local_word, .flags = FUTEX2_SIZE_U32 | FUTEX2_PRIVATE},
            {.val = 0, .uaddr = (uintptr_t)shared, .flags = FUTEX2_SIZE_U32},
        };
        __atomic_store_n(ready, 1, __ATOMIC_SEQ_CST);
        long first;
        do first = syscall(SYS_futex_waitv, v, 2, 0, NULL, 0); while (first < 0 && errno == EINTR);
        pthread_t th;
        if (pthread_create(&th, NULL, wake_local_later, NULL) != 0) _exit(3);
        long second;
        do second = syscall(SYS_futex_waitv, v, 2, 0, NULL, 0); while (second < 0 && errno == EINTR);
        pthread_join(th, NULL);
        _exit(first == 1 && second == 0 ? 0 : 10 + (int)first * 3 + (int)second);
    }
    while (!__atomic_load_n(ready, __ATOMIC_SEQ_CST)) pause_ms(1);
    printf("wake of the shared word: %ld\n", wake_until(shared, FUTEX_WAKE, 1));
    expect_child_ok("the futex_waitv child (1, then 0)", pid);
}

int main(void)
{
    GUEST_START();
    volatile uint32_t *page = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) return 2;
    raw_words(page);
    file_words();
    mutex_and_condvar((struct turns *)(page + 1024));
    semaphores();
    requeue(page);
    robust_owner_died((pthread_mutex_t *)(page + 2048));
    robust_other_thread_died((pthread_mutex_t *)(page + 2560));
    killed_waiter(page);
    pi_shared_mutex((struct pi_turns *)(page + 3072));
    pi_robust_owner_died((struct pi_turns *)(page + 3584));
    waitv_shared(page);
    return GUEST_END();
}
