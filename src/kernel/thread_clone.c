/* Guest threads: clone and clone3 with CLONE_THREAD (pthread_create), exit(2) of one
   thread, exit_group.

   Each guest thread is a Windows thread with a runtime stack of its own (its handlers
   run there, entry.S switching to task->host_rsp) running a new task that px_task_clone
   made with the caller's objects shared per the clone flags. The thread starts with
   its TEB slots set (the task, the guest thread pointer) and goes on at the instruction
   after the syscall with the caller's registers, rax = 0 and the new stack, as fork's
   child does (px_resume_guest).

   The tid is the Windows thread id: unique among this session's threads and processes
   (Windows hands out thread and process ids from one table), and distinct from the
   pid, which is the Windows process id.

   Exit: a thread ending alone marks the robust mutexes it holds FUTEX_OWNER_DIED,
   clears its CLONE_CHILD_CLEARTID word and wakes its futex
   from here, before the Windows thread ends (a wait on a Windows thread handle returns
   late under Wine), then returns to the start of its Windows thread (px_leave_guest),
   which releases the task. The thread group leader (the first thread) cannot return
   that way: px_enter_guest's return ends the process; it parks until the last thread
   ends the process. Whichever thread is the last to leave ends the process with its own
   status (what Linux reports, measured: the leader's exit(5), then another thread's
   exit(9), gives 9). */
#include <stdlib.h>
#include "core/px.h"
#include "core/runtime.h"
#include "core/thread.h"
#include "core/uaccess.h"
#include "host/host_sync.h"
#include "host/host_thread.h"
#include "kernel/block.h"
#include "kernel/futex.h"
#include "kernel/kernel.h"
#include "kernel/signal.h"
#include "fs/pseudo/proc_pids.h"
#include "kernel/thread_clone.h"
#include "linux_sched.h"
#include "task/clone.h"
#include "task/process.h"
#include "task/task.h"

/* A guest thread's runtime stack, reserved (committed as it is used): the handlers run
   on it, some with path-sized buffers, as on the first thread's 2 MiB. */
#define THREAD_RUNTIME_STACK (2u << 20)

/* px_leave_guest's code for "this thread alone ends"; a process's exit code never is
   negative. */
#define THREAD_EXITED (-1)

/* What the new Windows thread needs to start the guest. */
typedef struct thread_start {
    px_task *task;
    px_regs regs;   /* the caller's frame of this syscall, rax = 0, rsp the new stack */
    px_guest_fpu fpu;
} thread_start;

/* The task's host objects (made on first use by block.c, its Windows thread's handle)
   and its objects' references. */
static void release_task_objects(px_task *t)
{
    if (t->interrupt_event) px_host_close(t->interrupt_event);
    if (t->sleep_timer) px_host_close(t->sleep_timer);
    px_signal_task_release(t); /* before the handle its state may borrow */
    if (t->host_thread) px_host_close(t->host_thread);
    px_task_release(t, &px_task_clone_ops);
}

/* A thread that ends by itself: its TEB slots cleared, then its task. */
static void release_task(px_task *t)
{
    px_thread_detach();
    release_task_objects(t);
}

/* The roster of the process's threads (px_process.threads): every thread but the first. */
static int64_t roster_add(px_task *t)
{
    struct px_process *p = t->process;
    int64_t r = 0;
    px_host_rwlock_lock(&p->lock);
    if (p->thread_count == p->thread_cap) {
        size_t cap = p->thread_cap ? p->thread_cap * 2 : 8;
        px_task **grown = px_realloc(p->threads, cap * sizeof *grown);
        if (grown) p->threads = grown, p->thread_cap = cap;
        else r = -LINUX_EAGAIN;
    }
    if (!r) p->threads[p->thread_count++] = t;
    px_host_rwlock_unlock(&p->lock);
    return r;
}

static void roster_remove(px_task *t)
{
    struct px_process *p = t->process;
    px_host_rwlock_lock(&p->lock);
    for (size_t i = 0; i < p->thread_count; i++)
        if (p->threads[i] == t) {
            p->threads[i] = p->threads[--p->thread_count];
            break;
        }
    px_host_rwlock_unlock(&p->lock);
}

bool px_thread_each(bool (*visit)(px_task *t, void *ctx), void *ctx)
{
    px_task *first = px_thread_initial();
    if (!first) return false;
    struct px_process *p = first->process;
    px_host_rwlock_lock_shared(&p->lock);
    bool done = visit(first, ctx);
    for (size_t i = 0; !done && i < p->thread_count; i++) done = visit(p->threads[i], ctx);
    px_host_rwlock_unlock_shared(&p->lock);
    return done;
}

int32_t px_thread_count(void)
{
    px_task *first = px_thread_initial();
    return first ? __atomic_load_n(&first->process->live_threads, __ATOMIC_ACQUIRE) : 1;
}

/* /proc's view of the threads (fs/pseudo/proc_pids.h's source). */
typedef struct tid_list {
    int32_t *tids;
    size_t cap, n;
} tid_list;

static bool add_tid(px_task *t, void *ctx)
{
    tid_list *l = ctx;
    int32_t tid = __atomic_load_n(&t->tid, __ATOMIC_ACQUIRE);
    if (tid && l->n < l->cap) l->tids[l->n] = tid;
    if (tid) l->n++;
    return false;
}

static size_t list_tids(int32_t *tids, size_t cap)
{
    tid_list l = {.tids = tids, .cap = cap};
    px_thread_each(add_tid, &l);
    return l.n;
}

typedef struct comm_query {
    int32_t tid;
    char *out;
    bool named;
} comm_query;

static bool comm_of_tid(px_task *t, void *ctx)
{
    comm_query *q = ctx;
    if (t->tid != q->tid) return false;
    if (t->comm_set) {
        memcpy(q->out, t->comm, PX_TASK_COMM_LEN);
        q->out[PX_TASK_COMM_LEN - 1] = 0;
        q->named = true;
    }
    return true;
}

static bool thread_comm(int32_t tid, char out[16])
{
    comm_query q = {.tid = tid, .out = out};
    px_thread_each(comm_of_tid, &q);
    return q.named;
}

static const px_proc_thread_source proc_threads = {.list = list_tids, .comm = thread_comm};

static bool tell_to_stop(px_task *t, void *ctx)
{
    if (t != ctx) {
        px_task_interrupt(t);
        /* its exit path looks; set after the interrupt, as signal.c's queue_signal does */
        __atomic_or_fetch(&t->work, PX_WORK_SIGPENDING, __ATOMIC_SEQ_CST);
    }
    return false;
}

/* exit_group: every other thread is told to stop (px_thread_stop_if_exiting) at its next
   return from a syscall or a wait; one spinning in guest code runs until the process ends. */
static void stop_other_threads(px_task *self)
{
    int32_t none = 0;
    if (!__atomic_compare_exchange_n(&self->process->exiting_tid, &none, self->tid, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST))
        return;
    px_thread_each(tell_to_stop, self);
}

void px_thread_stop_if_exiting(px_task *t)
{
    int32_t by = __atomic_load_n(&t->process->exiting_tid, __ATOMIC_SEQ_CST);
    if (!by || by == t->tid) return;
    __atomic_store_n(&t->parked, 1, __ATOMIC_SEQ_CST);
    for (;;) px_host_sleep_ms(PX_HOST_FOREVER); /* the process ends under it, or an execve ends it */
}

/* Parked for good, or in guest code: not inside Wine (its exception dispatch, its locks)
   nor picolx, where ending it would leave a lock held for the new image. */
static bool may_end(uint64_t rip, void *arg)
{
    px_task *t = arg;
    return __atomic_load_n(&t->parked, __ATOMIC_SEQ_CST) || px_task_runs_guest_code(t, rip);
}

/* One pass over the roster: each thread that stands in guest code or is parked is ended
   and its task released. Whether any is left. */
static bool end_roster_pass(struct px_process *p, px_task *self)
{
    px_host_rwlock_lock(&p->lock);
    for (size_t i = 0; i < p->thread_count;) {
        px_task *t = p->threads[i];
        if (t != self && t->host_thread && px_host_thread_end_if(t->host_thread, may_end, t)) {
            p->threads[i] = p->threads[--p->thread_count];
            __atomic_sub_fetch(&p->live_threads, 1, __ATOMIC_ACQ_REL);
            release_task_objects(t);
            continue;
        }
        i++;
    }
    bool left = p->thread_count > (self->tid == p->tgid ? 0u : 1u);
    px_host_rwlock_unlock(&p->lock);
    return left;
}

int64_t px_thread_end_others(void)
{
    px_task *self = px_kernel_self();
    struct px_process *p = self->process;
    if (px_thread_count() <= 1) return 0;
    stop_other_threads(self); /* the others park at their next return towards the guest */
    bool left = true;
    for (int tries = 0; left && tries < 5000; tries++) {
        left = end_roster_pass(p, self);
        if (left) px_host_sleep_ms(1);
    }
    px_task *leader = px_thread_initial();
    /* a leader that is not the caller has no handle to end it by: it must have parked
       (its wait was interrupted; it stops at its way back towards the guest) before the
       old image goes */
    for (int tries = 0; !left && leader != self && !__atomic_load_n(&leader->parked, __ATOMIC_SEQ_CST); tries++) {
        if (tries >= 5000) left = true;
        else px_host_sleep_ms(1);
    }
    if (left) return -LINUX_EAGAIN; /* a thread that never left picolx code (a runtime bug) */
    if (leader != self) {
        /* Linux's de_thread: the thread that execs takes the leader's place and pid (the
           leader's Windows thread, parked, stays; its task is no one's now) */
        px_host_rwlock_lock(&p->lock);
        p->thread_count = 0;
        px_host_rwlock_unlock(&p->lock);
        __atomic_store_n(&self->tid, p->tgid, __ATOMIC_RELEASE);
        px_thread_set_initial(self);
    }
    __atomic_store_n(&p->live_threads, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&p->exiting_tid, 0, __ATOMIC_SEQ_CST);
    return 0;
}


static void thread_main(void *arg)
{
    thread_start *s = arg;
    px_task *t = s->task;
    px_regs regs = s->regs;
    px_guest_fpu fpu = s->fpu;
    px_free(s);
    __atomic_sub_fetch(&t->process->starting_threads, 1, __ATOMIC_ACQ_REL); /* past Wine's start-up */
    px_thread_attach(t); /* the thread slot and the guest FS base (t->guest_fs) */
    int64_t code = px_resume_guest(t, &regs, &fpu);
    /* the last thread's exit(2) (or an execve's wait) ends the process from here,
       after px_process_exit's clean-up has run on this thread: as the first thread's
       return from PxRun would, through the C runtime's exit and its atexit hooks (the
       other threads are gone; a parked leader only sleeps) */
    if (code != THREAD_EXITED) exit((int)code);
    release_task(t);
}

/* A clone's new thread counts among the live threads, and the starting ones until
   thread_main runs (n = 1), or leaves both when it cannot be started (n = -1). */
static void count_new_thread(struct px_process *p, int32_t n)
{
    __atomic_add_fetch(&p->live_threads, n, __ATOMIC_ACQ_REL);
    __atomic_add_fetch(&p->starting_threads, n, __ATOMIC_ACQ_REL);
}

int64_t px_thread_clone(px_regs *regs, uint64_t flags, uint64_t stack, uint64_t parent_tid, uint64_t child_tid,
                        uint64_t tls)
{
    /* a thread's vfork would stop the caller until the thread execs: not offered */
    if (flags & LINUX_CLONE_VFORK) return -LINUX_ENOSYS;
    px_task *parent = px_kernel_self();
    thread_start *s = px_alloc(sizeof *s);
    if (!s) return -LINUX_ENOMEM;
    px_task *t = NULL;
    int64_t r = px_task_clone(parent, flags, 0, &px_task_clone_ops, &t);
    if (r < 0) {
        px_free(s);
        return r;
    }
    if (flags & LINUX_CLONE_SETTLS) t->guest_fs = tls;
    if (flags & LINUX_CLONE_CHILD_CLEARTID) t->clear_child_tid = child_tid;
    s->task = t;
    s->regs = *regs;
    s->regs.rax = 0;
    if (stack) s->regs.rsp = stack;
    px_guest_fpu_save(&s->fpu);

    px_proc_set_thread_source(&proc_threads);
    /* in the roster before it can run (and exit); its tid is 0 there until it is known */
    if (roster_add(t) < 0) {
        px_task_release(t, &px_task_clone_ops);
        px_free(s);
        return -LINUX_EAGAIN;
    }
    count_new_thread(t->process, 1);
    uint32_t id = 0;
    px_host_handle h = px_host_thread_start_suspended(thread_main, s, THREAD_RUNTIME_STACK, &id);
    if (!h) {
        roster_remove(t);
        count_new_thread(t->process, -1);
        px_task_release(t, &px_task_clone_ops);
        px_free(s);
        return -LINUX_EAGAIN;
    }
    int32_t tid = (int32_t)id;
    __atomic_store_n(&t->tid, tid, __ATOMIC_RELEASE);
    __atomic_store_n(&t->host_tid, id, __ATOMIC_RELEASE); /* its CPU clock reads before it runs */

    /* both words are stored before the thread runs, as Linux does (the new thread's
       own code may read them at once); a bad pointer is ignored, as Linux */
    if (flags & LINUX_CLONE_PARENT_SETTID) PX_PUT(parent_tid, &tid);
    if (flags & LINUX_CLONE_CHILD_SETTID) PX_PUT(child_tid, &tid);
    t->host_thread = h; /* kept for an execve's ending of the other threads */
    r = px_host_thread_resume(h);
    if (r < 0) {
        /* a suspended thread that never ran: nothing of it is seen; its task stays */
        roster_remove(t);
        count_new_thread(t->process, -1);
        return -LINUX_EAGAIN;
    }
    return tid;
}

void px_thread_await_starting(void)
{
    px_task *first = px_thread_initial();
    if (!first) return;
    /* at most 2 s: a thread that never starts (a host failure) does not hold the exit */
    for (int tries = 0; tries < 2000 && __atomic_load_n(&first->process->starting_threads, __ATOMIC_ACQUIRE) > 0;
         tries++)
        px_host_sleep_ms(1);
}

/* CLONE_CHILD_CLEARTID (and set_tid_address): 0 into the word and one FUTEX_WAKE on it,
   what pthread_join waits for. */
static void clear_child_tid(px_task *t)
{
    uint64_t at = t->clear_child_tid;
    if (!at) return;
    t->clear_child_tid = 0;
    uint32_t zero = 0;
    if (PX_PUT(at, &zero) == 0) px_futex_wake(at, 1); /* a bad pointer is ignored, as Linux */
}

/* The robust futex list (set_robust_list), Linux's layout: struct robust_list_head
   { next, futex_offset, list_op_pending }, each entry's next pointer at its start, its
   futex word at entry + futex_offset; bit 0 of a pointer marks a PI futex. */
#define ROBUST_LIST_LIMIT 2048 /* Linux's: a looping list is not walked for ever */

/* One robust futex of a dying owner: if the word names tid, it gets FUTEX_OWNER_DIED
   (keeping FUTEX_WAITERS) and one waiter is woken, as Linux's handle_futex_death (for a
   PI futex, the first waiter then takes the lock with FUTEX_OWNER_DIED: Linux's
   rt-mutex hand-over at exit). */
static void robust_futex_died(uint64_t word_at, int32_t tid, bool pending_op, bool pi)
{
    if ((word_at & 3) || !px_guest_range_ok(word_at, 4)) return;
    uint32_t *word = (uint32_t *)(uintptr_t)word_at;
    uint32_t now;
    if (PX_GET(&now, word_at) < 0) return;
    for (;;) {
        /* a lock op in progress that never took the word: wake a waiter it may owe */
        if (pending_op && !pi && now == 0) {
            px_futex_wake(word_at, 1);
            return;
        }
        if ((now & PX_FUTEX_TID_MASK) != (uint32_t)tid) return;
        uint32_t next = (now & PX_FUTEX_WAITERS) | PX_FUTEX_OWNER_DIED, seen;
        if (px_uaccess_cmpxchg32(word, now, next, &seen) < 0) return;
        if (seen == now) break;
        now = seen;
    }
    if (now & PX_FUTEX_WAITERS) px_futex_wake(word_at, 1);
}

/* Linux's exit_robust_list: every robust mutex the exiting thread holds. */
static void walk_robust_list(px_task *t)
{
    uint64_t head = t->robust_list;
    if (!head) return;
    t->robust_list = 0;
    uint64_t entry, pending;
    int64_t offset;
    if (PX_GET(&entry, head) < 0 || PX_GET(&offset, head + 8) < 0 || PX_GET(&pending, head + 16) < 0) return;
    bool pending_pi = pending & 1;
    pending &= ~(uint64_t)1;
    for (int n = 0; n < ROBUST_LIST_LIMIT && (entry & ~(uint64_t)1) != head; n++) {
        uint64_t at = entry & ~(uint64_t)1, next;
        if (PX_GET(&next, at) < 0) return;
        /* the one being locked or unlocked now is handled last */
        if (at != pending) robust_futex_died(at + (uint64_t)offset, t->tid, false, entry & 1);
        entry = next;
    }
    if (pending) robust_futex_died(pending + (uint64_t)offset, t->tid, true, pending_pi);
}

static bool walk_robust_list_of_other(px_task *t, void *self)
{
    if (t != self) walk_robust_list(t);
    return false;
}

void px_thread_exit(int status)
{
    px_task *t = px_kernel_self();
    walk_robust_list(t);
    bool leader = t->tid == t->process->tgid;
    if (!leader) roster_remove(t); /* signals to its tid find nothing from now on (ESRCH) */
    if (__atomic_sub_fetch(&t->process->live_threads, 1, __ATOMIC_ACQ_REL) == 0) px_process_exit(status);
    clear_child_tid(t);
    if (leader) {
        /* the group leader: its Windows thread returning from px_enter_guest would end
           the process, so it waits here, its task kept (it is px_current's), until the
           last thread ends the process */
        __atomic_store_n(&t->parked, 1, __ATOMIC_SEQ_CST);
        for (;;) px_host_sleep_ms(PX_HOST_FOREVER);
    }
    px_leave_guest(t, THREAD_EXITED);
}

void px_thread_group_exit(int status)
{
    px_task *t = px_kernel_self();
    /* every thread's robust mutexes, as Linux's exit of each thread (a process-shared
       one is then EOWNERDEAD for the other processes): the caller's, then, once told to
       stop, the others' (a lock one takes meanwhile is its list_op_pending) */
    walk_robust_list(t);
    stop_other_threads(t);
    px_thread_each(walk_robust_list_of_other, t);
    /* With other threads running guest code the process ends at once, from this thread
       (px_process_exit's clean-up, then the host's exit), not by unwinding this thread
       to where its guest started: px_process_exit_code leaves the guest only while
       host_rsp is set. */
    if (__atomic_load_n(&t->process->live_threads, __ATOMIC_ACQUIRE) > 1) t->host_rsp = 0;
    px_process_exit(status);
}

/* get_robust_list(2): the calling thread's own (pid 0 or its tid); musl asks it before
   it makes a robust mutex. Another thread's would need the table of the process's
   tasks, which comes with tgkill: ESRCH for now. */
PX_SYSCALL(get_robust_list)
{
    int32_t pid = (int32_t)PX_ARG0;
    uint64_t head_ptr = PX_ARG1, len_ptr = PX_ARG2;
    px_task *t = px_kernel_self();
    if (pid != 0 && pid != t->tid) return -LINUX_ESRCH;
    uint64_t head = t->robust_list, len = 24; /* sizeof(struct robust_list_head), as Linux whatever was set */
    if (PX_PUT(len_ptr, &len) < 0 || PX_PUT(head_ptr, &head) < 0) return -LINUX_EFAULT;
    return 0;
}
