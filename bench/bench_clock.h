/* Shared by the bench guests (futex_pingpong.c, threads_guest.c): the monotonic clock in
   microseconds and the median of five runs. */
#ifndef BENCH_CLOCK_H
#define BENCH_CLOCK_H

#include <stdlib.h>
#include <time.h>

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median5(double *runs)
{
    qsort(runs, 5, sizeof runs[0], cmp_double);
    return runs[2];
}

#endif
