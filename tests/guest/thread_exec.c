/* execve in a threaded process (issue 9): the other threads end first, as Linux's
   de_thread, whether they spin in guest code or sleep in a syscall, and whether the
   leader or another thread calls execve; the new program runs alone, its pid its tid.

     thread_exec              the leader execs
     thread_exec fromthread   a new thread execs
   The new program (this one with "child") prints its thread count and exits with 7. */
#include "guest.h"
#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile unsigned long spins;

static void *spinner(void *arg)
{
    for (;;) spins++;
    return arg;
}

static void *sleeper(void *arg)
{
    for (;;) sleep(1);
    return arg;
}

static void exec_child(void)
{
    char *argv[] = {"/proc/self/exe", "child", NULL};
    execv("/proc/self/exe", argv);
    printf("execv: %s\n", errno_name(errno));
    exit(1);
}

static void *execer(void *arg)
{
    exec_child();
    return arg;
}

int main(int argc, char **argv)
{
    GUEST_START();
    if (argc > 1 && !strcmp(argv[1], "child")) {
        print_thread_count("after exec");
        CHECK("pid is the tid", getpid() == syscall(SYS_gettid));
        fflush(stdout);
        return guest_failures ? 1 : 7;
    }
    pthread_t a, b;
    pthread_create(&a, NULL, spinner, NULL);
    pthread_create(&b, NULL, sleeper, NULL);
    while (spins == 0) sched_yield();
    printf("threads running, %s execs\n", argc > 1 ? "a thread" : "the leader");
    fflush(stdout);
    if (argc > 1) {
        pthread_t c;
        pthread_create(&c, NULL, execer, NULL);
        pthread_join(c, NULL);
    }
    exec_child();
    return 1;
}
