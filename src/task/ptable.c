/* The session's process table (ptable.h).

   A named section on the paging file (TABLE_NAME) holds a header and PX_PTABLE_CAPACITY
   fixed records, guarded by a named mutex (the pattern of src/fs/lock.c). Every picolx
   process maps it at start and keeps the section handle until it ends: under Wine a
   named section's name goes with its last handle, even while views of it stay mapped.

   The rules (pid allocation, exit and re-parenting, setpgid, setsid) are ptable_rules.c's,
   run here with the mutex held. A record is written whole before its state leaves FREE,
   and freed by one store, so that a process that dies holding the mutex (it comes back
   abandoned) leaves a table whose records are each valid; the next owner recomputes the
   limit (repair).

   Liveness: a STARTING or RUNNING record names the Windows process that runs it (or,
   while STARTING, the one that forks it) by id and creation time. A lookup that finds
   that process gone ends the record as killed by SIGKILL, as Linux's parent would see
   it: a zombie for its parent, or freed when nobody can reap it. */
#include <string.h>
#include "core/px.h"
#include "core/thread.h"
#include "linux_signal.h"
#include "fs/fs.h"
#include "fs/fs_internal.h"
#include "fs/pseudo/proc_pids.h"
#include "fs/pseudo/pseudo.h"
#include "host/host_mem.h"
#include "host/host_named.h"
#include "host/host_process.h"
#include "host/host_sync.h"
#include "host/host_time.h"
#include "kernel/identity.h"
#include "task/process.h"
#include "task/ptable.h"
#include "task/ptable_rules.h"

#define TABLE_NAME L"Local\\picolx-ptable-v3"
#define MUTEX_NAME L"Local\\picolx-ptable-v3-mutex"
#define TABLE_MAGIC 0x3176656c62617470ull /* "ptablev1" */

typedef px_ptable_entry record; /* the record is the entry itself: state first, written last */
_Static_assert(offsetof(px_ptable_entry, state) == 0, "the state word leads the record");
_Static_assert(sizeof(px_ptable_entry) == 1408, "px_ptable_entry is the shared table's record layout");

typedef px_ptable_shared ptable;

static px_host_once table_once = PX_HOST_ONCE_INIT;
static ptable *table;
static px_host_handle table_mutex;
/* Host facts of this Windows process, and the pid it runs (one Linux process per Windows
   process): set once at registration or attach, read lock-free. */
static uint32_t host_self_pid;
static int64_t host_self_time;
static volatile int32_t self_pid;
static volatile int32_t self_index = -1;
static bool host_alive(uint32_t pid, int64_t time);
static void ended_dead(px_ptable_rows *rows, const px_ptable_entry *before, int32_t wait_status,
                       const px_ptable_orphaned *orphaned);
static px_ptable_rows rows = {.alive = host_alive, .ended_dead = ended_dead}; /* .t: the table, once open */

static int64_t process_creation(px_host_handle process)
{
    px_host_times t;
    return px_host_process_times(process, &t) < 0 ? 0 : t.creation;
}

static void table_open(void);
static const px_proc_pid_source proc_source;

static bool table_ready(void)
{
    px_host_once_run(&table_once, table_open);
    return table != NULL;
}

/* With the table's mutex held: a new table (all zeros) made empty; whether it is ours. */
static bool table_init(void *view)
{
    ptable *t = view;
    if (t->magic == 0) { /* a new section is all zeros: an empty table */
        t->capacity = PX_PTABLE_CAPACITY;
        /* The table goes with the last picolx process; a new one does not start at 2
           again, or the next process would get the pid its predecessor had (a pid file,
           a `kill -0` loop): it starts where the clock points, as if pids had kept
           going, in milliseconds modulo the range. */
        t->last_pid = PX_PTABLE_WRAP_PID + (int32_t)((uint64_t)px_host_time_now() / 10000 % (PX_PTABLE_PID_MAX - PX_PTABLE_WRAP_PID));
        t->magic = TABLE_MAGIC;
    }
    return t->magic == TABLE_MAGIC && t->capacity == PX_PTABLE_CAPACITY;
}

static void table_open(void)
{
    host_self_pid = px_host_pid();
    host_self_time = process_creation(px_host_self());
    px_host_handle mutex;
    ptable *t = px_host_session_table_open(TABLE_NAME, MUTEX_NAME, sizeof(ptable), table_init, &mutex);
    if (!t) return;
    table = t;
    rows.t = t;
    table_mutex = mutex;
    px_proc_pids_set_source(&proc_source);
}

static bool enter(void)
{
    if (!table_ready()) return false;
    bool abandoned;
    if (px_host_mutex_take(table_mutex, &abandoned) < 0) return false;
    if (abandoned) px_ptable_rows_repair(&rows);
    return true;
}

static void leave(void) { px_host_mutex_release(table_mutex); }

/* Whether the Windows process (pid, creation time) runs. One we may not open counts as running. */
static bool host_alive(uint32_t pid, int64_t time)
{
    if (pid == host_self_pid && time == host_self_time) return true;
    px_host_handle h;
    int64_t opened = px_host_process_open_checked(pid, &h);
    if (opened < 0) return opened == -LINUX_EACCES;
    int64_t created = process_creation(h);
    bool alive = px_host_wait(h, 0) == PX_HOST_TIMED_OUT && (created == 0 || time == 0 || created == time);
    px_host_close(h);
    return alive;
}

static record *find(int32_t pid) { return px_ptable_rows_find(&rows, pid); }
static record *find_live(int32_t pid) { return px_ptable_rows_find_live(&rows, pid); }
static bool end_if_dead(record *r) { return px_ptable_rows_end_if_dead(&rows, r); }

static void become(record *r)
{
    r->host_pid = host_self_pid;
    r->host_time = host_self_time;
    r->state = PX_PTABLE_RUNNING;
    self_index = (int32_t)(r - table->records);
    self_pid = r->pid;
    px_lock_set_pid(r->pid); /* F_GETLK's l_pid of this process's locks */
}

static void copy_cut(char *to, size_t size, const char *from)
{
    size_t n = from ? strlen(from) : 0;
    if (n >= size) n = size - 1;
    memcpy(to, from ? from : "", n);
    memset(to + n, 0, size - n);
}

static int64_t post_locked(record *r, const px_ptable_signal *s, uint32_t *host_pid);
static void (*bell_ring)(uint32_t host_pid); /* sigbell.c's px_sigbell_ring, set with the doorbell */

/* Linux's kill_orphaned_pgrp for a process that ran no exit of its own: SIGHUP, then
   SIGCONT, from the kernel (SI_KERNEL) to every live member of each group, their
   doorbells rung (the stopped members wait for the SIGCONT). */
static void hang_up_orphaned(const px_ptable_orphaned *orphaned)
{
    static const int signals[2] = {LINUX_SIGHUP, LINUX_SIGCONT};
    for (uint32_t g = 0; g < orphaned->count; g++)
        for (uint32_t i = 0; i < table->record_limit; i++) {
            record *m = &table->records[i];
            if (m->pgid != orphaned->pgids[g] || (m->state != PX_PTABLE_RUNNING && m->state != PX_PTABLE_STARTING))
                continue;
            uint32_t host_pid = 0;
            for (int k = 0; k < 2; k++) {
                px_ptable_signal s = {.signo = signals[k], .code = LINUX_SI_KERNEL};
                post_locked(m, &s, &host_pid);
            }
            if (host_pid && bell_ring) bell_ring(host_pid);
        }
}

/* A process ended from outside (TerminateProcess from Windows, a SIGKILL's sender) ran no
   exit of its own: whoever finds it ended queues its parent's SIGCHLD and hangs up the
   groups its end orphaned. The parent's doorbell thread watches its children's
   processes, so it takes its SIGCHLD even when the finder rings nothing
   (px_ptable_end_dead rings). */
static void ended_dead(px_ptable_rows *rows, const px_ptable_entry *before, int32_t wait_status,
                       const px_ptable_orphaned *orphaned)
{
    (void)rows;
    hang_up_orphaned(orphaned);
    if (before->flags & (PX_PTABLE_HOST_PARENT | PX_PTABLE_ORPHAN)) return;
    int32_t status;
    int code = px_sigchld_code_of_wait_status(wait_status, &status);
    px_ptable_signal s = {.signo = LINUX_SIGCHLD, .code = code, .pid = before->pid, .uid = before->uid,
                          .value = (uint64_t)status};
    uint32_t parent_host_pid;
    post_locked(find(before->ppid), &s, &parent_host_pid);
}

/* --- the API --- */

int32_t px_ptable_register_first(int32_t host_ppid)
{
    int32_t pid = 0;
    if (enter()) {
        record r = {
            .state = PX_PTABLE_RUNNING,
            .flags = PX_PTABLE_HOST_PARENT,
            .ppid = host_ppid,
            .host_pid = host_self_pid,
            .host_time = host_self_time,
            .start_time = host_self_time,
        };
        copy_cut(r.comm, sizeof r.comm, "picolx");
        record *made = px_ptable_rows_add(&rows, &r);
        if (made) {
            become(made);
            pid = made->pid;
        }
        leave();
    }
    return pid ? pid : (int32_t)px_host_pid();
}

int32_t px_ptable_continue_parent(int32_t host_ppid)
{
    px_host_handle parent;
    if (px_host_process_open_checked((uint32_t)host_ppid, &parent) < 0) return 0;
    int64_t parent_time = process_creation(parent);
    px_host_close(parent);
    int32_t pid = 0;
    if (!enter()) return 0;
    for (uint32_t i = 0; i < table->record_limit && !pid; i++) {
        record *r = &table->records[i];
        if (r->state == PX_PTABLE_RUNNING && r->host_pid == (uint32_t)host_ppid && r->host_time == parent_time) {
            become(r);
            pid = r->pid;
        }
    }
    leave();
    return pid;
}

int32_t px_ptable_alloc_child(int32_t parent_pid)
{
    if (!enter()) return -LINUX_EAGAIN;
    record *parent = find_live(parent_pid);
    int32_t pid = -LINUX_EAGAIN;
    if (parent) {
        record r = *parent;
        r.state = PX_PTABLE_STARTING;
        r.flags = 0;
        r.ppid = parent->pid;
        r.host_pid = host_self_pid; /* until the child attaches, this process answers for it */
        r.host_time = host_self_time;
        px_host_times now;
        r.start_time = px_host_process_times(px_host_self(), &now) == 0 ? now.creation : 0;
        r.wait_status = 0;
        r.stop_sig = 0;
        r.job_report = 0;
        record *made = px_ptable_rows_add(&rows, &r);
        if (made) pid = made->pid;
    }
    leave();
    return pid;
}

void px_ptable_attach(int32_t pid)
{
    if (!enter()) return;
    record *r = find(pid);
    int32_t nice = 0;
    if (r && r->state != PX_PTABLE_ZOMBIE) {
        become(r);
        nice = r->nice;
    }
    leave();
    /* a nice value from before the fork or execve: Windows made this process NORMAL */
    if (nice) px_host_process_set_nice(px_host_pid(), nice);
}

void px_ptable_abandon(int32_t pid)
{
    if (!enter()) return;
    record *r = find(pid);
    if (r && r->state == PX_PTABLE_STARTING) px_ptable_rows_free(&rows, r);
    leave();
}

bool px_ptable_exit(int32_t pid, int32_t wait_status, uint64_t peak_rss, const px_ptable_signal *to_parent,
                    uint32_t *parent_host_pid, px_ptable_orphaned *orphaned)
{
    *parent_host_pid = 0;
    if (orphaned) orphaned->count = 0;
    if (!enter()) return false;
    record *r = find(pid);
    bool ended = r && r->state != PX_PTABLE_ZOMBIE && r->host_pid == host_self_pid && r->host_time == host_self_time;
    if (ended) {
        /* SIGCHLD is queued before anyone can see the zombie, as Linux's exit_notify does:
           a parent whose wait reaps us finds it in its queue (px_sigbell_take_now) */
        if (to_parent && !(r->flags & (PX_PTABLE_HOST_PARENT | PX_PTABLE_ORPHAN)))
            post_locked(find_live(r->ppid), to_parent, parent_host_pid);
        r->peak_rss = peak_rss;
        px_ptable_rows_end(&rows, r, wait_status, orphaned);
    }
    if (pid == self_pid) self_index = -1;
    leave();
    return ended;
}

bool px_ptable_end_dead(int32_t pid, int32_t wait_status, uint32_t *parent_host_pid)
{
    *parent_host_pid = 0;
    if (!enter()) return false;
    record *r = find(pid);
    int32_t ppid = r ? r->ppid : 0;
    bool ended = r && px_ptable_rows_end_if_dead_as(&rows, r, wait_status);
    record *parent = ended ? find(ppid) : NULL;
    if (parent && parent->state == PX_PTABLE_RUNNING && (parent->flags & PX_PTABLE_SIGBELL))
        *parent_host_pid = parent->host_pid;
    leave();
    return ended;
}

void px_ptable_reaped(int32_t pid)
{
    if (!enter()) return;
    record *r = find_live(pid); /* ended from outside (TerminateProcess): a zombie now, then gone */
    if (r && r->state == PX_PTABLE_ZOMBIE) px_ptable_rows_free(&rows, r);
    leave();
}

int64_t px_ptable_lookup(int32_t pid, px_ptable_entry *out)
{
    if (!enter()) return -LINUX_ESRCH;
    record *r = find_live(pid);
    if (r) *out = *r;
    leave();
    return r ? 0 : -LINUX_ESRCH;
}

bool px_ptable_next(int32_t *cursor, px_ptable_entry *out)
{
    if (*cursor < 0 || !enter()) return false;
    bool found = false;
    for (uint32_t i = (uint32_t)*cursor; i < table->record_limit && !found; i++) {
        record *r = &table->records[i];
        if (r->state == PX_PTABLE_FREE) continue;
        end_if_dead(r); /* a zombie now, or gone */
        if (r->state == PX_PTABLE_FREE) continue;
        *out = *r;
        *cursor = (int32_t)i + 1;
        found = true;
    }
    leave();
    return found;
}

bool px_ptable_group_orphaned(int32_t pgid)
{
    if (pgid <= 0 || !enter()) return false;
    for (uint32_t i = 0; i < table->record_limit; i++) end_if_dead(&table->records[i]);
    bool orphaned = px_ptable_rows_group_orphaned(&rows, pgid, NULL);
    leave();
    return orphaned;
}

bool px_ptable_group_exists(int32_t pgid)
{
    if (pgid <= 0 || !enter()) return false;
    bool found = false;
    for (uint32_t i = 0; i < table->record_limit && !found; i++) {
        record *r = &table->records[i];
        if (r->state == PX_PTABLE_FREE || r->pgid != pgid) continue;
        end_if_dead(r);
        found = r->state != PX_PTABLE_FREE;
    }
    leave();
    return found;
}

int64_t px_ptable_set_pgid(int32_t pid, int32_t pgid)
{
    if (pgid < 0) return -LINUX_EINVAL;
    if (!enter()) return -LINUX_ESRCH;
    if (pid == 0) pid = self_pid;
    if (pgid == 0) pgid = pid;
    int64_t r = px_ptable_rows_set_pgid(&rows, self_pid, pid, pgid);
    leave();
    return r;
}

int64_t px_ptable_setsid(int32_t pid)
{
    if (!enter()) return -LINUX_EPERM;
    int64_t r = px_ptable_rows_setsid(&rows, pid);
    leave();
    return r;
}

static const char *basename_of(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

void px_ptable_set_exec(int32_t pid, const char *exe, char *const argv[], const char *comm)
{
    char cwd[PX_PTABLE_CWD_MAX];
    bool self = pid == self_pid;
    bool have_cwd = self && px_fs_cwd(cwd, sizeof cwd) >= 0;
    px_task *t = self ? px_current() : NULL;
    if (!enter()) return;
    record *r = find(pid);
    if (r) {
        copy_cut(r->exe, sizeof r->exe, exe);
        copy_cut(r->comm, sizeof r->comm, basename_of(comm ? comm : exe ? exe : ""));
        uint32_t n = 0;
        for (size_t i = 0; argv && argv[i] && n < sizeof r->cmdline; i++) {
            size_t len = strlen(argv[i]) + 1;
            if (len > sizeof r->cmdline - n) len = sizeof r->cmdline - n;
            memcpy(r->cmdline + n, argv[i], len);
            n += (uint32_t)len;
        }
        r->cmdline_len = n;
        r->flags |= PX_PTABLE_EXECED;
        if (have_cwd) copy_cut(r->cwd, sizeof r->cwd, cwd);
        if (t && t->cred) {
            r->uid = t->cred->uid;
            r->gid = t->cred->gid;
        }
        if (self) r->tty = px_devfs_has_console() ? (136u << 8) : 0; /* /dev/pts/0, as /proc/self/stat says */
    }
    leave();
}

void px_ptable_set_cwd(int32_t pid, const char *cwd)
{
    if (!enter()) return;
    record *r = find(pid);
    if (r) copy_cut(r->cwd, sizeof r->cwd, cwd);
    leave();
}

int32_t px_ptable_foreground(int32_t sid)
{
    if (!enter()) return sid;
    record *leader = find(sid);
    int32_t fg = leader && leader->fg_pgid ? leader->fg_pgid : sid;
    leave();
    return fg;
}

int64_t px_ptable_set_foreground(int32_t sid, int32_t pgid)
{
    if (pgid < 0) return -LINUX_EINVAL;
    if (!enter()) return -LINUX_EPERM;
    bool in_session = false;
    for (uint32_t i = 0; i < table->record_limit && !in_session; i++) {
        record *r = &table->records[i];
        in_session = r->state != PX_PTABLE_FREE && r->state != PX_PTABLE_ZOMBIE && r->pgid == pgid && r->sid == sid;
    }
    record *leader = find(sid);
    if (in_session && leader) leader->fg_pgid = pgid;
    leave();
    return in_session ? 0 : -LINUX_EPERM;
}

void px_ptable_set_signals(int32_t pid, uint64_t caught, uint64_t ignored)
{
    if (!enter()) return;
    record *r = find(pid);
    if (r) {
        r->sig_caught = caught;
        r->sig_ignored = ignored;
    }
    leave();
}

/* The queue of record r, emptied first if it was another pid's. */
static struct px_ptable_queue *queue_of(record *r)
{
    struct px_ptable_queue *q = &table->queues[r - table->records];
    if (q->pid != r->pid) {
        q->pid = r->pid;
        q->count = 0;
    }
    return q;
}

/* Whether posting b adds nothing to a queued a (standard signals coalesce). A SIGCHLD
   is each child's news for wait (px_signal_receive_queue), kept unless it repeats: a child's
   exit behind its CLD_CONTINUED, which SA_NOCLDSTOP then drops, would be lost. */
static bool same_posting(const px_ptable_signal *a, const px_ptable_signal *b)
{
    if (a->signo != b->signo || a->tid != b->tid) return false;
    return b->signo != LINUX_SIGCHLD || (a->code == b->code && a->pid == b->pid);
}

/* Appends s to r's queue (mutex held): px_ptable_post_signal's results. */
static int64_t post_locked(record *r, const px_ptable_signal *s, uint32_t *host_pid)
{
    /* a fork's child still starting takes its queue with it when its doorbell starts */
    if (!r || !(r->state == PX_PTABLE_STARTING || (r->state == PX_PTABLE_RUNNING && (r->flags & PX_PTABLE_SIGBELL))))
        return -LINUX_ESRCH;
    struct px_ptable_queue *q = queue_of(r);
    bool queued = false;
    for (uint32_t i = 0; i < q->count && s->signo < 32 && !queued; i++) queued = same_posting(&q->q[i], s);
    *host_pid = r->host_pid;
    if (queued) return 0;
    if (q->count == PX_PTABLE_SIGNALS) return -LINUX_EAGAIN;
    q->q[q->count++] = *s;
    return 0;
}

int64_t px_ptable_post_signal(int32_t pid, const px_ptable_signal *s, uint32_t *host_pid)
{
    *host_pid = 0;
    if (!enter()) return -LINUX_ESRCH;
    int64_t result = post_locked(find_live(pid), s, host_pid);
    leave();
    return result;
}

size_t px_ptable_take_signals(px_ptable_signal *out, size_t max)
{
    if (self_index < 0 || !enter()) return 0;
    size_t n = 0;
    int32_t i = self_index;
    record *r = i >= 0 ? &table->records[i] : NULL;
    /* an execve's old Windows process takes nothing: the record is its successor's */
    if (r && r->pid == self_pid && r->host_pid == host_self_pid && r->host_time == host_self_time) {
        struct px_ptable_queue *q = queue_of(r);
        n = q->count < max ? q->count : max;
        memcpy(out, q->q, n * sizeof *out);
        memmove(q->q, q->q + n, (q->count - n) * sizeof *out);
        q->count -= (uint32_t)n;
    }
    leave();
    return n;
}

/* The own record (mutex held), or NULL. */
static record *self_record(void)
{
    int32_t i = self_index;
    record *r = i >= 0 ? &table->records[i] : NULL;
    return r && r->pid == self_pid ? r : NULL;
}

void px_ptable_set_sigbell(void (*ring)(uint32_t host_pid))
{
    bell_ring = ring;
    if (!enter()) return;
    record *r = self_record();
    if (r) r->flags |= PX_PTABLE_SIGBELL;
    leave();
}

void px_ptable_set_job(int32_t sig, const px_ptable_signal *to_parent, uint32_t *parent_host_pid)
{
    *parent_host_pid = 0;
    if (!enter()) return;
    record *r = self_record();
    if (r) {
        r->stop_sig = sig;
        r->job_report = sig ? PX_PTABLE_REPORT_STOPPED : PX_PTABLE_REPORT_CONTINUED;
        if (to_parent && !(r->flags & (PX_PTABLE_HOST_PARENT | PX_PTABLE_ORPHAN)))
            post_locked(find_live(r->ppid), to_parent, parent_host_pid);
    }
    leave();
}

int32_t px_ptable_take_job_report(int32_t pid, uint32_t want, bool keep)
{
    if (!want || !enter()) return 0;
    record *r = find(pid);
    int32_t status = 0;
    if (r && r->state == PX_PTABLE_RUNNING && (r->job_report & want)) {
        status = (r->job_report & PX_PTABLE_REPORT_STOPPED) ? 0x7f | (r->stop_sig << 8) : 0xffff;
        if (!keep) r->job_report = 0;
    }
    leave();
    return status;
}

void px_ptable_set_comm(int32_t pid, const char *comm)
{
    if (!enter()) return;
    record *r = find(pid);
    if (r) copy_cut(r->comm, sizeof r->comm, comm);
    leave();
}

void px_ptable_set_subreaper(int32_t pid, bool on)
{
    if (!enter()) return;
    record *r = find(pid);
    if (r) r->flags = on ? r->flags | PX_PTABLE_SUBREAPER : r->flags & ~PX_PTABLE_SUBREAPER;
    leave();
}

int64_t px_ptable_set_nice(int32_t pid, int32_t nice)
{
    if (!enter()) return -LINUX_ESRCH;
    record *r = find(pid);
    if (r) r->nice = nice;
    leave();
    return r ? 0 : -LINUX_ESRCH;
}

int32_t px_ptable_self(void) { return self_pid; }

/* A field of the own record, read without the mutex (an aligned 32-bit load). */
static int32_t self_field(size_t offset)
{
    int32_t i = self_index;
    if (!table || i < 0) return 0;
    const record *r = &table->records[i];
    if (__atomic_load_n(&r->pid, __ATOMIC_ACQUIRE) != self_pid) return 0;
    return __atomic_load_n((const int32_t *)((const char *)r + offset), __ATOMIC_ACQUIRE);
}

int32_t px_ptable_self_pgid(void) { return self_field(offsetof(record, pgid)); }
int32_t px_ptable_self_sid(void) { return self_field(offsetof(record, sid)); }
int32_t px_ptable_self_ppid(void) { return self_field(offsetof(record, ppid)); }

/* --- what /proc shows of the others (fs/pseudo/proc_pids.c asks through this) --- */

static void to_proc_info(const record *r, px_proc_pid_info *out)
{
    out->pid = r->pid;
    out->ppid = r->ppid;
    out->pgid = r->pgid;
    out->sid = r->sid;
    out->zombie = r->state == PX_PTABLE_ZOMBIE;
    out->stopped = !out->zombie && r->stop_sig != 0;
    out->uid = r->uid;
    out->gid = r->gid;
    out->tty = r->tty;
    out->host_pid = r->state == PX_PTABLE_ZOMBIE ? 0 : r->host_pid;
    out->host_time = r->host_time;
    out->start_time = r->start_time;
    memcpy(out->comm, r->comm, sizeof out->comm);
    memcpy(out->exe, r->exe, sizeof out->exe);
    memcpy(out->cwd, r->cwd, sizeof out->cwd);
    out->cmdline_len = r->cmdline_len <= sizeof out->cmdline ? r->cmdline_len : 0;
    memcpy(out->cmdline, r->cmdline, out->cmdline_len);
}

static bool source_lookup(int32_t pid, px_proc_pid_info *out)
{
    px_ptable_entry e;
    if (px_ptable_lookup(pid, &e) < 0) return false;
    to_proc_info(&e, out);
    return true;
}

static bool source_next(int32_t *cursor, px_proc_pid_info *out)
{
    px_ptable_entry e;
    if (!px_ptable_next(cursor, &e)) return false;
    to_proc_info(&e, out);
    return true;
}

static const px_proc_pid_source proc_source = {.lookup = source_lookup, .next = source_next, .self = px_ptable_self};
