/* Process and thread identity syscalls, and the exits. The ids come from the task's
   process object and credentials: no Win32 call and no lock on these paths. */
#include <stdlib.h>
#include "core/px.h"
#include "core/runtime.h"
#include "core/uaccess.h"
#include "kernel/identity.h"
#include "kernel/kernel.h"
#include "kernel/thread_clone.h"
#include "task/process.h"
#include "task/ptable.h"

/* getpid(2) */
PX_SYSCALL(getpid) { return px_kernel_self()->process->tgid; }

/* getppid(2): the table's, which follows a re-parenting when the parent ends. */
PX_SYSCALL(getppid)
{
    int32_t ppid = px_ptable_self_ppid();
    return ppid ? ppid : px_kernel_self()->process->ppid;
}

/* gettid(2): the main thread's tid is the pid, as on Linux. */
PX_SYSCALL(gettid) { return px_kernel_self()->tid; }

/* getuid(2), geteuid(2), getgid(2), getegid(2) */
PX_SYSCALL(getuid) { return px_kernel_self()->cred->uid; }
PX_SYSCALL(geteuid) { return px_kernel_self()->cred->euid; }
PX_SYSCALL(getgid) { return px_kernel_self()->cred->gid; }
PX_SYSCALL(getegid) { return px_kernel_self()->cred->egid; }

/* umask(2) */
PX_SYSCALL(umask)
{
    uint32_t mask = (uint32_t)PX_ARG0;
    return px_identity_set_umask(mask);
}

/* set_tid_address(2): recorded for the thread exit (CLONE_CHILD_CLEARTID) to come. */
PX_SYSCALL(set_tid_address)
{
    uint64_t tidptr = PX_ARG0;
    px_task *t = px_kernel_self();
    t->clear_child_tid = tidptr;
    return t->tid;
}

/* set_robust_list(2): recorded; walked when threads exist (the pointer is not read now,
   as Linux does not read it either until the thread exits). */
PX_SYSCALL(set_robust_list)
{
    uint64_t head = PX_ARG0, len = PX_ARG1;
    if (len != 24) return -LINUX_EINVAL;  /* sizeof(struct robust_list_head) */
    px_task *t = px_kernel_self();
    t->robust_list = head;
    t->robust_list_len = len;
    return 0;
}

/* exit(2): ends the calling thread; the last one's ends the process with its status. */
PX_SYSCALL(exit)
{
    int status = (int)PX_ARG0;
    px_thread_exit(status);
}

/* exit_group(2): ends every thread of the process. */
PX_SYSCALL(exit_group)
{
    int status = (int)PX_ARG0;
    px_thread_group_exit(status);
}

/* getgroups(2): the cred's supplementary groups. */
PX_SYSCALL(getgroups)
{
    int32_t size = (int32_t)PX_ARG0;
    uint64_t list = PX_ARG1;
    const struct px_cred *c = px_kernel_self()->cred;
    if (size < 0) return -LINUX_EINVAL;
    if (size == 0) return c->ngroups;
    if ((uint32_t)size < c->ngroups) return -LINUX_EINVAL;
    if (px_copy_out(list, c->groups, c->ngroups * sizeof c->groups[0]) < 0) return -LINUX_EFAULT;
    return c->ngroups;
}

/* getresuid(2) */
PX_SYSCALL(getresuid)
{
    uint64_t r = PX_ARG0, e = PX_ARG1, s = PX_ARG2;
    const struct px_cred *c = px_kernel_self()->cred;
    if (PX_PUT(r, &c->uid) < 0 || PX_PUT(e, &c->euid) < 0 || PX_PUT(s, &c->suid) < 0) return -LINUX_EFAULT;
    return 0;
}

/* getresgid(2) */
PX_SYSCALL(getresgid)
{
    uint64_t r = PX_ARG0, e = PX_ARG1, s = PX_ARG2;
    const struct px_cred *c = px_kernel_self()->cred;
    if (PX_PUT(r, &c->gid) < 0 || PX_PUT(e, &c->egid) < 0 || PX_PUT(s, &c->sgid) < 0) return -LINUX_EFAULT;
    return 0;
}

/* Process groups and sessions live in the session's process table (task/ptable.c), where
   a parent's setpgid of its child lands too; the process object keeps a copy of its own
   (the table's answer wins, and without a table the copy is all there is). */
static int64_t group_or_session_of(int32_t pid, bool session)
{
    struct px_process *p = px_kernel_self()->process;
    if (pid < 0) return -LINUX_ESRCH;
    if (pid == 0 || pid == p->tgid) {
        int32_t v = session ? px_ptable_self_sid() : px_ptable_self_pgid();
        if (v) return v;
        px_host_rwlock_lock_shared(&p->lock);
        v = session ? p->sid : p->pgid;
        px_host_rwlock_unlock_shared(&p->lock);
        return v;
    }
    px_ptable_entry e;
    int64_t r = px_ptable_lookup(pid, &e);
    if (r < 0) return r;
    return session ? e.sid : e.pgid;
}

/* Keeps the process object's copy of its group and session. */
static void note_own_ids(void)
{
    struct px_process *p = px_kernel_self()->process;
    int32_t pgid = px_ptable_self_pgid(), sid = px_ptable_self_sid();
    if (!pgid || !sid) return;
    px_host_rwlock_lock(&p->lock);
    p->pgid = pgid;
    p->sid = sid;
    px_host_rwlock_unlock(&p->lock);
}

/* getpgrp(2) */
PX_SYSCALL(getpgrp) { return group_or_session_of(0, false); }
/* getpgid(2) */
PX_SYSCALL(getpgid) { return group_or_session_of((int32_t)PX_ARG0, false); }
/* getsid(2) */
PX_SYSCALL(getsid) { return group_or_session_of((int32_t)PX_ARG0, true); }

/* setpgid(2): the caller or its child that has not exec'd, into a group of its session. */
PX_SYSCALL(setpgid)
{
    int32_t pid = (int32_t)PX_ARG0, pgid = (int32_t)PX_ARG1;
    if (pid == 0) pid = px_kernel_self()->process->tgid;
    if (pgid == 0) pgid = pid;
    if (pgid < 0) return -LINUX_EINVAL; /* in Linux's order: setpgid(-1, 0) is EINVAL */
    if (pid < 0) return -LINUX_ESRCH;   /* no process has a negative pid */
    int64_t r = px_ptable_set_pgid(pid, pgid);
    if (r == 0) note_own_ids();
    return r;
}

/* setsid(2): a new session and group led by the caller, without a controlling terminal. */
PX_SYSCALL(setsid)
{
    int64_t r = px_ptable_setsid(px_kernel_self()->process->tgid);
    if (r > 0) note_own_ids();
    return r;
}

/* ---- set*id: each builds a new cred and installs it (px_cred_commit) ---- */

#define NO_ID UINT32_MAX /* -1: "unchanged" */

/* CAP_SETUID / CAP_SETGID, as Linux emulates them for uid 0 without file capabilities:
   the effective set is full exactly while the euid is 0. */
static bool privileged(const struct px_cred *c)
{
    return c->euid == 0;
}

/* Installs c as the calling task's cred. As commit_creds: a change of the effective or
   fs ids makes the process non-dumpable (fs.suid_dumpable is 0). */
static int64_t commit(struct px_cred *c)
{
    px_task *t = px_kernel_self();
    const struct px_cred *old = t->cred;
    if (c->euid != old->euid || c->egid != old->egid || c->fsuid != old->fsuid || c->fsgid != old->fsgid)
        __atomic_store_n(&t->process->dumpable, 0, __ATOMIC_RELAXED);
    px_cred_install(t, c);
    return 0;
}

static bool is_one_of(uint32_t id, uint32_t a, uint32_t b, uint32_t c)
{
    return id == a || id == b || id == c;
}

/* setuid(2) and setgid(2) share their rules: root sets all three, others only the
   effective id, to the real or saved one. ids[0..3] are real, effective, saved, fs. */
static int64_t set_one_id(uint32_t id, bool gid)
{
    if (id == NO_ID) return -LINUX_EINVAL;
    const struct px_cred *old = px_kernel_self()->cred;
    struct px_cred *c = px_cred_copy(old);
    if (!c) return -LINUX_ENOMEM;
    uint32_t *ids = gid ? &c->gid : &c->uid; /* uid, euid, suid, fsuid (or the gids) in a row */
    if (privileged(old)) {
        ids[0] = ids[1] = ids[2] = ids[3] = id;
    } else if (id == ids[0] || id == ids[2]) {
        ids[1] = ids[3] = id;
    } else {
        px_cred_drop(c);
        return -LINUX_EPERM;
    }
    return commit(c);
}

/* setreuid(2) / setregid(2) */
static int64_t set_re_ids(uint32_t r, uint32_t e, bool gid)
{
    const struct px_cred *old = px_kernel_self()->cred;
    struct px_cred *c = px_cred_copy(old);
    if (!c) return -LINUX_ENOMEM;
    uint32_t *ids = gid ? &c->gid : &c->uid;
    uint32_t o_r = ids[0], o_e = ids[1], o_s = ids[2];
    bool root = privileged(old);
    if ((r != NO_ID && !root && r != o_r && r != o_e) || (e != NO_ID && !root && !is_one_of(e, o_r, o_e, o_s))) {
        px_cred_drop(c);
        return -LINUX_EPERM;
    }
    if (r != NO_ID) ids[0] = r;
    if (e != NO_ID) ids[1] = e;
    if (r != NO_ID || (e != NO_ID && e != o_r)) ids[2] = ids[1];
    ids[3] = ids[1];
    return commit(c);
}

/* setresuid(2) / setresgid(2) */
static int64_t set_res_ids(uint32_t r, uint32_t e, uint32_t s, bool gid)
{
    const struct px_cred *old = px_kernel_self()->cred;
    struct px_cred *c = px_cred_copy(old);
    if (!c) return -LINUX_ENOMEM;
    uint32_t *ids = gid ? &c->gid : &c->uid;
    uint32_t o_r = ids[0], o_e = ids[1], o_s = ids[2];
    if (!privileged(old) && ((r != NO_ID && !is_one_of(r, o_r, o_e, o_s)) ||
                             (e != NO_ID && !is_one_of(e, o_r, o_e, o_s)) ||
                             (s != NO_ID && !is_one_of(s, o_r, o_e, o_s)))) {
        px_cred_drop(c);
        return -LINUX_EPERM;
    }
    if (r != NO_ID) ids[0] = r;
    if (e != NO_ID) ids[1] = e;
    if (s != NO_ID) ids[2] = s;
    ids[3] = ids[1];
    return commit(c);
}

/* setfsuid(2) / setfsgid(2): the old fs id, whether or not it changed (no errors). */
static int64_t set_fs_id(uint32_t id, bool gid)
{
    const struct px_cred *old = px_kernel_self()->cred;
    const uint32_t *o = gid ? &old->gid : &old->uid;
    uint32_t was = o[3];
    if (id == NO_ID || id == was || !(privileged(old) || is_one_of(id, o[0], o[1], o[2]))) return was;
    struct px_cred *c = px_cred_copy(old);
    if (!c) return was;
    (gid ? &c->gid : &c->uid)[3] = id;
    commit(c);
    return was;
}

_Static_assert(offsetof(struct px_cred, euid) == offsetof(struct px_cred, uid) + 4 &&
                   offsetof(struct px_cred, suid) == offsetof(struct px_cred, uid) + 8 &&
                   offsetof(struct px_cred, fsuid) == offsetof(struct px_cred, uid) + 12 &&
                   offsetof(struct px_cred, fsgid) == offsetof(struct px_cred, gid) + 12,
               "set_one_id and friends index the ids in a row");

/* setuid(2) */
PX_SYSCALL(setuid) { return set_one_id((uint32_t)PX_ARG0, false); }
/* setgid(2) */
PX_SYSCALL(setgid) { return set_one_id((uint32_t)PX_ARG0, true); }
/* setreuid(2) */
PX_SYSCALL(setreuid) { return set_re_ids((uint32_t)PX_ARG0, (uint32_t)PX_ARG1, false); }
/* setregid(2) */
PX_SYSCALL(setregid) { return set_re_ids((uint32_t)PX_ARG0, (uint32_t)PX_ARG1, true); }
/* setresuid(2) */
PX_SYSCALL(setresuid) { return set_res_ids((uint32_t)PX_ARG0, (uint32_t)PX_ARG1, (uint32_t)PX_ARG2, false); }
/* setresgid(2) */
PX_SYSCALL(setresgid) { return set_res_ids((uint32_t)PX_ARG0, (uint32_t)PX_ARG1, (uint32_t)PX_ARG2, true); }
/* setfsuid(2) */
PX_SYSCALL(setfsuid) { return set_fs_id((uint32_t)PX_ARG0, false); }
/* setfsgid(2) */
PX_SYSCALL(setfsgid) { return set_fs_id((uint32_t)PX_ARG0, true); }

static int compare_ids(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* setgroups(2): CAP_SETGID only; the list is kept sorted, as Linux's groups_sort. */
PX_SYSCALL(setgroups)
{
    int64_t size = (int32_t)PX_ARG0;
    uint64_t list = PX_ARG1;
    if (size < 0 || size > LINUX_NGROUPS_MAX) return -LINUX_EINVAL;
    const struct px_cred *old = px_kernel_self()->cred;
    if (!privileged(old)) return -LINUX_EPERM;
    struct px_cred *c = px_cred_new((uint32_t)size);
    if (!c) return -LINUX_ENOMEM;
    memcpy(&c->uid, &old->uid, offsetof(struct px_cred, ngroups) - offsetof(struct px_cred, uid));
    c->ngroups = (uint32_t)size;
    if (px_copy_in(c->groups, list, (size_t)size * sizeof c->groups[0]) < 0) {
        px_cred_drop(c);
        return -LINUX_EFAULT;
    }
    qsort(c->groups, (size_t)size, sizeof c->groups[0], compare_ids);
    px_task *t = px_kernel_self();
    px_cred_install(t, c); /* groups only: the process stays dumpable */
    return 0;
}
