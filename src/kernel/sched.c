/* Scheduling: yield and the CPU affinity mask. */
#include "core/px.h"
#include "core/uaccess.h"
#include "host/host_system.h"
#include "host/host_thread.h"
#include "kernel/identity.h"
#include "kernel/kernel.h"
#include "kernel/clock.h"

/* sched_yield(2) */
PX_SYSCALL(sched_yield)
{
    px_host_yield();
    return 0;
}

/* sched_getaffinity(2): the processors this process may run on, as one 64-bit word
   (processor groups beyond the first are not reported). */
PX_SYSCALL(sched_getaffinity)
{
    int32_t pid = (int32_t)PX_ARG0;
    uint64_t len = PX_ARG1, mask_ptr = PX_ARG2;
    if (len < sizeof(uint64_t) || (len & (sizeof(uint64_t) - 1))) return -LINUX_EINVAL;
    if (pid != 0 && pid != px_identity_pid()) {
        px_task *t = px_kernel_self();
        if (!t || pid != t->tid) return -LINUX_ESRCH;
    }
    uint64_t mask = 0;
    if (px_host_affinity(&mask) < 0 || !mask) {
        uint32_t n = px_host_cpu_count();
        mask = n >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << n) - 1);
    }
    if (PX_PUT(mask_ptr, &mask) < 0) return -LINUX_EFAULT;
    return sizeof mask;  /* the kernel returns the bytes it wrote: its cpumask size */
}

/* The processor the caller runs on (group-major numbering, as the affinity mask) and its
   NUMA node. Used by getcpu(2) and the vDSO. */
int64_t px_sched_getcpu(uint64_t cpu_ptr, uint64_t node_ptr)
{
    uint32_t cpu, node = 0;
    px_host_current_cpu(&cpu, node_ptr ? &node : NULL);
    if (cpu_ptr && PX_PUT(cpu_ptr, &cpu) < 0) return -LINUX_EFAULT;
    if (node_ptr && PX_PUT(node_ptr, &node) < 0) return -LINUX_EFAULT;
    return 0;
}

/* getcpu(2): the third argument (a cache) has been unused since Linux 2.6.24. */
PX_SYSCALL(getcpu)
{
    uint64_t cpu = PX_ARG0, node = PX_ARG1;
    return px_sched_getcpu(cpu, node);
}
