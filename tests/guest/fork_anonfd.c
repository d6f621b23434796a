/* eventfd and timerfd across fork and execve (issues 10 and 11): the file is one object
   for every process that holds it, as Linux's open file description is. A forked child
   writes the parent's eventfd (and wakes the parent blocked in read and in poll), takes
   from an EFD_SEMAPHORE one, reads the expirations of an inherited timerfd and re-arms
   it, which the parent's timerfd_gettime then shows; a program exec'd with both fds
   (this one again, "exec-child") reads and writes them too. An epoll set goes along
   with its interest list: a child waits in it for what its parent writes, a program
   exec'd with it ("epoll-child") finds the entry that is ready. */
#include "fork_common.h"
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Silent (a child's line would race the parent's): a failed write ends a child badly. */
static void put(int fd, uint64_t v)
{
    if (write(fd, &v, 8) != 8) _exit(9);
}

static uint64_t take(int fd)
{
    uint64_t v = 0;
    ssize_t r = read(fd, &v, 8);
    return r == 8 ? v : (uint64_t)-1;
}

static void eventfd_cases(void)
{
    printf("-- eventfd\n");
    int e = eventfd(0, 0);
    pid_t pid = fork_flushed();
    if (pid == 0) {
        put(e, 5);
        pause_ms(200); /* the parent blocks in read meanwhile */
        put(e, 7);
        pause_ms(200); /* and then in poll */
        put(e, 1);
        _exit(0);
    }
    uint64_t first = take(e);
    printf("parent read: %llu\n", (unsigned long long)first);
    printf("parent read after a block: %llu\n", (unsigned long long)take(e));
    struct pollfd p = {.fd = e, .events = POLLIN};
    int n = poll(&p, 1, 5000);
    printf("poll: %d, POLLIN %d, then read %llu\n", n, (p.revents & POLLIN) != 0, (unsigned long long)take(e));
    expect_child_ok("the eventfd child", pid);
    close(e);

    int sem = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
    pid = fork_flushed();
    if (pid == 0) {
        _exit(take(sem) == 1 ? 0 : 1); /* it takes 1 */
    }
    expect_child_ok("the semaphore child", pid);
    uint64_t a = take(sem), b = take(sem), c = take(sem);
    printf("semaphore after the child's take: %llu %llu, then %s\n", (unsigned long long)a, (unsigned long long)b,
           c == (uint64_t)-1 && errno == EAGAIN ? "EAGAIN" : "a value");
    close(sem);
}

static void timerfd_cases(void)
{
    printf("-- timerfd\n");
    int t = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec its = {{0, 20000000}, {0, 20000000}};
    timerfd_settime(t, 0, &its, NULL);
    pid_t pid = fork_flushed();
    if (pid == 0) {
        struct itimerspec later = {{0, 0}, {30, 0}};
        _exit(take(t) >= 1 && timerfd_settime(t, 0, &later, NULL) == 0 ? 0 : 1); /* reads expirations, re-arms */
    }
    expect_child_ok("the timerfd child", pid);
    struct itimerspec now;
    timerfd_gettime(t, &now);
    printf("after the child's settime: 20 to 30 s left: %d, interval %ld\n",
           now.it_value.tv_sec >= 20 && now.it_value.tv_sec <= 30, (long)now.it_interval.tv_nsec);
    close(t);
}

static void exec_case(const char *self)
{
    printf("-- across execve\n");
    int e = eventfd(40, 0);
    int t = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec its = {{0, 0}, {0, 10000000}};
    timerfd_settime(t, 0, &its, NULL);
    pid_t pid = fork_flushed();
    if (pid == 0) {
        char fe[16], ft[16];
        snprintf(fe, sizeof fe, "%d", e);
        snprintf(ft, sizeof ft, "%d", t);
        execl(self, self, "exec-child", fe, ft, (char *)NULL);
        _exit(127);
    }
    expect_child_ok("the exec'd program", pid);
    printf("eventfd after the exec'd program added 2: %llu\n", (unsigned long long)take(e));
    close(e);
    close(t);
}

static int exec_child(int e, int t)
{
    uint64_t v = take(e);
    put(e, v + 2);
    uint64_t ticks = take(t);
    return v == 40 && ticks == 1 ? 0 : 1;
}

static void epoll_cases(const char *self)
{
    printf("-- epoll\n");
    int p[2];
    pipe(p);
    int e = eventfd(0, 0);
    int ep = epoll_create1(0);
    struct epoll_event a = {.events = EPOLLIN, .data.u64 = 11}, b = {.events = EPOLLIN, .data.u64 = 22};
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &a);
    epoll_ctl(ep, EPOLL_CTL_ADD, e, &b);
    pid_t pid = fork_flushed();
    if (pid == 0) {
        struct epoll_event got[2];
        int n = epoll_wait(ep, got, 2, 10000); /* until the parent writes the pipe */
        _exit(n == 1 && got[0].data.u64 == 11 ? 0 : 1);
    }
    pause_ms(200);
    write(p[1], "x", 1);
    expect_child_ok("the child woken in the inherited epoll set", pid);
    char c;
    read(p[0], &c, 1);
    put(e, 3);
    pid = fork_flushed();
    if (pid == 0) {
        char fd[16];
        snprintf(fd, sizeof fd, "%d", ep);
        execl(self, self, "epoll-child", fd, (char *)NULL);
        _exit(127);
    }
    expect_child_ok("the exec'd program's epoll_wait", pid);
    struct epoll_event got[2];
    int n = epoll_wait(ep, got, 2, 0);
    printf("parent's epoll_wait after: %d, data %llu\n", n, n > 0 ? (unsigned long long)got[0].data.u64 : 0ull);
    close(ep);
    close(e);
    close(p[0]);
    close(p[1]);
}

static int epoll_child(int ep)
{
    struct epoll_event got[2];
    int n = epoll_wait(ep, got, 2, 5000);
    return n == 1 && got[0].data.u64 == 22 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "exec-child")) return exec_child(atoi(argv[2]), atoi(argv[3]));
    if (argc == 3 && !strcmp(argv[1], "epoll-child")) return epoll_child(atoi(argv[2]));
    GUEST_START();
    eventfd_cases();
    timerfd_cases();
    exec_case("/proc/self/exe");
    epoll_cases("/proc/self/exe");
    return GUEST_END();
}
