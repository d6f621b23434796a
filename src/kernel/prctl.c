/* prctl(2): the options programs use at start-up. The thread name is the guest's own
   (PR_SET_NAME / PR_GET_NAME, 16 bytes with the NUL); the other accepted options are
   ones whose effect cannot be seen here (no core dumps, no set-uid programs, no
   parent-death signal delivery yet) and are recorded so that their GET reads back. */
#include "core/px.h"
#include "kernel/kernel.h"

#define TASK_COMM_LEN 16

static __thread char thread_name[TASK_COMM_LEN];
static __thread bool thread_name_set;
static int32_t dumpable = 1, no_new_privs, pdeathsig;

/* The main thread starts with the program's file name, as Linux sets comm at exec. */
static const char *current_name(void)
{
    if (!thread_name_set) {
        const char *exe = px_cfg.exe_path ? px_cfg.exe_path : "";
        const char *slash = strrchr(exe, '/');
        const char *base = slash ? slash + 1 : exe;
        size_t n = strlen(base);
        if (n > TASK_COMM_LEN - 1) n = TASK_COMM_LEN - 1;
        memcpy(thread_name, base, n);
        thread_name[n] = 0;
        thread_name_set = true;
    }
    return thread_name;
}

/* prctl(2) */
PX_SYSCALL(prctl)
{
    int32_t option = (int32_t)PX_ARG0;
    uint64_t arg2 = PX_ARG1;
    switch (option) {
    case LINUX_PR_SET_NAME: {
        if (px_kernel_bad_ptr(arg2)) return -LINUX_EFAULT;
        const char *src = (const char *)(uintptr_t)arg2;
        size_t n = strnlen(src, TASK_COMM_LEN - 1);
        memcpy(thread_name, src, n);
        thread_name[n] = 0;
        thread_name_set = true;
        return 0;
    }
    case LINUX_PR_GET_NAME:
        if (px_kernel_bad_ptr(arg2)) return -LINUX_EFAULT;
        memcpy((void *)(uintptr_t)arg2, current_name(), TASK_COMM_LEN);
        return 0;
    case LINUX_PR_GET_DUMPABLE:
        return dumpable;
    case LINUX_PR_SET_DUMPABLE:
        if (arg2 > 1) return -LINUX_EINVAL;
        dumpable = (int32_t)arg2;
        return 0;
    case LINUX_PR_SET_NO_NEW_PRIVS:
        if (arg2 != 1 || PX_ARG2 || PX_ARG3 || PX_ARG4) return -LINUX_EINVAL;
        no_new_privs = 1; /* one-way, as on Linux */
        return 0;
    case LINUX_PR_GET_NO_NEW_PRIVS:
        if (arg2 || PX_ARG2 || PX_ARG3 || PX_ARG4) return -LINUX_EINVAL;
        return no_new_privs;
    case LINUX_PR_SET_PDEATHSIG:
        if (arg2 > LINUX_NSIG) return -LINUX_EINVAL;
        pdeathsig = (int32_t)arg2;
        return 0;
    case LINUX_PR_GET_PDEATHSIG:
        if (px_kernel_bad_ptr(arg2)) return -LINUX_EFAULT;
        *(int32_t *)(uintptr_t)arg2 = pdeathsig;
        return 0;
    default:
        /* PR_SET_VMA (naming anonymous memory) and the rest: as a kernel built without them */
        return -LINUX_EINVAL;
    }
}
