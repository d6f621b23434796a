/* host_system.h on Win32. */
#include <windows.h>
#include "core/errors.h"
#include "host/host_system.h"

uint32_t px_host_cpu_count(void)
{
    DWORD n = GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
    return n ? n : 1;
}

int64_t px_host_memory_status(px_host_memory *out)
{
    MEMORYSTATUSEX m = {.dwLength = sizeof m};
    if (!GlobalMemoryStatusEx(&m)) return px_err_last();
    *out = (px_host_memory){
        .total = m.ullTotalPhys, .available = m.ullAvailPhys,
        .commit_limit = m.ullTotalPageFile, .commit_available = m.ullAvailPageFile,
        .load_percent = m.dwMemoryLoad,
    };
    return 0;
}
