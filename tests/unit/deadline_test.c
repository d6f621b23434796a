/* The arithmetic of blocking calls' deadlines (src/kernel/deadline.h), natively. */
#include <criterion/criterion.h>
#include "kernel/deadline.h"

#define EPOCH 116444736000000000LL /* 1970 in FILETIME units */

Test(deadline, timespecs_as_linux_checks_them)
{
    cr_assert_eq(px_timespec_ns(&(struct linux_timespec){1, 5}), PX_NS_PER_SEC + 5);
    cr_assert_eq(px_timespec_ns(&(struct linux_timespec){0, 0}), 0);
    cr_assert_eq(px_timespec_ns(&(struct linux_timespec){-1, 0}), -LINUX_EINVAL);
    cr_assert_eq(px_timespec_ns(&(struct linux_timespec){0, -1}), -LINUX_EINVAL);
    cr_assert_eq(px_timespec_ns(&(struct linux_timespec){0, PX_NS_PER_SEC}), -LINUX_EINVAL);
    cr_assert_eq(px_timespec_ns(&(struct linux_timespec){INT64_MAX, 0}), PX_DEADLINE_NONE); /* saturates */
}

Test(deadline, select_timevals_fold_microseconds)
{
    /* the kernel folds whole seconds out of tv_usec before checking */
    cr_assert_eq(px_timeval_ns(&(struct linux_timeval){0, 2500000}), 2500000000LL);
    cr_assert_eq(px_timeval_ns(&(struct linux_timeval){1, -1}), -LINUX_EINVAL); /* a negative remainder */
    cr_assert_eq(px_timeval_ns(&(struct linux_timeval){0, -1}), -LINUX_EINVAL);
    cr_assert_eq(px_timeval_ns(&(struct linux_timeval){-1, 0}), -LINUX_EINVAL);
}

Test(deadline, relative_deadlines_and_time_left)
{
    px_deadline d = px_deadline_after(1000, 500);
    cr_assert_eq(d.at, 1500);
    cr_assert(!d.realtime);
    cr_assert_eq(px_deadline_left(&d, 1200), 300);
    cr_assert_eq(px_deadline_left(&d, 1500), 0);
    cr_assert_eq(px_deadline_left(&d, 9999), 0);
    cr_assert_eq(px_deadline_after(1000, -1).at, PX_DEADLINE_NONE); /* negative: forever */
    cr_assert_eq(px_deadline_after(10, PX_DEADLINE_NONE - 5).at, PX_DEADLINE_NONE); /* no overflow */
    px_deadline never = px_deadline_never();
    cr_assert_eq(px_deadline_left(&never, 0), -1);
}

Test(deadline, host_timeouts_never_end_early)
{
    cr_assert_eq(px_timeout_ms(0), 0);
    cr_assert_eq(px_timeout_ms(-5), 0);
    cr_assert_eq(px_timeout_ms(1), 1);
    cr_assert_eq(px_timeout_ms(1000000), 1);
    cr_assert_eq(px_timeout_ms(1000001), 2);
    cr_assert_eq(px_timeout_ms(INT64_MAX), 0xfffffffe); /* never the host's INFINITE */
}

Test(deadline, timer_due_times)
{
    /* monotonic: relative, negative, rounded up to 100 ns units */
    px_deadline d = {1000, false};
    cr_assert_eq(px_timer_due(&d, 0, EPOCH), -10);
    cr_assert_eq(px_timer_due(&d, 899, EPOCH), -2); /* 101 ns left: two units */
    cr_assert_eq(px_timer_due(&d, 1000, EPOCH), 0); /* passed */
    /* realtime: an absolute FILETIME */
    px_deadline r = {PX_NS_PER_SEC + 50, true};
    cr_assert_eq(px_timer_due(&r, 0, EPOCH), EPOCH + 10000001);
    cr_assert_eq(px_timer_due(&r, PX_NS_PER_SEC + 50, EPOCH), 0);
    px_deadline far = {INT64_MAX - 1, true};
    cr_assert_gt(px_timer_due(&far, 0, EPOCH), 0); /* saturates, stays absolute */
}

Test(deadline, remaining_time_as_a_timespec)
{
    struct linux_timespec ts = px_timespec_of_ns(2 * PX_NS_PER_SEC + 7);
    cr_assert_eq(ts.tv_sec, 2);
    cr_assert_eq(ts.tv_nsec, 7);
    ts = px_timespec_of_ns(-1);
    cr_assert_eq(ts.tv_sec, -1);
    cr_assert_eq(ts.tv_nsec, PX_NS_PER_SEC - 1);
}
