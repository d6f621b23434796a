/* wait4 and waitid: the children fork made (px_process.children). Each child is a Windows
   process whose exit code says its wait status (task/process.h: px_wait_status_of_exit_code);
   a child that execs a fixed-address program in yet another process passes that one's code
   on, so the process fork made is the one to wait for. A zombie is a child whose process
   has ended and is still in the list: it stays until reaped (or WNOWAIT leaves it). The
   wait blocks through px_block on the children's processes (at most PX_BLOCK_MAX_HANDLES
   at a time: beyond that, the wait looks again every 50 ms).

   A child that ended says so in the process table before its Windows process is gone, and
   sends SIGCHLD (signal_remote.c): a wait counts it as ended from then on, so a SIGCHLD
   handler's waitpid(WNOHANG) finds it. Stopped and continued children (WUNTRACED,
   WCONTINUED) leave a report in their table entry; each SIGCHLD sets child_event, which
   every blocking wait waits on too. With SIGCHLD ignored or SA_NOCLDWAIT a child leaves
   no zombie: reaped when its SIGCHLD comes, or by the wait that finds it first. */
#include "core/errors.h"
#include "linux_signal.h"
#include "core/px.h"
#include "core/uaccess.h"
#include "host/host_process.h"
#include "host/host_sync.h"
#include "host/host_system.h"
#include "kernel/block.h"
#include "kernel/identity.h"
#include "kernel/kernel.h"
#include "kernel/pidfd.h"
#include "kernel/signal.h"
#include "task/process.h"
#include "task/ptable.h"
#include "task/ptable_rules.h"

/* Most child processes one wait names (child_event is one more). */
#define WAIT_MAX_CHILDREN (PX_BLOCK_MAX_HANDLES - 1)

static px_host_handle child_event; /* manual-reset: a child's state changed (SIGCHLD came) */

static px_host_handle child_event_get(void)
{
    px_host_handle h = __atomic_load_n(&child_event, __ATOMIC_ACQUIRE);
    if (h) return h;
    px_host_handle made = px_host_event_new(true, false, false);
    px_host_handle expected = NULL;
    if (made && !__atomic_compare_exchange_n(&child_event, &expected, made, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        px_host_close(made);
        return expected;
    }
    return made;
}

/* Whether SIGCHLD's action says children leave no zombies. */
static bool no_zombies(void)
{
    struct linux_sigaction a = {0};
    px_signal_action(LINUX_SIGCHLD, &a);
    return a.sa_handler == LINUX_SIG_IGN || (a.sa_flags & LINUX_SA_NOCLDWAIT);
}

/* Which children a wait asks for (Linux's enum pid_type with the id). */
typedef struct wait_filter {
    int kind; /* LINUX_P_ALL, LINUX_P_PID, LINUX_P_PGID */
    int32_t id;
} wait_filter;

/* What a reaped (or, with WNOWAIT, looked at) child gives. */
typedef struct wait_result {
    int32_t pid;
    int32_t status;   /* the wait status */
    px_host_times times;
    uint64_t peak_rss;  /* bytes */
} wait_result;

/* A child's group now: the table's (it or we may have moved it), else what we knew. */
static int32_t group_of(int32_t pid, int32_t known)
{
    px_ptable_entry e;
    return px_ptable_lookup(pid, &e) == 0 ? e.pgid : known;
}

static bool wanted_pid(int32_t pid, int32_t pgid, const wait_filter *f)
{
    switch (f->kind) {
    case LINUX_P_PID: return pid == f->id;
    case LINUX_P_PGID: return pgid == f->id;
    default: return true;
    }
}

static bool wanted(const px_child *c, const wait_filter *f)
{
    return wanted_pid(c->pid, f->kind == LINUX_P_PGID ? group_of(c->pid, c->pgid) : c->pgid, f);
}

static bool in_list(const struct px_process *p, int32_t pid)
{
    for (size_t i = 0; i < p->child_count; i++)
        if (p->children[i].pid == pid) return true;
    return false;
}

/* Children we did not fork ourselves: orphans the table gave us, a CLONE_PARENT
   sibling's. A zombie among them is reaped from its table entry (1, *out); running ones
   add their processes to handles (opened here: the caller closes them). */
static int look_in_table(struct px_process *p, const wait_filter *f, bool keep, wait_result *out, void **handles,
                         size_t *n, int found)
{
    int32_t cursor = 0;
    px_ptable_entry e;
    while (px_ptable_next(&cursor, &e)) {
        if (e.ppid != p->tgid || (e.flags & (PX_PTABLE_HOST_PARENT | PX_PTABLE_ORPHAN)) || in_list(p, e.pid) ||
            !wanted_pid(e.pid, e.pgid, f))
            continue;
        if (e.state == PX_PTABLE_ZOMBIE) {
            out->pid = e.pid;
            out->status = e.wait_status;
            memset(&out->times, 0, sizeof out->times);
            out->peak_rss = e.peak_rss;
            if (!keep && e.peak_rss > p->children_peak_rss) p->children_peak_rss = e.peak_rss;
            if (!keep) px_ptable_reaped(e.pid);
            return 1;
        }
        found = 0;
        px_host_handle h = *n < WAIT_MAX_CHILDREN ? px_host_process_open(e.host_pid) : NULL;
        if (h) handles[(*n)++] = h;
    }
    return found;
}

/* Removes children[i] (reaped), its times added to the children's. */
static void remove_child(struct px_process *p, size_t i, const px_host_times *times)
{
    px_child *c = &p->children[i];
    if (times) {
        p->children_utime += times->user;
        p->children_stime += times->kernel;
    }
    int32_t pid = c->pid;
    px_host_close(c->process);
    p->children[i] = p->children[--p->child_count];
    px_ptable_reaped(pid);
}

/* Whether child c has ended, and its wait status: its process is gone, or it said so in
   the table (it is about to go). */
static bool ended_status(const px_child *c, int32_t *status)
{
    if (px_host_wait(c->process, 0) == 0) {
        uint32_t code = 0;
        if (px_host_process_exit_code(c->process, &code) < 0) code = PX_EXIT_SIGNALED | LINUX_SIGKILL;
        *status = px_wait_status_of_exit_code(code);
        return true;
    }
    px_ptable_entry e;
    if (px_ptable_lookup(c->pid, &e) == 0 && e.state == PX_PTABLE_ZOMBIE) {
        *status = e.wait_status;
        return true;
    }
    return false;
}

/* One look: 1 and *out if a wanted child has ended (removed from the list unless
   keep) or, as options ask, stopped or continued; 0 if wanted children run (copies
   of their process handles in handles, *n of them, for the caller to close), -ECHILD if none is wanted. */
static int look(struct px_process *p, const wait_filter *f, int options, wait_result *out, void **handles, size_t *n)
{
    int found = -LINUX_ECHILD;
    bool keep = (options & LINUX_WNOWAIT) != 0;
    uint32_t job = ((options & LINUX_WSTOPPED) ? PX_PTABLE_REPORT_STOPPED : 0) |
                   ((options & LINUX_WCONTINUED) ? PX_PTABLE_REPORT_CONTINUED : 0);
    bool reap_all = (options & LINUX_WEXITED) && no_zombies();
    *n = 0;
    px_host_rwlock_lock(&p->lock);
    for (size_t i = 0; i < p->child_count; i++) {
        px_child *c = &p->children[i];
        if (!wanted(c, f)) continue;
        found = 0;
        int32_t status;
        if (!ended_status(c, &status)) { /* still running */
            int32_t report = px_ptable_take_job_report(c->pid, job, keep);
            if (report) {
                out->pid = c->pid;
                out->status = report;
                memset(&out->times, 0, sizeof out->times);
                out->peak_rss = 0;
                found = 1;
                break;
            }
            /* a copy: with SIGCHLD ignored the doorbell may reap c (closing its handle) while we wait */
            px_host_handle h;
            if (*n < WAIT_MAX_CHILDREN && px_host_handle_dup(c->process, px_host_self(), false, &h) == 0)
                handles[(*n)++] = h;
            continue;
        }
        if (!(options & LINUX_WEXITED)) continue;
        if (reap_all) { /* no zombie: reaped here, and the wait goes on for the others */
            px_host_times times;
            remove_child(p, i--, px_host_process_times(c->process, &times) == 0 ? &times : NULL);
            continue;
        }
        out->pid = c->pid;
        out->status = status;
        if (px_host_process_times(c->process, &out->times) < 0) memset(&out->times, 0, sizeof out->times);
        px_host_memory_use mem;
        out->peak_rss = px_host_process_memory_of(c->process, &mem) == 0 ? mem.peak_working_set : 0;
        px_ptable_entry e;
        if (!out->peak_rss && px_ptable_lookup(c->pid, &e) == 0) out->peak_rss = e.peak_rss;
        if (!keep) {
            if (out->peak_rss > p->children_peak_rss) p->children_peak_rss = out->peak_rss;
            remove_child(p, i, &out->times);
        }
        found = 1;
        break;
    }
    if (found != 1 && (options & LINUX_WEXITED)) found = look_in_table(p, f, keep, out, handles, n, found);
    px_host_rwlock_unlock(&p->lock);
    return found;
}

/* Waits for a wanted child to end: its pid and *out, 0 with WNOHANG when none has, or
   -LINUX_ECHILD / -LINUX_ERESTARTSYS (interrupted). */
static int64_t wait_child(const wait_filter *f, int options, wait_result *out)
{
    struct px_process *p = px_kernel_self()->process;
    void *handles[PX_BLOCK_MAX_HANDLES];
    px_host_handle changed = child_event_get();
    for (;;) {
        size_t n = 0;
        if (changed) px_host_event_reset(changed); /* before the look: a SIGCHLD after it sets it again */
        int r = look(p, f, options, out, handles, &n);
        int w = 0;
        if (r == 0 && !(options & LINUX_WNOHANG)) {
            /* more children than one wait can name, or one the table had but no process
               of: look again now and then */
            px_deadline later = px_deadline_after(px_clock_monotonic_ns(), 50 * 1000000LL);
            bool poll = n == WAIT_MAX_CHILDREN || n == 0 || !changed;
            if (changed) handles[n] = changed;
            w = px_block(handles, n + (changed != NULL), poll ? &later : NULL);
        }
        for (size_t i = 0; i < n; i++) px_host_close(handles[i]);
        if (r < 0) return r;
        if (r > 0) {
            /* the child queued its SIGCHLD as it became a zombie: pending before we return, as on Linux */
            px_sigbell_take_now();
            return out->pid;
        }
        if (options & LINUX_WNOHANG) return 0;
        if (w == PX_BLOCK_INTERRUPTED) return -LINUX_ERESTARTSYS;
        if (w == PX_BLOCK_FAILED) return -LINUX_EINVAL;
    }
}

static struct linux_timeval timeval_of_100ns(int64_t t)
{
    if (t < 0) t = 0;
    return (struct linux_timeval){t / 10000000, t % 10000000 / 10};
}

static int64_t put_rusage(uint64_t addr, const wait_result *w)
{
    if (!addr) return 0;
    struct linux_rusage ru = {0};
    ru.ru_utime = timeval_of_100ns(w->times.user);
    ru.ru_stime = timeval_of_100ns(w->times.kernel);
    ru.ru_maxrss = (int64_t)(w->peak_rss / 1024);
    return PX_PUT(addr, &ru);
}

/* wait4(2) */
PX_SYSCALL(wait4)
{
    int32_t pid = (int32_t)PX_ARG0;
    uint64_t status_ptr = PX_ARG1, rusage_ptr = PX_ARG3;
    int options = (int)PX_ARG2;
    if (options & ~(LINUX_WNOHANG | LINUX_WUNTRACED | LINUX_WCONTINUED | LINUX___WNOTHREAD | LINUX___WCLONE |
                    LINUX___WALL))
        return -LINUX_EINVAL;
    if (pid == INT32_MIN) return -LINUX_ESRCH; /* -pid overflows */
    wait_filter f = {.kind = LINUX_P_ALL};
    if (pid > 0) f = (wait_filter){LINUX_P_PID, pid};
    else if (pid < -1) f = (wait_filter){LINUX_P_PGID, -pid};
    else if (pid == 0) {
        struct px_process *p = px_kernel_self()->process;
        px_host_rwlock_lock_shared(&p->lock);
        f = (wait_filter){LINUX_P_PGID, p->pgid};
        px_host_rwlock_unlock_shared(&p->lock);
    }
    wait_result w = {0};
    int64_t r = wait_child(&f, options | LINUX_WEXITED, &w);
    if (r <= 0) return r;
    /* Linux writes the status and rusage after reaping; a bad pointer gives EFAULT then */
    if (status_ptr && PX_PUT(status_ptr, &w.status) < 0) return -LINUX_EFAULT;
    if (put_rusage(rusage_ptr, &w) < 0) return -LINUX_EFAULT;
    return r;
}

/* waitid(2): P_ALL, P_PID, P_PGID (P_PIDFD with pidfds, later) */
PX_SYSCALL(waitid)
{
    int which = (int)PX_ARG0;
    int32_t id = (int32_t)PX_ARG1;
    uint64_t info_ptr = PX_ARG2, rusage_ptr = PX_ARG4;
    int options = (int)PX_ARG3;
    if (options & ~(LINUX_WNOHANG | LINUX_WNOWAIT | LINUX_WEXITED | LINUX_WSTOPPED | LINUX_WCONTINUED |
                    LINUX___WNOTHREAD | LINUX___WCLONE | LINUX___WALL))
        return -LINUX_EINVAL;
    if (!(options & (LINUX_WEXITED | LINUX_WSTOPPED | LINUX_WCONTINUED))) return -LINUX_EINVAL;
    wait_filter f;
    switch (which) {
    case LINUX_P_ALL: f = (wait_filter){LINUX_P_ALL, 0}; break;
    case LINUX_P_PID:
        if (id <= 0) return -LINUX_EINVAL;
        f = (wait_filter){LINUX_P_PID, id};
        break;
    case LINUX_P_PGID:
        if (id < 0) return -LINUX_EINVAL;
        if (id == 0) {
            struct px_process *p = px_kernel_self()->process;
            px_host_rwlock_lock_shared(&p->lock);
            id = p->pgid;
            px_host_rwlock_unlock_shared(&p->lock);
        }
        f = (wait_filter){LINUX_P_PGID, id};
        break;
    case LINUX_P_PIDFD: {
        int32_t pid = px_pidfd_pid(id);
        if (pid < 0) return pid;
        f = (wait_filter){LINUX_P_PID, pid};
        break;
    }
    default: return -LINUX_EINVAL;
    }
    wait_result w = {0};
    int64_t r = wait_child(&f, options, &w);
    if (r < 0) return r;
    if (info_ptr) {
        struct linux_siginfo si = {0};
        if (r > 0) {
            si.si_signo = LINUX_SIGCHLD;
            int sig = w.status & 0x7f;
            si.si_code = sig == 0 ? LINUX_CLD_EXITED : (w.status & 0x80) ? LINUX_CLD_DUMPED : LINUX_CLD_KILLED;
            si.sigchld.status = sig == 0 ? (w.status >> 8) & 0xff : sig;
            if (w.status == 0xffff) {
                si.si_code = LINUX_CLD_CONTINUED;
                si.sigchld.status = LINUX_SIGCONT;
            } else if (sig == 0x7f) {
                si.si_code = LINUX_CLD_STOPPED;
                si.sigchld.status = (w.status >> 8) & 0xff;
            }
            si.sigchld.pid = w.pid;
            si.sigchld.uid = px_kernel_self()->cred->uid;
            si.sigchld.utime = w.times.user / 100000; /* clock ticks of 10 ms */
            si.sigchld.stime = w.times.kernel / 100000;
        }
        if (PX_PUT(info_ptr, &si) < 0) return -LINUX_EFAULT; /* WNOHANG with none: all zero, as Linux */
    }
    if (r > 0 && put_rusage(rusage_ptr, &w) < 0) return -LINUX_EFAULT;
    return 0;
}

void px_wait_child_changed(int32_t pid, bool reap)
{
    px_task *t = px_current();
    struct px_process *p = t ? t->process : NULL;
    if (reap && p) {
        px_host_rwlock_lock(&p->lock);
        for (size_t i = 0; i < p->child_count; i++)
            if (p->children[i].pid == pid) {
                remove_child(p, i, NULL);
                break;
            }
        px_host_rwlock_unlock(&p->lock);
    }
    px_host_handle h = child_event_get();
    if (h) px_host_event_set(h);
}
