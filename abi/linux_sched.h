/* clone3(2)'s argument block (include/uapi/linux/sched.h). The clone flags are in
   linux_consts.h. */
#ifndef PX_ABI_LINUX_SCHED_H
#define PX_ABI_LINUX_SCHED_H

#include "linux_types.h"

/* Each version of the struct is a prefix of the next: clone3 takes any of these sizes
   (a larger one only if its extra bytes are zero). */
#define LINUX_CLONE_ARGS_SIZE_VER0 64   /* Linux 5.3 */
#define LINUX_CLONE_ARGS_SIZE_VER1 80   /* 5.5: set_tid, set_tid_size */
#define LINUX_CLONE_ARGS_SIZE_VER2 88   /* 5.7: cgroup */

struct linux_clone_args {
    uint64_t flags;
    uint64_t pidfd;           /* guest address: CLONE_PIDFD */
    uint64_t child_tid;       /* guest address: CLONE_CHILD_SETTID, CLONE_CHILD_CLEARTID */
    uint64_t parent_tid;      /* guest address: CLONE_PARENT_SETTID */
    uint64_t exit_signal;
    uint64_t stack;           /* the lowest address of the stack, with stack_size */
    uint64_t stack_size;
    uint64_t tls;             /* CLONE_SETTLS */
    uint64_t set_tid;         /* guest address of pid_t[set_tid_size] */
    uint64_t set_tid_size;
    uint64_t cgroup;          /* CLONE_INTO_CGROUP: a cgroup fd */
};
PX_ABI_ASSERT_SIZE(struct linux_clone_args, LINUX_CLONE_ARGS_SIZE_VER2);
PX_ABI_ASSERT_OFFSET(struct linux_clone_args, tls, LINUX_CLONE_ARGS_SIZE_VER0 - 8);
PX_ABI_ASSERT_OFFSET(struct linux_clone_args, set_tid, LINUX_CLONE_ARGS_SIZE_VER0);
PX_ABI_ASSERT_OFFSET(struct linux_clone_args, cgroup, LINUX_CLONE_ARGS_SIZE_VER1);

#endif
