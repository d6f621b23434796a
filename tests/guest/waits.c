/* The waits that go through picolx's one blocking primitive, each ending the way Linux
   ends it: poll, ppoll, select and pselect6 on pipes (ready at once, timed out, hung
   up, bad pointers), nanosleep and clock_nanosleep (not early; absolute deadlines in
   the past), futex waits (timeout, wrong value, bad address), and fcntl lock structs
   and pipe2's array at bad addresses. Times are checked as bounds, never printed. */
#include "guest.h"
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <stdint.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define BAD ((void *)0x10) /* below the first 64 KiB: never mapped */

/* futex.h's values (musl has no linux/futex.h) */
enum {
    FUTEX_WAIT_PRIVATE = 0 | 128, FUTEX_WAKE_PRIVATE = 1 | 128, FUTEX_WAIT_BITSET_PRIVATE = 9 | 128,
    FUTEX_CLOCK_REALTIME = 256,
};
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

static int64_t now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t ms_since(int64_t t0) { return (now_ns(CLOCK_MONOTONIC) - t0) / 1000000; }

static void polls(void)
{
    int p[2];
    CHECK("pipe", pipe(p) == 0);
    struct pollfd fd = {p[0], POLLIN, 0};
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    int r = poll(&fd, 1, 50);
    int64_t ms = ms_since(t0);
    CHECK("poll on an empty pipe times out", r == 0 && fd.revents == 0);
    CHECK("poll's timeout is not early", ms >= 49);
    CHECK("poll's timeout is not late by much", ms < 2000);
    CHECK("write", write(p[1], "abc", 3) == 3);
    r = poll(&fd, 1, -1);
    CHECK("poll with bytes waiting: POLLIN", r == 1 && fd.revents == POLLIN);
    /* the raw calls: the C libraries hide the kernel's write-back of the time left */
    struct timespec ts = {5, 0};
    r = syscall(SYS_ppoll, &fd, 1, &ts, NULL, 8);
    CHECK("ppoll ready at once", r == 1 && fd.revents == POLLIN);
    CHECK("ppoll writes back the time left", ts.tv_sec >= 3 && ts.tv_sec <= 5 && !(ts.tv_sec == 5 && ts.tv_nsec));
    char buf[8];
    CHECK("read", read(p[0], buf, sizeof buf) == 3);
    ts = (struct timespec){0, 30 * 1000000};
    t0 = now_ns(CLOCK_MONOTONIC);
    r = syscall(SYS_ppoll, &fd, 1, &ts, NULL, 8);
    CHECK("ppoll on an empty pipe times out", r == 0 && ms_since(t0) >= 29);
    CHECK("ppoll's time left is 0 after a timeout", ts.tv_sec == 0 && ts.tv_nsec == 0);

    fd_set in;
    FD_ZERO(&in);
    FD_SET(p[0], &in);
    struct timeval tv = {0, 40000};
    t0 = now_ns(CLOCK_MONOTONIC);
    r = syscall(SYS_select, p[0] + 1, &in, NULL, NULL, &tv);
    CHECK("select on an empty pipe times out", r == 0 && !FD_ISSET(p[0], &in) && ms_since(t0) >= 39);
    CHECK("select's time left is 0 after a timeout", tv.tv_sec == 0 && tv.tv_usec == 0);
    CHECK("write", write(p[1], "x", 1) == 1);
    FD_SET(p[0], &in);
    fd_set out;
    FD_ZERO(&out);
    FD_SET(p[1], &out);
    tv = (struct timeval){3, 0};
    r = select(p[1] + 1, &in, &out, NULL, &tv);
    CHECK("select: read end readable, write end writable", r == 2 && FD_ISSET(p[0], &in) && FD_ISSET(p[1], &out));
    FD_ZERO(&in);
    FD_SET(p[0], &in);
    ts = (struct timespec){1, 0};
    r = pselect(p[0] + 1, &in, NULL, NULL, &ts, NULL);
    CHECK("pselect ready at once", r == 1 && FD_ISSET(p[0], &in));
    CHECK("read", read(p[0], buf, sizeof buf) == 1);

    close(p[1]);
    fd = (struct pollfd){p[0], POLLIN, 0};
    r = poll(&fd, 1, 5000);
    CHECK("poll after the writer closed: POLLHUP at once", r == 1 && fd.revents == POLLHUP);
    CHECK("read after the writer closed: EOF", read(p[0], buf, sizeof buf) == 0);
    close(p[0]);

    errno = 0;
    CHECK("poll of a bad array: EFAULT", syscall(SYS_poll, BAD, 1, 0) == -1 && errno == EFAULT);
    errno = 0;
    CHECK("poll of no fds at NULL: a plain sleep", poll(NULL, 0, 10) == 0);
    errno = 0;
    CHECK("ppoll with a bad timeout: EFAULT", syscall(SYS_ppoll, &fd, 1, BAD, NULL, 8) == -1 && errno == EFAULT);
    errno = 0;
    CHECK("select with a bad set: EFAULT", syscall(SYS_select, 1, BAD, NULL, NULL, &(struct timeval){0, 0}) == -1 && errno == EFAULT);
    errno = 0;
    CHECK("select with a bad timeval: EFAULT", syscall(SYS_select, 0, NULL, NULL, NULL, BAD) == -1 && errno == EFAULT);
    errno = 0;
    CHECK("select with a negative timeout: EINVAL",
          select(0, NULL, NULL, NULL, &(struct timeval){-1, 0}) == -1 && errno == EINVAL);
    errno = 0;
    CHECK("pipe2 into a bad array: EFAULT", syscall(SYS_pipe2, BAD, 0) == -1 && errno == EFAULT);
    int probe = open("/dev/null", O_RDONLY);
    CHECK("pipe2 into a bad array made no fds", probe == 3);
    close(probe);
}

static void sleeps(void)
{
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    struct timespec rem = {99, 99};
    CHECK("nanosleep 20 ms", nanosleep(&(struct timespec){0, 20000000}, &rem) == 0);
    CHECK("nanosleep is not early", ms_since(t0) >= 19);
    CHECK("nanosleep leaves rem alone when it completes", rem.tv_sec == 99 && rem.tv_nsec == 99);
    t0 = now_ns(CLOCK_MONOTONIC);
    CHECK("nanosleep 0.5 ms", nanosleep(&(struct timespec){0, 500000}, NULL) == 0);
    CHECK("nanosleep 0.5 ms is not a scheduler tick late by much", ms_since(t0) < 1000);
    errno = 0;
    CHECK("nanosleep of a bad timespec: EFAULT", nanosleep(BAD, NULL) == -1 && errno == EFAULT);
    errno = 0;
    CHECK("nanosleep of a negative time: EINVAL", nanosleep(&(struct timespec){-1, 0}, NULL) == -1 && errno == EINVAL);
    struct timespec at;
    clock_gettime(CLOCK_REALTIME, &at);
    at.tv_nsec += 30000000;
    if (at.tv_nsec >= 1000000000) { at.tv_nsec -= 1000000000; at.tv_sec++; }
    t0 = now_ns(CLOCK_MONOTONIC);
    CHECK("clock_nanosleep REALTIME absolute", clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &at, NULL) == 0);
    CHECK("clock_nanosleep absolute is not early", now_ns(CLOCK_REALTIME) >= (int64_t)at.tv_sec * 1000000000 + at.tv_nsec);
    CHECK("clock_nanosleep absolute in the past returns at once",
          clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &(struct timespec){0, 1}, NULL) == 0);
    t0 = now_ns(CLOCK_MONOTONIC);
    CHECK("clock_nanosleep MONOTONIC relative 20 ms",
          clock_nanosleep(CLOCK_MONOTONIC, 0, &(struct timespec){0, 20000000}, NULL) == 0 && ms_since(t0) >= 19);
    CHECK("clock_nanosleep of a bad timespec: EFAULT", clock_nanosleep(CLOCK_MONOTONIC, 0, BAD, NULL) == EFAULT);
    errno = 0;
    CHECK("clock_gettime into a bad timespec: EFAULT", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, BAD) == -1 && errno == EFAULT);
    errno = 0;
    CHECK("gettimeofday into a bad timeval: EFAULT", syscall(SYS_gettimeofday, BAD, NULL) == -1 && errno == EFAULT);
}

static void futexes(void)
{
    uint32_t word = 7;
    struct timespec ts = {0, 30000000};
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    errno = 0;
    long r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 7, &ts, NULL, 0);
    CHECK("futex wait times out: ETIMEDOUT", r == -1 && errno == ETIMEDOUT);
    CHECK("futex wait's timeout is not early", ms_since(t0) >= 29);
    errno = 0;
    r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 8, &ts, NULL, 0);
    CHECK("futex wait on another value: EAGAIN", r == -1 && errno == EAGAIN);
    struct timespec at;
    clock_gettime(CLOCK_REALTIME, &at);
    at.tv_nsec += 20000000;
    if (at.tv_nsec >= 1000000000) { at.tv_nsec -= 1000000000; at.tv_sec++; }
    errno = 0;
    r = syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 7, &at, NULL, FUTEX_BITSET_MATCH_ANY);
    CHECK("futex wait with a realtime deadline: ETIMEDOUT", r == -1 && errno == ETIMEDOUT);
    CHECK("futex realtime deadline not early", now_ns(CLOCK_REALTIME) >= (int64_t)at.tv_sec * 1000000000 + at.tv_nsec);
    errno = 0;
    CHECK("futex wait on a bad address: EFAULT", syscall(SYS_futex, BAD, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0) == -1 && errno == EFAULT);
    errno = 0;
    CHECK("futex wait with a bad timeout: EFAULT", syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 7, BAD, NULL, 0) == -1 && errno == EFAULT);
    CHECK("futex wake with nobody waiting: 0", syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == 0);
}

static void locks(void)
{
    char path[] = "/tmp/picolx-waits-XXXXXX";
    int fd = mkstemp(path);
    CHECK("mkstemp", fd >= 0);
    errno = 0;
    CHECK("F_SETLK with a bad struct: EFAULT", fcntl(fd, F_SETLK, BAD) == -1 && errno == EFAULT);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    CHECK("F_SETLKW with nothing in the way", fcntl(fd, F_SETLKW, &fl) == 0);
    fl.l_type = F_RDLCK;
    CHECK("F_GETLK: our own lock is no conflict", fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type == F_UNLCK);
    close(fd);
    unlink(path);
}

int main(void)
{
    GUEST_START();
    polls();
    sleeps();
    futexes();
    locks();
    return GUEST_END();
}
