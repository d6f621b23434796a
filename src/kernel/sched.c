/* Scheduling: yield and the CPU affinity mask. */
#include <windows.h>
#include "core/px.h"
#include "core/uaccess.h"
#include "kernel/identity.h"
#include "kernel/kernel.h"
#include "kernel/clock.h"

/* sched_yield(2) */
PX_SYSCALL(sched_yield)
{
    SwitchToThread();
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
    DWORD_PTR process_mask = 0, system_mask = 0;
    if (!GetProcessAffinityMask(GetCurrentProcess(), &process_mask, &system_mask) || !process_mask) {
        DWORD n = GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
        process_mask = n >= 64 ? ~(DWORD_PTR)0 : (((DWORD_PTR)1 << n) - 1);
    }
    uint64_t mask = (uint64_t)process_mask;
    if (PX_PUT(mask_ptr, &mask) < 0) return -LINUX_EFAULT;
    return sizeof mask;  /* the kernel returns the bytes it wrote: its cpumask size */
}

/* The processor the caller runs on (group-major numbering, as the affinity mask) and its
   NUMA node. Used by getcpu(2) and the vDSO. */
int64_t px_sched_getcpu(uint64_t cpu_ptr, uint64_t node_ptr)
{
    PROCESSOR_NUMBER pn;
    GetCurrentProcessorNumberEx(&pn);
    uint32_t cpu = (uint32_t)pn.Group * 64 + pn.Number;
    if (cpu_ptr && PX_PUT(cpu_ptr, &cpu) < 0) return -LINUX_EFAULT;
    if (node_ptr) {
        USHORT node = 0;
        if (!GetNumaProcessorNodeEx(&pn, &node) || node == 0xffff) node = 0;
        uint32_t node32 = node;
        if (PX_PUT(node_ptr, &node32) < 0) return -LINUX_EFAULT;
    }
    return 0;
}

/* getcpu(2): the third argument (a cache) has been unused since Linux 2.6.24. */
PX_SYSCALL(getcpu)
{
    uint64_t cpu = PX_ARG0, node = PX_ARG1;
    return px_sched_getcpu(cpu, node);
}
