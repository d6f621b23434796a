/* The Wine floor of bench/pollwake.sh: a plain Win32 program blocked in ReadFile on its
   stdin pipe, taking the time when the read returns (what no layer over Wine's pipes can
   beat: Win32 has no poll on an anonymous pipe). Prints what `pollwake read N` prints. */
#include <windows.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int64_t now_ns(void)
{
    FILETIME ft;
    GetSystemTimePreciseAsFileTime(&ft);
    uint64_t t = ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
    return (int64_t)(t - 116444736000000000ull) * 100;
}

static int by_value(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 50;
    int64_t *lat = calloc(n, sizeof *lat);
    HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
    int count = 0;
    for (;;) {
        /* as the guest does: stamps already waiting are read and not counted */
        DWORD avail = 0, got = 0;
        PeekNamedPipe(in, NULL, 0, NULL, &avail, NULL);
        int64_t t0;
        if (!ReadFile(in, &t0, sizeof t0, &got, NULL) || got != sizeof t0) break;
        int64_t t1 = now_ns();
        if (!avail && count < n) lat[count++] = t1 - t0;
    }
    if (!count) return 1;
    n = count;
    qsort(lat, n, sizeof *lat, by_value);
    printf("best_us=%.1f median_us=%.1f\n", lat[0] / 1e3, lat[n / 2] / 1e3);
    return 0;
}
