/* The thread group object (process.h). */
#include "fs/fd_handoff.h"
#include "kernel/kernel.h"
#include "task/process.h"
#include "host/host.h"
#include "host/host_process.h"

#define INF LINUX_RLIM_INFINITY
#define MIB (1024ULL * 1024)

/* A stock Debian 12 shell's limits; NPROC and SIGPENDING come from the RAM size
   (px_process_new's caller may set them: identity.c knows the host). */
static const struct linux_rlimit default_limits[LINUX_RLIM_NLIMITS] = {
    [LINUX_RLIMIT_CPU] = {INF, INF},
    [LINUX_RLIMIT_FSIZE] = {INF, INF},
    [LINUX_RLIMIT_DATA] = {INF, INF},
    [LINUX_RLIMIT_STACK] = {8 * MIB, INF},
    [LINUX_RLIMIT_CORE] = {0, INF},
    [LINUX_RLIMIT_RSS] = {INF, INF},
    [LINUX_RLIMIT_NPROC] = {0, 0},
    [LINUX_RLIMIT_NOFILE] = {1024, LINUX_NR_OPEN},
    [LINUX_RLIMIT_MEMLOCK] = {8 * MIB, 8 * MIB},
    [LINUX_RLIMIT_AS] = {INF, INF},
    [LINUX_RLIMIT_LOCKS] = {INF, INF},
    [LINUX_RLIMIT_SIGPENDING] = {0, 0},
    [LINUX_RLIMIT_MSGQUEUE] = {819200, 819200},
    [LINUX_RLIMIT_NICE] = {0, 0},
    [LINUX_RLIMIT_RTPRIO] = {0, 0},
    [LINUX_RLIMIT_RTTIME] = {INF, INF},
};

/* What travels to another Windows process: every field but refs, lock and the placeholders. */
typedef struct process_record {
    int32_t tgid, ppid, pgid, sid;
    uint64_t shared_pending;
    int32_t dumpable, no_new_privs, pdeathsig, child_subreaper;
    int32_t forked, pad;
    struct linux_rlimit rlimits[LINUX_RLIM_NLIMITS];
} process_record;

struct px_process *px_process_new(int32_t tgid, int32_t ppid)
{
    struct px_process *p = px_calloc(1, sizeof *p);
    if (!p) return NULL;
    p->refs = 1;
    p->tgid = p->pgid = p->sid = tgid;
    p->ppid = ppid;
    p->dumpable = 1;
    p->live_threads = 1;
    memcpy(p->rlimits, default_limits, sizeof p->rlimits);
    return p;
}

struct px_process *px_process_take(struct px_process *p)
{
    __atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
    return p;
}

void px_process_drop(struct px_process *p)
{
    if (!p || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    px_free(p->threads);
    px_posix_timers_free(p);
    if (p->signals.continue_event) px_host_close(p->signals.continue_event);
    px_free(p);
}

struct px_process *px_process_copy(const struct px_process *from, int32_t tgid)
{
    struct px_process *p = px_process_new(tgid, from->tgid);
    if (!p) return NULL;
    px_host_rwlock_lock_shared((px_host_rwlock *)&from->lock);
    p->pgid = from->pgid; /* a child is in its parent's group and session */
    p->sid = from->sid;
    for (unsigned i = 0; i < LINUX_RLIM_NLIMITS; i++) p->rlimits[i] = px_process_rlimit(from, i);
    px_host_rwlock_unlock_shared((px_host_rwlock *)&from->lock);
    p->dumpable = __atomic_load_n(&from->dumpable, __ATOMIC_RELAXED);
    p->no_new_privs = __atomic_load_n(&from->no_new_privs, __ATOMIC_RELAXED);
    p->child_subreaper = 0; /* not inherited by fork (has_child_subreaper is, later) */
    return p;
}

bool px_process_save(const struct px_process *p, struct px_handoff *h)
{
    return px_process_save_as(p, h, 0, 0);
}

bool px_process_save_as(const struct px_process *p, struct px_handoff *h, int32_t tgid, int32_t ppid)
{
    process_record r = {0};
    px_host_rwlock_lock_shared((px_host_rwlock *)&p->lock);
    r.tgid = p->tgid;
    r.ppid = p->ppid;
    r.pgid = p->pgid;
    r.sid = p->sid;
    for (unsigned i = 0; i < LINUX_RLIM_NLIMITS; i++) r.rlimits[i] = px_process_rlimit(p, i);
    px_host_rwlock_unlock_shared((px_host_rwlock *)&p->lock);
    r.shared_pending = __atomic_load_n(&p->shared_pending, __ATOMIC_RELAXED);
    r.dumpable = __atomic_load_n(&p->dumpable, __ATOMIC_RELAXED);
    r.no_new_privs = __atomic_load_n(&p->no_new_privs, __ATOMIC_RELAXED);
    r.pdeathsig = __atomic_load_n(&p->pdeathsig, __ATOMIC_RELAXED);
    r.child_subreaper = __atomic_load_n(&p->child_subreaper, __ATOMIC_RELAXED);
    r.forked = p->forked;
    if (tgid) { /* fork: the child's ids, and a child of ours is a forked process */
        r.tgid = tgid;
        r.ppid = ppid;
        r.forked = 1;
        r.shared_pending = 0;
        r.pdeathsig = 0;
    }
    return px_handoff_put(h, PX_HANDOFF_TAG_PROCESS, &r, sizeof r);
}

void px_process_restore(struct px_process *p, const struct px_handoff *h)
{
    size_t len = 0;
    const process_record *r = px_handoff_get(h, PX_HANDOFF_TAG_PROCESS, 0, &len);
    if (!r || len != sizeof *r) return;
    px_host_rwlock_lock(&p->lock);
    p->tgid = r->tgid;
    p->ppid = r->ppid;
    p->pgid = r->pgid;
    p->sid = r->sid;
    for (unsigned i = 0; i < LINUX_RLIM_NLIMITS; i++) {
        __atomic_store_n(&p->rlimits[i].rlim_cur, r->rlimits[i].rlim_cur, __ATOMIC_RELAXED);
        __atomic_store_n(&p->rlimits[i].rlim_max, r->rlimits[i].rlim_max, __ATOMIC_RELAXED);
    }
    px_host_rwlock_unlock(&p->lock);
    __atomic_store_n(&p->shared_pending, r->shared_pending, __ATOMIC_RELAXED);
    __atomic_store_n(&p->dumpable, r->dumpable, __ATOMIC_RELAXED);
    __atomic_store_n(&p->no_new_privs, r->no_new_privs, __ATOMIC_RELAXED);
    __atomic_store_n(&p->pdeathsig, r->pdeathsig, __ATOMIC_RELAXED);
    __atomic_store_n(&p->child_subreaper, r->child_subreaper, __ATOMIC_RELAXED);
    p->forked = r->forked;
}

int32_t px_wait_status_of_exit_code(uint32_t code)
{
    if ((code & ~0xffu) == PX_EXIT_SIGNALED) return (int32_t)(code & 0xff); /* the signal, and 0x80 for a core */
    if (code <= 255) return (int32_t)(code << 8);
    return px_host_crash_signal(code);
}

int px_sigchld_code_of_wait_status(int32_t wait_status, int32_t *si_status)
{
    int sig = wait_status & 0x7f;
    *si_status = sig ? sig : (wait_status >> 8) & 0xff;
    return !sig ? LINUX_CLD_EXITED : (wait_status & 0x80) ? LINUX_CLD_DUMPED : LINUX_CLD_KILLED;
}

int64_t px_process_add_child(struct px_process *p, const px_child *c)
{
    px_host_rwlock_lock(&p->lock);
    if (p->child_count == p->child_cap) {
        size_t cap = p->child_cap ? p->child_cap * 2 : 8;
        px_child *grown = px_realloc(p->children, cap * sizeof *grown);
        if (!grown) {
            px_host_rwlock_unlock(&p->lock);
            return -LINUX_ENOMEM;
        }
        p->children = grown;
        p->child_cap = cap;
    }
    p->children[p->child_count++] = *c;
    px_host_rwlock_unlock(&p->lock);
    return 0;
}
