/* A stopped process stops all its threads (issue 10, Linux's group stop): a child whose
   second thread spins in guest code (no syscalls) is stopped by SIGSTOP; its counter,
   in memory shared with the parent, stands still until SIGCONT, then moves again. */
#include "fork_common.h"
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>

static volatile unsigned long *spins;

static void *spin(void *arg)
{
    for (;;) (*spins)++;
    return arg;
}

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int main(void)
{
    GUEST_START();
    spins = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (spins == MAP_FAILED) return 2;
    struct gate ready;
    gate_init(&ready);
    pid_t c = fork_flushed();
    if (c == 0) {
        pthread_t t;
        pthread_create(&t, NULL, spin, NULL);
        while (!*spins) {}
        gate_open(&ready);
        for (;;) pause_ms(10);
    }
    close(ready.fd[1]);
    gate_wait(&ready);
    kill(c, SIGSTOP);
    int st = 0;
    waitpid(c, &st, WUNTRACED);
    printf("stopped: %s\n", WIFSTOPPED(st) ? "yes" : "no");
    pause_ms(100);
    unsigned long a = *spins;
    pause_ms(1000);
    unsigned long b = *spins;
    CHECK("the spinning thread stands still while stopped", a == b);
    kill(c, SIGCONT);
    pause_ms(300);
    CHECK("it runs again after SIGCONT", *spins != b);
    kill(c, SIGKILL);
    waitpid(c, &st, 0);
    printf("child: %s\n", status_text(st));
    return GUEST_END();
}
