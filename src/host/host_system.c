/* host_system.h on Win32. */
#include <windows.h>
#include <psapi.h>
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

uint64_t px_host_uptime_ms(void) { return GetTickCount64(); }

static uint64_t of_filetime(FILETIME t) { return (uint64_t)t.dwHighDateTime << 32 | t.dwLowDateTime; }

int64_t px_host_system_times(px_host_cpu_times *out)
{
    FILETIME idle, kernel, user;
    if (!GetSystemTimes(&idle, &kernel, &user)) {
        *out = (px_host_cpu_times){0};
        return px_err_last();
    }
    *out = (px_host_cpu_times){of_filetime(idle), of_filetime(kernel), of_filetime(user)};
    return 0;
}

/* NT's SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION, one per processor. */
typedef struct nt_processor_perf { LARGE_INTEGER idle, kernel, user, dpc, interrupt; ULONG interrupts; } nt_processor_perf;

uint32_t px_host_cpu_times_each(px_host_cpu_times *out, uint32_t max)
{
    typedef LONG(WINAPI * query_fn)(int, void *, ULONG, ULONG *);
    static query_fn query;
    if (!query) query = (query_fn)(void *)GetProcAddress(GetModuleHandleA("ntdll.dll"), "NtQuerySystemInformation");
    nt_processor_perf perf[64];
    ULONG got = 0;
    if (!query || query(8 /* SystemProcessorPerformanceInformation */, perf, sizeof perf, &got) < 0) return 0;
    uint32_t n = got / sizeof perf[0];
    if (n > max) n = max;
    for (uint32_t i = 0; i < n; i++)
        out[i] = (px_host_cpu_times){(uint64_t)perf[i].idle.QuadPart, (uint64_t)perf[i].kernel.QuadPart,
                                     (uint64_t)perf[i].user.QuadPart};
    return n;
}

uint32_t px_host_cpu_mhz(void)
{
    DWORD mhz = 0, size = sizeof mhz;
    if (RegGetValueA(HKEY_LOCAL_MACHINE, "HARDWARE\\DESCRIPTION\\System\\CentralProcessor\\0", "~MHz",
                     RRF_RT_REG_DWORD, NULL, &mhz, &size) != ERROR_SUCCESS)
        mhz = 0;
    return mhz;
}

int64_t px_host_affinity(uint64_t *mask)
{
    DWORD_PTR process_mask = 0, system_mask = 0;
    if (!GetProcessAffinityMask(GetCurrentProcess(), &process_mask, &system_mask)) {
        *mask = 0;
        return px_err_last();
    }
    *mask = (uint64_t)process_mask;
    return 0;
}

void px_host_current_cpu(uint32_t *cpu, uint32_t *node)
{
    PROCESSOR_NUMBER pn;
    GetCurrentProcessorNumberEx(&pn);
    *cpu = (uint32_t)pn.Group * 64 + pn.Number;
    if (node) {
        USHORT n = 0;
        if (!GetNumaProcessorNodeEx(&pn, &n) || n == 0xffff) n = 0;
        *node = n;
    }
}

int64_t px_host_process_memory(px_host_memory_use *out)
{
    return px_host_process_memory_of(GetCurrentProcess(), out);
}

int64_t px_host_process_memory_of(px_host_handle process, px_host_memory_use *out)
{
    PROCESS_MEMORY_COUNTERS pmc = {.cb = sizeof pmc};
    if (!K32GetProcessMemoryInfo(process, &pmc, sizeof pmc)) {
        *out = (px_host_memory_use){0};
        return px_err_last();
    }
    *out = (px_host_memory_use){pmc.WorkingSetSize, pmc.PeakWorkingSetSize, pmc.PageFaultCount};
    return 0;
}
