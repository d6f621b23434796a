/* epoll (the Go runtime's netpoller needs it): level-triggered and edge-triggered
   readiness of pipes and an eventfd, EPOLLONESHOT and its re-arming by MOD, EPOLLHUP and
   EPOLLERR without asking, epoll_ctl's errors (EEXIST, ENOENT, EPERM for a regular file,
   EINVAL for itself, EBADF), timeouts, an entry dropped when its fd is closed, an epoll
   fd in poll and in another epoll set, and a wait woken by another thread's write. */
#include "guest.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* the result and errno of a call, printed after it ran */
#define TRY(name, expr) do { \
        errno = 0; \
        int r_ = (expr); \
        int e_ = errno; \
        printf("%s: %d %s\n", (name), r_, r_ < 0 ? errno_name(e_) : "-"); \
    } while (0)

static int wait_once(int ep, int timeout, struct epoll_event *ev)
{
    return epoll_wait(ep, ev, 8, timeout);
}

static void show(const char *name, int ep, int timeout)
{
    struct epoll_event ev[8];
    int n = wait_once(ep, timeout, ev);
    printf("%s: %d", name, n);
    for (int i = 0; i < n; i++) printf(" [data %llu events 0x%x]", (unsigned long long)ev[i].data.u64, ev[i].events);
    if (n < 0) printf(" %s", errno_name(errno));
    printf("\n");
}

static int late_fd;
static void *late_writer(void *arg)
{
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    write(late_fd, "x", 1);
    return arg;
}

int main(void)
{
    GUEST_START();
    int p[2];
    if (pipe2(p, O_NONBLOCK) != 0) return 2;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK("epoll_create1", ep >= 0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 11};
    CHECK("ADD the read end", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0);
    TRY("ADD again", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    show("empty pipe, timeout 0", ep, 0);
    show("empty pipe, timeout 30 ms", ep, 30);
    write(p[1], "ab", 2);
    show("level-triggered with data", ep, 0);
    show("level-triggered, still there", ep, 0);
    char buf[16];
    read(p[0], buf, sizeof buf);
    show("drained", ep, 0);

    /* edge-triggered: once per new readiness */
    ev = (struct epoll_event){.events = EPOLLIN | EPOLLET, .data.u64 = 12};
    CHECK("MOD to EPOLLET", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == 0);
    write(p[1], "c", 1);
    show("edge, first", ep, 0);
    show("edge, again without reading", ep, 0);
    read(p[0], buf, sizeof buf); /* to EAGAIN */
    errno = 0;
    TRY("read of the empty pipe", (int)read(p[0], buf, sizeof buf));
    write(p[1], "d", 1);
    show("edge after drain and new data", ep, 0);
    read(p[0], buf, sizeof buf);

    /* one-shot, re-armed by MOD */
    ev = (struct epoll_event){.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 13};
    epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);
    write(p[1], "e", 1);
    show("oneshot", ep, 0);
    show("oneshot, disabled", ep, 0);
    epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);
    show("oneshot re-armed", ep, 0);
    read(p[0], buf, sizeof buf);

    /* the write end: writable; HUP of the read end once the writer closes */
    struct epoll_event wev = {.events = EPOLLOUT, .data.u64 = 21};
    epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &wev);
    ev = (struct epoll_event){.events = EPOLLIN, .data.u64 = 14};
    epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);
    show("write end writable", ep, 0);
    CHECK("DEL the write end", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL) == 0);
    TRY("DEL again", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
    close(p[1]);
    show("writer closed: EPOLLHUP unasked", ep, 0);

    /* errors */
    int reg = open("epoll-regular", O_RDWR | O_CREAT | O_TRUNC, 0600);
    TRY("ADD a regular file", epoll_ctl(ep, EPOLL_CTL_ADD, reg, &ev));
    TRY("ADD itself", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
    TRY("ADD a closed fd", epoll_ctl(ep, EPOLL_CTL_ADD, 987, &ev));
    TRY("ctl on a non-epoll fd", epoll_ctl(reg, EPOLL_CTL_ADD, p[0], &ev));
    TRY("MOD of an fd not in the set", epoll_ctl(ep, EPOLL_CTL_MOD, reg, &ev));
    struct epoll_event evs[1];
    TRY("wait with maxevents 0", epoll_wait(ep, evs, 0, 0));
    close(reg);
    unlink("epoll-regular");

    /* an entry goes when its fd is closed */
    close(p[0]);
    show("read end closed", ep, 0);

    /* an eventfd, an epoll in poll and in another epoll, a wake from another thread */
    int efd = eventfd(0, EFD_NONBLOCK);
    ev = (struct epoll_event){.events = EPOLLIN, .data.u64 = 31};
    epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
    int outer = epoll_create(1);
    struct epoll_event oev = {.events = EPOLLIN, .data.u64 = 41};
    CHECK("an epoll fd in another epoll set", epoll_ctl(outer, EPOLL_CTL_ADD, ep, &oev) == 0);
    struct pollfd pf = {.fd = ep, .events = POLLIN};
    printf("poll of the epoll fd, nothing ready: %d\n", poll(&pf, 1, 0));
    show("outer, nothing ready", outer, 0);
    uint64_t one = 1;
    write(efd, &one, sizeof one);
    int pn = poll(&pf, 1, 0);
    printf("poll of the epoll fd, eventfd ready: %d revents 0x%x\n", pn, pf.revents);
    show("outer, inner ready", outer, 0);
    show("inner", ep, 0);
    uint64_t got;
    read(efd, &got, sizeof got);
    int q[2];
    pipe(q);
    ev = (struct epoll_event){.events = EPOLLIN, .data.u64 = 51};
    epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &ev);
    late_fd = q[1];
    pthread_t t;
    pthread_create(&t, NULL, late_writer, NULL);
    show("a wait woken by another thread's write", ep, 5000);
    pthread_join(t, NULL);
    return GUEST_END();
}
