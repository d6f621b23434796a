/* Clocks: monotonic never goes back, nanosleep sleeps at least what it was asked,
   realtime agrees with time(), gettimeofday, clock_getres. */
#include "guest.h"
#include <sys/time.h>
#include <time.h>

static double secs(struct timespec t) { return t.tv_sec + t.tv_nsec * 1e-9; }

int main(void)
{
    GUEST_START();
    struct timespec a, b, res;
    int ok = 1;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < 10000; i++) {
        if (clock_gettime(CLOCK_MONOTONIC, &b) != 0) ok = 0;
        if (b.tv_sec < a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec < a.tv_nsec)) ok = 0;
        if (b.tv_nsec < 0 || b.tv_nsec >= 1000000000) ok = 0;
        a = b;
    }
    CHECK("monotonic non-decreasing", ok);

    struct timespec req = {0, 20 * 1000 * 1000}, rem = {9, 9};
    clock_gettime(CLOCK_MONOTONIC, &a);
    int r = nanosleep(&req, &rem);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double slept = secs(b) - secs(a);
    CHECK("nanosleep returns 0", r == 0);
    CHECK("nanosleep(20 ms) takes >= 20 ms", slept >= 0.020);
    CHECK("nanosleep(20 ms) takes < 2 s", slept < 2.0);
    clock_gettime(CLOCK_MONOTONIC, &a);
    struct timespec abs = a;
    abs.tv_nsec += 10 * 1000 * 1000;
    if (abs.tv_nsec >= 1000000000) { abs.tv_sec++; abs.tv_nsec -= 1000000000; }
    CHECK("clock_nanosleep absolute", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL) == 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    CHECK("absolute sleep reached its deadline", secs(b) >= secs(abs));
    struct timespec bad = {0, 1000000000};
    EXPECT_ERRNO("nanosleep bad tv_nsec", nanosleep(&bad, NULL), EINVAL);

    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    time_t t = time(NULL);
    CHECK("realtime within a second of time()", rt.tv_sec - t <= 1 && t - rt.tv_sec <= 1);
    CHECK("realtime is after 2023", rt.tv_sec > 1672531200);
    struct timeval tv;
    CHECK("gettimeofday", gettimeofday(&tv, NULL) == 0 && tv.tv_sec - t <= 1 && t - tv.tv_sec <= 1 &&
          tv.tv_usec >= 0 && tv.tv_usec < 1000000);

    static const struct { clockid_t id; const char *name; } clocks[] = {
        {CLOCK_REALTIME, "REALTIME"}, {CLOCK_MONOTONIC, "MONOTONIC"},
        {CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME_ID"}, {CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME_ID"},
        {CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW"}, {CLOCK_BOOTTIME, "BOOTTIME"},
    };
    for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
        char name[64];
        res.tv_sec = 99;
        int rr = clock_getres(clocks[i].id, &res);
        snprintf(name, sizeof name, "clock_getres %s (0 < res <= 1 ms)", clocks[i].name);
        CHECK(name, rr == 0 && res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000);
        snprintf(name, sizeof name, "clock_gettime %s", clocks[i].name);
        CHECK(name, clock_gettime(clocks[i].id, &a) == 0);
    }
    CHECK("coarse clocks", clock_gettime(CLOCK_MONOTONIC_COARSE, &a) == 0 && clock_gettime(CLOCK_REALTIME_COARSE, &a) == 0);
    EXPECT_ERRNO("clock_gettime bad clock", clock_gettime((clockid_t)12345, &a), EINVAL);
    EXPECT_ERRNO("clock_getres bad clock", clock_getres((clockid_t)12345, &a), EINVAL);
    return GUEST_END();
}
