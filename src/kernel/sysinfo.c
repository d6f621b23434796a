/* sysinfo(2): uptime and memory as the host reports them. */
#include "core/px.h"
#include "core/uaccess.h"
#include "host/host_system.h"
#include "kernel/kernel.h"

/* sysinfo(2): no load averages (0) and one process: the guest's own view. */
PX_SYSCALL(sysinfo)
{
    uint64_t info_ptr = PX_ARG0;
    struct linux_sysinfo info;
    memset(&info, 0, sizeof info);
    /* CLOCK_MONOTONIC runs from boot (the host's counter), as Linux's uptime does */
    info.uptime = px_clock_monotonic_ns() / PX_NSEC_PER_SEC;
    px_host_memory mem;
    if (px_host_memory_status(&mem) == 0) {
        info.totalram = mem.total;
        info.freeram = mem.available;
        /* The commit limit beyond physical memory is the page file: Linux's swap. */
        info.totalswap = mem.commit_limit > mem.total ? mem.commit_limit - mem.total : 0;
        uint64_t avail_commit_beyond_ram = mem.commit_available > mem.available ? mem.commit_available - mem.available : 0;
        info.freeswap = avail_commit_beyond_ram < info.totalswap ? avail_commit_beyond_ram : info.totalswap;
    }
    /* Wine reports the page file as RAM + swap, rounded: whole pages only. */
    info.totalswap = PX_ALIGN_DOWN(info.totalswap, LINUX_PAGE_SIZE);
    info.freeswap = PX_ALIGN_DOWN(info.freeswap, LINUX_PAGE_SIZE);
    info.procs = 1;
    info.mem_unit = 1;
    return PX_PUT(info_ptr, &info);
}
