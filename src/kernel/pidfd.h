/* pidfds (pidfd.c): for clone's CLONE_PIDFD and waitid's P_PIDFD. */
#ifndef PX_KERNEL_PIDFD_H
#define PX_KERNEL_PIDFD_H

#include <stdint.h>

/* A new pidfd (close-on-exec) for pid, whose host process is process (duplicated, not
   taken); flags: O_NONBLOCK. The fd, or -LINUX_Exxx. */
int64_t px_pidfd_new(int32_t pid, void *process, uint32_t flags);
/* The pid fd stands for: the pid, -LINUX_EBADF (no such fd), -LINUX_EINVAL (not a pidfd). */
int32_t px_pidfd_pid(int fd);

#endif
