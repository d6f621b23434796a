/* The Wine floor of the private futex ping-pong (bench/futex.sh): the same word passed
   back and forth between two Win32 threads with WaitOnAddress / WakeByAddressSingle,
   what picolx's private futexes are built on. Prints the median of 5 runs in
   microseconds per round trip (futex_roundtrip_us=...). Built with mingw-w64. */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>

static volatile LONG turn; /* 0: the main side's, 1: the partner's */
static long rounds;

static void wait_for(LONG mine)
{
    LONG v;
    while ((v = InterlockedCompareExchange(&turn, 0, 0)) != mine) WaitOnAddress(&turn, &v, sizeof v, INFINITE);
}

static void pass_to(LONG other)
{
    InterlockedExchange(&turn, other);
    WakeByAddressSingle((PVOID)&turn);
}

static DWORD WINAPI partner(LPVOID arg)
{
    (void)arg;
    for (long i = 0; i < rounds; i++) {
        wait_for(1);
        pass_to(0);
    }
    return 0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    rounds = argc > 1 ? atol(argv[1]) : 2000;
    LARGE_INTEGER f, t0, t1;
    QueryPerformanceFrequency(&f);
    double runs[5];
    for (int r = 0; r < 5; r++) {
        turn = 0;
        HANDLE h = CreateThread(NULL, 0, partner, NULL, 0, NULL);
        QueryPerformanceCounter(&t0);
        for (long i = 0; i < rounds; i++) {
            pass_to(1);
            wait_for(0);
        }
        QueryPerformanceCounter(&t1);
        WaitForSingleObject(h, INFINITE);
        CloseHandle(h);
        runs[r] = (double)(t1.QuadPart - t0.QuadPart) * 1e6 / (double)f.QuadPart / rounds;
    }
    qsort(runs, 5, sizeof runs[0], cmp);
    printf("futex_roundtrip_us=%.2f\n", runs[2]);
    return 0;
}
