/* Resource limits: the values of a stock Debian 12 shell, recorded when the guest sets
   them but not enforced. */
#include <windows.h>
#include "core/px.h"
#include "kernel/identity.h"
#include "kernel/kernel.h"

#define INF LINUX_RLIM_INFINITY
#define MIB (1024ULL * 1024)

static struct linux_rlimit limits[LINUX_RLIM_NLIMITS] = {
    [LINUX_RLIMIT_CPU] = {INF, INF},
    [LINUX_RLIMIT_FSIZE] = {INF, INF},
    [LINUX_RLIMIT_DATA] = {INF, INF},
    [LINUX_RLIMIT_STACK] = {8 * MIB, INF},
    [LINUX_RLIMIT_CORE] = {0, INF},
    [LINUX_RLIMIT_RSS] = {INF, INF},
    [LINUX_RLIMIT_NPROC] = {0, 0},       /* from the RAM size, below */
    [LINUX_RLIMIT_NOFILE] = {1024, LINUX_NR_OPEN},
    [LINUX_RLIMIT_MEMLOCK] = {8 * MIB, 8 * MIB},
    [LINUX_RLIMIT_AS] = {INF, INF},
    [LINUX_RLIMIT_LOCKS] = {INF, INF},
    [LINUX_RLIMIT_SIGPENDING] = {0, 0},  /* same as NPROC, as the kernel sets it */
    [LINUX_RLIMIT_MSGQUEUE] = {819200, 819200},
    [LINUX_RLIMIT_NICE] = {0, 0},
    [LINUX_RLIMIT_RTPRIO] = {0, 0},
    [LINUX_RLIMIT_RTTIME] = {INF, INF},
};
static volatile LONG limits_ready;
static SRWLOCK limits_lock = SRWLOCK_INIT;

/* The kernel's default task limit: RAM / (16 KiB thread stacks * 8) / 2. */
static void limits_init(void)
{
    MEMORYSTATUSEX mem = {.dwLength = sizeof mem};
    uint64_t ram = GlobalMemoryStatusEx(&mem) ? mem.ullTotalPhys : 8192 * MIB;
    uint64_t tasks = ram / (16 * 1024 * 8) / 2;
    if (tasks < 20) tasks = 20;
    limits[LINUX_RLIMIT_NPROC] = (struct linux_rlimit){tasks, tasks};
    limits[LINUX_RLIMIT_SIGPENDING] = (struct linux_rlimit){tasks, tasks};
}

static void limits_ensure(void)
{
    if (PX_UNLIKELY(!limits_ready)) {
        AcquireSRWLockExclusive(&limits_lock);
        if (!limits_ready) {
            limits_init();
            limits_ready = 1;
        }
        ReleaseSRWLockExclusive(&limits_lock);
    }
}

/* The rules of the kernel's do_prlimit: cur <= max, raising max needs root, NOFILE
   is capped by nr_open. Returns 0 or -LINUX_Exxx; old is filled either way. */
static int64_t exchange_limit(unsigned resource, const struct linux_rlimit *new_limit,
                              struct linux_rlimit *old)
{
    limits_ensure();
    if (new_limit) {
        if (new_limit->rlim_cur > new_limit->rlim_max) return -LINUX_EINVAL;
        if (resource == LINUX_RLIMIT_NOFILE && new_limit->rlim_max > LINUX_NR_OPEN) return -LINUX_EPERM;
    }
    int64_t ret = 0;
    AcquireSRWLockExclusive(&limits_lock);
    if (old) *old = limits[resource];
    if (new_limit) {
        if (new_limit->rlim_max > limits[resource].rlim_max && px_identity_uid() != 0) ret = -LINUX_EPERM;
        else limits[resource] = *new_limit;
    }
    ReleaseSRWLockExclusive(&limits_lock);
    return ret;
}

static bool is_own_process(int32_t pid)
{
    if (pid == 0 || pid == px_identity_pid()) return true;
    px_task *t = px_kernel_self();
    return t && t->tid && pid == t->tid;
}

/* prlimit64(2): own process only; other pids are not visible to the guest. */
PX_SYSCALL(prlimit64)
{
    int32_t pid = (int32_t)PX_ARG0;
    unsigned resource = (unsigned)PX_ARG1;
    uint64_t new_ptr = PX_ARG2, old_ptr = PX_ARG3;
    if (resource >= LINUX_RLIM_NLIMITS) return -LINUX_EINVAL;
    if (!is_own_process(pid)) return -LINUX_ESRCH;
    if ((new_ptr && px_kernel_bad_ptr(new_ptr)) || (old_ptr && px_kernel_bad_ptr(old_ptr))) return -LINUX_EFAULT;
    struct linux_rlimit new_limit, old;
    if (new_ptr) new_limit = *(const struct linux_rlimit *)(uintptr_t)new_ptr;
    int64_t ret = exchange_limit(resource, new_ptr ? &new_limit : NULL, &old);
    if (ret == 0 && old_ptr) *(struct linux_rlimit *)(uintptr_t)old_ptr = old;
    return ret;
}

/* getrlimit(2) */
PX_SYSCALL(getrlimit)
{
    unsigned resource = (unsigned)PX_ARG0;
    uint64_t old_ptr = PX_ARG1;
    if (resource >= LINUX_RLIM_NLIMITS) return -LINUX_EINVAL;
    if (px_kernel_bad_ptr(old_ptr)) return -LINUX_EFAULT;
    struct linux_rlimit old;
    exchange_limit(resource, NULL, &old);
    *(struct linux_rlimit *)(uintptr_t)old_ptr = old;
    return 0;
}

/* setrlimit(2) */
PX_SYSCALL(setrlimit)
{
    unsigned resource = (unsigned)PX_ARG0;
    uint64_t new_ptr = PX_ARG1;
    if (resource >= LINUX_RLIM_NLIMITS) return -LINUX_EINVAL;
    if (px_kernel_bad_ptr(new_ptr)) return -LINUX_EFAULT;
    struct linux_rlimit new_limit = *(const struct linux_rlimit *)(uintptr_t)new_ptr;
    return exchange_limit(resource, &new_limit, NULL);
}

void px_limits_get_all(struct linux_rlimit *out)
{
    limits_ensure();
    AcquireSRWLockShared(&limits_lock);
    memcpy(out, limits, sizeof limits);
    ReleaseSRWLockShared(&limits_lock);
}

void px_limits_set_all(const struct linux_rlimit *in)
{
    limits_ensure();
    AcquireSRWLockExclusive(&limits_lock);
    memcpy(limits, in, sizeof limits);
    ReleaseSRWLockExclusive(&limits_lock);
}
