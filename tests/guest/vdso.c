/* The vDSO: libc's clock_gettime, gettimeofday, time and getcpu (which go through the
   vDSO when AT_SYSINFO_EHDR is there) agree with the raw syscalls. */
#include "guest.h"
#include <sched.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int64_t ns_of(const struct timespec *ts) { return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec; }

/* libc before <= syscall <= libc after, for one clock. */
static int ordered(clockid_t clock)
{
    struct timespec a, s, b;
    clock_gettime(clock, &a);
    syscall(SYS_clock_gettime, clock, &s);
    clock_gettime(clock, &b);
    return ns_of(&a) <= ns_of(&s) && ns_of(&s) <= ns_of(&b) && ns_of(&b) - ns_of(&a) < 1000000000;
}

int main(void)
{
    GUEST_START();
    CHECK("AT_SYSINFO_EHDR present", getauxval(AT_SYSINFO_EHDR) != 0);
    const unsigned char *ehdr = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
    CHECK("vDSO is an ELF image", ehdr && ehdr[0] == 0x7f && ehdr[1] == 'E' && ehdr[2] == 'L' && ehdr[3] == 'F');
    CHECK("CLOCK_MONOTONIC ordered", ordered(CLOCK_MONOTONIC));
    CHECK("CLOCK_REALTIME ordered", ordered(CLOCK_REALTIME));
    CHECK("CLOCK_BOOTTIME ordered", ordered(CLOCK_BOOTTIME));
    struct timespec ts;
    errno = 0;
    int r = clock_gettime(12345, &ts);
    CHECK("bad clock: EINVAL", r == -1 && errno == EINVAL);
    struct timeval tv1, tv2;
    struct timespec s;
    gettimeofday(&tv1, NULL);
    syscall(SYS_clock_gettime, CLOCK_REALTIME, &s);
    gettimeofday(&tv2, NULL);
    int64_t u1 = tv1.tv_sec * 1000000LL + tv1.tv_usec, u2 = tv2.tv_sec * 1000000LL + tv2.tv_usec;
    CHECK("gettimeofday ordered", u1 <= ns_of(&s) / 1000 && ns_of(&s) / 1000 <= u2);
    time_t t1 = time(NULL), ts2 = syscall(SYS_time, NULL), t3 = time(NULL);
    CHECK("time ordered", t1 <= ts2 && ts2 <= t3);
    unsigned cpu = 999999, node = 999999;
    CHECK("getcpu", syscall(SYS_getcpu, &cpu, &node, NULL) == 0 && cpu < 4096 && node < 1024);
    CHECK("sched_getcpu", sched_getcpu() >= 0);
    struct timespec res;
    CHECK("clock_getres", clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0);
    int64_t prev = 0, bad = 0;
    for (int i = 0; i < 100000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        if (ns_of(&ts) < prev) bad++;
        prev = ns_of(&ts);
    }
    CHECK("100000 monotonic reads never go back", bad == 0);
    return GUEST_END();
}
