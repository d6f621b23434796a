/* The clone rules as data (clone.c): for a set of CLONE_* flags, which of a task's
   objects the new task shares with its parent and which it gets a copy of, and the
   combinations Linux refuses (kernel/fork.c, copy_process). Pure: no host calls, so
   the rules are unit-tested natively (tests/unit/clone_test.c). */
#ifndef PX_TASK_CLONE_H
#define PX_TASK_CLONE_H

#include <stdbool.h>
#include <stdint.h>
#include "core/thread.h"

/* A task's shared objects, in the order they are taken (and dropped in reverse). */
enum px_task_object {
    PX_OBJ_CRED,    /* credentials: immutable, so always shared */
    PX_OBJ_PROCESS, /* the thread group: CLONE_THREAD */
    PX_OBJ_MM,      /* the address space: CLONE_VM */
    PX_OBJ_FILES,   /* the fd table: CLONE_FILES */
    PX_OBJ_FS,      /* root, cwd, umask: CLONE_FS */
    PX_OBJ_SIGHAND, /* the signal actions: CLONE_SIGHAND */
    PX_OBJ_COUNT
};

enum px_clone_how {
    PX_CLONE_COPY = 0,       /* a copy of the parent's (fork's copy_files, copy_fs, ...) */
    PX_CLONE_SHARE,          /* the parent's own, one more reference */
    PX_CLONE_COPY_CLEARED,   /* sighand: a copy with every handler back to SIG_DFL (CLONE_CLEAR_SIGHAND) */
};

typedef struct px_clone_plan {
    uint8_t how[PX_OBJ_COUNT]; /* enum px_clone_how, by enum px_task_object */
    bool vfork;                /* CLONE_VFORK: the parent waits until the child execs or exits */
    bool same_parent;          /* CLONE_PARENT or CLONE_THREAD: the child's parent is the caller's */
    bool keep_altstack;        /* the child keeps the caller's sigaltstack (unless CLONE_VM without CLONE_VFORK) */
    int exit_signal;           /* sent to the parent at exit; -1 for a thread */
} px_clone_plan;

/* The plan for clone flags (legacy clone's low bits: CSIGNAL is the exit signal; clone3's
   CLONE_CLEAR_SIGHAND above bit 31). 0, or -LINUX_EINVAL as Linux: CLONE_SIGHAND without
   CLONE_VM, CLONE_THREAD without CLONE_SIGHAND, CLONE_FS with CLONE_NEWNS or
   CLONE_NEWUSER, CLONE_THREAD with CLONE_NEWUSER or CLONE_NEWPID, CLONE_SIGHAND with
   CLONE_CLEAR_SIGHAND, CLONE_PIDFD with CLONE_DETACHED, CLONE_THREAD or (legacy clone,
   one field for both) CLONE_PARENT_SETTID. Namespace flags that pass those checks give
   -LINUX_EINVAL too, as from a kernel built without namespaces. */
int64_t px_clone_plan_of(uint64_t flags, px_clone_plan *out);

/* How px_task_clone reaches the objects (task.c has the real ones; the unit test fakes).
   share returns obj with one more reference; copy a new object (NULL: out of memory)
   for child (its tid is set); drop lets one reference go. */
typedef struct px_clone_ops {
    void *(*share)(enum px_task_object kind, void *obj);
    void *(*copy)(enum px_task_object kind, void *obj, const px_task *child, enum px_clone_how how);
    void (*drop)(enum px_task_object kind, void *obj);
    void (*finish)(px_task *child); /* optional: links the child's fields to its objects (rlimits) */
} px_clone_ops;

/* The object pointer of kind in t. */
void *px_task_object(const px_task *t, enum px_task_object kind);
void px_task_set_object(px_task *t, enum px_task_object kind, void *obj);

/* A new task for clone(flags) of parent, with tid: its objects shared or copied per
   px_clone_plan_of, the per-thread state Linux's copy_process gives it (the signal
   mask, the name; the sigaltstack per the plan; no pending signals, no robust list).
   0 and *out (free with px_task_release), or -LINUX_EINVAL / -LINUX_ENOMEM (nothing
   kept). Host parts (its interrupt event, runtime stack) are the caller's. */
int64_t px_task_clone(const px_task *parent, uint64_t flags, int32_t tid, const px_clone_ops *ops, px_task **out);
/* Drops every object reference of t and frees it. */
void px_task_release(px_task *t, const px_clone_ops *ops);

#endif
