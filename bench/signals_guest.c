/* Signal delivery costs (bench/signals.sh runs it natively and under picolx): each figure
   the median of 5 runs, in microseconds per operation.
     raise_us   raise(SIGUSR1) to a handler and back
     kill_us    kill(SIGUSR1) to a forked child, whose handler answers through a pipe
                (a round trip between processes)
     segv_us    a write to a read-only page: the SIGSEGV handler makes it writable and
                returns, the write is done again (as garbage collectors do)
   usage: signals_guest [N]   (default 20000; the kill round trip N/20) */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench_clock.h"

static volatile sig_atomic_t hits;
static void on_usr1(int sig) { (void)sig; hits++; }

static int answer_fd = -1;
static void answer(int sig)
{
    (void)sig;
    char c = 'a';
    (void)!write(answer_fd, &c, 1);
}

static char *page;
static long page_size;
static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    mprotect(page, (size_t)page_size, PROT_READ | PROT_WRITE);
}

static double raise_once(long n)
{
    double t0 = now_us();
    for (long i = 0; i < n; i++) raise(SIGUSR1);
    return (now_us() - t0) / n;
}

static double segv_once(long n)
{
    double t0 = now_us();
    for (long i = 0; i < n; i++) {
        mprotect(page, (size_t)page_size, PROT_READ);
        page[i % page_size] = 1; /* faults once, then the handler lets it through */
    }
    double with_fault = (now_us() - t0) / n;
    t0 = now_us();
    for (long i = 0; i < n; i++) {
        mprotect(page, (size_t)page_size, PROT_READ);
        mprotect(page, (size_t)page_size, PROT_READ | PROT_WRITE);
    }
    return with_fault - (now_us() - t0) / n; /* the two mprotects per round are not the signal's */
}

static double kill_once(long n)
{
    int to_child[2], to_parent[2];
    if (pipe(to_child) || pipe(to_parent)) exit(1);
    pid_t child = fork();
    if (child == 0) {
        answer_fd = to_parent[1];
        struct sigaction sa = {.sa_handler = answer};
        sigaction(SIGUSR1, &sa, NULL);
        char c = 'r';
        (void)!write(to_parent[1], &c, 1); /* ready */
        for (;;) pause();
    }
    char c;
    (void)!read(to_parent[0], &c, 1);
    double t0 = now_us();
    for (long i = 0; i < n; i++) {
        kill(child, SIGUSR1);
        (void)!read(to_parent[0], &c, 1);
    }
    double per = (now_us() - t0) / n;
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    close(to_child[0]), close(to_child[1]), close(to_parent[0]), close(to_parent[1]);
    return per;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000;
    signal(SIGUSR1, on_usr1);
    page_size = sysconf(_SC_PAGESIZE);
    page = mmap(NULL, (size_t)page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO};
    sigaction(SIGSEGV, &sa, NULL);
    double r[5], s[5], k[5];
    for (int i = 0; i < 5; i++) {
        r[i] = raise_once(n);
        s[i] = segv_once(n);
        k[i] = kill_once(n / 20 > 0 ? n / 20 : 1);
    }
    printf("raise_us=%.3f kill_us=%.3f segv_us=%.3f\n", median5(r), median5(k), median5(s));
    return hits == 0;
}
