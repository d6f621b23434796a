/* fork in a threaded process (issue 9): a thread other than the leader forks while
   another spins; the child has that one thread (its tid its pid), and a mutex the leader
   held stays held there, as Linux leaves it; the parent goes on with its threads. */
#include "fork_common.h"
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static volatile unsigned long spins;

static void *spinner(void *arg)
{
    for (;;) spins++;
    return arg;
}

static void *forker(void *arg)
{
    pid_t c = fork_flushed();
    if (c == 0) {
        CHILD_BEGIN();
        print_thread_count("child");
        CHECK("child: its pid is its tid", getpid() == syscall(SYS_gettid));
        CHECK("child: the leader's mutex is still held", pthread_mutex_trylock(&held) != 0);
        CHILD_END();
    }
    expect_child_ok("the child", c);
    return arg;
}

int main(void)
{
    GUEST_START();
    pthread_mutex_lock(&held);
    pthread_t s, f;
    pthread_create(&s, NULL, spinner, NULL);
    while (!spins) {}
    pthread_create(&f, NULL, forker, NULL);
    pthread_join(f, NULL);
    /* within 2 s: on a loaded machine one 50 ms sleep may pass without the spinner
       getting a processor (CI saw that once); one left suspended never moves */
    unsigned long before = spins;
    struct timespec ts = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 200 && spins == before; i++) nanosleep(&ts, NULL);
    CHECK("the parent's spinner goes on", spins != before);
    return GUEST_END();
}
