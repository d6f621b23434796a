/* fork, vfork, and clone / clone3 for new processes (CLONE_THREAD goes to
   thread_clone.c). Wine has no kernel fork, so the child is a new Windows process
   running picolx.exe again: suspended, it gets every range of the guest's address space
   reserved (src/mm/mm_fork.c), the task and its objects as hand-over records (the same
   transport as an execve into a new process: src/fs/fd_handoff.c; every fd, close-on-exec
   ones too), and one record of its own (the registers of this syscall, rax = 0, the
   vector state, the thread pointer). Once it runs it copies the guest's memory from this
   process, which waits inside fork until the child says it has everything, then goes
   on. The child resumes at the instruction after the syscall (px_resume_guest).

   The new process's Linux pid is its Windows process id (execve into a new process keeps
   it). Objects a clone flag would share across the two Windows processes (CLONE_FILES,
   CLONE_FS, CLONE_SIGHAND) cannot be, and give ENOSYS; CLONE_VM only with CLONE_VFORK
   (vfork, posix_spawn): the parent waits until the child execs or exits, so a copy
   behaves the same except for memory the child writes before that. */
#include <stdio.h>
#include "core/errors.h"
#include "linux_sched.h"
#include "core/px.h"
#include "mm/vm.h"
#include "core/runtime.h"
#include "core/thread.h"
#include "core/timing.h"
#include "core/uaccess.h"
#include "fs/pseudo/pseudo.h"
#include "fs/fd_handoff.h"
#include "fs/fpos.h"
#include "host/host_process.h"
#include "host/host_sync.h"
#include "kernel/identity.h"
#include "kernel/signal.h"
#include "kernel/kernel.h"
#include "kernel/pidfd.h"
#include "kernel/thread_clone.h"
#include "loader.h"
#include "mm/mm_fork.h"
#include "task/clone.h"
#include "task/process.h"
#include "task/ptable.h"
#include "task/task.h"

/* Under Wine a new process now and then dies while it starts, before any of it has run
   (loader/spawn.c): such a child is made again, at most this many times in all. */
#define FORK_ATTEMPTS 3

/* What only fork's child needs. The handles are inheritable ones of the parent, so
   their values are the same in the child. */
typedef struct fork_record {
    px_regs regs;               /* the parent's frame of this syscall, rax = 0, rsp the new stack if given */
    px_guest_fpu fpu;
    uint64_t guest_fs;
    uint64_t parent_process;    /* handle: reads the parent's memory */
    uint64_t copied_event;      /* handle: set once the child has everything of the parent */
    uint64_t vfork_event;       /* handle: set at the child's execve or exit (CLONE_VFORK); 0 */
    uint64_t teb_thread_slot, teb_fs_slot, teb_scratch_slot, syscall_entry; /* must be the child's too */
    uint64_t child_tid;         /* CLONE_CHILD_SETTID: where the child stores its tid; 0 */
    uint64_t clear_child_tid;   /* CLONE_CHILD_CLEARTID */
    uint64_t altstack_sp, altstack_size;
    uint32_t altstack_flags, comm_set;
    int32_t pid;                /* the child's, from the session's process table */
    int32_t ppid;               /* the child's parent (CLONE_PARENT: ours) */
    int32_t exit_signal;        /* sent to the parent at the child's end (when signals are delivered) */
    char comm[PX_TASK_COMM_LEN];
    uint64_t initial_rsp;       /* the program's initial stack (argv, envp: /proc/self/cmdline) */
    char exe_path[PX_PATH_MAX]; /* the address space's (/proc/self/exe) */
} fork_record;

/* The clone arguments both entry points decode into. */
typedef struct clone_request {
    uint64_t flags;
    uint64_t stack;       /* the child's rsp; 0: the parent's */
    uint64_t parent_tid, child_tid, tls;
    uint64_t pidfd;       /* CLONE_PIDFD: where the parent gets the child's pidfd (an int) */
    int32_t exit_signal;
} clone_request;

static void close_handle(px_host_handle *h)
{
    if (*h) px_host_close(*h);
    *h = NULL;
}

/* One hand-over blob for a child: the task's objects (every fd), the address space, and
   the fork record. NULL when out of memory. */
static px_handoff *build_handoff(px_task *t, const fork_record *rec, void **mm_rec, size_t *mm_len)
{
    px_handoff *h = px_handoff_new();
    if (!h) return NULL;
    *mm_rec = px_mm_fork_save(mm_len);
    if (!*mm_rec || !px_task_save_for(t, h, false, rec->pid, rec->ppid) || !px_handoff_put(h, PX_HANDOFF_TAG_MM, *mm_rec, *mm_len) ||
        !px_handoff_put(h, PX_HANDOFF_TAG_FORK, rec, sizeof *rec)) {
        px_free(*mm_rec);
        *mm_rec = NULL;
        px_handoff_free(h);
        return NULL;
    }
    return h;
}

/* Waits until the child has taken everything over: 0; 1 if it died while it started
   (try again); else -LINUX_EAGAIN. */
static int64_t wait_copied(px_host_handle copied, px_host_child *child)
{
    px_timing_mark("fork: child resumed");
    px_host_handle either[2] = {copied, child->process};
    int64_t first = px_host_wait_any(2, either, PX_HOST_FOREVER);
    px_timing_mark("fork: child has copied");
    if (first == 0) return 0;
    uint32_t code = 0;
    px_host_process_exit_code(child->process, &code);
    px_host_close(child->process);
    child->process = NULL;
    if (code == 1) return 1; /* Wine's early death: status 1 and not a word */
    px_log("picolx: fork: the new process could not take the parent's state over (status 0x%x)", code);
    return -LINUX_EAGAIN;
}

/* One attempt with a new process: 0 with *child running and having copied everything;
   1 if it died while it started (try again); else -LINUX_Exxx. rec's handles are
   inheritable ones: the child has them under the same values. */
static int64_t start_child(px_task *t, const fork_record *rec, px_host_handle copied, px_host_child *child)
{
    void *mm_rec = NULL;
    size_t mm_len = 0;
    px_timing_mark("fork: start");
    px_handoff *h = build_handoff(t, rec, &mm_rec, &mm_len);
    if (!h) return -LINUX_ENOMEM;
    px_timing_mark("fork: state saved");
    px_spawn_env_lock();
    int64_t r = px_handoff_send_begin(h);
    if (r == 0) {
        r = px_loader_start_copy(child);
        px_timing_mark("fork: child created");
        if (r == 0) {
            r = px_mm_fork_reserve(mm_rec, mm_len, child, NULL, 0);
            px_timing_mark("fork: ranges reserved");
            /* a range the new process's own start-up holds: another process may not */
            bool clash = r < 0;
            if (r == 0) r = px_handoff_send_end(h, child->process);
            else px_handoff_send_end(h, NULL);
            if (r == 0) r = px_host_child_resume(child);
            if (r < 0) px_host_child_kill(child, 126);
            if (clash) r = PX_HOST_SPAWN_DIED; /* made again, as a child that died starting */
        } else {
            px_handoff_send_end(h, NULL);
        }
    }
    px_spawn_env_unlock();
    px_handoff_free(h);
    px_free(mm_rec);
    if (r == PX_HOST_SPAWN_DIED) return 1;
    if (r < 0) return r == -LINUX_ENOMEM ? r : -LINUX_EAGAIN;
    return wait_copied(copied, child);
}

/* The same in the spare process, if one is ready: 0 as above, 1 when there is none or it
   cannot take this address space (its own runtime holds a range: a new process then). */
static int64_t start_in_spare(px_task *t, const fork_record *inheritable, px_host_child *child)
{
    px_spawn_spare s;
    if (!px_spawn_spare_take(child, &s)) return 1;
    px_timing_mark("fork: start (spare)");
    /* the spare was made before these handles: they go in by duplication */
    fork_record *rec = px_alloc(sizeof *rec);
    px_host_handle handles[3] = {(px_host_handle)(uintptr_t)inheritable->parent_process,
                                 (px_host_handle)(uintptr_t)inheritable->copied_event,
                                 (px_host_handle)(uintptr_t)inheritable->vfork_event};
    px_host_handle remote[3] = {NULL, NULL, NULL};
    int64_t r = rec ? 0 : -LINUX_ENOMEM;
    for (int i = 0; i < 3 && r == 0; i++)
        if (handles[i]) r = px_host_handle_dup(handles[i], child->process, false, &remote[i]);
    void *mm_rec = NULL;
    size_t mm_len = 0;
    px_handoff *h = NULL;
    if (r == 0) {
        *rec = *inheritable;
        rec->parent_process = (uint64_t)(uintptr_t)remote[0];
        rec->copied_event = (uint64_t)(uintptr_t)remote[1];
        rec->vfork_event = (uint64_t)(uintptr_t)remote[2];
        h = build_handoff(t, rec, &mm_rec, &mm_len);
        if (!h) r = -LINUX_ENOMEM;
    }
    if (r == 0) r = px_mm_fork_reserve(mm_rec, mm_len, child, s.fixed, s.n_fixed);
    uint64_t section = 0;
    if (r == 0) r = px_handoff_send_to(h, child->process, &section);
    px_handoff_free(h);
    px_free(mm_rec);
    px_free(rec);
    if (r < 0) {
        if (px_timing_on) px_log("picolx: fork: the spare cannot take it (%s)", px_errno_name(-r));
        px_spawn_spare_close(&s);
        px_host_child_kill(child, 0);
        return 1;
    }
    px_spawn_spare_go(&s, section);
    r = wait_copied((px_host_handle)(uintptr_t)inheritable->copied_event, child);
    return r;
}

static int64_t fork_process(px_regs *regs, const clone_request *req, const px_clone_plan *plan);

static int64_t do_fork(px_regs *regs, const clone_request *req)
{
    uint64_t flags = req->flags;
    px_clone_plan plan;
    int64_t r = px_clone_plan_of(flags, &plan);
    if (r < 0) return r;
    if (flags & LINUX_CLONE_THREAD) /* a new thread in this process (thread_clone.c) */
        return px_thread_clone(regs, flags, req->stack, req->parent_tid, req->child_tid, req->tls);
    if (plan.how[PX_OBJ_FILES] == PX_CLONE_SHARE || plan.how[PX_OBJ_FS] == PX_CLONE_SHARE ||
        plan.how[PX_OBJ_SIGHAND] == PX_CLONE_SHARE)
        return -LINUX_ENOSYS; /* cannot be shared between two Windows processes (yet) */
    if ((flags & LINUX_CLONE_VM) && !(flags & LINUX_CLONE_VFORK)) return -LINUX_ENOSYS;
    /* one fork of this process at a time (two threads forking: one waits): the record,
       the spare and the environment variables of a child's start are the process's */
    static px_host_rwlock fork_lock = PX_HOST_RWLOCK_INIT;
    px_host_rwlock_lock(&fork_lock);
    r = fork_process(regs, req, &plan);
    px_host_rwlock_unlock(&fork_lock);
    return r;
}

static int64_t fork_process(px_regs *regs, const clone_request *req, const px_clone_plan *plan_in)
{
    uint64_t flags = req->flags;
    px_clone_plan plan = *plan_in;
    int64_t r;

    px_task *t = px_kernel_self();
    static fork_record rec; /* big (a path): fork_lock keeps it one fork's */
    rec = (fork_record){
        .regs = *regs,
        .guest_fs = (flags & LINUX_CLONE_SETTLS) ? req->tls : t->guest_fs,
        .teb_thread_slot = px_teb_thread_slot,
        .teb_fs_slot = px_teb_fs_slot,
        .teb_scratch_slot = px_teb_scratch_slot,
        .syscall_entry = (uint64_t)(uintptr_t)&px_syscall_entry,
        .child_tid = (flags & LINUX_CLONE_CHILD_SETTID) ? req->child_tid : 0,
        .clear_child_tid = (flags & LINUX_CLONE_CHILD_CLEARTID) ? req->child_tid : 0,
        .exit_signal = req->exit_signal,
        .comm_set = t->comm_set,
    };
    px_guest_fpu_save(&rec.fpu);
    rec.regs.rax = 0;
    if (req->stack) rec.regs.rsp = req->stack;
    if (plan.keep_altstack) {
        rec.altstack_sp = t->altstack_sp;
        rec.altstack_size = t->altstack_size;
        rec.altstack_flags = t->altstack_flags;
    } else {
        rec.altstack_flags = LINUX_SS_DISABLE;
    }
    memcpy(rec.comm, t->comm, sizeof rec.comm);
    rec.initial_rsp = px_proc_initial_stack();
    px_vm_get_exe_path(rec.exe_path, sizeof rec.exe_path);
    px_host_rwlock_lock_shared(&t->process->lock);
    rec.ppid = (flags & LINUX_CLONE_PARENT) ? t->process->ppid : t->process->tgid;
    int32_t pgid = t->process->pgid;
    int32_t self = t->process->tgid;
    px_host_rwlock_unlock_shared(&t->process->lock);
    (void)self;
    rec.pid = px_ptable_alloc_child(rec.ppid);
    if (rec.pid < 0) return rec.pid;

    px_host_handle copied = px_host_event_new(true, false, true);
    px_host_handle vforked = (flags & LINUX_CLONE_VFORK) ? px_host_event_new(true, false, true) : NULL;
    px_host_handle self_process = NULL;
    if (!copied || ((flags & LINUX_CLONE_VFORK) && !vforked) ||
        px_host_handle_dup(px_host_self(), px_host_self(), true, &self_process) < 0) {
        close_handle(&copied);
        close_handle(&vforked);
        px_ptable_abandon(rec.pid);
        return -LINUX_EAGAIN;
    }
    rec.parent_process = (uint64_t)(uintptr_t)self_process;
    rec.copied_event = (uint64_t)(uintptr_t)copied;
    rec.vfork_event = (uint64_t)(uintptr_t)vforked;

    px_host_child child = {0};
    px_fpos_prepare(); /* before any spare exists: every later process inherits the table */
    r = start_in_spare(t, &rec, &child);
    for (int attempt = 0; attempt < FORK_ATTEMPTS && r == 1; attempt++) r = start_child(t, &rec, copied, &child);
    close_handle(&copied);
    close_handle(&self_process);
    if (r != 0) {
        close_handle(&vforked);
        px_ptable_abandon(rec.pid);
        return r == 1 ? -LINUX_EAGAIN : r;
    }

    int32_t pid = rec.pid;
    int64_t pidfd = -1;
    if (flags & LINUX_CLONE_PIDFD) {
        /* made before the child is a child of ours, so that a failure leaves nothing */
        pidfd = px_pidfd_new(pid, child.process, 0);
        int32_t fd32 = (int32_t)pidfd;
        if (pidfd < 0 || PX_PUT(req->pidfd, &fd32) < 0) {
            if (pidfd >= 0) px_fd_close((int)pidfd);
            px_host_child_kill(&child, 126);
            close_handle(&vforked);
            return pidfd < 0 ? pidfd : -LINUX_EFAULT;
        }
    }
    px_child c = {.pid = pid, .pgid = pgid, .process = child.process};
    if (flags & LINUX_CLONE_PARENT) {
        /* our parent's child: it waits for it through the process table */
        close_handle(&c.process);
    } else if (px_process_add_child(t->process, &c) < 0) {
        /* it runs, but we could never wait for it: Linux would not have made it */
        px_host_child_kill(&child, 126);
        close_handle(&vforked);
        return -LINUX_ENOMEM;
    }
    if (!(flags & LINUX_CLONE_PARENT)) px_sigbell_children_changed();
    if (flags & LINUX_CLONE_PARENT_SETTID) PX_PUT(req->parent_tid, &pid); /* a bad pointer is ignored, as Linux */
    px_spawn_spare_prepare(); /* for the next fork: this program forks */
    if (vforked) {
        /* CLONE_VFORK: the parent sleeps until the child has let go of the memory it lent */
        px_host_handle either[2] = {vforked, child.process};
        px_host_wait_any(2, either, PX_HOST_FOREVER);
        close_handle(&vforked);
    }
    return pid;
}

/* fork(2) */
PX_SYSCALL(fork)
{
    clone_request req = {.exit_signal = LINUX_SIGCHLD};
    return do_fork(regs, &req);
}

/* vfork(2) */
PX_SYSCALL(vfork)
{
    clone_request req = {.flags = LINUX_CLONE_VM | LINUX_CLONE_VFORK, .exit_signal = LINUX_SIGCHLD};
    return do_fork(regs, &req);
}

/* clone(2), x86-64 order: flags, stack, parent_tid, child_tid, tls */
PX_SYSCALL(clone)
{
    uint64_t flags = PX_ARG0;
    clone_request req = {
        .flags = flags & ~(uint64_t)0xff, .stack = PX_ARG1, .parent_tid = PX_ARG2, .child_tid = PX_ARG3,
        .tls = PX_ARG4, .exit_signal = (int32_t)(flags & 0xff),
        .pidfd = PX_ARG2, /* legacy clone: CLONE_PIDFD uses parent_tid's slot (so not both) */
    };
    return do_fork(regs, &req);
}

/* clone3(2) */
PX_SYSCALL(clone3)
{
    uint64_t uargs = PX_ARG0, size = PX_ARG1;
    if (size < LINUX_CLONE_ARGS_SIZE_VER0 || size > 4096) return -LINUX_EINVAL;
    struct linux_clone_args a = {0};
    size_t n = size < sizeof a ? (size_t)size : sizeof a;
    if (px_copy_in(&a, uargs, n) < 0) return -LINUX_EFAULT;
    if (size > sizeof a) { /* a newer caller's extra fields must be zero */
        uint8_t extra[64];
        for (uint64_t at = sizeof a; at < size; at += sizeof extra) {
            size_t k = size - at < sizeof extra ? (size_t)(size - at) : sizeof extra;
            if (px_copy_in(extra, uargs + at, k) < 0) return -LINUX_EFAULT;
            for (size_t i = 0; i < k; i++)
                if (extra[i]) return -LINUX_E2BIG;
        }
    }
    if (a.exit_signal > 64 || (a.flags & 0xff & ~LINUX_CLONE_NEWTIME)) return -LINUX_EINVAL;
    if (a.set_tid_size || a.set_tid) return -LINUX_EPERM; /* choosing pids needs CAP_SYS_ADMIN in a pid namespace */
    if ((a.stack == 0) != (a.stack_size == 0)) return -LINUX_EINVAL;
    if (a.flags & LINUX_CLONE_INTO_CGROUP) return -LINUX_ENOSYS;
    clone_request req = {
        .flags = a.flags, .stack = a.stack ? a.stack + a.stack_size : 0, .parent_tid = a.parent_tid,
        .child_tid = a.child_tid, .tls = a.tls, .exit_signal = (int32_t)a.exit_signal, .pidfd = a.pidfd,
    };
    return do_fork(regs, &req);
}

/* ---- in the child ---- */

void px_process_vfork_release(void)
{
    px_task *t = px_self();
    if (!t || !t->process || !t->process->vfork_done) return;
    px_host_handle done = t->process->vfork_done;
    t->process->vfork_done = NULL;
    px_mm_lazy_write_back(); /* what we changed of the memory we borrowed, before the parent wakes */
    px_host_event_set(done);
    px_host_close(done);
}

bool px_fork_is_handoff(const px_handoff *h)
{
    size_t len = 0;
    return px_handoff_get(h, PX_HANDOFF_TAG_FORK, 0, &len) != NULL;
}

int px_fork_continue(px_handoff *h)
{
    size_t len = 0, mm_len = 0;
    const fork_record *r = px_handoff_get(h, PX_HANDOFF_TAG_FORK, 0, &len);
    const void *mm_rec = px_handoff_get(h, PX_HANDOFF_TAG_MM, 0, &mm_len);
    if (!r || len != sizeof *r || !mm_rec) {
        px_log("picolx: fork: the state handed over by the parent process is unreadable");
        return 126;
    }
    static fork_record rec; /* once per process */
    rec = *r;
    if (rec.teb_thread_slot != px_teb_thread_slot || rec.teb_fs_slot != px_teb_fs_slot ||
        rec.teb_scratch_slot != px_teb_scratch_slot || rec.syscall_entry != (uint64_t)(uintptr_t)&px_syscall_entry) {
        /* rewritten code has the parent's slots and entry built in */
        px_log("picolx: fork: this process's runtime is laid out unlike its parent's");
        return 126;
    }
    px_task *t = px_self();
    px_timing_mark("fork child: state received");
    px_task_restore(t, h);
    px_timing_mark("fork child: objects restored");
    px_host_handle parent = (px_host_handle)(uintptr_t)rec.parent_process;
    bool lazy = rec.vfork_event != 0; /* the parent sleeps until we exec or exit: borrow its memory */
    int64_t copied = px_mm_fork_restore(mm_rec, mm_len, parent, lazy ? rec.regs.rsp : 0);
    px_handoff_free(h);
    px_timing_mark("fork child: memory copied");
    if (copied < 0) {
        /* a parent killed while we copied made no fork: nobody waits for us, so no word */
        if (px_host_wait(parent, 0) != PX_HOST_TIMED_OUT) return 126;
        px_log("picolx: fork: cannot copy the parent's memory (%s)", px_errno_name(-copied));
        return 126;
    }
    int32_t pid = rec.pid; /* px_task_restore attached this process to it */
    t->tid = pid;
    px_host_rwlock_lock(&t->process->lock);
    t->process->tgid = pid;
    t->process->ppid = rec.ppid;
    px_host_rwlock_unlock(&t->process->lock);
    t->process->forked = 1;
    __atomic_store_n(&t->process->pdeathsig, 0, __ATOMIC_RELAXED); /* not inherited by fork */
    __atomic_store_n(&t->process->shared_pending, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&t->pending, 0, __ATOMIC_RELAXED);
    t->process->vfork_done = (px_host_handle)(uintptr_t)rec.vfork_event;
    t->altstack_sp = rec.altstack_sp;
    t->altstack_size = rec.altstack_size;
    t->altstack_flags = rec.altstack_flags;
    t->comm_set = rec.comm_set;
    memcpy(t->comm, rec.comm, sizeof t->comm);
    t->clear_child_tid = rec.clear_child_tid;
    t->robust_list = t->robust_list_len = 0;
    px_thread_set_fs(t, rec.guest_fs);
    if (rec.child_tid) PX_PUT(rec.child_tid, &pid);
    if (rec.initial_rsp) px_proc_note_initial_stack(rec.initial_rsp);
    if (rec.exe_path[0]) px_vm_set_exe_path(rec.exe_path);

    /* The parent may go on: everything of it that we need is ours now. */
    px_host_handle copied_event = (px_host_handle)(uintptr_t)rec.copied_event;
    px_host_event_set(copied_event);
    px_host_close(copied_event);
    if (!lazy) px_host_close(parent); /* else the write-back's (px_process_vfork_release) */
    return (int)px_resume_guest(t, &rec.regs, &rec.fpu);
}
