/* Tasks and their objects (task.h). */
#include "core/px.h"
#include "fs/fd_handoff.h"
#include "fs/fs.h"
#include "kernel/identity.h"
#include "kernel/kernel.h"
#include "kernel/signal.h"
#include "mm/vm.h"
#include "spawn.h"
#include "host/host_env.h"
#include "task/process.h"
#include "task/ptable.h"
#include "task/task.h"

/* The per-thread state that travels with an execve into a new process (Linux keeps
   the thread's mask, pending signals and sigaltstack... and resets the altstack at
   exec: it is not kept, so it is not sent). */
typedef struct task_record {
    int32_t tid;
    uint32_t pad;
    uint64_t sigmask, pending;
} task_record;

/* The pid of this Windows process's Linux process: the table's. A process that an
   execve or a fork hands state to (fd_handoff.c's PICOLX_HANDOFF) learns its pid from the
   hand-over (px_task_restore); one started for a fixed-address program at the launch
   continues its parent's pid; any other is a new process of its own. */
static int32_t boot_pid(void)
{
    int32_t host_ppid = px_identity_host_ppid();
    /* until px_task_restore (a fork's spare: until a fork hands it its state) */
    if (px_host_env_is_set(L"PICOLX_HANDOFF") || px_host_env_is_set(L"PICOLX_SPARE")) return px_identity_host_pid();
    int32_t pid = px_spawn_is_child() ? px_ptable_continue_parent(host_ppid) : 0;
    return pid ? pid : px_ptable_register_first(host_ppid);
}

px_task *px_task_boot(void)
{
    px_task *t = px_calloc(1, sizeof *t);
    if (!t) return NULL;
    t->tid = boot_pid();
    t->cred = px_cred_initial();
    t->process = px_process_new(t->tid, px_identity_host_ppid());
    t->mm = px_mm_host_take();
    t->files = px_fdtable_new();
    t->fs = px_fs_context_new();
    t->sighand = px_sighand_new();
    t->altstack_flags = LINUX_SS_DISABLE;
    if (!t->cred || !t->process || !t->mm || !t->files || !t->fs || !t->sighand) return NULL;
    px_limits_host_defaults(t->process);
    t->rlimits = t->process->rlimits;
    px_thread_attach(t);
    px_thread_set_initial(t);
    px_sigbell_start(); /* signals from other processes (nothing until it has a pid of the table) */
    return t;
}

bool px_task_save(const px_task *t, struct px_handoff *h)
{
    return px_task_save_for(t, h, true, 0, 0);
}

bool px_task_save_for(const px_task *t, struct px_handoff *h, bool for_exec, int32_t pid, int32_t ppid)
{
    task_record r = {
        .tid = t->tid,
        .sigmask = t->sigmask,
        .pending = __atomic_load_n(&t->pending, __ATOMIC_RELAXED),
    };
    if (pid) { /* fork's child: no pending signals of ours */
        r.tid = pid;
        r.pending = 0;
    }
    return px_handoff_put(h, PX_HANDOFF_TAG_TASK, &r, sizeof r) && px_process_save_as(t->process, h, pid, ppid) &&
           (pid || (px_signal_save_infos(t, h) && px_itimer_save(t->process, h))) && px_cred_save(t->cred, h) && px_sighand_save(t->sighand, h) && px_fd_handoff_export(h, for_exec) == 0;
}

void px_task_restore(px_task *t, const struct px_handoff *h)
{
    size_t len = 0;
    const task_record *r = px_handoff_get(h, PX_HANDOFF_TAG_TASK, 0, &len);
    if (r && len == sizeof *r) {
        t->tid = r->tid;
        t->sigmask = r->sigmask;
        __atomic_store_n(&t->pending, r->pending, __ATOMIC_RELAXED);
    }
    px_process_restore(t->process, h);
    px_signal_restore_infos(t, h);
    px_itimer_restore(t->process, h);
    px_ptable_attach(t->process->tgid); /* this Windows process runs that pid now */
    px_sigbell_start();
    const struct px_cred *c = px_cred_restore(h);
    if (c) px_cred_install(t, c);
    px_sighand_restore(t->sighand, h);
    px_fd_handoff_import(h); /* the fd table, then the fs context */
}

/* ---- the real clone operations ---- */

static void *share_object(enum px_task_object kind, void *obj)
{
    switch (kind) {
    case PX_OBJ_CRED: return (void *)px_cred_take(obj);
    case PX_OBJ_PROCESS: return px_process_take(obj);
    case PX_OBJ_MM: return px_mm_take(obj);
    case PX_OBJ_FILES: return px_fdtable_take(obj);
    case PX_OBJ_FS: return px_fs_context_take(obj);
    case PX_OBJ_SIGHAND: return px_sighand_take(obj);
    default: return NULL;
    }
}

static void *copy_object(enum px_task_object kind, void *obj, const px_task *child, enum px_clone_how how)
{
    switch (kind) {
    case PX_OBJ_CRED: return px_cred_copy(obj);
    case PX_OBJ_PROCESS: return px_process_copy(obj, child->tid);
    case PX_OBJ_MM: return NULL; /* a copied address space is fork's (a later issue: a new Windows process) */
    case PX_OBJ_FILES: return px_fdtable_copy(obj);
    case PX_OBJ_FS: return px_fs_context_copy(obj);
    case PX_OBJ_SIGHAND: return px_sighand_copy(obj, how == PX_CLONE_COPY_CLEARED);
    default: return NULL;
    }
}

static void drop_object(enum px_task_object kind, void *obj)
{
    switch (kind) {
    case PX_OBJ_CRED: px_cred_drop(obj); break;
    case PX_OBJ_PROCESS: px_process_drop(obj); break;
    case PX_OBJ_MM: px_mm_drop(obj); break;
    case PX_OBJ_FILES: px_fdtable_drop(obj); break;
    case PX_OBJ_FS: px_fs_context_drop(obj); break;
    case PX_OBJ_SIGHAND: px_sighand_drop(obj); break;
    default: break;
    }
}

static void finish_child(px_task *child)
{
    child->rlimits = child->process->rlimits;
}

const px_clone_ops px_task_clone_ops = {
    .share = share_object, .copy = copy_object, .drop = drop_object, .finish = finish_child,
};
