/* signalfd(2), signalfd4(2): the signals of a mask as a file. A read takes the reader's
   pending signals of the mask (its thread's and its process's, as rt_sigtimedwait
   does), 128 bytes each (struct signalfd_siginfo), and waits while there is none; poll
   says POLLIN while one is pending. The signals stay pending until read, so a program
   blocks them with sigprocmask first. The file names only a mask, so fork and execve
   hand it on as that mask: the child's file reads the child's signals, as on Linux.
   poll and epoll see a signal that comes while they wait within SIGNALFD_RECHECK_NS. */
#include "fs/fd_handoff.h"
#include "fs/fs_internal.h"
#include "kernel/deadline.h"
#include "kernel/signal.h"
#include "linux_signal.h"

#define SIGNALFD_RECHECK_NS (10 * 1000 * 1000)

typedef struct signalfd_state {
    uint64_t mask; /* __atomic: a later signalfd(fd, ...) changes it */
} signalfd_state;

static uint64_t mask_of(px_file *f) { return __atomic_load_n(&((signalfd_state *)f->data)->mask, __ATOMIC_ACQUIRE); }

static bool is_fault(int sig)
{
    return sig == LINUX_SIGSEGV || sig == LINUX_SIGBUS || sig == LINUX_SIGILL || sig == LINUX_SIGFPE ||
           sig == LINUX_SIGTRAP;
}

/* Linux's signalfd_copyinfo: the fields of the siginfo's layout for its signal and code. */
static struct linux_signalfd_siginfo ssi_of(const struct linux_siginfo *si)
{
    struct linux_signalfd_siginfo o = {.ssi_signo = (uint32_t)si->si_signo, .ssi_errno = si->si_errno,
                                       .ssi_code = si->si_code};
    if (si->si_code == LINUX_SI_TIMER) {
        o.ssi_tid = (uint32_t)si->timer.tid;
        o.ssi_overrun = (uint32_t)si->timer.overrun;
        o.ssi_ptr = si->timer.sigval.sival_ptr;
        o.ssi_int = (int32_t)si->timer.sigval.sival_ptr;
    } else if (si->si_code > 0 && si->si_signo == LINUX_SIGCHLD) {
        o.ssi_pid = (uint32_t)si->sigchld.pid;
        o.ssi_uid = si->sigchld.uid;
        o.ssi_status = si->sigchld.status;
        o.ssi_utime = (uint64_t)si->sigchld.utime;
        o.ssi_stime = (uint64_t)si->sigchld.stime;
    } else if (si->si_code > 0 && is_fault(si->si_signo)) {
        o.ssi_addr = si->sigfault.addr;
    } else {
        o.ssi_pid = (uint32_t)si->rt.pid;
        o.ssi_uid = si->rt.uid;
        if (si->si_code == LINUX_SI_QUEUE || si->si_code == LINUX_SI_MESGQ || si->si_code < LINUX_SI_MESGQ) {
            o.ssi_ptr = si->rt.sigval.sival_ptr;
            o.ssi_int = (int32_t)si->rt.sigval.sival_ptr;
        }
    }
    return o;
}

static int64_t signalfd_read(px_file *f, void *buf, uint64_t len)
{
    const size_t one = sizeof(struct linux_signalfd_siginfo);
    if (len < one) return -LINUX_EINVAL;
    uint64_t mask = mask_of(f);
    size_t done = 0;
    while (done + one <= len) {
        struct linux_siginfo si;
        bool wait = done == 0 && !(f->status_flags & LINUX_O_NONBLOCK);
        int64_t r = px_signal_take_pending(mask, &si, NULL, wait);
        if (r < 0) {
            if (done) break;
            return r == -LINUX_EINTR ? -LINUX_ERESTARTSYS : r; /* a read: restarted by SA_RESTART */
        }
        struct linux_signalfd_siginfo o = ssi_of(&si);
        if (px_copy_out_partial((uint64_t)(uintptr_t)buf + done, &o, one) != one) return done ? (int64_t)done : -LINUX_EFAULT;
        done += one;
    }
    return (int64_t)done;
}

static uint32_t signalfd_poll(px_file *f, uint32_t events)
{
    (void)events;
    return (px_signal_pending_of_self() & mask_of(f)) ? LINUX_POLLIN : 0;
}

static int64_t signalfd_wait_on(px_file *f, uint32_t events, px_wait_on *w)
{
    (void)f;
    (void)events;
    w->retry_ns = SIGNALFD_RECHECK_NS; /* no host object says a signal came: look again */
    return 0;
}

static void signalfd_release(px_file *f) { px_free(f->data); }

static size_t signalfd_save(px_file *f, void *state)
{
    uint64_t mask = mask_of(f);
    memcpy(state, &mask, sizeof mask);
    return sizeof mask;
}

static px_file *signalfd_rebuild(const px_handoff_file *hf);
const px_file_handoff px_signalfd_handoff = {
    .kind = PX_HANDOFF_SIGNALFD, .no_handle = true, .save = signalfd_save, .rebuild = signalfd_rebuild};

static const px_file_ops signalfd_ops = {
    .read = signalfd_read, .poll = signalfd_poll, .wait_on = signalfd_wait_on, .stat = px_anon_file_stat,
    .release = signalfd_release, .handoff = &px_signalfd_handoff,
};

static px_file *signalfd_file(uint64_t mask, uint32_t status_flags)
{
    signalfd_state *s = px_alloc(sizeof *s);
    px_file *f = s ? px_file_new(&signalfd_ops, NULL, status_flags) : NULL;
    char *name = f ? px_strdup("anon_inode:[signalfd]") : NULL;
    if (!name) {
        px_free(s);
        px_free(f);
        return NULL;
    }
    s->mask = mask;
    f->data = s;
    f->guest_path = name;
    return f;
}

static px_file *signalfd_rebuild(const px_handoff_file *hf)
{
    uint64_t mask;
    if (hf->state_len != sizeof mask) return NULL;
    memcpy(&mask, hf->state, sizeof mask);
    return signalfd_file(mask, hf->status_flags);
}

static int64_t do_signalfd(int fd, uint64_t mask_ptr, uint64_t size, uint32_t flags)
{
    if (size != sizeof(uint64_t) || (flags & ~(uint32_t)(LINUX_SFD_CLOEXEC | LINUX_SFD_NONBLOCK))) return -LINUX_EINVAL;
    uint64_t mask;
    if (px_copy_in(&mask, mask_ptr, sizeof mask) < 0) return -LINUX_EFAULT;
    /* SIGKILL and SIGSTOP in it are never read: px_signal_take_pending leaves them out */
    if (fd != -1) {
        px_file *f = px_fd_get(fd);
        if (!f) return -LINUX_EBADF;
        int64_t r = f->ops == &signalfd_ops ? fd : -LINUX_EINVAL;
        if (r >= 0) __atomic_store_n(&((signalfd_state *)f->data)->mask, mask, __ATOMIC_RELEASE);
        px_file_unref(f);
        return r;
    }
    px_file *f = signalfd_file(mask, LINUX_O_RDWR | (flags & LINUX_SFD_NONBLOCK));
    if (!f) return -LINUX_ENOMEM;
    int64_t r = px_fd_install(f, 0, (flags & LINUX_SFD_CLOEXEC) != 0);
    if (r < 0) px_file_unref(f);
    return r;
}

/* signalfd(2) */
PX_SYSCALL(signalfd) { return do_signalfd((int)PX_ARG0, PX_ARG1, PX_ARG2, 0); }

/* signalfd4(2) */
PX_SYSCALL(signalfd4) { return do_signalfd((int)PX_ARG0, PX_ARG1, PX_ARG2, (uint32_t)PX_ARG3); }
