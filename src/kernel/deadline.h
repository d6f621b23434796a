/* Deadlines and timeouts of blocking calls, in nanoseconds: the host-neutral arithmetic
   under px_block (block.h), tested natively (tests/unit/deadline_test.c). */
#ifndef PX_KERNEL_DEADLINE_H
#define PX_KERNEL_DEADLINE_H

#include <stdbool.h>
#include <stdint.h>
#include "linux_errno.h"
#include "linux_types.h"

#define PX_DEADLINE_NONE INT64_MAX
#define PX_NS_PER_SEC 1000000000LL

/* When a wait gives up: at (ns on the clock; PX_DEADLINE_NONE: never), measured on
   CLOCK_REALTIME (follows changes of the clock) or CLOCK_MONOTONIC. */
typedef struct px_deadline {
    int64_t at;
    bool realtime;
} px_deadline;

static inline px_deadline px_deadline_never(void) { return (px_deadline){PX_DEADLINE_NONE, false}; }

/* now + ns on the monotonic clock, saturating at "never" (ns < 0: never). */
static inline px_deadline px_deadline_after(int64_t now, int64_t ns)
{
    if (ns < 0 || ns >= PX_DEADLINE_NONE - now) return px_deadline_never();
    return (px_deadline){now + ns, false};
}

/* Nanoseconds left at now: 0 once passed, -1 for "never". */
static inline int64_t px_deadline_left(const px_deadline *d, int64_t now)
{
    if (d->at == PX_DEADLINE_NONE) return -1;
    return d->at > now ? d->at - now : 0;
}

/* A guest timespec as ns: -LINUX_EINVAL when malformed, saturating at PX_DEADLINE_NONE
   (centuries are as good as forever). */
static inline int64_t px_timespec_ns(const struct linux_timespec *ts)
{
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= PX_NS_PER_SEC) return -LINUX_EINVAL;
    if (ts->tv_sec >= PX_DEADLINE_NONE / PX_NS_PER_SEC - 1) return PX_DEADLINE_NONE;
    return ts->tv_sec * PX_NS_PER_SEC + ts->tv_nsec;
}

/* select's timeval as ns: the kernel folds whole seconds out of tv_usec before checking. */
static inline int64_t px_timeval_ns(const struct linux_timeval *tv)
{
    int64_t sec = tv->tv_sec + tv->tv_usec / 1000000, usec = tv->tv_usec % 1000000;
    if (sec < 0 || usec < 0) return -LINUX_EINVAL;
    if (sec >= PX_DEADLINE_NONE / PX_NS_PER_SEC - 1) return PX_DEADLINE_NONE;
    return sec * PX_NS_PER_SEC + usec * 1000;
}

static inline struct linux_timespec px_timespec_of_ns(int64_t ns)
{
    struct linux_timespec ts = {ns / PX_NS_PER_SEC, ns % PX_NS_PER_SEC};
    if (ts.tv_nsec < 0) {
        ts.tv_nsec += PX_NS_PER_SEC;
        ts.tv_sec--;
    }
    return ts;
}

/* A host wait's timeout in whole milliseconds, rounded up so a wait never ends early;
   capped below the host's "infinite" (0xffffffff). */
static inline uint32_t px_timeout_ms(int64_t left_ns)
{
    if (left_ns <= 0) return 0;
    int64_t ms = left_ns / 1000000 + (left_ns % 1000000 != 0);
    return ms >= 0xfffffffe ? 0xfffffffe : (uint32_t)ms;
}

/* A host timer's due time for a deadline: negative = relative in 100 ns units (monotonic),
   positive = an absolute FILETIME (realtime; filetime_epoch is 1970 in FILETIME units).
   Rounded up to whole units. 0 when the deadline has passed. */
static inline int64_t px_timer_due(const px_deadline *d, int64_t now, int64_t filetime_epoch)
{
    if (d->realtime) {
        if (d->at <= now) return 0;
        int64_t units = d->at / 100 + (d->at % 100 != 0);
        if (units > INT64_MAX - filetime_epoch) units = INT64_MAX - filetime_epoch;
        return units + filetime_epoch;
    }
    int64_t left = px_deadline_left(d, now);
    if (left <= 0) return 0;
    return -(left / 100 + (left % 100 != 0));
}

#endif
