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
    px_thread *t = px_kernel_self();
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
    px_thread *t = px_kernel_self();
    if (t) t->clear_child_tid = tidptr;
    return t && t->tid ? t->tid : px_identity_pid();
}

/* set_robust_list(2): recorded; walked when threads exist. */
PX_SYSCALL(set_robust_list)
{
    uint64_t head = PX_ARG0, len = PX_ARG1;
    if (len != 24) return -LINUX_EINVAL;  /* sizeof(struct robust_list_head) */
    px_thread *t = px_kernel_self();
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
