/* The clone rules (clone.h): Linux's copy_process checks, then one line per object. */
#include "core/px.h"
#include "task/clone.h"

#define NAMESPACE_FLAGS                                                                                  \
    (LINUX_CLONE_NEWNS | LINUX_CLONE_NEWUTS | LINUX_CLONE_NEWIPC | LINUX_CLONE_NEWUSER | LINUX_CLONE_NEWPID | \
     LINUX_CLONE_NEWNET | LINUX_CLONE_NEWCGROUP)

int64_t px_clone_plan_of(uint64_t flags, px_clone_plan *out)
{
    bool vm = flags & LINUX_CLONE_VM, fs = flags & LINUX_CLONE_FS, files = flags & LINUX_CLONE_FILES;
    bool sighand = flags & LINUX_CLONE_SIGHAND, thread = flags & LINUX_CLONE_THREAD;
    /* copy_process's checks, in its order (all EINVAL) */
    if ((flags & (LINUX_CLONE_NEWNS | LINUX_CLONE_FS)) == (LINUX_CLONE_NEWNS | LINUX_CLONE_FS)) return -LINUX_EINVAL;
    if ((flags & (LINUX_CLONE_NEWUSER | LINUX_CLONE_FS)) == (LINUX_CLONE_NEWUSER | LINUX_CLONE_FS)) return -LINUX_EINVAL;
    if (thread && !sighand) return -LINUX_EINVAL; /* a thread group shares its handlers */
    if (sighand && !vm) return -LINUX_EINVAL;     /* shared handlers imply a shared address space */
    if (thread && (flags & (LINUX_CLONE_NEWUSER | LINUX_CLONE_NEWPID))) return -LINUX_EINVAL;
    if (sighand && (flags & LINUX_CLONE_CLEAR_SIGHAND)) return -LINUX_EINVAL;
    if ((flags & LINUX_CLONE_PIDFD) && (flags & (LINUX_CLONE_DETACHED | LINUX_CLONE_THREAD | LINUX_CLONE_PARENT_SETTID)))
        return -LINUX_EINVAL;
    /* picolx has one namespace of each kind: as a kernel without CONFIG_*_NS */
    if (flags & NAMESPACE_FLAGS) return -LINUX_EINVAL;

    px_clone_plan p = {0};
    p.how[PX_OBJ_CRED] = PX_CLONE_SHARE; /* immutable: a copy would be the same */
    p.how[PX_OBJ_PROCESS] = thread ? PX_CLONE_SHARE : PX_CLONE_COPY;
    p.how[PX_OBJ_MM] = vm ? PX_CLONE_SHARE : PX_CLONE_COPY;
    p.how[PX_OBJ_FILES] = files ? PX_CLONE_SHARE : PX_CLONE_COPY;
    p.how[PX_OBJ_FS] = fs ? PX_CLONE_SHARE : PX_CLONE_COPY;
    p.how[PX_OBJ_SIGHAND] = sighand ? PX_CLONE_SHARE
                            : (flags & LINUX_CLONE_CLEAR_SIGHAND) ? PX_CLONE_COPY_CLEARED
                                                                 : PX_CLONE_COPY;
    p.vfork = (flags & LINUX_CLONE_VFORK) != 0;
    p.same_parent = thread || (flags & LINUX_CLONE_PARENT);
    /* copy_process: a task sharing the address space without vfork runs on another stack */
    p.keep_altstack = !vm || p.vfork;
    p.exit_signal = thread ? -1 : (int)(flags & LINUX_CSIGNAL);
    *out = p;
    return 0;
}

void *px_task_object(const px_task *t, enum px_task_object kind)
{
    switch (kind) {
    case PX_OBJ_CRED: return (void *)t->cred;
    case PX_OBJ_PROCESS: return t->process;
    case PX_OBJ_MM: return t->mm;
    case PX_OBJ_FILES: return t->files;
    case PX_OBJ_FS: return t->fs;
    case PX_OBJ_SIGHAND: return t->sighand;
    default: return NULL;
    }
}

void px_task_set_object(px_task *t, enum px_task_object kind, void *obj)
{
    switch (kind) {
    case PX_OBJ_CRED: t->cred = obj; break;
    case PX_OBJ_PROCESS: t->process = obj; break;
    case PX_OBJ_MM: t->mm = obj; break;
    case PX_OBJ_FILES: t->files = obj; break;
    case PX_OBJ_FS: t->fs = obj; break;
    case PX_OBJ_SIGHAND: t->sighand = obj; break;
    default: break;
    }
}

void px_task_release(px_task *t, const px_clone_ops *ops)
{
    if (!t) return;
    for (int k = PX_OBJ_COUNT - 1; k >= 0; k--) {
        void *obj = px_task_object(t, (enum px_task_object)k);
        if (obj) ops->drop((enum px_task_object)k, obj);
    }
    px_free(t);
}

int64_t px_task_clone(const px_task *parent, uint64_t flags, int32_t tid, const px_clone_ops *ops, px_task **out)
{
    px_clone_plan plan;
    int64_t r = px_clone_plan_of(flags, &plan);
    if (r < 0) return r;
    px_task *child = px_calloc(1, sizeof *child);
    if (!child) return -LINUX_ENOMEM;
    child->tid = tid;
    child->sigmask = parent->sigmask; /* inherited; pending signals are not */
    child->guest_fs = parent->guest_fs; /* CLONE_SETTLS replaces it (the caller's part) */
    memcpy(child->comm, parent->comm, sizeof child->comm);
    child->comm_set = parent->comm_set;
    if (plan.keep_altstack) {
        child->altstack_sp = parent->altstack_sp;
        child->altstack_size = parent->altstack_size;
        child->altstack_flags = parent->altstack_flags;
    } else {
        child->altstack_flags = LINUX_SS_DISABLE;
    }
    for (int k = 0; k < PX_OBJ_COUNT; k++) {
        enum px_task_object kind = (enum px_task_object)k;
        void *obj = px_task_object(parent, kind);
        if (!obj) continue;
        void *mine = plan.how[k] == PX_CLONE_SHARE ? ops->share(kind, obj)
                                                   : ops->copy(kind, obj, child, (enum px_clone_how)plan.how[k]);
        if (!mine) {
            px_task_release(child, ops);
            return -LINUX_ENOMEM;
        }
        px_task_set_object(child, kind, mine);
    }
    if (ops->finish) ops->finish(child);
    *out = child;
    return 0;
}
