/* Waiting for fds: poll, ppoll, select, pselect6. Each fd's backend says what is ready
   now (ops->poll); waiting is a loop of checks, blocking on the handles Windows can wait
   on (a console's input) and otherwise re-checking after short sleeps, since anonymous
   pipes have no readiness event. Signals are not delivered yet: no EINTR, and the
   sigmasks of ppoll and pselect6 are checked for size and otherwise ignored. */
#include <windows.h>
#include "fs/fs_internal.h"

/* What a file without a poll op reports: Linux's DEFAULT_POLLMASK. */
#define DEFAULT_READY (LINUX_POLLIN | LINUX_POLLOUT | LINUX_POLLRDNORM | LINUX_POLLWRNORM)

/* select's three sets in poll terms (the kernel's POLLIN_SET, POLLOUT_SET, POLLEX_SET). */
#define SELECT_IN (LINUX_POLLRDNORM | LINUX_POLLRDBAND | LINUX_POLLIN | LINUX_POLLHUP | LINUX_POLLERR)
#define SELECT_OUT (LINUX_POLLWRBAND | LINUX_POLLWRNORM | LINUX_POLLOUT | LINUX_POLLERR)
#define SELECT_EX LINUX_POLLPRI

#define NS_PER_SEC 1000000000LL
#define SPIN_CHECKS 4 /* checks before the first sleep: a pipe's writer is often just behind */

typedef struct poll_entry {
    px_file *file;      /* NULL: a negative fd (ignored) or a closed one (POLLNVAL) */
    bool closed;
    uint32_t events;    /* wanted, plus POLLERR and POLLHUP which are always reported */
    uint32_t revents;
} poll_entry;

static int64_t now_ns(void)
{
    static LARGE_INTEGER freq;
    LARGE_INTEGER t;
    if (!freq.QuadPart) QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&t);
    return (int64_t)((t.QuadPart / freq.QuadPart) * NS_PER_SEC +
                     (t.QuadPart % freq.QuadPart) * NS_PER_SEC / freq.QuadPart);
}

/* Fills in every revents; returns how many entries have some. */
static int64_t check_entries(poll_entry *e, size_t n)
{
    int64_t ready = 0;
    for (size_t i = 0; i < n; i++) {
        if (e[i].closed) {
            e[i].revents = LINUX_POLLNVAL;
        } else if (!e[i].file) {
            e[i].revents = 0;
        } else {
            px_file *f = e[i].file;
            uint32_t now = f->ops->poll ? f->ops->poll(f, e[i].events) : DEFAULT_READY;
            e[i].revents = now & (e[i].events | LINUX_POLLERR | LINUX_POLLHUP);
        }
        if (e[i].revents) ready++;
    }
    return ready;
}

/* Checks until something is ready or timeout_ns (< 0: forever) has passed. Returns the
   number of ready entries; *left_ns gets the time that was not used. */
static int64_t wait_entries(poll_entry *e, size_t n, int64_t timeout_ns, int64_t *left_ns)
{
    int64_t deadline = timeout_ns >= 0 ? now_ns() + timeout_ns : INT64_MAX;
    HANDLE handles[MAXIMUM_WAIT_OBJECTS];
    DWORD nhandles = 0;
    bool all_waitable = true; /* every entry can wake us: block for the whole time left */
    for (size_t i = 0; i < n; i++) {
        if (!e[i].file) continue;
        HANDLE h = e[i].file->ops->poll_handle ? e[i].file->ops->poll_handle(e[i].file) : NULL;
        if (h && nhandles < MAXIMUM_WAIT_OBJECTS) handles[nhandles++] = h;
        else all_waitable = false;
    }
    int64_t ready;
    for (unsigned checks = 0;; checks++) {
        ready = check_entries(e, n);
        if (ready || timeout_ns == 0) break;
        int64_t left = deadline - now_ns();
        if (left <= 0) break;
        if (checks < SPIN_CHECKS) {
            SwitchToThread();
            continue;
        }
        DWORD ms;
        if (all_waitable && nhandles) ms = timeout_ns < 0 ? INFINITE : (DWORD)((left + 999999) / 1000000);
        else ms = 1; /* something can only be re-checked */
        if (nhandles) WaitForMultipleObjects(nhandles, handles, FALSE, ms);
        else Sleep(ms);
    }
    if (left_ns) {
        int64_t left = timeout_ns < 0 ? -1 : deadline - now_ns();
        *left_ns = timeout_ns < 0 ? -1 : left < 0 ? 0 : left;
    }
    return ready;
}

static void release_entries(poll_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) px_file_unref(e[i].file);
    px_free(e);
}

/* A guest timespec as nanoseconds: -1 for NULL (forever), -EINVAL when malformed. */
static int64_t timeout_of_timespec(const struct linux_timespec *ts)
{
    if (!ts) return -1;
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= NS_PER_SEC) return -LINUX_EINVAL;
    if (ts->tv_sec >= INT64_MAX / NS_PER_SEC - 1) return -1; /* centuries: as good as forever */
    return ts->tv_sec * NS_PER_SEC + ts->tv_nsec;
}

/* The common part of poll and ppoll. timeout_ns < 0: forever. */
static int64_t do_poll(struct linux_pollfd *fds, uint64_t nfds, int64_t timeout_ns, int64_t *left_ns)
{
    if (nfds > (uint64_t)PX_FD_LIMIT) return -LINUX_EINVAL; /* Linux: more than RLIMIT_NOFILE */
    if (nfds && !fds) return -LINUX_EFAULT;
    poll_entry *e = px_calloc(nfds ? nfds : 1, sizeof *e);
    if (!e) return -LINUX_ENOMEM;
    for (uint64_t i = 0; i < nfds; i++) {
        if (fds[i].fd < 0) continue;
        e[i].file = px_fd_get(fds[i].fd);
        e[i].closed = e[i].file == NULL;
        e[i].events = (uint16_t)fds[i].events;
    }
    int64_t ready = wait_entries(e, (size_t)nfds, timeout_ns, left_ns);
    for (uint64_t i = 0; i < nfds; i++) fds[i].revents = (int16_t)e[i].revents;
    release_entries(e, (size_t)nfds);
    return ready;
}

/* poll(2) */
PX_SYSCALL(poll)
{
    struct linux_pollfd *fds = (struct linux_pollfd *)(uintptr_t)PX_ARG0;
    uint64_t nfds = PX_ARG1;
    int timeout_ms = (int)PX_ARG2;
    int64_t timeout_ns = timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000000;
    return do_poll(fds, nfds, timeout_ns, NULL);
}

/* ppoll(2): the kernel call writes the time left back into *tsp */
PX_SYSCALL(ppoll)
{
    struct linux_pollfd *fds = (struct linux_pollfd *)(uintptr_t)PX_ARG0;
    uint64_t nfds = PX_ARG1;
    struct linux_timespec *tsp = (struct linux_timespec *)(uintptr_t)PX_ARG2;
    uint64_t sigmask = PX_ARG3, sigsetsize = PX_ARG4;
    if (sigmask && sigsetsize != 8) return -LINUX_EINVAL;
    int64_t timeout_ns = timeout_of_timespec(tsp);
    if (timeout_ns < -1) return timeout_ns;
    int64_t left_ns;
    int64_t r = do_poll(fds, nfds, timeout_ns, &left_ns);
    if (r >= 0 && tsp && left_ns >= 0) {
        tsp->tv_sec = left_ns / NS_PER_SEC;
        tsp->tv_nsec = left_ns % NS_PER_SEC;
    }
    return r;
}

static bool fd_isset(const struct linux_fd_set *s, int fd)
{
    return s && (s->bits[fd / 64] >> (fd % 64)) & 1;
}

/* The common part of select and pselect6. timeout_ns < 0: forever. */
static int64_t do_select(int64_t nfds, struct linux_fd_set *in, struct linux_fd_set *out,
                         struct linux_fd_set *ex, int64_t timeout_ns, int64_t *left_ns)
{
    if (nfds < 0) return -LINUX_EINVAL;
    if (nfds > PX_FD_LIMIT) nfds = PX_FD_LIMIT; /* Linux clamps to the fd table's size */
    /* one entry per fd named in any set */
    poll_entry *e = px_calloc(nfds ? (size_t)nfds : 1, sizeof *e);
    int *fd_of = px_calloc(nfds ? (size_t)nfds : 1, sizeof *fd_of);
    if (!e || !fd_of) {
        px_free(e);
        px_free(fd_of);
        return -LINUX_ENOMEM;
    }
    size_t n = 0;
    int64_t r = 0;
    for (int fd = 0; fd < nfds && r == 0; fd++) {
        uint32_t events = (fd_isset(in, fd) ? SELECT_IN : 0) | (fd_isset(out, fd) ? SELECT_OUT : 0) |
                          (fd_isset(ex, fd) ? SELECT_EX : 0);
        if (!events) continue;
        px_file *f = px_fd_get(fd);
        if (!f) {
            r = -LINUX_EBADF; /* select, unlike poll, refuses a closed fd */
            break;
        }
        e[n] = (poll_entry){.file = f, .events = events};
        fd_of[n++] = fd;
    }
    if (r == 0) r = wait_entries(e, n, timeout_ns, left_ns);
    if (r >= 0) {
        /* the sets come back holding only the ready fds; the result counts bits */
        if (in) memset(in->bits, 0, (size_t)(nfds + 63) / 64 * 8);
        if (out) memset(out->bits, 0, (size_t)(nfds + 63) / 64 * 8);
        if (ex) memset(ex->bits, 0, (size_t)(nfds + 63) / 64 * 8);
        r = 0;
        for (size_t i = 0; i < n; i++) {
            int fd = fd_of[i];
            uint64_t bit = 1ull << (fd % 64);
            uint32_t got = e[i].revents, want = e[i].events;
            if (in && (want & SELECT_IN & ~(uint32_t)(LINUX_POLLHUP | LINUX_POLLERR)) && (got & SELECT_IN)) {
                in->bits[fd / 64] |= bit;
                r++;
            }
            if (out && (want & LINUX_POLLOUT) && (got & SELECT_OUT)) {
                out->bits[fd / 64] |= bit;
                r++;
            }
            if (ex && (want & SELECT_EX) && (got & SELECT_EX)) {
                ex->bits[fd / 64] |= bit;
                r++;
            }
        }
    }
    release_entries(e, n);
    px_free(fd_of);
    return r;
}

/* select(2): writes the time left back into *tvp, as Linux does */
PX_SYSCALL(select)
{
    int64_t nfds = (int32_t)PX_ARG0;
    struct linux_fd_set *in = (struct linux_fd_set *)(uintptr_t)PX_ARG1;
    struct linux_fd_set *out = (struct linux_fd_set *)(uintptr_t)PX_ARG2;
    struct linux_fd_set *ex = (struct linux_fd_set *)(uintptr_t)PX_ARG3;
    struct linux_timeval *tvp = (struct linux_timeval *)(uintptr_t)PX_ARG4;
    int64_t timeout_ns = -1;
    if (tvp) {
        /* the kernel folds whole seconds out of tv_usec before checking */
        int64_t sec = tvp->tv_sec + tvp->tv_usec / 1000000, usec = tvp->tv_usec % 1000000;
        if (sec < 0 || usec < 0) return -LINUX_EINVAL;
        timeout_ns = sec >= INT64_MAX / NS_PER_SEC - 1 ? -1 : sec * NS_PER_SEC + usec * 1000;
    }
    int64_t left_ns;
    int64_t r = do_select(nfds, in, out, ex, timeout_ns, &left_ns);
    if (r >= 0 && tvp && left_ns >= 0) {
        tvp->tv_sec = left_ns / NS_PER_SEC;
        tvp->tv_usec = left_ns % NS_PER_SEC / 1000;
    }
    return r;
}

/* pselect6(2): the sixth argument points at {const sigset_t *ss; size_t ss_len} */
PX_SYSCALL(pselect6)
{
    int64_t nfds = (int32_t)PX_ARG0;
    struct linux_fd_set *in = (struct linux_fd_set *)(uintptr_t)PX_ARG1;
    struct linux_fd_set *out = (struct linux_fd_set *)(uintptr_t)PX_ARG2;
    struct linux_fd_set *ex = (struct linux_fd_set *)(uintptr_t)PX_ARG3;
    struct linux_timespec *tsp = (struct linux_timespec *)(uintptr_t)PX_ARG4;
    const uint64_t *sig = (const uint64_t *)(uintptr_t)PX_ARG5;
    if (sig && sig[0] && sig[1] != 8) return -LINUX_EINVAL;
    int64_t timeout_ns = timeout_of_timespec(tsp);
    if (timeout_ns < -1) return timeout_ns;
    int64_t left_ns;
    int64_t r = do_select(nfds, in, out, ex, timeout_ns, &left_ns);
    if (r >= 0 && tsp && left_ns >= 0) {
        tsp->tv_sec = left_ns / NS_PER_SEC;
        tsp->tv_nsec = left_ns % NS_PER_SEC;
    }
    return r;
}
