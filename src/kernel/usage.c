/* Resource usage: getrusage(2) and times(2) from the process and thread times. There
   are no child processes yet, so the children's figures are zero. */
#include <windows.h>
#include <psapi.h>
#include "core/px.h"
#include "core/uaccess.h"
#include "kernel/kernel.h"

static uint64_t filetime_100ns(const FILETIME *ft)
{
    return ((uint64_t)ft->dwHighDateTime << 32) | ft->dwLowDateTime;
}

static struct linux_timeval timeval_of_100ns(uint64_t t)
{
    return (struct linux_timeval){(int64_t)(t / 10000000), (int64_t)(t % 10000000 / 10)};
}

/* getrusage(2) */
PX_SYSCALL(getrusage)
{
    int32_t who = (int32_t)PX_ARG0;
    uint64_t usage_ptr = PX_ARG1;
    if (who != LINUX_RUSAGE_SELF && who != LINUX_RUSAGE_THREAD && who != LINUX_RUSAGE_CHILDREN)
        return -LINUX_EINVAL;
    struct linux_rusage ru;
    memset(&ru, 0, sizeof ru);
    if (who != LINUX_RUSAGE_CHILDREN) {
        FILETIME created, exited, kernel, user;
        BOOL ok = who == LINUX_RUSAGE_SELF
                      ? GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel, &user)
                      : GetThreadTimes(GetCurrentThread(), &created, &exited, &kernel, &user);
        if (ok) {
            ru.ru_utime = timeval_of_100ns(filetime_100ns(&user));
            ru.ru_stime = timeval_of_100ns(filetime_100ns(&kernel));
        }
        /* The peak working set is the peak RSS; Windows counts soft and hard faults
           together, which Linux calls minor faults. Both are per process. */
        PROCESS_MEMORY_COUNTERS mem = {.cb = sizeof mem};
        if (GetProcessMemoryInfo(GetCurrentProcess(), &mem, sizeof mem)) {
            ru.ru_maxrss = (int64_t)(mem.PeakWorkingSetSize / 1024);
            ru.ru_minflt = mem.PageFaultCount;
        }
    }
    return PX_PUT(usage_ptr, &ru);
}

/* times(2): returns clock ticks since boot, as the kernel's jiffies-based value does. */
PX_SYSCALL(times)
{
    uint64_t buf = PX_ARG0;
    if (buf) {
        struct linux_tms tms = {0, 0, 0, 0};
        FILETIME created, exited, kernel, user;
        if (GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel, &user)) {
            tms.tms_utime = (int64_t)(filetime_100ns(&user) / (10000000 / LINUX_USER_HZ));
            tms.tms_stime = (int64_t)(filetime_100ns(&kernel) / (10000000 / LINUX_USER_HZ));
        }
        if (PX_PUT(buf, &tms) < 0) return -LINUX_EFAULT;
    }
    return (int64_t)(GetTickCount64() / (1000 / LINUX_USER_HZ));
}
