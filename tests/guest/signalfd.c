/* signalfd(2) and signalfd4(2) (issue 10): blocked signals read as 128-byte records, in
   Linux's order (standard signals by number, then real-time ones queued in order with
   their values); EAGAIN, EINVAL; a mask changed later; poll and epoll readiness for a
   signal another process sends while they wait; a blocking read woken that way; SIGCHLD
   with the child's status; a forked child reading its own signals through the file it
   inherited. */
#include "fork_common.h"
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static const char *code_name(int code)
{
    switch (code) {
    case SI_USER: return "SI_USER";
    case SI_TKILL: return "SI_TKILL";
    case SI_QUEUE: return "SI_QUEUE";
    case CLD_EXITED: return "CLD_EXITED";
    default: return "other";
    }
}

static void show(const struct signalfd_siginfo *s)
{
    printf("  signal %s, %s, int %d, from us %d\n", s->ssi_signo == SIGUSR1 ? "SIGUSR1" : s->ssi_signo == SIGUSR2 ? "SIGUSR2"
           : s->ssi_signo == (unsigned)SIGRTMIN ? "SIGRTMIN" : s->ssi_signo == SIGCHLD ? "SIGCHLD" : "other",
           code_name(s->ssi_code), s->ssi_int, s->ssi_pid == (uint32_t)getpid());
}

/* A child that sends sig to its parent after ms. */
static pid_t send_later(int sig, int ms)
{
    pid_t parent = getpid();
    pid_t pid = fork_flushed();
    if (pid == 0) {
        pause_ms(ms);
        kill(parent, sig);
        _exit(0);
    }
    return pid;
}

int main(void)
{
    GUEST_START();
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGUSR2);
    sigaddset(&mask, SIGRTMIN);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);

    sigset_t first;
    sigemptyset(&first);
    sigaddset(&first, SIGUSR1);
    sigaddset(&first, SIGRTMIN);
    int fd = signalfd(-1, &first, SFD_NONBLOCK | SFD_CLOEXEC);
    CHECK("signalfd", fd >= 0);

    printf("-- pending signals, read at once\n");
    raise(SIGUSR1);
    sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 42});
    sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 43});
    struct signalfd_siginfo s[4];
    ssize_t n = read(fd, s, sizeof s);
    printf("read: %zd bytes\n", n);
    for (ssize_t i = 0; i < n / (ssize_t)sizeof s[0]; i++) show(&s[i]);
    EXPECT_FAIL("a read of nothing pending", read(fd, s, sizeof s), EAGAIN);
    EXPECT_FAIL("a read shorter than a record", read(fd, s, 100), EINVAL);
    EXPECT_FAIL("signalfd on a file that is none", signalfd(1, &first, 0), EINVAL);
    EXPECT_FAIL("a mask size of 4", syscall(SYS_signalfd4, -1, &first, 4, 0), EINVAL);

    printf("-- the mask changed, poll\n");
    sigset_t second;
    sigemptyset(&second);
    sigaddset(&second, SIGUSR2);
    sigaddset(&second, SIGCHLD);
    CHECK("signalfd(fd, new mask) gives fd", signalfd(fd, &second, 0) == fd);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    printf("poll before: %d\n", poll(&p, 1, 0));
    pid_t sender = send_later(SIGUSR2, 150);
    int ready = poll(&p, 1, 10000);
    printf("poll while another process sends SIGUSR2: %d, POLLIN %d\n", ready, (p.revents & POLLIN) != 0);
    n = read(fd, s, sizeof s[0]);
    printf("read: %zd bytes, signal %s, from the sender %d\n", n, s[0].ssi_signo == SIGUSR2 ? "SIGUSR2" : "other",
           s[0].ssi_pid == (uint32_t)sender);
    expect_child_ok("the sender", sender); /* its SIGCHLD is pending now */
    n = read(fd, s, sizeof s[0]);
    printf("then: %s, %s, status %d\n", s[0].ssi_signo == SIGCHLD ? "SIGCHLD" : "other", code_name(s[0].ssi_code),
           s[0].ssi_status);

    printf("-- epoll\n");
    sender = send_later(SIGUSR2, 300); /* forked first: an epoll fd is not handed on */
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7};
    CHECK("epoll_ctl add", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
    struct epoll_event got;
    ready = epoll_wait(ep, &got, 1, 10000);
    printf("epoll_wait: %d, data %u\n", ready, got.data.u32);
    n = read(fd, s, sizeof s[0]);
    printf("read: %s\n", n == (ssize_t)sizeof s[0] && s[0].ssi_signo == SIGUSR2 ? "SIGUSR2" : "other");
    expect_child_ok("the sender", sender);
    n = read(fd, s, sizeof s[0]); /* its SIGCHLD */
    close(ep);

    printf("-- a blocking read\n");
    int blocking = signalfd(-1, &second, 0);
    sender = send_later(SIGUSR2, 150);
    n = read(blocking, s, sizeof s[0]);
    printf("read woken: %zd bytes, %s\n", n, s[0].ssi_signo == SIGUSR2 ? "SIGUSR2" : "other");
    expect_child_ok("the sender", sender);
    n = read(blocking, s, sizeof s[0]);
    printf("then: %s, exit status %d\n", s[0].ssi_signo == SIGCHLD ? "SIGCHLD" : "other", s[0].ssi_status);

    printf("-- a forked child reads its own signals\n");
    pid_t child = fork_flushed();
    if (child == 0) {
        raise(SIGUSR2);
        struct signalfd_siginfo c;
        ssize_t r = read(blocking, &c, sizeof c);
        _exit(r == (ssize_t)sizeof c && c.ssi_signo == SIGUSR2 && c.ssi_pid == (uint32_t)getpid() ? 0 : 1);
    }
    expect_child_ok("the child that read its SIGUSR2", child);
    n = read(fd, s, sizeof s[0]);
    printf("the parent's: %s, status %d; nothing else pending: %d\n", s[0].ssi_signo == SIGCHLD ? "SIGCHLD" : "other",
           s[0].ssi_status, read(fd, s, sizeof s[0]) < 0 && errno == EAGAIN);
    close(blocking);
    close(fd);
    return GUEST_END();
}
