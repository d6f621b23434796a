/* Futex ping-pong: ROUNDS round trips of a word passed back and forth, between two
   threads with FUTEX_WAIT_PRIVATE / FUTEX_WAKE_PRIVATE, or (second argument "procs")
   between a process and its forked child through a MAP_SHARED page with the shared
   FUTEX_WAIT / FUTEX_WAKE; prints the median of 5 runs in microseconds per round trip
   (bench/futex.sh runs it natively and under picolx). */
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile uint32_t own_turn;
static volatile uint32_t *turn = &own_turn; /* 0: the main side's, 1: the partner's */
static long rounds;
static int wait_op = FUTEX_WAIT_PRIVATE, wake_op = FUTEX_WAKE_PRIVATE;

static void wait_for(uint32_t mine)
{
    uint32_t v;
    while ((v = __atomic_load_n(turn, __ATOMIC_ACQUIRE)) != mine)
        syscall(SYS_futex, turn, wait_op, v, NULL, NULL, 0);
}

static void pass_to(uint32_t other)
{
    __atomic_store_n(turn, other, __ATOMIC_RELEASE);
    syscall(SYS_futex, turn, wake_op, 1, NULL, NULL, 0);
}

static void *partner(void *arg)
{
    (void)arg;
    for (long i = 0; i < rounds; i++) {
        wait_for(1);
        pass_to(0);
    }
    return NULL;
}

#include "bench_clock.h"

int main(int argc, char **argv)
{
    rounds = argc > 1 ? atol(argv[1]) : 2000;
    int procs = argc > 2 && !strcmp(argv[2], "procs");
    if (procs) {
        turn = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (turn == MAP_FAILED) return 1;
        wait_op = FUTEX_WAIT;
        wake_op = FUTEX_WAKE;
    }
    double runs[5];
    for (int r = 0; r < 5; r++) {
        *turn = 0;
        pthread_t t;
        pid_t child = -1;
        if (procs) {
            child = fork();
            if (child == 0) {
                partner(NULL);
                _exit(0);
            }
        } else {
            pthread_create(&t, NULL, partner, NULL);
        }
        double t0 = now_us();
        for (long i = 0; i < rounds; i++) {
            pass_to(1);
            wait_for(0);
        }
        runs[r] = (now_us() - t0) / rounds;
        if (procs) waitpid(child, NULL, 0);
        else pthread_join(t, NULL);
    }
    printf("%s_us=%.2f\n", procs ? "futex_procs_roundtrip" : "futex_roundtrip", median5(runs));
    return 0;
}
