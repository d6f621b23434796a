/* Thread costs (bench/threads.sh runs it natively and under picolx): pthread_create +
   join of an empty thread, an uncontended pthread mutex lock + unlock, and a mutex
   contended by 4 threads; each the median of 5 runs, printed as name_us=value. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_clock.h"

static void *empty(void *arg) { return arg; }

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static volatile long counter;
static long per_thread;

static void *contend(void *arg)
{
    for (long i = 0; i < per_thread; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    return arg;
}


int main(int argc, char **argv)
{
    long creates = argc > 1 ? atol(argv[1]) : 200;
    double runs[5];
    for (int r = 0; r < 5; r++) {
        double t0 = now_us();
        for (long i = 0; i < creates; i++) {
            pthread_t t;
            pthread_create(&t, NULL, empty, NULL);
            pthread_join(t, NULL);
        }
        runs[r] = (now_us() - t0) / creates;
    }
    printf("create_join_us=%.2f\n", median5(runs));
    long locks = 2000000;
    for (int r = 0; r < 5; r++) {
        double t0 = now_us();
        for (long i = 0; i < locks; i++) {
            pthread_mutex_lock(&lock);
            counter++;
            pthread_mutex_unlock(&lock);
        }
        runs[r] = (now_us() - t0) * 1000 / locks;
    }
    printf("uncontended_ns=%.2f\n", median5(runs));
    per_thread = 100000;
    for (int r = 0; r < 5; r++) {
        pthread_t t[4];
        double t0 = now_us();
        for (int k = 0; k < 4; k++) pthread_create(&t[k], NULL, contend, NULL);
        for (int k = 0; k < 4; k++) pthread_join(t[k], NULL);
        runs[r] = (now_us() - t0) * 1000 / (4 * per_thread);
    }
    printf("contended4_ns=%.2f\n", median5(runs));
    return 0;
}
