/* Waiting for fds: poll, ppoll, select, pselect6. The files' readiness and wake-up
   objects are poll.c's; the wait on those objects is here, through px_block (block.h):
   it ends with a wake-up, the deadline or the task's interrupt (EINTR). Signals are not
   delivered yet: the sigmasks of ppoll and pselect6 are checked for size and otherwise
   ignored. */
#include "core/uaccess.h"
#include "fs/fs_internal.h"
#include "kernel/block.h"

/* select's three sets in poll terms (the kernel's POLLIN_SET, POLLOUT_SET, POLLEX_SET). */
#define SELECT_IN (LINUX_POLLRDNORM | LINUX_POLLRDBAND | LINUX_POLLIN | LINUX_POLLHUP | LINUX_POLLERR)
#define SELECT_OUT (LINUX_POLLWRBAND | LINUX_POLLWRNORM | LINUX_POLLOUT | LINUX_POLLERR)
#define SELECT_EX LINUX_POLLPRI

#define NS_PER_SEC 1000000000LL

typedef px_poll_entry poll_entry;

/* Checks until something is ready, the deadline passes or the task is interrupted.
   Returns the number of ready entries or -LINUX_EINTR. */
static int64_t wait_entries(poll_entry *e, size_t n, const px_deadline *deadline)
{
    for (;;) {
        int64_t ready = px_poll_check(e, n);
        if (ready) return ready;
        int64_t now = px_deadline_now(deadline);
        if (px_deadline_left(deadline, now) == 0) return 0;
        px_wait_on w;
        px_poll_wait_on(e, n, &w);
        int r = px_block_on(&w, deadline);
        if (r == PX_BLOCK_INTERRUPTED) return -LINUX_EINTR;
        if (r == PX_BLOCK_FAILED) return -LINUX_EINVAL; /* a runtime bug: a file's object is gone */
    }
}

int64_t px_anon_inode_stat(px_stat_info *st, uint64_t ino)
{
    memset(st, 0, sizeof *st);
    st->mode = 0600;
    st->dev = 0xd; /* anon_inodefs's device */
    st->ino = ino;
    st->nlink = 1;
    st->blksize = 4096;
    return 0;
}

int64_t px_anon_file_stat(px_file *f, px_stat_info *st)
{
    (void)f;
    return px_anon_inode_stat(st, 1);
}

static void release_entries(poll_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) px_file_unref(e[i].file);
    px_free(e);
}

int64_t px_deadline_of_timespec(uint64_t tsp, px_deadline *d)
{
    *d = px_deadline_never();
    if (!tsp) return 0;
    struct linux_timespec ts;
    if (PX_GET(&ts, tsp) < 0) return -LINUX_EFAULT;
    int64_t ns = px_timespec_ns(&ts);
    if (ns < 0) return ns;
    *d = px_deadline_after(px_clock_monotonic_ns(), ns);
    return 0;
}

/* The time left, written back as ppoll and pselect6 do (even after EINTR). A failing
   write is not reported: Linux ignores it, the call having done its work. */
static void put_time_left(uint64_t tsp, const px_deadline *d)
{
    if (!tsp || d->at == PX_DEADLINE_NONE) return;
    struct linux_timespec ts = px_timespec_of_ns(px_deadline_left(d, px_deadline_now(d)));
    PX_PUT(tsp, &ts);
}

/* The common part of poll and ppoll. */
static int64_t do_poll(uint64_t ufds, uint64_t nfds, const px_deadline *deadline)
{
    if (nfds > (uint64_t)PX_FD_LIMIT) return -LINUX_EINVAL; /* Linux: more than RLIMIT_NOFILE */
    struct linux_pollfd *fds = px_calloc(nfds ? nfds : 1, sizeof *fds);
    poll_entry *e = px_calloc(nfds ? nfds : 1, sizeof *e);
    if (!fds || !e) {
        px_free(fds);
        px_free(e);
        return -LINUX_ENOMEM;
    }
    if (px_copy_in(fds, ufds, nfds * sizeof *fds) < 0) {
        px_free(fds);
        px_free(e);
        return -LINUX_EFAULT;
    }
    for (uint64_t i = 0; i < nfds; i++) {
        if (fds[i].fd < 0) continue;
        e[i].file = px_fd_get(fds[i].fd);
        e[i].closed = e[i].file == NULL;
        e[i].events = (uint16_t)fds[i].events;
    }
    int64_t ready = wait_entries(e, (size_t)nfds, deadline);
    if (ready >= 0) {
        for (uint64_t i = 0; i < nfds; i++) {
            int16_t rev = (int16_t)e[i].revents;
            if (PX_PUT(ufds + i * sizeof *fds + offsetof(struct linux_pollfd, revents), &rev) < 0) {
                ready = -LINUX_EFAULT;
                break;
            }
        }
    }
    px_free(fds);
    release_entries(e, (size_t)nfds);
    return ready;
}

/* poll(2) */
PX_SYSCALL(poll)
{
    uint64_t fds = PX_ARG0, nfds = PX_ARG1;
    int timeout_ms = (int)PX_ARG2;
    px_deadline d = timeout_ms < 0 ? px_deadline_never()
                                   : px_deadline_after(px_clock_monotonic_ns(), (int64_t)timeout_ms * 1000000);
    return do_poll(fds, nfds, &d);
}

/* ppoll(2): the kernel call writes the time left back into *tsp */
PX_SYSCALL(ppoll)
{
    uint64_t fds = PX_ARG0, nfds = PX_ARG1, tsp = PX_ARG2;
    uint64_t sigmask = PX_ARG3, sigsetsize = PX_ARG4;
    if (sigmask && sigsetsize != 8) return -LINUX_EINVAL;
    px_deadline d;
    int64_t r = px_deadline_of_timespec(tsp, &d);
    if (r < 0) return r;
    uint64_t mask;
    if (sigmask && PX_GET(&mask, sigmask) < 0) return -LINUX_EFAULT;
    r = do_poll(fds, nfds, &d);
    if (r >= 0 || r == -LINUX_EINTR) put_time_left(tsp, &d);
    return r;
}

static bool fd_isset(const struct linux_fd_set *s, int fd)
{
    return s && (s->bits[fd / 64] >> (fd % 64)) & 1;
}

/* The common part of select and pselect6: the sets are guest addresses (0: none), of
   which the first nfds bits, in whole 64-bit words, are read and written back. */
static int64_t do_select(int64_t nfds, uint64_t uin, uint64_t uout, uint64_t uex, const px_deadline *deadline)
{
    if (nfds < 0) return -LINUX_EINVAL;
    if (nfds > PX_FD_LIMIT) nfds = PX_FD_LIMIT; /* Linux clamps to the fd table's size */
    size_t set_bytes = (size_t)(nfds + 63) / 64 * 8;
    struct linux_fd_set sets[3], *in = uin ? &sets[0] : NULL, *out = uout ? &sets[1] : NULL,
                                 *ex = uex ? &sets[2] : NULL;
    memset(sets, 0, sizeof sets);
    if ((in && px_copy_in(in->bits, uin, set_bytes) < 0) || (out && px_copy_in(out->bits, uout, set_bytes) < 0) ||
        (ex && px_copy_in(ex->bits, uex, set_bytes) < 0))
        return -LINUX_EFAULT;
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
    if (r == 0) r = wait_entries(e, n, deadline);
    if (r >= 0) {
        /* the sets come back holding only the ready fds; the result counts bits */
        memset(sets, 0, sizeof sets);
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
        if ((in && px_copy_out(uin, in->bits, set_bytes) < 0) || (out && px_copy_out(uout, out->bits, set_bytes) < 0) ||
            (ex && px_copy_out(uex, ex->bits, set_bytes) < 0))
            r = -LINUX_EFAULT;
    }
    release_entries(e, n);
    px_free(fd_of);
    return r;
}

/* select(2): writes the time left back into *tvp, as Linux does */
PX_SYSCALL(select)
{
    int64_t nfds = (int32_t)PX_ARG0;
    uint64_t in = PX_ARG1, out = PX_ARG2, ex = PX_ARG3, tvp = PX_ARG4;
    px_deadline d = px_deadline_never();
    if (tvp) {
        struct linux_timeval tv;
        if (PX_GET(&tv, tvp) < 0) return -LINUX_EFAULT;
        int64_t ns = px_timeval_ns(&tv);
        if (ns < 0) return ns;
        d = px_deadline_after(px_clock_monotonic_ns(), ns);
    }
    int64_t r = do_select(nfds, in, out, ex, &d);
    if ((r >= 0 || r == -LINUX_EINTR) && tvp && d.at != PX_DEADLINE_NONE) {
        int64_t left = px_deadline_left(&d, px_deadline_now(&d));
        struct linux_timeval tv = {left / NS_PER_SEC, left % NS_PER_SEC / 1000};
        PX_PUT(tvp, &tv); /* not reported when it fails, as Linux */
    }
    return r;
}

/* pselect6(2): the sixth argument points at {const sigset_t *ss; size_t ss_len} */
PX_SYSCALL(pselect6)
{
    int64_t nfds = (int32_t)PX_ARG0;
    uint64_t in = PX_ARG1, out = PX_ARG2, ex = PX_ARG3, tsp = PX_ARG4, sig = PX_ARG5;
    px_deadline d;
    int64_t r = px_deadline_of_timespec(tsp, &d);
    if (r < 0) return r;
    if (sig) {
        uint64_t ss[2];
        if (px_copy_in(ss, sig, sizeof ss) < 0) return -LINUX_EFAULT;
        if (ss[0] && ss[1] != 8) return -LINUX_EINVAL;
        uint64_t mask;
        if (ss[0] && PX_GET(&mask, ss[0]) < 0) return -LINUX_EFAULT;
    }
    r = do_select(nfds, in, out, ex, &d);
    if (r >= 0 || r == -LINUX_EINTR) put_time_left(tsp, &d);
    return r;
}
