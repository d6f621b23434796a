/* Scheduling: yield and the CPU affinity mask. */
#include <windows.h>
#include "core/px.h"
#include "kernel/identity.h"
#include "kernel/kernel.h"

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
        px_thread *t = px_kernel_self();
        if (!t || pid != t->tid) return -LINUX_ESRCH;
    }
    if (px_kernel_bad_ptr(mask_ptr)) return -LINUX_EFAULT;
    DWORD_PTR process_mask = 0, system_mask = 0;
    if (!GetProcessAffinityMask(GetCurrentProcess(), &process_mask, &system_mask) || !process_mask) {
        DWORD n = GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
        process_mask = n >= 64 ? ~(DWORD_PTR)0 : (((DWORD_PTR)1 << n) - 1);
    }
    uint64_t mask = (uint64_t)process_mask;
    memcpy((void *)(uintptr_t)mask_ptr, &mask, sizeof mask);
    return sizeof mask;  /* the kernel returns the bytes it wrote: its cpumask size */
}
