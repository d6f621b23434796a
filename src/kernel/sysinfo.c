/* sysinfo(2): uptime and memory as the host reports them. */
#include <windows.h>
#include "core/px.h"
#include "core/uaccess.h"
#include "kernel/kernel.h"

/* sysinfo(2): no load averages (0) and one process: the guest's own view. */
PX_SYSCALL(sysinfo)
{
    uint64_t info_ptr = PX_ARG0;
    struct linux_sysinfo info;
    memset(&info, 0, sizeof info);
    info.uptime = (int64_t)(GetTickCount64() / 1000);
    MEMORYSTATUSEX mem = {.dwLength = sizeof mem};
    if (GlobalMemoryStatusEx(&mem)) {
        info.totalram = mem.ullTotalPhys;
        info.freeram = mem.ullAvailPhys;
        /* The commit limit beyond physical memory is the page file: Linux's swap. */
        info.totalswap = mem.ullTotalPageFile > mem.ullTotalPhys ? mem.ullTotalPageFile - mem.ullTotalPhys : 0;
        uint64_t avail_commit_beyond_ram = mem.ullAvailPageFile > mem.ullAvailPhys ? mem.ullAvailPageFile - mem.ullAvailPhys : 0;
        info.freeswap = avail_commit_beyond_ram < info.totalswap ? avail_commit_beyond_ram : info.totalswap;
    }
    /* Wine reports the page file as RAM + swap, rounded: whole pages only. */
    info.totalswap = PX_ALIGN_DOWN(info.totalswap, LINUX_PAGE_SIZE);
    info.freeswap = PX_ALIGN_DOWN(info.freeswap, LINUX_PAGE_SIZE);
    info.procs = 1;
    info.mem_unit = 1;
    return PX_PUT(info_ptr, &info);
}
