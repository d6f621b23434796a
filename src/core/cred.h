/* The credentials object (Linux's struct cred) and the caller's filesystem ids, which
   every layer from the VFS up reads (Linux's current_fsuid). Building and changing a
   cred (set*id, the first process's, the hand-over) is the tasks layer's:
   src/kernel/identity.h. */
#ifndef PX_CORE_CRED_H
#define PX_CORE_CRED_H

#include <stdint.h>
#include "core/thread.h"

/* Immutable once installed: set*id build a new one (px_cred_copy, change,
   px_cred_install) and swap the task's pointer, so a reader never sees half an update.
   Shared by every clone (a copy would be equal). */
struct px_cred {
    int32_t refs;                          /* atomic: tasks (and in-flight readers) holding it */
    uint32_t uid, euid, suid, fsuid;
    uint32_t gid, egid, sgid, fsgid;
    uint32_t ngroups;                      /* supplementary groups that follow */
    uint32_t groups[];
};

/* The calling task's cred (host threads: the first task's). Every task has one from
   px_task_boot on, which comes before the file system is set up. */
static inline const struct px_cred *px_current_cred(void)
{
    return __atomic_load_n(&px_current()->cred, __ATOMIC_ACQUIRE);
}
static inline uint32_t px_current_fsuid(void) { return px_current_cred()->fsuid; }
static inline uint32_t px_current_fsgid(void) { return px_current_cred()->fsgid; }

#endif
