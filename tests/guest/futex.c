/* futex(2) on one thread: the value check, timeouts (relative and absolute, both
   clocks), wake counts with no waiters, bitsets, the error cases. */
#include "guest.h"
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* linux/futex.h's values (musl's headers do not include the kernel's). */
enum {
    FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_CMP_REQUEUE = 4, FUTEX_WAKE_OP = 5,
    FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10, FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256,
    FUTEX_WAIT_PRIVATE = FUTEX_WAIT | FUTEX_PRIVATE_FLAG, FUTEX_WAKE_PRIVATE = FUTEX_WAKE | FUTEX_PRIVATE_FLAG,
    FUTEX_CMP_REQUEUE_PRIVATE = FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG,
    FUTEX_WAKE_OP_PRIVATE = FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG,
    FUTEX_WAIT_BITSET_PRIVATE = FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
    FUTEX_WAKE_BITSET_PRIVATE = FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG,
    FUTEX_OP_ADD = 1, FUTEX_OP_CMP_EQ = 0,
};
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu
#define FUTEX_OP(op, oparg, cmp, cmparg) \
    ((((op) & 0xf) << 28) | (((cmp) & 0xf) << 24) | (((oparg) & 0xfff) << 12) | ((cmparg) & 0xfff))

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts, uint32_t *uaddr2, uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static int64_t now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(void)
{
    GUEST_START();
    static uint32_t word = 5, other = 0;
    struct timespec rel = {0, 20 * 1000000};
    EXPECT_ERRNO("WAIT wrong value: EAGAIN", futex(&word, FUTEX_WAIT_PRIVATE, 6, NULL, NULL, 0), EAGAIN);
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    EXPECT_ERRNO("WAIT 20 ms: ETIMEDOUT", futex(&word, FUTEX_WAIT_PRIVATE, 5, &rel, NULL, 0), ETIMEDOUT);
    int64_t waited = now_ns(CLOCK_MONOTONIC) - t0;
    CHECK("WAIT waited at least 20 ms", waited >= 20000000);
    CHECK("WAIT waited less than 2 s", waited < 2000000000);
    EXPECT_ERRNO("WAIT (shared) 20 ms: ETIMEDOUT", futex(&word, FUTEX_WAIT, 5, &rel, NULL, 0), ETIMEDOUT);

    struct timespec abs;
    int64_t deadline = now_ns(CLOCK_MONOTONIC) + 20000000;
    abs.tv_sec = deadline / 1000000000;
    abs.tv_nsec = deadline % 1000000000;
    EXPECT_ERRNO("WAIT_BITSET absolute monotonic: ETIMEDOUT",
                 futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 5, &abs, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
    CHECK("WAIT_BITSET returned after the deadline", now_ns(CLOCK_MONOTONIC) >= deadline);
    deadline = now_ns(CLOCK_REALTIME) + 20000000;
    abs.tv_sec = deadline / 1000000000;
    abs.tv_nsec = deadline % 1000000000;
    EXPECT_ERRNO("WAIT_BITSET absolute realtime: ETIMEDOUT",
                 futex(&word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 5, &abs, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
    CHECK("realtime WAIT_BITSET returned after the deadline", now_ns(CLOCK_REALTIME) >= deadline);
    abs.tv_sec = 1; abs.tv_nsec = 0; /* long past */
    EXPECT_ERRNO("WAIT_BITSET past deadline: ETIMEDOUT",
                 futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 5, &abs, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
    EXPECT_ERRNO("WAIT_BITSET bitset 0: EINVAL", futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 5, &rel, NULL, 0), EINVAL);
    struct timespec bad_ts = {0, 1000000000};
    EXPECT_ERRNO("WAIT bad timeout: EINVAL", futex(&word, FUTEX_WAIT_PRIVATE, 5, &bad_ts, NULL, 0), EINVAL);
    EXPECT_ERRNO("WAIT unaligned: EINVAL", futex((uint32_t *)((char *)&word + 1), FUTEX_WAIT_PRIVATE, 5, &rel, NULL, 0), EINVAL);

    EXPECT_RET("WAKE with no waiters", futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);
    EXPECT_RET("WAKE_BITSET with no waiters", futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 10, NULL, NULL, 1), 0);
    EXPECT_ERRNO("WAKE_BITSET bitset 0: EINVAL", futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0), EINVAL);
    EXPECT_RET("CMP_REQUEUE no waiters", futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1, &other, 5), 0);
    EXPECT_ERRNO("CMP_REQUEUE wrong value: EAGAIN", futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1, &other, 4), EAGAIN);
    other = 1;
    EXPECT_RET("WAKE_OP no waiters", futex(&word, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &other,
                                          FUTEX_OP(FUTEX_OP_ADD, 2, FUTEX_OP_CMP_EQ, 1)), 0);
    CHECK("WAKE_OP added to the second word", other == 3);
    EXPECT_ERRNO("unknown op: ENOSYS", futex(&word, 99, 0, NULL, NULL, 0), ENOSYS);
    EXPECT_ERRNO("CLOCK_REALTIME with WAKE: ENOSYS", futex(&word, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0), ENOSYS);
    return GUEST_END();
}
