/* pthreads under load (issue 9): 8 threads making 1,000,000 increments under one mutex,
   a condvar queue of 4 producers and 4 consumers, a barrier of 8 for 100 rounds, an
   rwlock whose readers check what its writers keep equal, thread-local variables,
   pthread_cancel of threads blocked in a condvar wait, in read() and in nanosleep with
   cleanup handlers, detached threads, thread-specific data destructors, and
   pthread_kill to a thread with a handler (tgkill). Every printed line is a count or a
   verdict, the same natively and under picolx. */
#include "guest.h"
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define THREADS 8

static void start_all(pthread_t *ts, int n, void *(*fn)(void *))
{
    for (intptr_t i = 0; i < n; i++)
        if (pthread_create(&ts[i], NULL, fn, (void *)i) != 0) {
            printf("pthread_create: FAIL\n");
            exit(2);
        }
}

static void join_all(pthread_t *ts, int n)
{
    for (int i = 0; i < n; i++) pthread_join(ts[i], NULL);
}

/* ---- one mutex, 1,000,000 increments ---- */
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *increment(void *arg)
{
    for (int i = 0; i < 1000000 / THREADS; i++) {
        pthread_mutex_lock(&count_lock);
        counter++;
        pthread_mutex_unlock(&count_lock);
    }
    return arg;
}

/* ---- a bounded queue: 4 producers, 4 consumers ---- */
#define ITEMS_PER_PRODUCER 2500
#define QUEUE_CAP 16
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_not_empty = PTHREAD_COND_INITIALIZER, q_not_full = PTHREAD_COND_INITIALIZER;
static long queue[QUEUE_CAP];
static int q_head, q_len, producers_left;
static long consumed_sum, consumed_count;

static void *producer(void *arg)
{
    long base = (intptr_t)arg * ITEMS_PER_PRODUCER;
    for (long i = 1; i <= ITEMS_PER_PRODUCER; i++) {
        pthread_mutex_lock(&q_lock);
        while (q_len == QUEUE_CAP) pthread_cond_wait(&q_not_full, &q_lock);
        queue[(q_head + q_len++) % QUEUE_CAP] = base + i;
        pthread_cond_signal(&q_not_empty);
        pthread_mutex_unlock(&q_lock);
    }
    pthread_mutex_lock(&q_lock);
    producers_left--;
    pthread_cond_broadcast(&q_not_empty);
    pthread_mutex_unlock(&q_lock);
    return NULL;
}

static void *consumer(void *arg)
{
    for (;;) {
        pthread_mutex_lock(&q_lock);
        while (q_len == 0 && producers_left > 0) pthread_cond_wait(&q_not_empty, &q_lock);
        if (q_len == 0) {
            pthread_mutex_unlock(&q_lock);
            return arg;
        }
        long v = queue[q_head];
        q_head = (q_head + 1) % QUEUE_CAP;
        q_len--;
        consumed_sum += v;
        consumed_count++;
        pthread_cond_signal(&q_not_full);
        pthread_mutex_unlock(&q_lock);
    }
}

static void *queue_role(void *arg)
{
    intptr_t i = (intptr_t)arg;
    return i < 4 ? producer((void *)i) : consumer(NULL);
}

/* ---- a barrier of 8, 100 rounds ---- */
static pthread_barrier_t barrier;
static int serial_count, round_done[100];

static void *barrier_rounds(void *arg)
{
    for (int r = 0; r < 100; r++) {
        __atomic_add_fetch(&round_done[r], 1, __ATOMIC_SEQ_CST);
        int s = pthread_barrier_wait(&barrier);
        if (s == PTHREAD_BARRIER_SERIAL_THREAD) {
            if (__atomic_load_n(&round_done[r], __ATOMIC_SEQ_CST) != THREADS) printf("round %d: early\n", r);
            __atomic_add_fetch(&serial_count, 1, __ATOMIC_SEQ_CST);
        }
        pthread_barrier_wait(&barrier);
    }
    return arg;
}

/* ---- an rwlock: writers keep a == b, readers check it ---- */
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long rw_a, rw_b, rw_bad, rw_reads;

static void *rw_role(void *arg)
{
    intptr_t i = (intptr_t)arg;
    for (int n = 0; n < 5000; n++) {
        if (i < 4) {
            pthread_rwlock_wrlock(&rw);
            rw_a++;
            rw_b++;
            pthread_rwlock_unlock(&rw);
        } else {
            pthread_rwlock_rdlock(&rw);
            if (rw_a != rw_b) __atomic_add_fetch(&rw_bad, 1, __ATOMIC_SEQ_CST);
            __atomic_add_fetch(&rw_reads, 1, __ATOMIC_SEQ_CST);
            pthread_rwlock_unlock(&rw);
        }
    }
    return NULL;
}

/* ---- thread-local variables ---- */
static __thread long tls_value = 42;
static int tls_bad;

static void *tls_role(void *arg)
{
    if (tls_value != 42) __atomic_add_fetch(&tls_bad, 1, __ATOMIC_SEQ_CST);
    tls_value = (intptr_t)arg * 1000;
    for (int i = 0; i < 1000; i++) {
        tls_value++;
        sched_yield();
    }
    if (tls_value != (intptr_t)arg * 1000 + 1000) __atomic_add_fetch(&tls_bad, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* ---- pthread_cancel with cleanup handlers ---- */
static pthread_mutex_t cancel_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static int cleanups, cancel_ready;
static int cancel_pipe[2];

static void cleanup(void *arg)
{
    __atomic_add_fetch(&cleanups, 1, __ATOMIC_SEQ_CST);
    if (arg) pthread_mutex_unlock(arg); /* a condvar wait cancelled holds the mutex again */
}

static void *cancel_in_condvar(void *arg)
{
    pthread_mutex_lock(&cancel_lock);
    pthread_cleanup_push(cleanup, &cancel_lock);
    __atomic_add_fetch(&cancel_ready, 1, __ATOMIC_SEQ_CST);
    for (;;) pthread_cond_wait(&never, &cancel_lock);
    pthread_cleanup_pop(0);
    return arg;
}

static void *cancel_in_read(void *arg)
{
    char c;
    pthread_cleanup_push(cleanup, NULL);
    __atomic_add_fetch(&cancel_ready, 1, __ATOMIC_SEQ_CST);
    for (;;) read(cancel_pipe[0], &c, 1);
    pthread_cleanup_pop(0);
    return arg;
}

static void *cancel_in_sleep(void *arg)
{
    pthread_cleanup_push(cleanup, NULL);
    __atomic_add_fetch(&cancel_ready, 1, __ATOMIC_SEQ_CST);
    for (;;) {
        struct timespec ts = {60, 0};
        nanosleep(&ts, NULL);
    }
    pthread_cleanup_pop(0);
    return arg;
}

/* ---- detached threads ---- */
static sem_t detached_done;
static int detached_ran;

static void *detached_role(void *arg)
{
    __atomic_add_fetch(&detached_ran, 1, __ATOMIC_SEQ_CST);
    sem_post(&detached_done);
    return arg;
}

/* ---- thread-specific data destructors ---- */
static pthread_key_t key;
static int destructed;

static void destructor(void *v)
{
    if (v == (void *)&destructed) __atomic_add_fetch(&destructed, 1, __ATOMIC_SEQ_CST);
}

static void *tsd_role(void *arg)
{
    pthread_setspecific(key, &destructed);
    return arg;
}

/* ---- pthread_kill to one thread ---- */
static __thread volatile sig_atomic_t got_usr1;
static volatile int usr1_in_target, usr1_elsewhere;
static volatile int target_go, target_ready;

static void on_usr1(int sig)
{
    (void)sig;
    got_usr1 = 1;
}

static void *kill_target(void *arg)
{
    __atomic_store_n(&target_ready, 1, __ATOMIC_SEQ_CST);
    while (!got_usr1) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    usr1_in_target = 1;
    return arg;
}

static void *kill_spinner(void *arg)
{
    __atomic_store_n(&target_ready, 2, __ATOMIC_SEQ_CST);
    while (!got_usr1) __asm__ volatile("" ::: "memory"); /* no syscalls: only a push reaches it */
    return arg;
}

int main(void)
{
    GUEST_START();
    pthread_t ts[THREADS];

    start_all(ts, THREADS, increment);
    join_all(ts, THREADS);
    printf("increments under one mutex: %ld\n", counter);
    CHECK("exact total", counter == 1000000);

    producers_left = 4;
    start_all(ts, THREADS, queue_role);
    join_all(ts, THREADS);
    long n = 4L * ITEMS_PER_PRODUCER;
    printf("queue: %ld items consumed, sum %ld\n", consumed_count, consumed_sum);
    CHECK("every item once", consumed_count == n && consumed_sum == n * (n + 1) / 2);

    pthread_barrier_init(&barrier, NULL, THREADS);
    start_all(ts, THREADS, barrier_rounds);
    join_all(ts, THREADS);
    printf("barrier rounds with one serial thread: %d\n", serial_count);

    start_all(ts, THREADS, rw_role);
    join_all(ts, THREADS);
    printf("rwlock: writes %ld, reads %ld, torn reads %ld\n", rw_a, rw_reads, rw_bad);

    start_all(ts, THREADS, tls_role);
    join_all(ts, THREADS);
    printf("thread-local values wrong: %d, main's still %ld\n", tls_bad, tls_value);

    if (pipe(cancel_pipe) != 0) return 2;
    void *(*cancelled[3])(void *) = {cancel_in_condvar, cancel_in_read, cancel_in_sleep};
    const char *where[3] = {"a condvar wait", "read", "nanosleep"};
    for (int i = 0; i < 3; i++) {
        pthread_t t;
        cancel_ready = 0;
        pthread_create(&t, NULL, cancelled[i], NULL);
        while (!__atomic_load_n(&cancel_ready, __ATOMIC_SEQ_CST)) sched_yield();
        struct timespec ts2 = {0, 20 * 1000 * 1000};
        nanosleep(&ts2, NULL); /* blocked by now; a cancel before the block is taken there anyway */
        pthread_cancel(t);
        void *ret = NULL;
        pthread_join(t, &ret);
        printf("cancelled in %s: %s, cleanups so far %d\n", where[i], ret == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "not cancelled", cleanups);
    }
    pthread_mutex_lock(&cancel_lock); /* the cleanup gave it back */
    pthread_mutex_unlock(&cancel_lock);
    printf("the cancelled waiter's mutex is free again\n");

    sem_init(&detached_done, 0, 0);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (int i = 0; i < THREADS; i++) {
        pthread_t t;
        pthread_create(&t, &attr, detached_role, NULL);
    }
    for (int i = 0; i < THREADS; i++) sem_wait(&detached_done);
    printf("detached threads ran: %d\n", detached_ran);

    pthread_key_create(&key, destructor);
    start_all(ts, THREADS, tsd_role);
    join_all(ts, THREADS);
    printf("thread-specific data destructors run: %d\n", destructed);

    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t t;
    pthread_create(&t, NULL, kill_target, NULL);
    while (__atomic_load_n(&target_ready, __ATOMIC_SEQ_CST) != 1) sched_yield();
    int kr = pthread_kill(t, SIGUSR1);
    pthread_join(t, NULL);
    printf("pthread_kill to a sleeping thread: %d, its handler ran there: %s, here: %s\n", kr,
           usr1_in_target ? "yes" : "no", got_usr1 ? "yes" : "no");
    pthread_create(&t, NULL, kill_spinner, NULL);
    while (__atomic_load_n(&target_ready, __ATOMIC_SEQ_CST) != 2) sched_yield();
    kr = pthread_kill(t, SIGUSR1);
    pthread_join(t, NULL);
    printf("pthread_kill to a spinning thread: %d, here: %s\n", kr, got_usr1 ? "yes" : "no");
    (void)usr1_elsewhere;
    return GUEST_END();
}
