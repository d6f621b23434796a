/* Resource usage: getrusage(2) and times(2) from the process and thread times; the
   children's from what wait4 adds up as it reaps them (px_process.children_utime). */
#include "core/px.h"
#include "core/uaccess.h"
#include "host/host_process.h"
#include "host/host_system.h"
#include "kernel/kernel.h"
#include "task/process.h"

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
    if (who == LINUX_RUSAGE_CHILDREN) {
        struct px_process *p = px_kernel_self()->process;
        px_host_rwlock_lock_shared(&p->lock);
        ru.ru_utime = timeval_of_100ns((uint64_t)p->children_utime);
        ru.ru_stime = timeval_of_100ns((uint64_t)p->children_stime);
        ru.ru_maxrss = (int64_t)(p->children_peak_rss / 1024);
        px_host_rwlock_unlock_shared(&p->lock);
    } else {
        px_host_times times;
        int64_t ok = who == LINUX_RUSAGE_SELF ? px_host_process_times(px_host_self(), &times)
                                              : px_host_thread_times(&times);
        if (ok == 0) {
            ru.ru_utime = timeval_of_100ns((uint64_t)times.user);
            ru.ru_stime = timeval_of_100ns((uint64_t)times.kernel);
        }
        /* The peak working set is the peak RSS; Windows counts soft and hard faults
           together, which Linux calls minor faults. Both are per process. */
        px_host_memory_use mem;
        if (px_host_process_memory(&mem) == 0) {
            ru.ru_maxrss = (int64_t)(mem.peak_working_set / 1024);
            ru.ru_minflt = mem.page_faults;
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
        px_host_times times;
        if (px_host_process_times(px_host_self(), &times) == 0) {
            tms.tms_utime = (int64_t)((uint64_t)times.user / (10000000 / LINUX_USER_HZ));
            tms.tms_stime = (int64_t)((uint64_t)times.kernel / (10000000 / LINUX_USER_HZ));
        }
        struct px_process *p = px_kernel_self()->process;
        px_host_rwlock_lock_shared(&p->lock);
        tms.tms_cutime = p->children_utime / (10000000 / LINUX_USER_HZ);
        tms.tms_cstime = p->children_stime / (10000000 / LINUX_USER_HZ);
        px_host_rwlock_unlock_shared(&p->lock);
        if (PX_PUT(buf, &tms) < 0) return -LINUX_EFAULT;
    }
    return (int64_t)(px_host_uptime_ms() / (1000 / LINUX_USER_HZ));
}
