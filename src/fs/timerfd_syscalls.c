/* timerfd_create(2), timerfd_settime(2), timerfd_gettime(2): a timer as a file. read
   takes the count of expirations since the last read (a u64) and waits while it is 0;
   poll says POLLIN once the timer expired. No host thread keeps the timer: expirations
   are counted from the clock whenever the file is looked at (px_timer_advance), and a
   wait for it retries at the next expiry. A host event wakes the waiters when settime
   changes the timer. Like eventfd's counter, the timer is one object for every process
   the file reaches (fork, execve into a new process: fs/anon_shared.h); the clocks are
   the machine's. TFD_TIMER_CANCEL_ON_SET is accepted, but picolx does not see the host's
   clock being set, so a read never gives ECANCELED. */
#include "fs/anon_shared.h"
#include "fs/fd_handoff.h"
#include "fs/fs_internal.h"
#include "core/cred.h"
#include "kernel/kernel.h"
#include "kernel/timer_math.h"

enum { CHANGED = 0 }; /* the event set when settime ran (waiters look again) */

typedef struct timerfd_state {
    int32_t clock;            /* enum px_clock_kind: WALL or ELAPSED */
    int32_t pad;
    int64_t expiry, interval; /* ns on the clock; expiry 0: disarmed */
    uint64_t ticks;           /* expirations not yet read */
} timerfd_state;

static timerfd_state *state_of(px_file *f) { return px_anon_shared_state(f->data); }

/* With the lock held: the expirations the clock passed, counted. */
static void catch_up(timerfd_state *s)
{
    s->ticks += px_timer_advance(&s->expiry, s->interval, px_clock_now((enum px_clock_kind)s->clock));
}

static int64_t timerfd_read(px_file *f, void *buf, uint64_t len)
{
    timerfd_state *s = state_of(f);
    if (len < 8) return -LINUX_EINVAL;
    px_anon_shared_lock(f->data);
    catch_up(s);
    int64_t r = 8;
    if (!s->ticks) r = (f->status_flags & LINUX_O_NONBLOCK) ? -LINUX_EAGAIN : PX_WOULD_BLOCK;
    else if (px_copy_out_partial((uint64_t)(uintptr_t)buf, &s->ticks, 8) != 8) r = -LINUX_EFAULT;
    else s->ticks = 0;
    px_anon_shared_unlock(f->data);
    return r;
}

static uint32_t timerfd_poll(px_file *f, uint32_t events)
{
    timerfd_state *s = state_of(f);
    (void)events;
    px_anon_shared_lock(f->data);
    catch_up(s);
    uint32_t ready = s->ticks ? LINUX_POLLIN : 0;
    px_anon_shared_unlock(f->data);
    return ready;
}

static int64_t timerfd_wait_on(px_file *f, uint32_t events, px_wait_on *w)
{
    timerfd_state *s = state_of(f);
    (void)events;
    px_anon_shared_lock(f->data);
    px_anon_shared_mirror(f->data, CHANGED, false); /* a settime after this sets it again */
    int64_t now = px_clock_now((enum px_clock_kind)s->clock);
    w->retry_ns = !s->expiry ? -1 : s->expiry > now ? s->expiry - now : 1;
    px_anon_shared_unlock(f->data);
    px_wait_on_add(w, px_anon_shared_event(f->data, CHANGED));
    return 0;
}

static px_file *timerfd_rebuild(const px_handoff_file *hf);
const px_file_handoff px_timerfd_handoff = {.kind = PX_HANDOFF_TIMERFD, .rebuild = timerfd_rebuild};

static const px_file_ops timerfd_ops = {
    .read = timerfd_read, .poll = timerfd_poll, .wait_on = timerfd_wait_on, .stat = px_anon_file_stat,
    .release = px_anon_shared_file_release, .handoff = &px_timerfd_handoff,
};

static px_file *timerfd_file(px_anon_shared *o, uint32_t status_flags)
{
    return px_anon_shared_file(o, &timerfd_ops, status_flags, "anon_inode:[timerfd]");
}

static px_file *timerfd_rebuild(const px_handoff_file *hf)
{
    px_anon_shared o;
    if (!hf->handle || px_anon_shared_open(&o, hf->handle, sizeof(timerfd_state)) < 0) return NULL;
    return timerfd_file(&o, hf->status_flags);
}

/* timerfd_create(2): CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME and, for root (the
   CAP_WAKE_ALARM Linux asks for), the two alarm clocks, which cannot wake a sleeping
   machine here. */
PX_SYSCALL(timerfd_create)
{
    int32_t clk = (int32_t)PX_ARG0;
    uint32_t flags = (uint32_t)PX_ARG1;
    if (flags & ~(LINUX_TFD_CLOEXEC | LINUX_TFD_NONBLOCK)) return -LINUX_EINVAL;
    if (clk != LINUX_CLOCK_REALTIME && clk != LINUX_CLOCK_MONOTONIC && clk != LINUX_CLOCK_BOOTTIME &&
        clk != LINUX_CLOCK_REALTIME_ALARM && clk != LINUX_CLOCK_BOOTTIME_ALARM)
        return -LINUX_EINVAL;
    if ((clk == LINUX_CLOCK_REALTIME_ALARM || clk == LINUX_CLOCK_BOOTTIME_ALARM) && px_current()->cred->euid != 0)
        return -LINUX_EPERM;
    px_anon_shared o;
    if (px_anon_shared_new(&o, sizeof(timerfd_state)) < 0) return -LINUX_ENOMEM;
    ((timerfd_state *)px_anon_shared_state(&o))->clock = px_clock_kind_of(clk);
    px_file *f = timerfd_file(&o, LINUX_O_RDWR | (flags & LINUX_TFD_NONBLOCK));
    if (!f) return -LINUX_ENOMEM;
    int64_t r = px_fd_install(f, 0, (flags & LINUX_TFD_CLOEXEC) != 0);
    if (r < 0) px_file_unref(f);
    return r;
}

/* The timerfd at fd with a reference, or NULL and *err (EBADF, or EINVAL: not a timerfd). */
static px_file *timerfd_get(int fd, int64_t *err)
{
    px_file *f = px_fd_get(fd);
    *err = f ? -LINUX_EINVAL : -LINUX_EBADF;
    if (f && f->ops != &timerfd_ops) {
        px_file_unref(f);
        return NULL;
    }
    return f;
}

/* The timer's setting as gettime gives it, after counting what passed. */
static struct linux_itimerspec report_locked(timerfd_state *s)
{
    catch_up(s);
    return px_timer_report(s->expiry, s->interval, px_clock_now((enum px_clock_kind)s->clock));
}

/* timerfd_settime(2) */
PX_SYSCALL(timerfd_settime)
{
    int fd = (int)PX_ARG0;
    uint32_t flags = (uint32_t)PX_ARG1;
    uint64_t new_ptr = PX_ARG2, old_ptr = PX_ARG3;
    struct linux_itimerspec its;
    if (px_copy_in(&its, new_ptr, sizeof its) < 0) return -LINUX_EFAULT;
    int64_t value, interval;
    if (flags & ~(uint32_t)(LINUX_TFD_TIMER_ABSTIME | LINUX_TFD_TIMER_CANCEL_ON_SET)) return -LINUX_EINVAL;
    if (px_itimerspec_ns(&its, &value, &interval) < 0) return -LINUX_EINVAL;
    int64_t r;
    px_file *f = timerfd_get(fd, &r);
    if (!f) return r;
    timerfd_state *s = state_of(f);
    r = 0;
    {
        px_anon_shared_lock(f->data);
        struct linux_itimerspec old = report_locked(s);
        s->expiry = px_timer_expiry(value, flags & LINUX_TFD_TIMER_ABSTIME, px_clock_now((enum px_clock_kind)s->clock));
        s->interval = s->expiry ? interval : 0;
        s->ticks = 0; /* Linux drops the expirations not yet read */
        px_anon_shared_mirror(f->data, CHANGED, true);
        px_anon_shared_unlock(f->data);
        if (old_ptr && px_copy_out(old_ptr, &old, sizeof old) < 0) r = -LINUX_EFAULT;
    }
    px_file_unref(f);
    return r;
}

/* timerfd_gettime(2) */
PX_SYSCALL(timerfd_gettime)
{
    int fd = (int)PX_ARG0;
    uint64_t cur_ptr = PX_ARG1;
    int64_t err;
    px_file *f = timerfd_get(fd, &err);
    if (!f) return err;
    timerfd_state *s = state_of(f);
    px_anon_shared_lock(f->data);
    struct linux_itimerspec cur = report_locked(s);
    px_anon_shared_unlock(f->data);
    px_file_unref(f);
    return px_copy_out(cur_ptr, &cur, sizeof cur) < 0 ? -LINUX_EFAULT : 0;
}
