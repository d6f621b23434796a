/* arch_prctl(2): the guest thread pointer. FS lives in the per-thread state and a TEB
   slot (never in the FS register: see docs/architecture.md). */
#include "core/px.h"
#include "core/uaccess.h"
#include "core/thread.h"
#include "kernel/kernel.h"

/* arch_prctl(2) */
PX_SYSCALL(arch_prctl)
{
    int code = (int)PX_ARG0;
    uint64_t addr = PX_ARG1;
    px_task *t = px_kernel_self();
    switch (code) {
    case LINUX_ARCH_SET_FS:
        if (addr >= LINUX_TASK_SIZE_MAX) return -LINUX_EPERM;
        if (!t) return -LINUX_EINVAL;
        px_thread_set_fs(t, addr);
        return 0;
    case LINUX_ARCH_GET_FS: {
        uint64_t fs = t ? t->guest_fs : 0;
        return PX_PUT(addr, &fs);
    }
    default:
        /* GS is Windows' TEB pointer: a guest GS base has nowhere to live. CPUID
           faulting, vDSO mapping and AMX permission requests are not offered either. */
        return -LINUX_EINVAL;
    }
}
