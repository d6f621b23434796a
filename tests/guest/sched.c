/* Scheduling calls as an unprivileged process has them (issue 9): affinity per thread
   (set to one processor, read back, getcpu then runs there; a mask with no processor
   EINVAL), the normal policies set and read back, SCHED_FIFO refused, sched_getparam,
   the priority ranges, and membarrier's private expedited command. Runs as root and
   drops to nobody for the policy checks (natively root may use SCHED_FIFO). The policy
   calls are made raw: musl's wrappers answer ENOSYS themselves. */
#define _GNU_SOURCE
#include "guest.h"
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MEMBARRIER_CMD_QUERY 0
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED (1 << 3)
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED (1 << 4)

static void *in_thread(void *arg)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    int r = sched_setaffinity(0, sizeof set, &set);
    cpu_set_t back;
    CPU_ZERO(&back);
    sched_getaffinity(0, sizeof back, &back);
    printf("a thread's own affinity: set %d, now only cpu 0: %s\n", r, CPU_COUNT(&back) == 1 && CPU_ISSET(0, &back) ? "yes" : "no");
    return arg;
}

int main(void)
{
    GUEST_START();
    cpu_set_t all, one, back;
    CPU_ZERO(&all);
    CHECK("getaffinity", sched_getaffinity(0, sizeof all, &all) == 0 && CPU_COUNT(&all) >= 1);
    int last = -1;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &all)) last = c;
    CPU_ZERO(&one);
    CPU_SET(last, &one);
    CHECK("setaffinity to the last cpu", sched_setaffinity(0, sizeof one, &one) == 0);
    CPU_ZERO(&back);
    sched_getaffinity(0, sizeof back, &back);
    CHECK("read back: only that cpu", CPU_COUNT(&back) == 1 && CPU_ISSET(last, &back));
    unsigned cpu = 99;
    for (int i = 0; i < 3; i++) syscall(SYS_getcpu, &cpu, NULL, NULL), sched_yield();
    CHECK("getcpu runs there", (int)cpu == last);
    cpu_set_t none;
    CPU_ZERO(&none);
    errno = 0;
    int r = sched_setaffinity(0, sizeof none, &none);
    printf("an empty mask: %d %s\n", r, errno_name(errno));
    sched_setaffinity(0, sizeof all, &all);
    pthread_t t;
    pthread_create(&t, NULL, in_thread, NULL);
    pthread_join(t, NULL);
    CPU_ZERO(&back);
    sched_getaffinity(0, sizeof back, &back);
    CHECK("the main thread's mask stays whole", CPU_EQUAL(&back, &all));
    errno = 0;
    r = sched_getaffinity(999999, sizeof back, &back);
    printf("no such thread: %d %s\n", r, errno_name(errno));

    printf("priority ranges: FIFO %d..%d, OTHER %d..%d\n", sched_get_priority_min(SCHED_FIFO),
           sched_get_priority_max(SCHED_FIFO), sched_get_priority_min(SCHED_OTHER), sched_get_priority_max(SCHED_OTHER));
    printf("policy at start: %d\n", (int)syscall(SYS_sched_getscheduler, 0));
    /* another process: the parent (natively the harness, under picolx the init stand-in
       or a picolx process), read as its policy and priority */
    struct sched_param parent_sp = {.sched_priority = -1};
    printf("the parent's policy: %d, priority %d\n", (int)syscall(SYS_sched_getscheduler, getppid()),
           sched_getparam(getppid(), &parent_sp) == 0 ? parent_sp.sched_priority : -1);
    cpu_set_t parents;
    CPU_ZERO(&parents);
    CHECK("the parent's affinity has CPUs", sched_getaffinity(getppid(), sizeof parents, &parents) == 0 && CPU_COUNT(&parents) > 0);
    struct sched_param sp = {.sched_priority = 0};
    CHECK("SCHED_BATCH", (int)syscall(SYS_sched_setscheduler, 0, SCHED_BATCH, &sp) == 0 && (int)syscall(SYS_sched_getscheduler, 0) == SCHED_BATCH);
    CHECK("SCHED_IDLE", (int)syscall(SYS_sched_setscheduler, 0, SCHED_IDLE, &sp) == 0 && (int)syscall(SYS_sched_getscheduler, 0) == SCHED_IDLE);
    CHECK("back to SCHED_OTHER", (int)syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &sp) == 0 && (int)syscall(SYS_sched_getscheduler, 0) == SCHED_OTHER);
    sp.sched_priority = 5;
    errno = 0;
    r = (int)syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &sp);
    printf("SCHED_OTHER with priority 5: %d %s\n", r, errno_name(errno));
    sp.sched_priority = -1;
    CHECK("getparam: priority 0", syscall(SYS_sched_getparam, 0, &sp) == 0 && sp.sched_priority == 0);
    if (setuid(65534) != 0) printf("setuid: %s\n", errno_name(errno));
    sp.sched_priority = 10;
    errno = 0;
    r = (int)syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &sp);
    printf("SCHED_FIFO as nobody: %d %s\n", r, errno_name(errno));

    long q = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    int both = MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;
    CHECK("membarrier offers the private expedited pair", q > 0 && (q & both) == both);
    errno = 0;
    long m = syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
    printf("expedited before registering: %ld %s\n", m, errno_name(errno));
    CHECK("register", syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0);
    CHECK("expedited", syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0);
    return GUEST_END();
}
