/* host_time.h on Win32. */
#include <windows.h>
#include "host/host_time.h"

uint64_t px_host_ticks(void)
{
    LARGE_INTEGER t;
    QueryPerformanceCounter(&t);
    return (uint64_t)t.QuadPart;
}

uint64_t px_host_ticks_per_second(void)
{
    static uint64_t rate; /* the same for the whole run */
    if (!rate) {
        LARGE_INTEGER f;
        QueryPerformanceFrequency(&f);
        __atomic_store_n(&rate, (uint64_t)f.QuadPart, __ATOMIC_RELAXED);
    }
    return rate;
}

int64_t px_host_time_now(void)
{
    FILETIME t;
    GetSystemTimePreciseAsFileTime(&t);
    return (int64_t)(((uint64_t)t.dwHighDateTime << 32) | t.dwLowDateTime);
}

int64_t px_host_time_coarse(void)
{
    FILETIME t;
    GetSystemTimeAsFileTime(&t);
    return (int64_t)(((uint64_t)t.dwHighDateTime << 32) | t.dwLowDateTime);
}
