/* Signals: rt_sigaction and rt_sigprocmask record and validate what the guest asks
   for, as the kernel would. A signal for this process (kill, tkill, tgkill,
   rt_sigqueueinfo; one from another process comes through the doorbell, sigbell.c) is
   made pending (an ignored one discarded), and delivered on the task's way back to the
   guest, as Linux's exit_to_user_mode does:
   - after a syscall (entry.S's exit path: px_signal_exit, then px_signal_exit_xstate
     with the guest's FPU state saved, which builds the frame with sigframe.c);
   - a task blocked in px_block is woken by its interrupt event: the call returns a
     restart code, which the exit path turns into EINTR or a restart (SA_RESTART);
   - a task running guest code that makes no syscalls is suspended by the sender and
     redirected to px_signal_entry (entry.S), only while its rip is in guest code
     (processes-on-wine.md: never inside a Windows call); otherwise the signal waits
     for its next return to the guest;
   - a guest fault with a handler (fault.c, px_signal_fault) goes the same way.
   Default actions are taken there too: termination, stopping (job control below), or
   nothing.

   The actions live in the signal handlers object (struct px_sighand, shared by
   CLONE_SIGHAND); the mask and the thread's pending set in its task; signals sent to
   the process (kill) in its process object's shared pending set; their siginfo and
   the delivery state in struct px_sigstate (one per task) and the process's
   px_process_signals (task/process.h). */
#include <stdbool.h>
#include "core/px.h"
#include "core/uaccess.h"
#include "fs/fd_handoff.h"
#include "fs/pseudo/proc_pids.h"
#include "kernel/kernel.h"
#include "kernel/signal.h"
#include "kernel/identity.h"
#include "core/runtime.h"
#include "core/cred.h"
#include "host/host_fault.h"
#include "host/host_thread.h"
#include "kernel/block.h"
#include "kernel/sigframe.h"
#include "kernel/thread_clone.h"
#include "mm/vm.h"
#include "rewrite/rewrite.h"
#include "task/process.h"
#include "task/ptable.h"

#define SIG_BIT(sig) (1ULL << ((sig) - 1))
/* SIGKILL and SIGSTOP can be neither caught nor blocked. */
#define UNBLOCKABLE (SIG_BIT(LINUX_SIGKILL) | SIG_BIT(LINUX_SIGSTOP))

struct px_sighand {
    int32_t refs;      /* atomic: tasks that point at it */
    px_host_rwlock lock;    /* guards actions */
    struct linux_sigaction actions[LINUX_NSIG + 1]; /* index = signal; 0 unused */
};

/* The signals h catches and ignores (bit sig-1). */
static void action_sets(struct px_sighand *h, uint64_t *caught, uint64_t *ignored)
{
    *caught = *ignored = 0;
    px_host_rwlock_lock_shared(&h->lock);
    for (int sig = 1; sig <= LINUX_NSIG; sig++) {
        uint64_t handler = h->actions[sig].sa_handler;
        if (handler == LINUX_SIG_IGN) *ignored |= 1ull << (sig - 1);
        else if (handler != LINUX_SIG_DFL) *caught |= 1ull << (sig - 1);
    }
    px_host_rwlock_unlock_shared(&h->lock);
}

typedef struct status_query {
    int32_t tid;
    px_proc_signals *out;
} status_query;

static bool status_of_tid(px_task *t, void *ctx)
{
    status_query *q = ctx;
    if (t->tid != q->tid) return false;
    q->out->pending = __atomic_load_n(&t->pending, __ATOMIC_SEQ_CST);
    q->out->shared_pending = __atomic_load_n(&t->process->shared_pending, __ATOMIC_SEQ_CST);
    q->out->blocked = __atomic_load_n(&t->sigmask, __ATOMIC_SEQ_CST);
    q->out->no_new_privs = __atomic_load_n(&t->process->no_new_privs, __ATOMIC_RELAXED);
    action_sets(t->sighand, &q->out->caught, &q->out->ignored);
    return true;
}

/* /proc/<pid>/status's signal lines (fs/pseudo/proc_pids.h's px_proc_signal_source). */
static bool status_signals(int32_t tid, px_proc_signals *out)
{
    *out = (px_proc_signals){0};
    status_query q = {.tid = tid, .out = out};
    return px_thread_each(status_of_tid, &q);
}

struct px_sighand *px_sighand_new(void)
{
    px_proc_set_signal_source(status_signals); /* once a process has actions, status shows them */
    struct px_sighand *h = px_calloc(1, sizeof *h); /* every action SIG_DFL */
    if (h) h->refs = 1;
    return h;
}

struct px_sighand *px_sighand_take(struct px_sighand *h)
{
    __atomic_add_fetch(&h->refs, 1, __ATOMIC_RELAXED);
    return h;
}

void px_sighand_drop(struct px_sighand *h)
{
    if (h && __atomic_sub_fetch(&h->refs, 1, __ATOMIC_ACQ_REL) == 0) px_free(h);
}

/* Handlers go back to SIG_DFL, ignored signals stay ignored (flush_signal_handlers). */
static void clear_handlers_locked(struct px_sighand *h)
{
    for (int sig = 1; sig <= LINUX_NSIG; sig++)
        if (h->actions[sig].sa_handler != LINUX_SIG_IGN) memset(&h->actions[sig], 0, sizeof h->actions[sig]);
}

struct px_sighand *px_sighand_copy(struct px_sighand *from, bool clear_handlers)
{
    struct px_sighand *h = px_sighand_new();
    if (!h) return NULL;
    px_host_rwlock_lock_shared(&from->lock);
    memcpy(h->actions, from->actions, sizeof h->actions);
    px_host_rwlock_unlock_shared(&from->lock);
    if (clear_handlers) clear_handlers_locked(h);
    return h;
}

bool px_sighand_save(struct px_sighand *h, struct px_handoff *out)
{
    struct linux_sigaction actions[LINUX_NSIG + 1];
    px_host_rwlock_lock_shared(&h->lock);
    memcpy(actions, h->actions, sizeof actions);
    px_host_rwlock_unlock_shared(&h->lock);
    return px_handoff_put(out, PX_HANDOFF_TAG_SIGHAND, actions, sizeof actions);
}

/* Tells the process table which signals h catches and ignores (signal_remote.c: what a
   sender in another process may do by itself). */
static void publish(struct px_sighand *h)
{
    uint64_t caught, ignored;
    action_sets(h, &caught, &ignored);
    px_signal_publish(caught, ignored);
}

void px_sighand_restore(struct px_sighand *h, const struct px_handoff *in)
{
    size_t len = 0;
    const struct linux_sigaction *actions = px_handoff_get(in, PX_HANDOFF_TAG_SIGHAND, 0, &len);
    if (!actions || len != sizeof h->actions) return;
    px_host_rwlock_lock(&h->lock);
    memcpy(h->actions, actions, sizeof h->actions);
    h->actions[LINUX_SIGKILL] = h->actions[LINUX_SIGSTOP] = (struct linux_sigaction){0};
    px_host_rwlock_unlock(&h->lock);
    publish(h);
}

/* The calling task's handlers (host threads: the first task's). */
static struct px_sighand *current_sighand(void)
{
    px_task *t = px_current();
    return t ? t->sighand : NULL;
}

/* The pending set a signal sent to the process lands in. */
static volatile uint64_t *process_pending(px_task *t)
{
    return &t->process->shared_pending;
}

/* Everything pending for t: its own and its process's. */
static uint64_t all_pending(px_task *t)
{
    return __atomic_load_n(&t->pending, __ATOMIC_SEQ_CST) | __atomic_load_n(process_pending(t), __ATOMIC_SEQ_CST);
}

static void rt_drop(px_task *t, uint64_t bits);

static void clear_pending(px_task *t, uint64_t bits)
{
    __atomic_and_fetch(&t->pending, ~bits, __ATOMIC_SEQ_CST);
    __atomic_and_fetch(process_pending(t), ~bits, __ATOMIC_SEQ_CST);
    rt_drop(t, bits);
}

static uint64_t mask_of(px_task *t)
{
    return __atomic_load_n(&t->sigmask, __ATOMIC_SEQ_CST);
}

static void set_mask(px_task *t, uint64_t mask)
{
    __atomic_store_n(&t->sigmask, mask & ~UNBLOCKABLE, __ATOMIC_SEQ_CST);
}

enum default_action { ACT_TERM, ACT_CORE, ACT_IGNORE, ACT_STOP, ACT_CONT };

/* signal(7); real-time signals (32-64) and the unlisted ones terminate. */
static const uint8_t default_actions[LINUX_NSIG + 1] = {
    [LINUX_SIGQUIT] = ACT_CORE, [LINUX_SIGILL] = ACT_CORE, [LINUX_SIGTRAP] = ACT_CORE,
    [LINUX_SIGABRT] = ACT_CORE, [LINUX_SIGBUS] = ACT_CORE, [LINUX_SIGFPE] = ACT_CORE,
    [LINUX_SIGSEGV] = ACT_CORE, [LINUX_SIGXCPU] = ACT_CORE, [LINUX_SIGXFSZ] = ACT_CORE,
    [LINUX_SIGSYS] = ACT_CORE,
    [LINUX_SIGCHLD] = ACT_IGNORE, [LINUX_SIGURG] = ACT_IGNORE, [LINUX_SIGWINCH] = ACT_IGNORE,
    [LINUX_SIGCONT] = ACT_CONT,
    [LINUX_SIGSTOP] = ACT_STOP, [LINUX_SIGTSTP] = ACT_STOP, [LINUX_SIGTTIN] = ACT_STOP,
    [LINUX_SIGTTOU] = ACT_STOP,
};

/* The signals the kernel delivers first (SYNCHRONOUS_MASK): those of faults. */
#define SYNCHRONOUS (SIG_BIT(LINUX_SIGSEGV) | SIG_BIT(LINUX_SIGBUS) | SIG_BIT(LINUX_SIGILL) | \
                     SIG_BIT(LINUX_SIGTRAP) | SIG_BIT(LINUX_SIGFPE) | SIG_BIT(LINUX_SIGSYS))

/* Delivery's per-thread state (px_task.sigstate). */
#define THREAD_RT_QUEUE_MAX 32
struct px_sigstate {
    px_host_handle thread;        /* the thread, for redirects by others; NULL until it asks for one */
    bool thread_owned;            /* thread is closed with the state (not the task's host_thread) */
    px_host_rwlock lock;          /* guards info */
    struct linux_siginfo info[LINUX_NSIG + 1]; /* of the thread's own pending signals */
    /* further instances of real-time signals sent to the thread while one is pending, in
       the order they came (a full queue drops what comes) */
    struct linux_siginfo rt_queue[THREAD_RT_QUEUE_MAX];
    size_t rt_queued;
    uint64_t waitset;             /* atomic: rt_sigtimedwait's set while it waits */
    bool saved_mask_valid;        /* sigsuspend: the mask to restore after the handler */
    uint64_t saved_mask;
    /* the signal chosen on this way back to the guest, its frame not yet built */
    int deliver_sig;
    struct linux_siginfo deliver_info;
    struct linux_sigaction deliver_act;
    uint64_t cr2, err, trapno;    /* of a fault */
    uint64_t site, site_return;   /* the frame's rewritten syscall site (px_sigframe_args) */
    bool sigreturn_pending;       /* rt_sigreturn ran: sigreturn_area is the FPU state to load */
    uint8_t *sigreturn_area;      /* px_xstate.size bytes, 64-byte aligned */
    void *area_mem;
    int32_t redirect_busy;        /* atomic: async_regs holds a redirected thread's registers */
    int32_t interrupted;          /* atomic: a sender set the task's interrupt event (a host call to reset) */
    px_regs async_regs;           /* the registers px_signal_entry goes back to */
};

/* The info of signals sent to the process (kill): the first pending one of each signal
   (a standard signal sent again while pending coalesces with it); further instances of
   a real-time signal wait in rt_queue, in the order they came, each with its info. A
   full rt_queue drops what comes (Linux's RLIMIT_SIGPENDING is larger: its sigqueue
   would give EAGAIN). All under info_lock, in the process object (task/process.h). */
static px_process_signals *process_signals(px_task *t) { return &t->process->signals; }

/* With info_lock: the next instance of sig from rt_queue into info; whether there was one. */
static bool rt_next_locked(px_process_signals *ps, int sig)
{
    for (size_t i = 0; i < ps->rt_queued; i++) {
        if (ps->rt_queue[i].si_signo != sig) continue;
        ps->info[sig] = ps->rt_queue[i];
        memmove(&ps->rt_queue[i], &ps->rt_queue[i + 1], (ps->rt_queued - i - 1) * sizeof ps->rt_queue[0]);
        __atomic_store_n(&ps->rt_queued, ps->rt_queued - 1, __ATOMIC_RELAXED);
        return true;
    }
    return false;
}

/* With info_lock: the queued instances of the signals of bits dropped. */
static void rt_drop_locked(px_process_signals *ps, uint64_t bits)
{
    size_t kept = 0;
    for (size_t i = 0; i < ps->rt_queued; i++)
        if (!(bits & (1ULL << (ps->rt_queue[i].si_signo - 1)))) ps->rt_queue[kept++] = ps->rt_queue[i];
    __atomic_store_n(&ps->rt_queued, kept, __ATOMIC_RELAXED);
}

static void rt_drop(px_task *t, uint64_t bits)
{
    px_process_signals *ps = process_signals(t);
    if (!__atomic_load_n(&ps->rt_queued, __ATOMIC_RELAXED)) return;
    px_host_rwlock_lock(&ps->info_lock);
    rt_drop_locked(ps, bits);
    px_host_rwlock_unlock(&ps->info_lock);
}

static struct px_sigstate *sigstate_new(void)
{
    px_xstate_init();
    struct px_sigstate *st = px_calloc(1, sizeof *st);
    if (!st) return NULL;
    st->area_mem = px_alloc(px_xstate.size + 64);
    if (!st->area_mem) {
        px_free(st);
        return NULL;
    }
    st->sigreturn_area = (uint8_t *)PX_ALIGN_UP((uintptr_t)st->area_mem, 64);
    return st;
}

/* t's state, made on first use by whichever thread comes first. */
static struct px_sigstate *sigstate_of(px_task *t)
{
    struct px_sigstate *st = __atomic_load_n(&t->sigstate, __ATOMIC_ACQUIRE);
    if (st) return st;
    struct px_sigstate *made = sigstate_new();
    if (!made) return NULL;
    struct px_sigstate *expected = NULL;
    if (!__atomic_compare_exchange_n(&t->sigstate, &expected, made, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        px_free(made->area_mem);
        px_free(made);
        return expected;
    }
    return made;
}

/* One pending signal's info in the hand-over (px_signal_save_infos). */
typedef struct saved_info {
    uint32_t to_process; /* 1: the process's pending set, 0: the task's */
    uint32_t pad;
    struct linux_siginfo info;
} saved_info;

static bool put_infos(struct px_handoff *out, uint32_t to_process, uint64_t pending, const struct linux_siginfo *info,
                      const struct linux_siginfo *queue, size_t queued)
{
    for (int sig = 1; sig <= LINUX_NSIG; sig++) {
        if (!(pending & (1ULL << (sig - 1)))) continue;
        saved_info s = {.to_process = to_process, .info = info[sig]};
        s.info.si_signo = sig;
        if (!px_handoff_put(out, PX_HANDOFF_TAG_SIGINFO, &s, sizeof s)) return false;
    }
    for (size_t i = 0; i < queued; i++) { /* after the first instances: restore appends them in order */
        saved_info s = {.to_process = to_process, .info = queue[i]};
        if (!px_handoff_put(out, PX_HANDOFF_TAG_SIGINFO, &s, sizeof s)) return false;
    }
    return true;
}

bool px_signal_save_infos(const px_task *t, struct px_handoff *out)
{
    bool ok = true;
    struct px_sigstate *st = __atomic_load_n(&t->sigstate, __ATOMIC_ACQUIRE);
    if (st) {
        px_host_rwlock_lock_shared(&st->lock);
        ok = put_infos(out, 0, __atomic_load_n(&t->pending, __ATOMIC_SEQ_CST), st->info, st->rt_queue, st->rt_queued);
        px_host_rwlock_unlock_shared(&st->lock);
    }
    px_process_signals *ps = &t->process->signals;
    px_host_rwlock_lock_shared(&ps->info_lock);
    ok = ok && put_infos(out, 1, __atomic_load_n(&t->process->shared_pending, __ATOMIC_SEQ_CST), ps->info, ps->rt_queue,
                         ps->rt_queued);
    px_host_rwlock_unlock_shared(&ps->info_lock);
    return ok;
}

/* Before the new program runs: the first record of a signal is its pending instance,
   later ones its queue. */
void px_signal_restore_infos(px_task *t, const struct px_handoff *in)
{
    struct px_sigstate *st = sigstate_of(t);
    px_process_signals *ps = &t->process->signals;
    uint64_t seen[2] = {0, 0};
    size_t len = 0;
    const saved_info *s;
    for (size_t i = 0; (s = px_handoff_get(in, PX_HANDOFF_TAG_SIGINFO, i, &len)); i++) {
        int sig = s->info.si_signo;
        if (len != sizeof *s || sig < 1 || sig > LINUX_NSIG) continue;
        uint64_t bit = 1ULL << (sig - 1);
        bool proc = s->to_process != 0;
        struct linux_siginfo *info = proc ? ps->info : st ? st->info : NULL;
        struct linux_siginfo *queue = proc ? ps->rt_queue : st ? st->rt_queue : NULL;
        size_t *queued = proc ? &ps->rt_queued : st ? &st->rt_queued : NULL;
        size_t cap = proc ? PX_PROCESS_RT_QUEUE_MAX : THREAD_RT_QUEUE_MAX;
        if (!info) continue;
        if (!(seen[proc] & bit)) info[sig] = s->info;
        else if (*queued < cap) queue[(*queued)++] = s->info;
        seen[proc] |= bit;
    }
}

/* The calling task's state, with the handle others redirect it by: a clone's thread
   lends the one CreateThread gave (set before it ran; a duplicate costs a wineserver
   round trip per thread), the first thread makes its own. */
static struct px_sigstate *sigstate_self(px_task *t)
{
    struct px_sigstate *st = sigstate_of(t);
    if (st && !st->thread) {
        st->thread_owned = !t->host_thread;
        st->thread = t->host_thread ? t->host_thread : px_host_thread_self_handle();
    }
    return st;
}

void px_signal_task_release(px_task *t)
{
    struct px_sigstate *st = t->sigstate;
    if (!st) return;
    t->sigstate = NULL;
    if (st->thread_owned && st->thread) px_host_close(st->thread);
    px_free(st->area_mem);
    px_free(st);
}

static void ask_exit_work(px_task *t)
{
    __atomic_or_fetch(&t->work, PX_WORK_SIGPENDING, __ATOMIC_SEQ_CST);
}

/* Whether t, suspended at rip, runs guest code and may be sent to px_signal_entry:
   not in picolx (a syscall, the fault handler, entry.S), and in a guest mapping or the
   rewriter's trampolines for it (a loop reading a __thread variable runs in its %fs:
   trampoline; the frame keeps the scratch word such code borrows), not Wine, not a
   Windows call (processes-on-wine.md). px_vm_contains and px_rewrite_in_pool take the
   mm's and the rewriter's locks, which t cannot hold outside picolx code. */
bool px_task_runs_guest_code(px_task *t, uint64_t rip)
{
    if (__atomic_load_n(&t->in_runtime, __ATOMIC_SEQ_CST)) return false;
    if (px_host_in_own_image(rip)) return false;
    return px_vm_contains(rip) || px_rewrite_in_pool(rip);
}

static bool may_redirect(uint64_t rip, void *arg) { return px_task_runs_guest_code(arg, rip); }

/* Sends t (another thread, running) to px_signal_entry if it runs guest code. */
static bool redirect(px_task *t)
{
    struct px_sigstate *st = __atomic_load_n(&t->sigstate, __ATOMIC_ACQUIRE);
    if (!st || !st->thread || !t->host_rsp) return false;
    if (__atomic_exchange_n(&st->redirect_busy, 1, __ATOMIC_ACQ_REL)) return false;
    bool done = px_host_thread_redirect(st->thread, may_redirect, &st->async_regs, (uint64_t)px_signal_entry,
                                        t->host_rsp, t);
    if (!done) __atomic_store_n(&st->redirect_busy, 0, __ATOMIC_RELEASE);
    return done;
}

/* Job control (Linux's group stop): a stop signal with its default action stops the
   process where a task takes it (next_signal); the task waits on the process's
   continue_event until SIGCONT (from any thread, or another process through the
   doorbell) continues it (the state: px_process_signals, task/process.h). The
   parent is told by SIGCHLD (CLD_STOPPED, CLD_CONTINUED) and finds the report in the
   process table for wait4's WUNTRACED and WCONTINUED. Other threads stop at their next
   return to the guest (px_signal_exit), woken from their waits, and one that spins in
   guest code is sent there (stop_other). */

#define STOP_SIGNALS (SIG_BIT(LINUX_SIGSTOP) | SIG_BIT(LINUX_SIGTSTP) | SIG_BIT(LINUX_SIGTTIN) | SIG_BIT(LINUX_SIGTTOU))

/* SIGCONT's effect, whatever its action (prepare_signal): a stopped process runs again
   and its parent is told. */
static void continue_process(px_task *t)
{
    px_process_signals *ps = process_signals(t);
    px_host_rwlock_lock(&ps->stop_lock);
    bool was = ps->stopped_by != 0;
    __atomic_store_n(&ps->stopped_by, 0, __ATOMIC_SEQ_CST);
    if (ps->continue_event) px_host_event_set(ps->continue_event);
    px_host_rwlock_unlock(&ps->stop_lock);
    if (!was) return;
    px_signal_job_changed(0);
}

/* The calling task waits while the process is stopped; SIGKILL still ends it. */
static void stay_stopped(px_task *t)
{
    px_process_signals *ps = process_signals(t);
    while (__atomic_load_n(&ps->stopped_by, __ATOMIC_SEQ_CST)) {
        px_task_clear_interrupt(t);
        if (all_pending(t) & SIG_BIT(LINUX_SIGKILL)) px_process_killed(LINUX_SIGKILL);
        if (!__atomic_load_n(&ps->stopped_by, __ATOMIC_SEQ_CST)) break;
        void *h = ps->continue_event; /* made before stopped_by was set, closed with the process */
        px_block(&h, 1, NULL);
    }
}

/* One other thread joins the group stop: told at its exit path, woken from a wait, and,
   running guest code (a loop without syscalls), sent to the signal entry, where
   px_signal_exit finds the process stopped. */
static bool stop_other(px_task *o, void *self)
{
    if (o == self) return false;
    px_task_interrupt(o);
    ask_exit_work(o); /* after the interrupt: see queue_signal */
    for (int tries = 0; tries < 20 && !__atomic_load_n(&o->in_runtime, __ATOMIC_SEQ_CST) && !redirect(o); tries++)
        px_host_sleep_ms(1);
    return false;
}

/* do_signal_stop: the process stops by sig; back when continued. */
static void stop_process(px_task *t, int sig)
{
    px_process_signals *ps = process_signals(t);
    px_host_rwlock_lock(&ps->stop_lock);
    if (!ps->continue_event) ps->continue_event = px_host_event_new(true, false, false);
    bool can = ps->continue_event != NULL;
    if (can) {
        px_host_event_reset(ps->continue_event);
        __atomic_store_n(&ps->stopped_by, sig, __ATOMIC_SEQ_CST);
    }
    px_host_rwlock_unlock(&ps->stop_lock);
    if (!can) return;
    px_thread_each(stop_other, t);
    px_signal_job_changed(sig);
    stay_stopped(t);
}

/* Makes sig pending for t (to_process: in its process's set, as kill does), as the
   kernel's send_signal: an ignored signal that is not blocked is discarded (a stop or
   continue signal with its default action too: stopping is not implemented), the
   first of a kind that is pending keeps its info; then t is told (its exit path) and
   woken from a wait. Returns whether t was told. A stop signal with its default action
   stays pending until a task takes it and stops (next_signal). */
static bool enqueue_signal(px_task *t, int sig, const struct linux_siginfo *info, bool to_process);

static bool queue_signal(px_task *t, int sig, const struct linux_siginfo *info, bool to_process)
{
    /* prepare_signal: SIGCONT continues and drops pending stops; a stop drops a pending SIGCONT */
    if (sig == LINUX_SIGCONT) clear_pending(t, STOP_SIGNALS);
    else if (SIG_BIT(sig) & STOP_SIGNALS) clear_pending(t, SIG_BIT(LINUX_SIGCONT));
    bool told = enqueue_signal(t, sig, info, to_process);
    /* continued once SIGCONT is pending, so that a stopped thread that wakes finds it and
       runs its handler first (Linux holds siglock over both steps) */
    if (sig == LINUX_SIGCONT) continue_process(t);
    return told;
}

static bool enqueue_signal(px_task *t, int sig, const struct linux_siginfo *info, bool to_process)
{
    struct linux_sigaction a = {0};
    px_signal_action(sig, &a);
    bool blocked = (mask_of(t) & SIG_BIT(sig)) != 0;
    bool uncatchable = sig == LINUX_SIGKILL || sig == LINUX_SIGSTOP;
    if (!uncatchable && a.sa_handler == LINUX_SIG_IGN) return false;
    if (!blocked && !uncatchable && a.sa_handler == LINUX_SIG_DFL &&
        (default_actions[sig] == ACT_IGNORE || default_actions[sig] == ACT_CONT))
        return false;
    struct px_sigstate *st = sigstate_of(t);
    if (to_process) {
        px_process_signals *ps = process_signals(t);
        px_host_rwlock_lock(&ps->info_lock);
        if (!(__atomic_load_n(process_pending(t), __ATOMIC_SEQ_CST) & SIG_BIT(sig))) ps->info[sig] = *info;
        else if (sig >= LINUX_SIGRTMIN && ps->rt_queued < PX_PROCESS_RT_QUEUE_MAX) {
            ps->rt_queue[ps->rt_queued] = *info;
            ps->rt_queue[ps->rt_queued].si_signo = sig;
            __atomic_store_n(&ps->rt_queued, ps->rt_queued + 1, __ATOMIC_RELAXED);
        }
        __atomic_or_fetch(process_pending(t), SIG_BIT(sig), __ATOMIC_SEQ_CST);
        px_host_rwlock_unlock(&ps->info_lock);
    } else if (st) {
        px_host_rwlock_lock(&st->lock);
        if (!(__atomic_load_n(&t->pending, __ATOMIC_SEQ_CST) & SIG_BIT(sig))) st->info[sig] = *info;
        else if (sig >= LINUX_SIGRTMIN && st->rt_queued < THREAD_RT_QUEUE_MAX) st->rt_queue[st->rt_queued++] = *info;
        __atomic_or_fetch(&t->pending, SIG_BIT(sig), __ATOMIC_SEQ_CST);
        px_host_rwlock_unlock(&st->lock);
    } else {
        __atomic_or_fetch(&t->pending, SIG_BIT(sig), __ATOMIC_SEQ_CST);
    }
    bool waited_for = st && (__atomic_load_n(&st->waitset, __ATOMIC_SEQ_CST) & SIG_BIT(sig));
    if (blocked && !waited_for && !uncatchable) return false;
    /* another task may be waiting: woken first, told second, so that an interrupt is
       never left set with the work bit already taken by t's exit path, which clears
       the bit before the interrupt (a wait woken for nothing after it restarts) */
    if (t != px_self()) {
        if (st) __atomic_store_n(&st->interrupted, 1, __ATOMIC_SEQ_CST);
        px_task_interrupt(t);
    }
    ask_exit_work(t); /* the sender itself sees the work on its way back */
    return true;
}

/* Resets t's interrupt event if a sender set it (resetting costs a host call). */
static void clear_interrupt(px_task *t, struct px_sigstate *st)
{
    if (!st || __atomic_exchange_n(&st->interrupted, 0, __ATOMIC_SEQ_CST)) px_task_clear_interrupt(t);
}

/* Takes sig off t's pending sets (its own first) with its info. */
static void dequeue(px_task *t, struct px_sigstate *st, int sig, struct linux_siginfo *info)
{
    memset(info, 0, sizeof *info);
    if (st && (__atomic_load_n(&t->pending, __ATOMIC_SEQ_CST) & SIG_BIT(sig))) {
        px_host_rwlock_lock(&st->lock);
        *info = st->info[sig];
        memset(&st->info[sig], 0, sizeof st->info[sig]);
        bool more = false; /* a queued real-time instance becomes the pending one */
        for (size_t i = 0; sig >= LINUX_SIGRTMIN && i < st->rt_queued && !more; i++) {
            if (st->rt_queue[i].si_signo != sig) continue;
            st->info[sig] = st->rt_queue[i];
            memmove(&st->rt_queue[i], &st->rt_queue[i + 1], (st->rt_queued - i - 1) * sizeof st->rt_queue[0]);
            st->rt_queued--;
            more = true;
        }
        if (!more) __atomic_and_fetch(&t->pending, ~SIG_BIT(sig), __ATOMIC_SEQ_CST);
        px_host_rwlock_unlock(&st->lock);
    } else if (__atomic_load_n(process_pending(t), __ATOMIC_SEQ_CST) & SIG_BIT(sig)) {
        px_process_signals *ps = process_signals(t);
        px_host_rwlock_lock(&ps->info_lock);
        *info = ps->info[sig];
        memset(&ps->info[sig], 0, sizeof ps->info[sig]);
        if (sig < LINUX_SIGRTMIN || !rt_next_locked(ps, sig))
            __atomic_and_fetch(process_pending(t), ~SIG_BIT(sig), __ATOMIC_SEQ_CST);
        px_host_rwlock_unlock(&ps->info_lock);
    } else {
        __atomic_and_fetch(&t->pending, ~SIG_BIT(sig), __ATOMIC_SEQ_CST);
    }
    info->si_signo = sig;
    if (info->si_code == LINUX_SI_TIMER) px_posix_timer_taken(info); /* a timer's: its overruns, reported */
}

static int lowest_signal(uint64_t set)
{
    return set ? __builtin_ctzll(set) + 1 : 0;
}

/* get_signal: the next signal that is pending and not blocked and whose action is a
   handler (0: none). Default actions are taken on the way: termination ends the
   process here; ignored and stop/continue signals are discarded. SA_RESETHAND resets
   the action as the signal is taken. */
static int next_signal(px_task *t, struct px_sigstate *st, struct linux_siginfo *info, struct linux_sigaction *act)
{
    for (;;) {
        uint64_t ready = all_pending(t) & ~mask_of(t);
        if (!ready) return 0;
        int sig = lowest_signal(ready & SYNCHRONOUS ? ready & SYNCHRONOUS : ready);
        dequeue(t, st, sig, info);
        *act = (struct linux_sigaction){0};
        px_signal_action(sig, act);
        if (sig == LINUX_SIGKILL) px_process_killed(sig);
        if (act->sa_handler == LINUX_SIG_IGN) continue;
        if (act->sa_handler == LINUX_SIG_DFL) {
            if (default_actions[sig] == ACT_TERM || default_actions[sig] == ACT_CORE) px_process_killed(sig);
            /* a stop signal but SIGSTOP does nothing in an orphaned group: nobody could
               continue it (Linux's get_signal, is_current_pgrp_orphaned) */
            if (default_actions[sig] == ACT_STOP &&
                (sig == LINUX_SIGSTOP || !px_ptable_group_orphaned(px_ptable_self_pgid())))
                stop_process(t, sig);
            continue;
        }
        if (act->sa_flags & LINUX_SA_RESETHAND) {
            struct px_sighand *h = t->sighand;
            px_host_rwlock_lock(&h->lock);
            h->actions[sig].sa_handler = LINUX_SIG_DFL;
            h->actions[sig].sa_flags &= ~(uint64_t)LINUX_SA_SIGINFO;
            px_host_rwlock_unlock(&h->lock);
        }
        return sig;
    }
}

uint32_t px_signal_exit(px_regs *regs, px_task *t, enum px_signal_from from)
{
    px_thread_stop_if_exiting(t);
    struct px_sigstate *st = __atomic_load_n(&t->sigstate, __ATOMIC_ACQUIRE);
    uint32_t full = from == PX_SIGNAL_FROM_ENTRY ? PX_EXIT_FULL : 0;
    if (st && (st->sigreturn_pending || st->deliver_sig)) return PX_EXIT_XSTATE | full;
    for (;;) {
        if (__atomic_load_n(&process_signals(t)->stopped_by, __ATOMIC_SEQ_CST)) stay_stopped(t); /* another thread stopped the process */
        /* cleared before the look at the pending sets: a signal sent meanwhile sets both
           again (the bit first here, the interrupt first there: see queue_signal) */
        __atomic_and_fetch(&t->work, ~PX_WORK_SIGPENDING, __ATOMIC_SEQ_CST);
        clear_interrupt(t, st);
        struct linux_siginfo info;
        struct linux_sigaction act = {0};
        int sig = 0;
        if (all_pending(t) & ~mask_of(t)) {
            if (!st) st = sigstate_of(t);
            sig = next_signal(t, st, &info, &act);
        }
        bool in_syscall = from != PX_SIGNAL_FROM_ENTRY && (int64_t)regs->orig_rax >= 0;
        enum px_restart_action restart =
            in_syscall ? px_restart_action((int64_t)regs->rax, sig != 0, act.sa_flags) : PX_RESTART_NONE;
        if (!sig) {
            /* no handler runs: sigsuspend's mask goes back (restore_saved_sigmask) */
            if (st && st->saved_mask_valid) {
                set_mask(t, st->saved_mask);
                st->saved_mask_valid = false;
                if (all_pending(t) & ~mask_of(t)) ask_exit_work(t);
            }
            if (restart == PX_RESTART_CALL) {
                regs->rax = regs->orig_rax;
                px_syscall_dispatch(regs);
                continue;
            }
            /* a RESTARTBLOCK call goes on as restart_syscall(2) (its task's restart_fn) */
            if (restart == PX_RESTART_BLOCK) {
                regs->rax = regs->orig_rax = 219; /* restart_syscall (abi/syscalls.tbl) */
                px_syscall_dispatch(regs);
                continue;
            }
            if (restart != PX_RESTART_NONE) regs->rax = (uint64_t)-LINUX_EINTR;
            if (__atomic_load_n(&t->work, __ATOMIC_SEQ_CST) && (all_pending(t) & ~mask_of(t))) continue;
            return full;
        }
        if (restart == PX_RESTART_CALL) {
            /* the handler returns into the call again: a rewritten site's trampoline is not
               the syscall instruction, so the frame goes back to the entry stub itself with
               rax = the number and rcx = the address it returns to, as the site had them;
               a trap site is run again */
            regs->rax = regs->orig_rax;
            if (from == PX_SIGNAL_FROM_TRAP) {
                regs->rip -= 2;
            } else {
                regs->rcx = regs->rip;
                regs->rip = (uint64_t)px_syscall_entry;
            }
        } else if (restart != PX_RESTART_NONE) {
            regs->rax = (uint64_t)-LINUX_EINTR;
        }
        /* the frame shows a rewritten site's call at the syscall instruction, as Linux
           (a restart at it, a return after it): musl's cancellation compares the rip
           with its syscall's address; sigreturn maps it back */
        st->site = st->site_return = 0;
        if (in_syscall && from != PX_SIGNAL_FROM_TRAP) {
            uint64_t ret = restart == PX_RESTART_CALL ? regs->rcx : regs->rip, site;
            if (px_rewrite_syscall_site_of(ret, &site)) {
                st->site = site;
                st->site_return = ret;
                regs->rip = restart == PX_RESTART_CALL ? site : site + 2;
            }
        }
        st->deliver_sig = sig;
        st->deliver_info = info;
        st->deliver_act = act;
        st->cr2 = st->err = st->trapno = 0;
        return PX_EXIT_XSTATE | full;
    }
}

uint32_t px_signal_exit_xstate(px_regs *regs, px_task *t, void *area)
{
    struct px_sigstate *st = __atomic_load_n(&t->sigstate, __ATOMIC_ACQUIRE);
    if (!st) return 0;
    uint32_t ret = 0;
    if (st->sigreturn_pending) {
        st->sigreturn_pending = false;
        memcpy(area, st->sigreturn_area, px_xstate.size);
        ret = PX_EXIT_XSTATE | PX_EXIT_FULL;
        /* the restored mask may let a pending signal through: delivered now, over this state */
        if (!st->deliver_sig) {
            __atomic_and_fetch(&t->work, ~PX_WORK_SIGPENDING, __ATOMIC_SEQ_CST);
            clear_interrupt(t, st);
            struct linux_siginfo info;
            struct linux_sigaction act = {0};
            int sig = all_pending(t) & ~mask_of(t) ? next_signal(t, st, &info, &act) : 0;
            if (!sig) return ret;
            st->deliver_sig = sig;
            st->deliver_info = info;
            st->deliver_act = act;
            st->cr2 = st->err = st->trapno = 0;
        }
    }
    if (!st->deliver_sig) return ret;
    for (;;) {
        int sig = st->deliver_sig;
        const struct linux_sigaction *act = &st->deliver_act;
        uint64_t mask = mask_of(t);
        px_sigframe_args a = {
            .regs = regs,
            .info = &st->deliver_info,
            .handler = act->sa_handler,
            .restorer = act->sa_restorer,
            .sa_flags = act->sa_flags,
            .saved_mask = st->saved_mask_valid ? st->saved_mask : mask,
            .altstack = {.ss_sp = t->altstack_sp, .ss_size = t->altstack_size,
                         .ss_flags = t->altstack_size ? (int32_t)t->altstack_flags : LINUX_SS_DISABLE},
            .xstate = area,
            .cr2 = st->cr2, .err = st->err, .trapno = st->trapno,
            .site = st->site, .site_return = st->site_return,
        };
        px_sigframe_layout l;
        st->deliver_sig = 0;
        st->saved_mask_valid = false;
        /* a frame that cannot be written: Linux forces SIGSEGV, which ends the process */
        if (px_sigframe_setup(&a, regs, &l) < 0) px_process_killed(LINUX_SIGSEGV);
        uint64_t block = act->sa_mask | (act->sa_flags & LINUX_SA_NODEFER ? 0 : SIG_BIT(sig));
        set_mask(t, mask | block);
        if (l.on_altstack && (t->altstack_flags & LINUX_SS_AUTODISARM)) {
            t->altstack_sp = t->altstack_size = 0;
            t->altstack_flags = LINUX_SS_DISABLE;
        }
        px_xstate_set_init(area);
        /* as Linux's exit loop: each further signal the handler's mask lets through gets its
           frame on top of this one, so the last one taken runs first (a SIGCONT's handler
           before that of the SIGHUP taken before it) */
        st->site = st->site_return = 0;
        __atomic_and_fetch(&t->work, ~PX_WORK_SIGPENDING, __ATOMIC_SEQ_CST); /* before the look: see px_signal_exit */
        clear_interrupt(t, st);
        struct linux_siginfo info;
        struct linux_sigaction next_act = {0};
        int next = all_pending(t) & ~mask_of(t) ? next_signal(t, st, &info, &next_act) : 0;
        if (!next) return PX_EXIT_XSTATE | PX_EXIT_FULL;
        st->deliver_sig = next;
        st->deliver_info = info;
        st->deliver_act = next_act;
        st->cr2 = st->err = st->trapno = 0;
    }
}

uint32_t px_signal_entry_work(px_regs *regs, px_task *t)
{
    struct px_sigstate *st = t->sigstate;
    px_regs saved = st->async_regs;
    __atomic_store_n(&st->redirect_busy, 0, __ATOMIC_RELEASE);
    /* the general registers as they were; xmm0-5 and the scratch word as entry.S read them */
    memcpy(saved.xmm, regs->xmm, sizeof saved.xmm);
    saved.pad = regs->pad;
    saved.orig_rax = (uint64_t)-1;
    *regs = saved;
    return px_signal_exit(regs, t, PX_SIGNAL_FROM_ENTRY);
}

/* Sends the calling thread, stopped at r (a fault's registers), to px_signal_entry. */
static void redirect_self(px_task *t, struct px_sigstate *st, px_regs *r)
{
    __atomic_store_n(&st->redirect_busy, 1, __ATOMIC_RELEASE);
    st->async_regs = *r;
    r->rip = (uint64_t)px_signal_entry;
    r->rsp = t->host_rsp;
    r->rcx = (uint64_t)t;
}

bool px_signal_trap_exit(px_regs *r, px_task *t)
{
    if (!(px_signal_exit(r, t, PX_SIGNAL_FROM_TRAP) & PX_EXIT_XSTATE)) return false;
    redirect_self(t, t->sigstate, r);
    return true;
}

bool px_signal_fault(px_regs *r, const struct linux_siginfo *info, uint64_t trapno, uint64_t err)
{
    px_task *t = px_self();
    int sig = info->si_signo;
    if (!t || !t->host_rsp || sig < 1 || sig > LINUX_NSIG) return false;
    struct linux_sigaction act = {0};
    px_signal_action(sig, &act);
    /* blocked or ignored, the kernel's force_sig_fault ends the process: as no handler */
    if ((mask_of(t) & SIG_BIT(sig)) || act.sa_handler == LINUX_SIG_DFL || act.sa_handler == LINUX_SIG_IGN) return false;
    struct px_sigstate *st = sigstate_self(t);
    if (!st || st->deliver_sig || st->sigreturn_pending) return false;
    if (act.sa_flags & LINUX_SA_RESETHAND) {
        struct px_sighand *h = t->sighand;
        px_host_rwlock_lock(&h->lock);
        h->actions[sig].sa_handler = LINUX_SIG_DFL;
        h->actions[sig].sa_flags &= ~(uint64_t)LINUX_SA_SIGINFO;
        px_host_rwlock_unlock(&h->lock);
    }
    st->deliver_sig = sig;
    st->deliver_info = *info;
    st->deliver_act = act;
    st->cr2 = info->sigfault.addr;
    st->trapno = trapno;
    st->err = err;
    redirect_self(t, st, r);
    return true;
}

/* The info of a signal sent by the calling process (kill: SI_USER; tkill: SI_TKILL). */
static struct linux_siginfo user_info(int sig, int code)
{
    struct linux_siginfo info = {.si_signo = sig, .si_code = code};
    info.kill.pid = px_identity_pid();
    info.kill.uid = px_current_cred()->uid;
    return info;
}

void px_signal_prepare_self(void)
{
    sigstate_self(px_kernel_self());
}

/* ---- which thread a signal goes to ----
   A thread-directed signal (tkill, tgkill) goes to its thread; one for the whole process
   lands in the process's set and the thread told of it (interrupted, redirected) is the
   first thread unless it blocks the signal, else the first other one that does not, as
   Linux's complete_signal; while every thread blocks it, it waits in the set. The
   threads are visited with the roster locked (thread_clone.c), so none is freed under
   a sender. */

typedef struct signal_target {
    int32_t tid;                       /* thread-directed: whose; 0: the process's */
    int sig;
    const struct linux_siginfo *info;
    bool told;                         /* queue_signal told another thread: push it */
    int32_t told_tid;
} signal_target;

/* Whether t takes sig sent to its process: it does not block it, or it waits for it in
   rt_sigtimedwait (which unblocks what it waits for, as Linux's real_blocked) */
static bool takes_signal(px_task *t, int sig)
{
    struct px_sigstate *st = __atomic_load_n(&t->sigstate, __ATOMIC_ACQUIRE);
    uint64_t waited = st ? __atomic_load_n(&st->waitset, __ATOMIC_SEQ_CST) : 0;
    return !(mask_of(t) & ~waited & SIG_BIT(sig));
}

static bool queue_to_target(px_task *t, void *ctx)
{
    signal_target *s = ctx;
    bool to_process = s->tid == 0;
    if (to_process ? !takes_signal(t, s->sig) : t->tid != s->tid) return false;
    s->told_tid = t->tid;
    s->told = queue_signal(t, s->sig, s->info, to_process) && t != px_self();
    return true;
}

/* Queues a signal for the process and says which thread to push (0: none). */
static int32_t queue_for_process(int sig, const struct linux_siginfo *info)
{
    signal_target s = {.sig = sig, .info = info};
    if (px_thread_each(queue_to_target, &s)) return s.told ? s.told_tid : 0;
    px_task *t = px_current(); /* every thread blocks it: pending in the process's set */
    if (t) queue_signal(t, sig, info, true);
    return 0;
}

typedef struct push_try {
    int32_t tid;
    int sig;
    bool done;
} push_try;

static bool push_once(px_task *t, void *ctx)
{
    push_try *p = ctx;
    if (t->tid != p->tid) return false;
    p->done = !(all_pending(t) & ~mask_of(t) & SIG_BIT(p->sig)) || redirect(t);
    return true;
}

/* Makes thread tid take sig: a thread running guest code makes no syscall to deliver at,
   so it is sent to the signal entry; tried again while it is in picolx or Windows code
   (a blocked wait was woken and takes it on its way out), up to 2 s. */
static void push_thread(int32_t tid, int sig)
{
    for (int tries = 0; tries < 2000; tries++) {
        push_try p = {.tid = tid, .sig = sig};
        if (!px_thread_each(push_once, &p) || p.done) return; /* gone, taken or redirected */
        px_host_sleep_ms(1);
    }
}

/* Sends sig to the calling thread (tkill) or its process (kill): delivered on this
   syscall's way back to the guest. */
static int64_t send_to_self(int sig, bool to_process)
{
    if (sig == 0) return 0;
    px_task *t = px_kernel_self();
    struct linux_siginfo info = user_info(sig, to_process ? LINUX_SI_USER : LINUX_SI_TKILL);
    if (!to_process) {
        queue_signal(t, sig, &info, false);
        return 0;
    }
    int32_t tid = queue_for_process(sig, &info); /* maybe another thread's, if this one blocks it */
    if (tid) push_thread(tid, sig);
    return 0;
}

static bool is_target_thread(px_task *t, void *ctx) { return t->tid == ((signal_target *)ctx)->tid; }

/* Queues sig (0: none, only the look) for thread tid of the process: the thread to push
   (0: none), or -1 when there is no such thread. */
static int32_t queue_to_thread(int32_t tid, int sig, const struct linux_siginfo *info)
{
    signal_target s = {.tid = tid, .sig = sig, .info = info};
    if (!px_thread_each(sig ? queue_to_target : is_target_thread, &s)) return -1;
    return s.told ? s.told_tid : 0;
}

/* tkill/tgkill (info NULL: SI_TKILL's) or rt_tgsigqueueinfo to another thread of the
   process: -LINUX_ESRCH when there is none. */
static int64_t send_to_thread(int32_t tid, int sig, const struct linux_siginfo *given)
{
    struct linux_siginfo info = given ? *given : user_info(sig, LINUX_SI_TKILL);
    int32_t push = queue_to_thread(tid, sig, &info);
    if (push < 0) return -LINUX_ESRCH;
    if (push) push_thread(push, sig);
    return 0;
}

bool px_signal_receive_queue(const struct linux_siginfo *info)
{
    int sig = info->si_signo;
    if (sig < 1 || sig > LINUX_NSIG) return false;
    if (sig == LINUX_SIGCHLD && info->si_code >= LINUX_CLD_EXITED && info->si_code <= LINUX_CLD_CONTINUED) {
        struct linux_sigaction a = {0};
        px_signal_action(sig, &a);
        bool ended = info->si_code <= LINUX_CLD_DUMPED;
        /* SIGCHLD ignored or SA_NOCLDWAIT: the child leaves no zombie */
        px_wait_child_changed(info->sigchld.pid, ended && (a.sa_handler == LINUX_SIG_IGN || (a.sa_flags & LINUX_SA_NOCLDWAIT)));
        if (!ended && (a.sa_flags & LINUX_SA_NOCLDSTOP)) return false;
    }
    return queue_for_process(sig, info) != 0;
}

int32_t px_signal_receive_thread(int32_t tid, const struct linux_siginfo *info)
{
    int sig = info->si_signo;
    if (sig < 1 || sig > LINUX_NSIG) return 0;
    int32_t push = queue_to_thread(tid, sig, info); /* -1: it ended meanwhile, lost as on Linux */
    return push > 0 ? push : 0;
}

void px_signal_push_thread(int32_t tid, int sig) { push_thread(tid, sig); }

/* The first thread that does not block sig, as queue_for_process chose it. */
static bool first_unblocked(px_task *t, void *ctx)
{
    push_try *p = ctx;
    if (mask_of(t) & SIG_BIT(p->sig)) return false;
    p->tid = t->tid;
    return true;
}

void px_signal_push(int sig)
{
    push_try p = {.sig = sig};
    px_task *self = px_self();
    if (px_thread_each(first_unblocked, &p) && !(self && self->tid == p.tid)) push_thread(p.tid, sig);
}

void px_signal_send_process(int sig, const struct linux_siginfo *info)
{
    int32_t tid = queue_for_process(sig, info);
    if (tid) push_thread(tid, sig);
}

static bool has_pending(px_task *t, void *sig) { return (all_pending(t) & SIG_BIT(*(int *)sig)) != 0; }

bool px_signal_pending_in_process(int sig)
{
    return sig >= 1 && sig <= LINUX_NSIG && px_thread_each(has_pending, &sig);
}

static bool is_own_process(int64_t pid)
{
    return pid == px_identity_pid();
}

static bool is_own_thread(int64_t tid)
{
    px_task *t = px_kernel_self();
    return tid == (t && t->tid ? t->tid : px_identity_pid());
}

/* Whether the caller may signal e (Linux's kill_ok_by_cred; CAP_KILL: euid 0). The
   table keeps the target's uid as of its start. */
static bool may_signal(const px_ptable_entry *e)
{
    const struct px_cred *c = px_kernel_self()->cred;
    return c->euid == 0 || c->euid == e->uid || c->uid == e->uid;
}

/* tgkill and rt_tgsigqueueinfo to thread tid of another process tgid (sig 0: whether
   it exists and may be signalled). */
static int64_t send_to_thread_of(const px_ptable_entry *e, int32_t tid, const struct linux_siginfo *info)
{
    if (!may_signal(e)) return -LINUX_EPERM;
    return px_signal_send_remote_thread(e, tid, info);
}

static int64_t send_to_other_thread(int32_t tgid, int32_t tid, const struct linux_siginfo *info)
{
    px_ptable_entry e;
    if (px_ptable_lookup(tgid, &e) < 0) return -LINUX_ESRCH;
    return send_to_thread_of(&e, tid, info);
}

/* tkill to a tid of another process: tkill names no process, so it is the tid's (a
   main thread's tid is its pid; another thread's is its Windows thread's id, whose
   Windows process the table knows). */
static int64_t send_to_tid_elsewhere(int32_t tid, int sig)
{
    px_ptable_entry e;
    bool found = px_ptable_lookup(tid, &e) == 0;
    uint32_t host = found ? 0 : px_host_thread_process((uint32_t)tid);
    int32_t cursor = 0;
    while (host && !found && px_ptable_next(&cursor, &e))
        found = e.host_pid == host && e.state != PX_PTABLE_ZOMBIE && !is_own_process(e.pid);
    if (!found) return -LINUX_ESRCH;
    struct linux_siginfo info = user_info(sig, LINUX_SI_TKILL);
    return send_to_thread_of(&e, tid, &info);
}

/* kill(pid, 0): whether the pid, the group (-pid; 0: the caller's) or any other process
   (-1) exists, through the session's process table, as Linux answers it. */
static int64_t check_exists(int64_t pid)
{
    if (pid == 0 || is_own_process(pid)) return 0;
    px_ptable_entry e;
    if (pid > 0) {
        if (px_ptable_lookup((int32_t)pid, &e) < 0) return -LINUX_ESRCH;
        return may_signal(&e) ? 0 : -LINUX_EPERM;
    }
    if (pid != -1 && -pid == px_ptable_self_pgid()) return 0; /* the caller is in it */
    bool found = false, permitted = false;
    int32_t cursor = 0;
    while (px_ptable_next(&cursor, &e)) {
        bool counts = pid == -1 ? e.pid > 1 && !is_own_process(e.pid) : e.pgid == -pid;
        if (!counts) continue;
        found = true;
        permitted |= may_signal(&e);
    }
    if (!found) return -LINUX_ESRCH;
    return permitted || pid == -1 ? 0 : -LINUX_EPERM; /* -1: EPERM is not reported (kill_something_info) */
}

/* A signal to the processes of group pgid (-1: every process but init and the caller),
   the caller last (a default action may end it). */
static int64_t send_to_many(int32_t pgid, int sig)
{
    struct linux_siginfo info = user_info(sig, LINUX_SI_USER);
    bool found = false, permitted = false, self_too = false;
    int64_t failed = 0;
    int32_t cursor = 0;
    px_ptable_entry e;
    while (px_ptable_next(&cursor, &e)) {
        bool counts = pgid == -1 ? e.pid > 1 : e.pgid == pgid;
        if (!counts || (pgid == -1 && is_own_process(e.pid))) continue;
        found = true;
        if (!may_signal(&e)) continue;
        permitted = true;
        if (is_own_process(e.pid)) self_too = true;
        else if (px_signal_send_remote(&e, &info) == -LINUX_ENOSYS) failed = -LINUX_ENOSYS;
    }
    if (self_too) send_to_self(sig, true);
    if (!found) return -LINUX_ESRCH;
    if (!permitted) return -LINUX_EPERM;
    return failed;
}

/* kill(2): sig 0 checks any process of the table; a signal to this process is taken
   here, to another one through its doorbell (signal_remote.c), to a group or -1 to each. */
PX_SYSCALL(kill) { return px_signal_kill((int32_t)PX_ARG0, (int)PX_ARG1); }

int64_t px_signal_kill(int32_t pid32, int sig)
{
    int64_t pid = pid32;
    if (sig < 0 || sig > LINUX_NSIG) return -LINUX_EINVAL;
    if (sig == 0) return check_exists(pid);
    if (pid == INT32_MIN) return -LINUX_ESRCH;
    if (is_own_process(pid)) return send_to_self(sig, true);
    if (pid > 0) {
        px_ptable_entry e;
        if (px_ptable_lookup((int32_t)pid, &e) < 0) return -LINUX_ESRCH;
        if (!may_signal(&e)) return -LINUX_EPERM;
        struct linux_siginfo info = user_info(sig, LINUX_SI_USER);
        return px_signal_send_remote(&e, &info);
    }
    int32_t own_group = px_ptable_self_pgid();
    if (pid == 0 && !own_group) return send_to_self(sig, true);
    int32_t pgid = pid == 0 ? own_group : pid == -1 ? -1 : (int32_t)-pid;
    return send_to_many(pgid, sig);
}

/* tkill(2) */
PX_SYSCALL(tkill)
{
    int64_t tid = (int32_t)PX_ARG0;
    int sig = (int)PX_ARG1;
    if (tid <= 0 || sig < 0 || sig > LINUX_NSIG) return -LINUX_EINVAL;
    if (is_own_thread(tid)) return send_to_self(sig, false);
    int64_t r = send_to_thread((int32_t)tid, sig, NULL);
    return r == -LINUX_ESRCH ? send_to_tid_elsewhere((int32_t)tid, sig) : r;
}

/* tgkill(2) */
PX_SYSCALL(tgkill)
{
    int64_t tgid = (int32_t)PX_ARG0, tid = (int32_t)PX_ARG1;
    int sig = (int)PX_ARG2;
    if (tgid <= 0 || tid <= 0 || sig < 0 || sig > LINUX_NSIG) return -LINUX_EINVAL;
    if (!is_own_process(tgid)) {
        struct linux_siginfo info = user_info(sig, LINUX_SI_TKILL);
        return send_to_other_thread((int32_t)tgid, (int32_t)tid, &info);
    }
    return is_own_thread(tid) ? send_to_self(sig, false) : send_to_thread((int32_t)tid, sig, NULL);
}

/* rt_sigpending(2) */
PX_SYSCALL(rt_sigpending)
{
    uint64_t set_ptr = PX_ARG0, sigsetsize = PX_ARG1;
    if (sigsetsize > LINUX_SIGSET_SIZE) return -LINUX_EINVAL;
    px_task *t = px_kernel_self();
    uint64_t set = all_pending(t) & t->sigmask; /* pending and blocked, as the kernel reports */
    return px_copy_out(set_ptr, &set, (size_t)sigsetsize);
}

bool px_signal_action(int sig, struct linux_sigaction *out)
{
    if (sig < 1 || sig > LINUX_NSIG) return false;
    struct px_sighand *h = current_sighand();
    if (!h) {
        *out = (struct linux_sigaction){0};
        return true;
    }
    px_host_rwlock_lock_shared(&h->lock);
    *out = h->actions[sig];
    px_host_rwlock_unlock_shared(&h->lock);
    return true;
}

void px_signal_exec_reset(void)
{
    struct px_sighand *h = current_sighand();
    if (!h) return;
    px_host_rwlock_lock(&h->lock);
    clear_handlers_locked(h);
    px_host_rwlock_unlock(&h->lock);
    publish(h);
}

/* rt_sigaction(2) */
PX_SYSCALL(rt_sigaction)
{
    int sig = (int)PX_ARG0;
    uint64_t act_ptr = PX_ARG1, oldact_ptr = PX_ARG2, sigsetsize = PX_ARG3;
    if (sigsetsize != LINUX_SIGSET_SIZE) return -LINUX_EINVAL;
    if (sig < 1 || sig > LINUX_NSIG) return -LINUX_EINVAL;
    if (act_ptr && (sig == LINUX_SIGKILL || sig == LINUX_SIGSTOP)) return -LINUX_EINVAL;
    struct linux_sigaction new_action, old;
    if (act_ptr) {
        if (px_copy_in(&new_action, act_ptr, sizeof new_action) < 0) return -LINUX_EFAULT;
        new_action.sa_mask &= ~UNBLOCKABLE;
    }
    px_task *t = px_kernel_self();
    sigstate_self(t);
    struct px_sighand *h = t->sighand;
    px_host_rwlock_lock(&h->lock);
    old = h->actions[sig];
    if (act_ptr) h->actions[sig] = new_action;
    px_host_rwlock_unlock(&h->lock);
    if (act_ptr && new_action.sa_handler != old.sa_handler) publish(h);
    /* POSIX: setting SIG_IGN discards a pending signal */
    if (act_ptr && new_action.sa_handler == LINUX_SIG_IGN) clear_pending(t, SIG_BIT(sig));
    if (oldact_ptr && px_copy_out(oldact_ptr, &old, sizeof old) < 0) return -LINUX_EFAULT;
    return 0;
}

/* rt_sigprocmask(2): the calling thread's mask. */
PX_SYSCALL(rt_sigprocmask)
{
    int how = (int)PX_ARG0;
    uint64_t set_ptr = PX_ARG1, oldset_ptr = PX_ARG2, sigsetsize = PX_ARG3;
    if (sigsetsize != LINUX_SIGSET_SIZE) return -LINUX_EINVAL;
    px_task *t = px_kernel_self();
    sigstate_self(t);
    uint64_t old = t->sigmask, set = 0;
    if (set_ptr) {
        if (px_copy_in(&set, set_ptr, sizeof set) < 0) return -LINUX_EFAULT;
        if (how != LINUX_SIG_BLOCK && how != LINUX_SIG_UNBLOCK && how != LINUX_SIG_SETMASK) return -LINUX_EINVAL;
    }
    if (oldset_ptr && px_copy_out(oldset_ptr, &old, sizeof old) < 0) return -LINUX_EFAULT;
    if (set_ptr) {
        set &= ~UNBLOCKABLE;
        switch (how) {
        case LINUX_SIG_BLOCK: set_mask(t, old | set); break;
        case LINUX_SIG_UNBLOCK: set_mask(t, old & ~set); break;
        default: set_mask(t, set); break;
        }
    }
    /* what the mask no longer blocks is delivered on this call's way back */
    if (all_pending(t) & ~mask_of(t)) ask_exit_work(t);
    return 0;
}

/* sigaltstack(2): the task's alternate stack; SS_ONSTACK while a handler runs on it,
   and then it cannot be changed (EPERM). */
PX_SYSCALL(sigaltstack)
{
    uint64_t ss_ptr = PX_ARG0, old_ptr = PX_ARG1;
    px_task *t = px_kernel_self();
    uint64_t sp = regs->rsp;
    bool on = t->altstack_size && !(t->altstack_flags & LINUX_SS_AUTODISARM) && sp > t->altstack_sp &&
              sp - t->altstack_sp <= t->altstack_size;
    struct linux_stack_t old = {
        .ss_sp = t->altstack_sp,
        .ss_flags = on ? LINUX_SS_ONSTACK : t->altstack_size ? (int32_t)t->altstack_flags : LINUX_SS_DISABLE,
        .ss_size = t->altstack_size,
    };
    if (ss_ptr) {
        struct linux_stack_t ss;
        if (px_copy_in(&ss, ss_ptr, sizeof ss) < 0) return -LINUX_EFAULT;
        if (on) return -LINUX_EPERM;
        uint32_t mode = (uint32_t)ss.ss_flags & ~LINUX_SS_AUTODISARM;
        if (mode != 0 && mode != LINUX_SS_DISABLE && mode != LINUX_SS_ONSTACK) return -LINUX_EINVAL;
        if (mode == LINUX_SS_DISABLE) {
            t->altstack_sp = t->altstack_size = 0;
            t->altstack_flags = LINUX_SS_DISABLE;
        } else {
            if (ss.ss_size < LINUX_MINSIGSTKSZ) return -LINUX_ENOMEM;
            t->altstack_sp = ss.ss_sp;
            t->altstack_size = ss.ss_size;
            t->altstack_flags = (uint32_t)ss.ss_flags & LINUX_SS_AUTODISARM;
        }
    }
    if (old_ptr && px_copy_out(old_ptr, &old, sizeof old) < 0) return -LINUX_EFAULT;
    return 0;
}

/* rt_sigreturn(2): the frame at rsp - 8 back into the registers, the mask and the
   alternate stack; the FPU state is loaded on the way back (px_signal_exit_xstate),
   and every register returns as the frame has it. A bad frame: SIGSEGV, as Linux. */
PX_SYSCALL(rt_sigreturn)
{
    px_task *t = px_kernel_self();
    struct px_sigstate *st = sigstate_self(t);
    if (!st) px_process_killed(LINUX_SIGSEGV);
    px_sigreturn_state s;
    if (px_sigreturn_read(regs, &s, st->sigreturn_area) < 0) px_process_killed(LINUX_SIGSEGV);
    /* a frame that showed a rewritten syscall at its own address: back into the call
       (rip still at the site) or on after it (site + 2), unless the handler moved rip */
    if (s.site && regs->rip == s.site) {
        regs->rcx = s.site_return;
        regs->rip = (uint64_t)px_syscall_entry;
    } else if (s.site && regs->rip == s.site + 2) {
        regs->rip = s.site_return;
    }
    set_mask(t, s.sigmask);
    /* restore_altstack: as sigaltstack would take it; a bad one is ignored */
    uint32_t mode = (uint32_t)s.altstack.ss_flags & ~LINUX_SS_AUTODISARM;
    if (mode == LINUX_SS_DISABLE) {
        t->altstack_sp = t->altstack_size = 0;
        t->altstack_flags = LINUX_SS_DISABLE;
    } else if ((mode == 0 || mode == LINUX_SS_ONSTACK) && s.altstack.ss_size >= LINUX_MINSIGSTKSZ) {
        t->altstack_sp = s.altstack.ss_sp;
        t->altstack_size = s.altstack.ss_size;
        t->altstack_flags = (uint32_t)s.altstack.ss_flags & LINUX_SS_AUTODISARM;
    }
    st->sigreturn_pending = true;
    ask_exit_work(t);
    return (int64_t)regs->rax;
}

/* Whether a signal is pending that the mask lets through. */
static bool deliverable(px_task *t)
{
    return (all_pending(t) & ~mask_of(t)) != 0;
}

/* Waits (px_block) until a signal can be delivered or the wait is interrupted. */
static void wait_for_signal(px_task *t)
{
    while (!deliverable(t)) {
        int r = px_block(NULL, 0, NULL);
        if (r == PX_BLOCK_INTERRUPTED || r == PX_BLOCK_FAILED) break;
    }
    /* a signal pending before the wait (blocked until the new mask) told nobody: the exit path is to look */
    ask_exit_work(t);
}

/* pause(2): until a handler has run (never restarted with one; without, the exit path
   restarts it). */
PX_SYSCALL(pause)
{
    wait_for_signal(px_kernel_self());
    return -LINUX_ERESTARTNOHAND;
}

/* rt_sigsuspend(2): the mask replaced while it waits; the handler's frame keeps the old
   one, which comes back when the handler returns. */
PX_SYSCALL(rt_sigsuspend)
{
    uint64_t set_ptr = PX_ARG0, sigsetsize = PX_ARG1;
    if (sigsetsize != LINUX_SIGSET_SIZE) return -LINUX_EINVAL;
    uint64_t set;
    if (px_copy_in(&set, set_ptr, sizeof set) < 0) return -LINUX_EFAULT;
    px_task *t = px_kernel_self();
    struct px_sigstate *st = sigstate_self(t);
    if (!st) return -LINUX_ENOMEM;
    if (!st->saved_mask_valid) st->saved_mask = mask_of(t);
    st->saved_mask_valid = true;
    set_mask(t, set);
    wait_for_signal(t);
    return -LINUX_ERESTARTNOHAND;
}

/* rt_sigtimedwait(2): takes a pending signal of set (usually blocked) and returns it,
   with its info; EAGAIN when the timeout passes; EINTR when a signal outside set is to
   be delivered (its handler runs). */
PX_SYSCALL(rt_sigtimedwait)
{
    uint64_t set_ptr = PX_ARG0, info_ptr = PX_ARG1, ts_ptr = PX_ARG2, sigsetsize = PX_ARG3;
    if (sigsetsize != LINUX_SIGSET_SIZE) return -LINUX_EINVAL;
    uint64_t set;
    if (px_copy_in(&set, set_ptr, sizeof set) < 0) return -LINUX_EFAULT;
    set &= ~UNBLOCKABLE;
    px_deadline d = px_deadline_never();
    bool poll_only = false;
    if (ts_ptr) {
        struct linux_timespec ts;
        if (PX_GET(&ts, ts_ptr) < 0) return -LINUX_EFAULT;
        int64_t ns = px_timespec_ns(&ts);
        if (ns < 0) return ns;
        poll_only = ns == 0;
        d = px_deadline_after(px_clock_monotonic_ns(), ns);
    }
    struct linux_siginfo info;
    int64_t result = px_signal_take_pending(set, &info, ts_ptr ? &d : NULL, !poll_only);
    if (result > 0 && info_ptr && px_copy_out(info_ptr, &info, sizeof info) < 0) result = -LINUX_EFAULT;
    return result;
}

int64_t px_signal_take_pending(uint64_t set, struct linux_siginfo *info, const px_deadline *deadline, bool wait)
{
    set &= ~UNBLOCKABLE;
    bool poll_only = !wait;
    px_task *t = px_kernel_self();
    struct px_sigstate *st = sigstate_self(t);
    if (!st) return -LINUX_ENOMEM;
    /* the set is published before the look at the pending sets: a sender either sees it
       (and wakes us) or sent before the look */
    __atomic_store_n(&st->waitset, set, __ATOMIC_SEQ_CST);
    int64_t result;
    for (;;) {
        uint64_t hit = all_pending(t) & set;
        if (hit) {
            int sig = lowest_signal(hit & SYNCHRONOUS ? hit & SYNCHRONOUS : hit);
            dequeue(t, st, sig, info);
            result = sig;
            break;
        }
        if (deliverable(t)) {
            result = -LINUX_EINTR;
            break;
        }
        if (poll_only) {
            result = -LINUX_EAGAIN;
            break;
        }
        int r = px_block(NULL, 0, deadline);
        if (r == PX_BLOCK_FAILED) {
            result = -LINUX_EINVAL;
            break;
        }
        if (r == PX_BLOCK_TIMEDOUT) poll_only = true; /* one more look, then EAGAIN */
        if (r == PX_BLOCK_INTERRUPTED) clear_interrupt(t, NULL); /* its cause is looked at above */
    }
    __atomic_store_n(&st->waitset, 0, __ATOMIC_SEQ_CST);
    if (result == -LINUX_EINTR || deliverable(t)) ask_exit_work(t);
    return result;
}

uint64_t px_signal_pending_of_self(void) { return all_pending(px_kernel_self()); }

/* rt_sigqueueinfo(2): to a process, with the caller's siginfo (si_value); a code the
   kernel keeps for itself (>= 0, or SI_TKILL) only to oneself (EPERM otherwise). */
PX_SYSCALL(rt_sigqueueinfo)
{
    int64_t pid = (int32_t)PX_ARG0;
    int sig = (int)PX_ARG1;
    uint64_t info_ptr = PX_ARG2;
    struct linux_siginfo info;
    if (px_copy_in(&info, info_ptr, sizeof info) < 0) return -LINUX_EFAULT;
    if (sig < 0 || sig > LINUX_NSIG) return -LINUX_EINVAL;
    info.si_signo = sig;
    return px_signal_queue_info((int32_t)pid, &info);
}

int64_t px_signal_queue_info(int32_t pid32, struct linux_siginfo *info_in)
{
    int64_t pid = pid32;
    int sig = info_in->si_signo;
    struct linux_siginfo info = *info_in;
    if (pid != px_identity_pid()) {
        if (pid <= 0) return -LINUX_ESRCH;
        if (info.si_code >= 0 || info.si_code == LINUX_SI_TKILL) return -LINUX_EPERM;
        px_ptable_entry e;
        if (px_ptable_lookup((int32_t)pid, &e) < 0) return -LINUX_ESRCH;
        if (!may_signal(&e)) return -LINUX_EPERM;
        return sig == 0 ? 0 : px_signal_send_remote(&e, &info);
    }
    if (sig == 0) return 0;
    queue_signal(px_kernel_self(), sig, &info, true);
    return 0;
}

/* rt_tgsigqueueinfo(2): a signal with the caller's siginfo to one thread of this process
   (threads of other processes: ESRCH, as tgkill). */
PX_SYSCALL(rt_tgsigqueueinfo)
{
    int32_t tgid = (int32_t)PX_ARG0, tid = (int32_t)PX_ARG1;
    int sig = (int)PX_ARG2;
    uint64_t info_ptr = PX_ARG3;
    struct linux_siginfo info;
    if (px_copy_in(&info, info_ptr, sizeof info) < 0) return -LINUX_EFAULT;
    if (tgid <= 0 || tid <= 0 || sig < 0 || sig > LINUX_NSIG) return -LINUX_EINVAL;
    px_task *self = px_kernel_self();
    if (!is_own_process(tgid)) {
        if (info.si_code >= 0 || info.si_code == LINUX_SI_TKILL) return -LINUX_EPERM;
        info.si_signo = sig;
        return send_to_other_thread(tgid, tid, &info);
    }
    /* Linux: a siginfo that claims to come from the kernel or tkill, sent to another
       thread than the caller, is EPERM */
    if (tid != self->tid && (info.si_code >= 0 || info.si_code == LINUX_SI_TKILL)) return -LINUX_EPERM;
    info.si_signo = sig;
    if (tid != self->tid) return send_to_thread(tid, sig, &info);
    if (sig) queue_signal(self, sig, &info, false);
    return 0;
}

/* restart_syscall(2): the interrupted call's continuation, once (EINTR without one). */
PX_SYSCALL(restart_syscall)
{
    (void)regs;
    px_task *t = px_kernel_self();
    int64_t (*fn)(px_task *) = t->restart_fn;
    t->restart_fn = NULL;
    return fn ? fn(t) : -LINUX_EINTR;
}
