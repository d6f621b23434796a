/* The arithmetic every Linux timer shares (timer_settime, timerfd_settime): an
   itimerspec read and checked, expirations counted as the clock passes them, and what
   gettime reports. Times are ns on the timer's clock; an expiry of 0 is disarmed. */
#ifndef PX_KERNEL_TIMER_MATH_H
#define PX_KERNEL_TIMER_MATH_H

#include <stdbool.h>
#include <stdint.h>
#include "linux_errno.h"
#include "kernel/deadline.h"
#include "linux_event.h"

/* The value and interval of its: 0, or -LINUX_EINVAL for a field out of range. */
static inline int64_t px_itimerspec_ns(const struct linux_itimerspec *its, int64_t *value, int64_t *interval)
{
    *value = px_timespec_ns(&its->it_value);
    *interval = px_timespec_ns(&its->it_interval);
    return *value < 0 || *interval < 0 ? -LINUX_EINVAL : 0;
}

/* The expiry a settime arms: value from now, or at value on the clock (absolute); 0
   (disarmed) for a value of 0. An absolute time already past expires at once. */
static inline int64_t px_timer_expiry(int64_t value, bool absolute, int64_t now)
{
    if (!value) return 0;
    if (absolute) return value > 0 ? value : 1;
    return value > PX_DEADLINE_NONE - now ? PX_DEADLINE_NONE : now + value;
}

/* How many expirations the clock passed by now (each interval one more); *expiry moves
   to the next one, or to 0 once a one-shot timer fired. */
static inline uint64_t px_timer_advance(int64_t *expiry, int64_t interval, int64_t now)
{
    if (!*expiry || now < *expiry) return 0;
    if (!interval) {
        *expiry = 0;
        return 1;
    }
    uint64_t passed = 1 + (uint64_t)((now - *expiry) / interval);
    *expiry += (int64_t)passed * interval;
    return passed;
}

/* gettime's report: the time left (never 0 while armed) and the interval. */
static inline struct linux_itimerspec px_timer_report(int64_t expiry, int64_t interval, int64_t now)
{
    int64_t left = !expiry ? 0 : expiry > now ? expiry - now : 1;
    return (struct linux_itimerspec){.it_interval = px_timespec_of_ns(interval), .it_value = px_timespec_of_ns(left)};
}

#endif
