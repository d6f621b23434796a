/* Process and thread identity syscalls, and the exits. The ids come from the task's
   process object and credentials: no Win32 call and no lock on these paths. */
#include "core/px.h"
#include "core/runtime.h"
#include "core/uaccess.h"
#include "kernel/identity.h"
#include "kernel/kernel.h"
#include "task/process.h"

/* getpid(2) */
PX_SYSCALL(getpid) { return px_kernel_self()->process->tgid; }

/* getppid(2) */
PX_SYSCALL(getppid) { return px_kernel_self()->process->ppid; }

/* gettid(2): the main thread's tid is the pid, as on Linux. */
PX_SYSCALL(gettid) { return px_kernel_self()->tid; }

/* getuid(2), geteuid(2), getgid(2), getegid(2) */
PX_SYSCALL(getuid) { return px_kernel_self()->cred->uid; }
PX_SYSCALL(geteuid) { return px_kernel_self()->cred->euid; }
PX_SYSCALL(getgid) { return px_kernel_self()->cred->gid; }
PX_SYSCALL(getegid) { return px_kernel_self()->cred->egid; }

/* umask(2) */
PX_SYSCALL(umask)
{
    uint32_t mask = (uint32_t)PX_ARG0;
    return px_identity_set_umask(mask);
}

/* set_tid_address(2): recorded for the thread exit (CLONE_CHILD_CLEARTID) to come. */
PX_SYSCALL(set_tid_address)
{
    uint64_t tidptr = PX_ARG0;
    px_task *t = px_kernel_self();
    t->clear_child_tid = tidptr;
    return t->tid;
}

/* set_robust_list(2): recorded; walked when threads exist (the pointer is not read now,
   as Linux does not read it either until the thread exits). */
PX_SYSCALL(set_robust_list)
{
    uint64_t head = PX_ARG0, len = PX_ARG1;
    if (len != 24) return -LINUX_EINVAL;  /* sizeof(struct robust_list_head) */
    px_task *t = px_kernel_self();
    t->robust_list = head;
    t->robust_list_len = len;
    return 0;
}

/* exit(2): ends the whole process until threads exist. */
PX_SYSCALL(exit)
{
    int status = (int)PX_ARG0;
    px_process_exit(status);
}

/* exit_group(2) */
PX_SYSCALL(exit_group)
{
    int status = (int)PX_ARG0;
    px_process_exit(status);
}

/* getgroups(2): the cred's supplementary groups. */
PX_SYSCALL(getgroups)
{
    int32_t size = (int32_t)PX_ARG0;
    uint64_t list = PX_ARG1;
    const struct px_cred *c = px_kernel_self()->cred;
    if (size < 0) return -LINUX_EINVAL;
    if (size == 0) return c->ngroups;
    if ((uint32_t)size < c->ngroups) return -LINUX_EINVAL;
    if (px_copy_out(list, c->groups, c->ngroups * sizeof c->groups[0]) < 0) return -LINUX_EFAULT;
    return c->ngroups;
}

/* getresuid(2) */
PX_SYSCALL(getresuid)
{
    uint64_t r = PX_ARG0, e = PX_ARG1, s = PX_ARG2;
    const struct px_cred *c = px_kernel_self()->cred;
    if (PX_PUT(r, &c->uid) < 0 || PX_PUT(e, &c->euid) < 0 || PX_PUT(s, &c->suid) < 0) return -LINUX_EFAULT;
    return 0;
}

/* getresgid(2) */
PX_SYSCALL(getresgid)
{
    uint64_t r = PX_ARG0, e = PX_ARG1, s = PX_ARG2;
    const struct px_cred *c = px_kernel_self()->cred;
    if (PX_PUT(r, &c->gid) < 0 || PX_PUT(e, &c->egid) < 0 || PX_PUT(s, &c->sgid) < 0) return -LINUX_EFAULT;
    return 0;
}

/* Process groups and sessions: the process object's; only our own process is visible. */
static int64_t own_field_of(int32_t pid, bool session)
{
    struct px_process *p = px_kernel_self()->process;
    if (pid != 0 && pid != p->tgid) return -LINUX_ESRCH;
    px_rwlock_read(&p->lock);
    int32_t v = session ? p->sid : p->pgid;
    px_rwlock_read_end(&p->lock);
    return v;
}

/* getpgrp(2) */
PX_SYSCALL(getpgrp) { return own_field_of(0, false); }
/* getpgid(2) */
PX_SYSCALL(getpgid) { return own_field_of((int32_t)PX_ARG0, false); }
/* getsid(2) */
PX_SYSCALL(getsid) { return own_field_of((int32_t)PX_ARG0, true); }
