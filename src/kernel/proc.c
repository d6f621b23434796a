/* Process and thread identity syscalls, and the exits. */
#include "core/px.h"
#include "core/runtime.h"
#include "kernel/identity.h"
#include "kernel/kernel.h"

/* getpid(2) */
PX_SYSCALL(getpid) { return px_identity_pid(); }

/* getppid(2): the Windows parent, looked up once. */
PX_SYSCALL(getppid) { return px_identity_ppid(); }

/* gettid(2): the main thread's tid is the pid, as on Linux. */
PX_SYSCALL(gettid)
{
    px_task *t = px_kernel_self();
    return t && t->tid ? t->tid : px_identity_pid();
}

/* getuid(2), geteuid(2): no set-uid programs, so real and effective ids are the same. */
PX_SYSCALL(getuid) { return px_identity_uid(); }
PX_SYSCALL(geteuid) { return px_identity_uid(); }
/* getgid(2), getegid(2) */
PX_SYSCALL(getgid) { return px_identity_gid(); }
PX_SYSCALL(getegid) { return px_identity_gid(); }

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
    if (t) t->clear_child_tid = tidptr;
    return t && t->tid ? t->tid : px_identity_pid();
}

/* set_robust_list(2): recorded; walked when threads exist. */
PX_SYSCALL(set_robust_list)
{
    uint64_t head = PX_ARG0, len = PX_ARG1;
    if (len != 24) return -LINUX_EINVAL;  /* sizeof(struct robust_list_head) */
    px_task *t = px_kernel_self();
    if (t) {
        t->robust_list = head;
        t->robust_list_len = len;
    }
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

/* getgroups(2): one supplementary group, the primary one (as root's login shell has). */
PX_SYSCALL(getgroups)
{
    int32_t size = (int32_t)PX_ARG0;
    uint64_t list = PX_ARG1;
    if (size < 0) return -LINUX_EINVAL;
    if (size == 0) return 1;
    if (px_kernel_bad_ptr(list)) return -LINUX_EFAULT;
    *(uint32_t *)(uintptr_t)list = px_identity_gid();
    return 1;
}

static int64_t put_three_ids(uint64_t a, uint64_t b, uint64_t c, uint32_t id)
{
    if (px_kernel_bad_ptr(a) || px_kernel_bad_ptr(b) || px_kernel_bad_ptr(c)) return -LINUX_EFAULT;
    *(uint32_t *)(uintptr_t)a = id;
    *(uint32_t *)(uintptr_t)b = id;
    *(uint32_t *)(uintptr_t)c = id;
    return 0;
}

/* getresuid(2): real, effective and saved ids are one. */
PX_SYSCALL(getresuid) { return put_three_ids(PX_ARG0, PX_ARG1, PX_ARG2, px_identity_uid()); }
/* getresgid(2) */
PX_SYSCALL(getresgid) { return put_three_ids(PX_ARG0, PX_ARG1, PX_ARG2, px_identity_gid()); }

/* Process groups and sessions do not exist on Windows: the guest leads its own. */
static int64_t own_leader_of(int32_t pid)
{
    int32_t self = px_identity_pid();
    return pid == 0 || pid == self ? self : -LINUX_ESRCH;
}

/* getpgrp(2) */
PX_SYSCALL(getpgrp) { return px_identity_pid(); }
/* getpgid(2) */
PX_SYSCALL(getpgid) { return own_leader_of((int32_t)PX_ARG0); }
/* getsid(2) */
PX_SYSCALL(getsid) { return own_leader_of((int32_t)PX_ARG0); }
