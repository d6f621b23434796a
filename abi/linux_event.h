/* Event interfaces: epoll, inotify, timers (include/uapi/linux/eventpoll.h, inotify.h,
   time_types.h, time.h). */
#ifndef PX_ABI_LINUX_EVENT_H
#define PX_ABI_LINUX_EVENT_H

#include "linux_types.h"

/* epoll: x86-64 packs struct epoll_event (12 bytes, data unaligned), unlike the other
   64-bit architectures. */
struct linux_epoll_event {
    uint32_t events;
    uint64_t data;
} __attribute__((packed));
PX_ABI_ASSERT_SIZE(struct linux_epoll_event, 12);
PX_ABI_ASSERT_OFFSET(struct linux_epoll_event, data, 4);

#define LINUX_EPOLL_CTL_ADD 1
#define LINUX_EPOLL_CTL_DEL 2
#define LINUX_EPOLL_CTL_MOD 3
#define LINUX_EPOLL_CLOEXEC 02000000
#define LINUX_EPOLLIN 0x00000001u
#define LINUX_EPOLLPRI 0x00000002u
#define LINUX_EPOLLOUT 0x00000004u
#define LINUX_EPOLLERR 0x00000008u
#define LINUX_EPOLLHUP 0x00000010u
#define LINUX_EPOLLRDNORM 0x00000040u
#define LINUX_EPOLLRDBAND 0x00000080u
#define LINUX_EPOLLWRNORM 0x00000100u
#define LINUX_EPOLLWRBAND 0x00000200u
#define LINUX_EPOLLMSG 0x00000400u
#define LINUX_EPOLLRDHUP 0x00002000u
#define LINUX_EPOLLEXCLUSIVE (1u << 28)
#define LINUX_EPOLLWAKEUP (1u << 29)
#define LINUX_EPOLLONESHOT (1u << 30)
#define LINUX_EPOLLET (1u << 31)

/* inotify: each event is this header and len bytes of NUL-padded name. */
struct linux_inotify_event {
    int32_t wd;
    uint32_t mask;
    uint32_t cookie;
    uint32_t len;
    char name[];
};
PX_ABI_ASSERT_SIZE(struct linux_inotify_event, 16);
PX_ABI_ASSERT_OFFSET(struct linux_inotify_event, cookie, 8);

#define LINUX_IN_ACCESS 0x00000001u
#define LINUX_IN_MODIFY 0x00000002u
#define LINUX_IN_ATTRIB 0x00000004u
#define LINUX_IN_CLOSE_WRITE 0x00000008u
#define LINUX_IN_CLOSE_NOWRITE 0x00000010u
#define LINUX_IN_OPEN 0x00000020u
#define LINUX_IN_MOVED_FROM 0x00000040u
#define LINUX_IN_MOVED_TO 0x00000080u
#define LINUX_IN_CREATE 0x00000100u
#define LINUX_IN_DELETE 0x00000200u
#define LINUX_IN_DELETE_SELF 0x00000400u
#define LINUX_IN_MOVE_SELF 0x00000800u
#define LINUX_IN_UNMOUNT 0x00002000u
#define LINUX_IN_Q_OVERFLOW 0x00004000u
#define LINUX_IN_IGNORED 0x00008000u
#define LINUX_IN_ONLYDIR 0x01000000u
#define LINUX_IN_DONT_FOLLOW 0x02000000u
#define LINUX_IN_EXCL_UNLINK 0x04000000u
#define LINUX_IN_MASK_CREATE 0x10000000u
#define LINUX_IN_MASK_ADD 0x20000000u
#define LINUX_IN_ISDIR 0x40000000u
#define LINUX_IN_ONESHOT 0x80000000u
#define LINUX_IN_CLOEXEC 02000000
#define LINUX_IN_NONBLOCK 04000

/* timer_settime(2), timerfd_settime(2) */
struct linux_itimerspec {
    struct linux_timespec it_interval;
    struct linux_timespec it_value;
};
PX_ABI_ASSERT_SIZE(struct linux_itimerspec, 32);
PX_ABI_ASSERT_OFFSET(struct linux_itimerspec, it_value, 16);

/* setitimer(2), getitimer(2) */
struct linux_itimerval {
    struct linux_timeval it_interval;
    struct linux_timeval it_value;
};
PX_ABI_ASSERT_SIZE(struct linux_itimerval, 32);
PX_ABI_ASSERT_OFFSET(struct linux_itimerval, it_value, 16);

#define LINUX_ITIMER_REAL 0
#define LINUX_ITIMER_VIRTUAL 1
#define LINUX_ITIMER_PROF 2
#define LINUX_TFD_TIMER_ABSTIME 1
#define LINUX_TFD_TIMER_CANCEL_ON_SET 2
#define LINUX_TFD_CLOEXEC 02000000
#define LINUX_TFD_NONBLOCK 04000
#define LINUX_EFD_SEMAPHORE 1
#define LINUX_EFD_CLOEXEC 02000000
#define LINUX_EFD_NONBLOCK 04000

/* timer_create(2)'s sigevent: 64 bytes */
#define LINUX_SIGEV_SIGNAL 0
#define LINUX_SIGEV_NONE 1
#define LINUX_SIGEV_THREAD 2
#define LINUX_SIGEV_THREAD_ID 4
struct linux_sigevent {
    uint64_t sigev_value;     /* union sigval */
    int32_t sigev_signo;
    int32_t sigev_notify;
    union {
        int32_t _pad[12];
        int32_t tid;          /* SIGEV_THREAD_ID */
        struct {
            uint64_t function;
            uint64_t attribute;
        } sigev_thread;
    };
};
PX_ABI_ASSERT_SIZE(struct linux_sigevent, 64);
PX_ABI_ASSERT_OFFSET(struct linux_sigevent, tid, 16);

#endif
