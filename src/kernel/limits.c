/* Resource limits: getrlimit, setrlimit, prlimit64 on the thread group's limits (its
   process object, src/task/process.c), with do_prlimit's rules. RLIMIT_NOFILE is
   enforced by the fd table (src/fs/fd.c); the others are recorded. */
#include "core/px.h"
#include "host/host_system.h"
#include "core/uaccess.h"
#include "kernel/identity.h"
#include "kernel/kernel.h"
#include "task/process.h"


void px_limits_host_defaults(struct px_process *p)
{
    /* The kernel's default task limit: RAM / (16 KiB thread stacks * 8) / 2. */
    px_host_memory mem;
    uint64_t ram = px_host_memory_status(&mem) == 0 ? mem.total : 8192ULL * 1024 * 1024;
    uint64_t tasks = ram / (16 * 1024 * 8) / 2;
    if (tasks < 20) tasks = 20;
    p->rlimits[LINUX_RLIMIT_NPROC] = (struct linux_rlimit){tasks, tasks};
    p->rlimits[LINUX_RLIMIT_SIGPENDING] = (struct linux_rlimit){tasks, tasks};
}

/* The rules of the kernel's do_prlimit: cur <= max, raising max needs root, NOFILE
   is capped by nr_open. Returns 0 or -LINUX_Exxx; old is filled either way. */
static int64_t exchange_limit(struct px_process *p, unsigned resource, const struct linux_rlimit *new_limit,
                              struct linux_rlimit *old)
{
    if (new_limit) {
        if (new_limit->rlim_cur > new_limit->rlim_max) return -LINUX_EINVAL;
        if (resource == LINUX_RLIMIT_NOFILE && new_limit->rlim_max > LINUX_NR_OPEN) return -LINUX_EPERM;
    }
    int64_t ret = 0;
    bool root = px_kernel_self()->cred->euid == 0; /* CAP_SYS_RESOURCE */
    px_host_rwlock_lock(&p->lock);
    struct linux_rlimit cur = px_process_rlimit(p, resource);
    if (old) *old = cur;
    if (new_limit) {
        if (new_limit->rlim_max > cur.rlim_max && !root) {
            ret = -LINUX_EPERM;
        } else {
            /* entries are read without the lock (fd.c): each word atomically */
            __atomic_store_n(&p->rlimits[resource].rlim_cur, new_limit->rlim_cur, __ATOMIC_RELAXED);
            __atomic_store_n(&p->rlimits[resource].rlim_max, new_limit->rlim_max, __ATOMIC_RELAXED);
        }
    }
    px_host_rwlock_unlock(&p->lock);
    return ret;
}

static bool is_own_process(int32_t pid)
{
    px_task *t = px_kernel_self();
    return pid == 0 || pid == t->process->tgid || pid == t->tid;
}

/* prlimit64(2): own process only; other pids are not visible to the guest. */
PX_SYSCALL(prlimit64)
{
    int32_t pid = (int32_t)PX_ARG0;
    unsigned resource = (unsigned)PX_ARG1;
    uint64_t new_ptr = PX_ARG2, old_ptr = PX_ARG3;
    if (resource >= LINUX_RLIM_NLIMITS) return -LINUX_EINVAL;
    if (!is_own_process(pid)) return -LINUX_ESRCH;
    struct linux_rlimit new_limit, old;
    if (new_ptr && px_copy_in(&new_limit, new_ptr, sizeof new_limit) < 0) return -LINUX_EFAULT;
    int64_t ret = exchange_limit(px_kernel_self()->process, resource, new_ptr ? &new_limit : NULL, &old);
    if (ret == 0 && old_ptr && px_copy_out(old_ptr, &old, sizeof old) < 0) return -LINUX_EFAULT;
    return ret;
}

/* getrlimit(2) */
PX_SYSCALL(getrlimit)
{
    unsigned resource = (unsigned)PX_ARG0;
    uint64_t old_ptr = PX_ARG1;
    if (resource >= LINUX_RLIM_NLIMITS) return -LINUX_EINVAL;
    struct linux_rlimit old = px_process_rlimit(px_kernel_self()->process, resource);
    return px_copy_out(old_ptr, &old, sizeof old);
}

/* setrlimit(2) */
PX_SYSCALL(setrlimit)
{
    unsigned resource = (unsigned)PX_ARG0;
    uint64_t new_ptr = PX_ARG1;
    if (resource >= LINUX_RLIM_NLIMITS) return -LINUX_EINVAL;
    struct linux_rlimit new_limit;
    if (px_copy_in(&new_limit, new_ptr, sizeof new_limit) < 0) return -LINUX_EFAULT;
    return exchange_limit(px_kernel_self()->process, resource, &new_limit, NULL);
}
