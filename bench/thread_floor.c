/* The Wine floor of a thread (bench/threads.sh): CreateThread of an empty thread and a
   wait for it, N times, median of 5 runs in microseconds (create_join_us=...). A plain
   Win32 program, built with mingw-w64. */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>

static DWORD WINAPI empty(LPVOID arg) { return arg != NULL; }

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200;
    LARGE_INTEGER f, t0, t1;
    QueryPerformanceFrequency(&f);
    double runs[5];
    for (int r = 0; r < 5; r++) {
        QueryPerformanceCounter(&t0);
        for (long i = 0; i < n; i++) {
            HANDLE h = CreateThread(NULL, 0, empty, NULL, 0, NULL);
            WaitForSingleObject(h, INFINITE);
            CloseHandle(h);
        }
        QueryPerformanceCounter(&t1);
        runs[r] = (double)(t1.QuadPart - t0.QuadPart) * 1e6 / (double)f.QuadPart / n;
    }
    qsort(runs, 5, sizeof runs[0], cmp);
    printf("create_join_us=%.2f\n", runs[2]);
    return 0;
}
