/* The doorbell of a picolx process: how signals reach it from the other picolx processes
   of the session. A sender posts the signal in the target's queue in the session's
   process table (px_ptable_post_signal) and sets the target's named event; a runtime
   thread of the target waits on that event, takes what is queued and raises each signal
   inside the process as a sender there would (px_signal_receive_queue: made pending, a blocked
   wait woken through its interrupt event, guest code redirected). The event exists before
   the table says the process has a doorbell, and the thread looks at the queue once at
   its start, so a signal posted meanwhile (or to an execve's successor before it ran)
   waits in the queue and is not lost.

   The same thread watches the processes of this process's children (copies of their
   handles): a child ended from outside (TerminateProcess from Windows) ran no exit that
   told its parent, so when its process ends and its record still runs, the record ends
   here with its exit code's status and SIGCHLD is queued for this process
   (px_ptable_end_dead), as Linux's exit_notify sends it for any death. */
#include "core/px.h"
#include "host/host_process.h"
#include "host/host_sync.h"
#include "host/host_thread.h"
#include "kernel/kernel.h"
#include "kernel/signal.h"
#include "task/process.h"
#include "task/ptable.h"

static px_host_handle bell;

/* L"Local\\picolx-sigbell-<Windows pid>" */
static void bell_name(wchar_t *out, uint32_t host_pid)
{
    static const char prefix[] = "Local\\picolx-sigbell-";
    size_t n = 0;
    for (; prefix[n]; n++) out[n] = (wchar_t)prefix[n];
    char digits[12];
    int d = 0;
    do digits[d++] = (char)('0' + host_pid % 10); while ((host_pid /= 10) && d < 11);
    while (d) out[n++] = (wchar_t)digits[--d];
    out[n] = 0;
}

void px_sigbell_ring(uint32_t host_pid)
{
    wchar_t name[48];
    bell_name(name, host_pid);
    px_host_handle h = px_host_event_open(name);
    if (h) { /* none: the process that runs pid now has not made it yet, and will look */
        px_host_event_set(h);
        px_host_close(h);
    }
}

/* Taking the queue and making its signals pending is one step (receiving): the doorbell's
   thread and a wait that reaps a child (px_sigbell_take_now) may both do it, and a
   signal one of them took is pending before the other returns. */
static px_host_rwlock receiving = PX_HOST_RWLOCK_INIT;

/* Takes what is queued and makes it pending; then pushes another thread to each signal
   that needs it (px_signal_push), outside the lock: a push may wait for that thread. */
static void receive_queued(void)
{
    uint64_t push = 0; /* bit sig - 1 */
    struct { int32_t tid, sig; } thread_push[PX_PTABLE_SIGNALS];
    size_t thread_pushes = 0;
    px_host_rwlock_lock(&receiving);
    px_ptable_signal s[PX_PTABLE_SIGNALS];
    size_t n;
    while ((n = px_ptable_take_signals(s, PX_PTABLE_SIGNALS)) > 0) {
        for (size_t i = 0; i < n; i++) {
            struct linux_siginfo info = {.si_signo = s[i].signo, .si_code = s[i].code};
            info.kill.pid = s[i].pid;
            info.kill.uid = s[i].uid;
            memcpy(&info.rt.sigval, &s[i].value, sizeof s[i].value);
            if (!s[i].tid) {
                if (px_signal_receive_queue(&info)) push |= 1ull << (s[i].signo - 1);
                continue;
            }
            int32_t tid = px_signal_receive_thread(s[i].tid, &info);
            if (!tid) continue;
            if (thread_pushes < PX_PTABLE_SIGNALS) {
                thread_push[thread_pushes].tid = tid;
                thread_push[thread_pushes++].sig = s[i].signo;
            } else {
                px_signal_push_thread(tid, s[i].signo); /* more than a queue's worth: now */
            }
        }
    }
    px_host_rwlock_unlock(&receiving);
    for (size_t i = 0; i < thread_pushes; i++) px_signal_push_thread(thread_push[i].tid, thread_push[i].sig);
    for (int sig = 1; push; sig++, push >>= 1)
        if (push & 1) px_signal_push(sig);
}

/* The children the doorbell thread watches: its own copies of their process handles
   (wait.c closes the children's own when it reaps them). One wait takes the bell and
   at most PX_HOST_WAIT_MAX - 1 of them; further children are told by their finders. */
#define WATCHED_MAX (PX_HOST_WAIT_MAX - 1)
typedef struct watch_list {
    size_t n;
    struct {
        int32_t pid;
        px_host_handle process; /* NULL once it ended: kept until reaped, so not watched again */
    } w[WATCHED_MAX];
} watch_list;

static void unwatch(watch_list *l, size_t i)
{
    if (l->w[i].process) px_host_close(l->w[i].process);
    l->w[i] = l->w[--l->n];
}

/* In step with the process's children (fork adds them and rings the bell). */
static void watch_refresh(watch_list *l)
{
    px_task *t = px_current();
    if (!t) return;
    struct px_process *p = t->process;
    px_host_rwlock_lock_shared(&p->lock);
    for (size_t i = 0; i < l->n;) {
        bool still = false;
        for (size_t k = 0; k < p->child_count && !still; k++) still = p->children[k].pid == l->w[i].pid;
        if (still) i++;
        else unwatch(l, i);
    }
    for (size_t k = 0; k < p->child_count && l->n < WATCHED_MAX; k++) {
        bool known = false;
        for (size_t i = 0; i < l->n && !known; i++) known = l->w[i].pid == p->children[k].pid;
        px_host_handle copy;
        if (known || !p->children[k].process || px_host_handle_dup(p->children[k].process, px_host_self(), false, &copy) < 0)
            continue;
        l->w[l->n].pid = p->children[k].pid;
        l->w[l->n++].process = copy;
    }
    px_host_rwlock_unlock_shared(&p->lock);
}

/* Child i's process ended: told, if no exit of its own told us. */
static void watched_ended(watch_list *l, size_t i)
{
    uint32_t code;
    int32_t status = px_host_process_exit_code(l->w[i].process, &code) < 0 ? LINUX_SIGKILL
                                                                            : px_wait_status_of_exit_code(code);
    uint32_t parent_host_pid;
    px_ptable_end_dead(l->w[i].pid, status, &parent_host_pid); /* its SIGCHLD in our queue, taken next */
    px_host_close(l->w[i].process);
    l->w[i].process = NULL;
}

static void bell_main(void *arg)
{
    (void)arg;
    watch_list l = {0};
    for (;;) {
        receive_queued();
        watch_refresh(&l);
        px_host_handle handles[PX_HOST_WAIT_MAX] = {bell};
        size_t index[WATCHED_MAX], n = 0; /* handles[k + 1] is l.w[index[k]]'s */
        for (size_t i = 0; i < l.n; i++) {
            if (!l.w[i].process) continue;
            index[n] = i;
            handles[++n] = l.w[i].process;
        }
        int64_t fired = px_host_wait_any(n + 1, handles, PX_HOST_FOREVER);
        if (fired >= 1 && (size_t)fired <= n) watched_ended(&l, index[fired - 1]);
    }
}

void px_sigbell_children_changed(void)
{
    if (bell) px_host_event_set(bell);
}

void px_sigbell_take_now(void)
{
    if (bell) receive_queued();
}

/* Ctrl-C (and a `kill -INT` of the Windows process from the Linux side, which Wine turns
   into the same event), Ctrl-Break and the console's closing: SIGINT, SIGQUIT, SIGHUP for
   the foreground process group of the session's terminal. Each picolx process of the
   console gets the event from Windows, so each takes it for itself when its group is the
   foreground one, and lets it go by otherwise. */
static void console_event(int kind)
{
    int sig = kind == PX_HOST_CONSOLE_INTERRUPT ? LINUX_SIGINT : kind == PX_HOST_CONSOLE_BREAK ? LINUX_SIGQUIT : LINUX_SIGHUP;
    int32_t sid = px_ptable_self_sid(), pgid = px_ptable_self_pgid();
    if (sid && pgid && px_ptable_foreground(sid) != pgid) return;
    struct linux_siginfo info = {.si_signo = sig, .si_code = LINUX_SI_KERNEL};
    px_signal_send_process(sig, &info);
    if (kind == PX_HOST_CONSOLE_CLOSE) px_host_sleep_ms(2000); /* Windows ends the process when this returns */
}

void px_sigbell_start(void)
{
    if (bell || !px_ptable_self()) return;
    wchar_t name[48];
    bell_name(name, px_host_pid());
    bool existed;
    px_host_handle h = px_host_event_named(name, false, &existed);
    if (!h) return;
    bell = h;
    px_host_handle thread = px_host_thread_start(bell_main, NULL, 64 * 1024);
    if (!thread) {
        px_host_close(h);
        bell = NULL;
        return;
    }
    px_host_close(thread);
    px_ptable_set_sigbell(px_sigbell_ring);
    px_host_on_console_event(console_event);
}

static px_ptable_signal record_of(const struct linux_siginfo *info)
{
    px_ptable_signal s = {
        .signo = info->si_signo, .code = info->si_code, .pid = info->kill.pid, .uid = info->kill.uid,
    };
    memcpy(&s.value, &info->rt.sigval, sizeof s.value);
    return s;
}


int64_t px_sigbell_post(int32_t pid, int32_t tid, const struct linux_siginfo *info)
{
    px_ptable_signal s = record_of(info);
    s.tid = tid;
    uint32_t host_pid;
    int64_t r = px_ptable_post_signal(pid, &s, &host_pid);
    if (r < 0) return r;
    px_sigbell_ring(host_pid);
    return 0;
}

void px_sigbell_job(int32_t stop_sig, const struct linux_siginfo *to_parent)
{
    px_ptable_signal s = to_parent ? record_of(to_parent) : (px_ptable_signal){0};
    uint32_t parent_host_pid;
    px_ptable_set_job(stop_sig, to_parent ? &s : NULL, &parent_host_pid);
    if (parent_host_pid) px_sigbell_ring(parent_host_pid);
}

bool px_sigbell_exit(int32_t wait_status, uint64_t peak_rss, const struct linux_siginfo *to_parent,
                     px_ptable_orphaned *orphaned)
{
    px_ptable_signal s = to_parent ? record_of(to_parent) : (px_ptable_signal){0};
    uint32_t parent_host_pid;
    bool ended =
        px_ptable_exit(px_ptable_self(), wait_status, peak_rss, to_parent ? &s : NULL, &parent_host_pid, orphaned);
    if (parent_host_pid) px_sigbell_ring(parent_host_pid);
    return ended;
}
