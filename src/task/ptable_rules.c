/* The process table's rules (ptable_rules.h). No host calls: the caller holds whatever
   lock guards the table and says which Windows processes still run. Every change keeps
   each record valid on its own (a record is written whole before its state leaves FREE;
   freeing is one store), so that a holder that dies between two stores leaves a table
   that px_ptable_rows_repair can trust. */
#include <string.h>
#include "core/px.h"
#include "task/ptable_rules.h"

typedef px_ptable_entry record;

void px_ptable_rows_repair(px_ptable_rows *rows)
{
    px_ptable_shared *t = rows->t;
    uint32_t limit = 0;
    for (uint32_t i = 0; i < PX_PTABLE_CAPACITY; i++) {
        record *r = &t->records[i];
        if (r->state == PX_PTABLE_FREE) continue;
        if (r->state > PX_PTABLE_ZOMBIE || r->pid < PX_PTABLE_FIRST_PID || r->pid >= PX_PTABLE_PID_MAX)
            r->state = PX_PTABLE_FREE;
        else
            limit = i + 1;
    }
    t->record_limit = limit;
}

void px_ptable_rows_free(px_ptable_rows *rows, record *r)
{
    px_ptable_shared *t = rows->t;
    r->state = PX_PTABLE_FREE;
    while (t->record_limit && t->records[t->record_limit - 1].state == PX_PTABLE_FREE) t->record_limit--;
}

record *px_ptable_rows_find(px_ptable_rows *rows, int32_t pid)
{
    if (pid <= 0) return NULL;
    for (uint32_t i = 0; i < rows->t->record_limit; i++) {
        record *r = &rows->t->records[i];
        if (r->state != PX_PTABLE_FREE && r->pid == pid) return r;
    }
    return NULL;
}

static bool nobody_reaps(const record *r) { return r->flags & (PX_PTABLE_HOST_PARENT | PX_PTABLE_ORPHAN); }

/* r's parent record, when it has one in the table. */
static record *parent_of(px_ptable_rows *rows, const record *r)
{
    return nobody_reaps(r) ? NULL : px_ptable_rows_find(rows, r->ppid);
}

/* Where the children of the ending r go: the nearest live subreaper among its ancestors
   (up to the first process of its tree, the one picolx did not start); NULL: init. The
   first process is an ordinary program (a shell, a test runner): it gets the orphans of
   its tree only as a subreaper, as on Linux, where init takes them. */
static record *new_reaper(px_ptable_rows *rows, const record *r)
{
    const record *p = r;
    for (int steps = 0; steps < PX_PTABLE_CAPACITY && p && !(p->flags & PX_PTABLE_HOST_PARENT); steps++) {
        record *up = parent_of(rows, p);
        if (up && up != r && up->state == PX_PTABLE_RUNNING && (up->flags & PX_PTABLE_SUBREAPER)) return up;
        p = up;
    }
    return NULL;
}

static bool is_live(const record *r) { return r->state == PX_PTABLE_STARTING || r->state == PX_PTABLE_RUNNING; }

bool px_ptable_rows_group_orphaned(px_ptable_rows *rows, int32_t pgid, const record *ignored)
{
    for (uint32_t i = 0; i < rows->t->record_limit; i++) {
        const record *m = &rows->t->records[i];
        if (m == ignored || !is_live(m) || m->pgid != pgid) continue;
        /* a parent outside the table (the Windows side, a dead pid) is as Linux's init: it
           keeps no group from being orphaned */
        const record *p = parent_of(rows, m);
        if (p && is_live(p) && p->pgid != pgid && p->sid == m->sid) return false;
    }
    return true;
}

static bool has_stopped_members(px_ptable_rows *rows, int32_t pgid)
{
    for (uint32_t i = 0; i < rows->t->record_limit; i++) {
        const record *m = &rows->t->records[i];
        if (is_live(m) && m->pgid == pgid && m->stop_sig) return true;
    }
    return false;
}

static void note_orphaned(px_ptable_orphaned *o, int32_t pgid)
{
    for (uint32_t i = 0; i < o->count; i++)
        if (o->pgids[i] == pgid) return;
    if (o->count < PX_PTABLE_ORPHANED_MAX) o->pgids[o->count++] = pgid;
}

void px_ptable_rows_end(px_ptable_rows *rows, record *r, int32_t status, px_ptable_orphaned *orphaned)
{
    px_ptable_shared *t = rows->t;
    record *reaper = new_reaper(rows, r);
    if (orphaned) orphaned->count = 0;
    /* kill_orphaned_pgrp for r's own group: r, in another group of the session than its
       parent, may have been the group's last link outside */
    record *parent = parent_of(rows, r);
    if (orphaned && parent && is_live(parent) && parent->pgid != r->pgid && parent->sid == r->sid &&
        px_ptable_rows_group_orphaned(rows, r->pgid, r) && has_stopped_members(rows, r->pgid))
        note_orphaned(orphaned, r->pgid);
    int32_t child_groups[PX_PTABLE_ORPHANED_MAX];
    uint32_t child_group_count = 0;
    for (uint32_t i = 0; i < t->record_limit; i++) {
        record *c = &t->records[i];
        if (c->state == PX_PTABLE_FREE || c == r || c->ppid != r->pid || nobody_reaps(c)) continue;
        if (reaper) c->ppid = reaper->pid;
        else if (c->state == PX_PTABLE_ZOMBIE) px_ptable_rows_free(rows, c); /* init reaps it at once */
        else c->flags |= PX_PTABLE_ORPHAN, c->ppid = PX_PTABLE_INIT_PID; /* init's: freed at its end */
        bool counted = false;
        for (uint32_t k = 0; k < child_group_count; k++) counted |= child_groups[k] == c->pgid;
        if (is_live(c) && !counted && c->pgid != r->pgid && c->sid == r->sid &&
            child_group_count < PX_PTABLE_ORPHANED_MAX)
            child_groups[child_group_count++] = c->pgid;
    }
    /* and for each child's group, r having been its link outside (reparent_leader) */
    for (uint32_t k = 0; orphaned && k < child_group_count; k++)
        if (px_ptable_rows_group_orphaned(rows, child_groups[k], NULL) && has_stopped_members(rows, child_groups[k]))
            note_orphaned(orphaned, child_groups[k]);
    if (!parent || parent->state == PX_PTABLE_ZOMBIE) {
        px_ptable_rows_free(rows, r);
        return;
    }
    r->wait_status = status;
    r->state = PX_PTABLE_ZOMBIE;
}

bool px_ptable_rows_end_if_dead_as(px_ptable_rows *rows, record *r, int32_t wait_status)
{
    if (r->state != PX_PTABLE_STARTING && r->state != PX_PTABLE_RUNNING) return false;
    if (rows->alive(r->host_pid, r->host_time)) return false;
    record before = *r;
    px_ptable_orphaned orphaned;
    px_ptable_rows_end(rows, r, wait_status, &orphaned);
    if (rows->ended_dead) rows->ended_dead(rows, &before, wait_status, &orphaned);
    return true;
}

bool px_ptable_rows_end_if_dead(px_ptable_rows *rows, record *r)
{
    return px_ptable_rows_end_if_dead_as(rows, r, LINUX_SIGKILL); /* the wait status of a SIGKILL */
}

record *px_ptable_rows_find_live(px_ptable_rows *rows, int32_t pid)
{
    record *r = px_ptable_rows_find(rows, pid);
    if (r && px_ptable_rows_end_if_dead(rows, r)) r = px_ptable_rows_find(rows, pid);
    return r;
}

/* Linux does not hand out a pid that names a live or zombie process, or a group or a
   session still in use. */
static bool pid_in_use(px_ptable_rows *rows, int32_t pid)
{
    for (uint32_t i = 0; i < rows->t->record_limit; i++) {
        const record *r = &rows->t->records[i];
        if (r->state != PX_PTABLE_FREE && (r->pid == pid || r->pgid == pid || r->sid == pid)) return true;
    }
    return false;
}

static int32_t next_pid(px_ptable_rows *rows)
{
    int32_t pid = rows->t->last_pid;
    for (int tries = 0; tries < PX_PTABLE_PID_MAX; tries++) {
        if (++pid >= PX_PTABLE_PID_MAX) pid = PX_PTABLE_WRAP_PID;
        if (pid < PX_PTABLE_FIRST_PID) pid = PX_PTABLE_FIRST_PID;
        if (!pid_in_use(rows, pid)) {
            rows->t->last_pid = pid;
            return pid;
        }
    }
    return 0;
}

static record *free_slot(px_ptable_rows *rows)
{
    for (uint32_t i = 0; i < PX_PTABLE_CAPACITY; i++)
        if (rows->t->records[i].state == PX_PTABLE_FREE) return &rows->t->records[i];
    return NULL;
}

record *px_ptable_rows_add(px_ptable_rows *rows, const record *e)
{
    px_ptable_shared *t = rows->t;
    record *slot = free_slot(rows);
    if (!slot) { /* full: the records of processes that are gone go first */
        for (uint32_t i = 0; i < t->record_limit; i++) px_ptable_rows_end_if_dead(rows, &t->records[i]);
        slot = free_slot(rows);
    }
    int32_t pid = slot ? next_pid(rows) : 0;
    if (!pid) return NULL;
    record r = *e;
    r.state = PX_PTABLE_FREE;
    r.pid = pid;
    r.peak_rss = 0;
    if (!r.pgid) r.pgid = pid;
    if (!r.sid) r.sid = pid;
    *slot = r;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    slot->state = e->state;
    uint32_t index = (uint32_t)(slot - t->records);
    if (index >= t->record_limit) t->record_limit = index + 1;
    return slot;
}

/* In the order of Linux's sys_setpgid. */
int64_t px_ptable_rows_set_pgid(px_ptable_rows *rows, int32_t self_pid, int32_t pid, int32_t pgid)
{
    record *self = px_ptable_rows_find(rows, self_pid);
    if (!self) return -LINUX_ESRCH;
    record *p = px_ptable_rows_find_live(rows, pid);
    if (!p || p->state == PX_PTABLE_ZOMBIE) return -LINUX_ESRCH;
    if (p != self) {
        if (nobody_reaps(p) || p->ppid != self->pid) return -LINUX_ESRCH; /* neither itself nor its child */
        if (p->sid != self->sid) return -LINUX_EPERM;
        if (p->flags & PX_PTABLE_EXECED) return -LINUX_EACCES;
    }
    if (p->sid == p->pid) return -LINUX_EPERM; /* a session leader */
    if (pgid != pid) { /* joining a group: it must exist in the caller's session */
        bool found = false;
        for (uint32_t i = 0; i < rows->t->record_limit && !found; i++) {
            const record *g = &rows->t->records[i];
            found = g->state != PX_PTABLE_FREE && g->pgid == pgid && g->sid == self->sid;
        }
        if (!found) return -LINUX_EPERM;
    }
    p->pgid = pgid;
    return 0;
}

int64_t px_ptable_rows_setsid(px_ptable_rows *rows, int32_t pid)
{
    record *self = px_ptable_rows_find(rows, pid);
    if (!self || self->sid == pid) return -LINUX_EPERM; /* a session leader already */
    for (uint32_t i = 0; i < rows->t->record_limit; i++) {
        const record *g = &rows->t->records[i];
        if (g->state != PX_PTABLE_FREE && g->pgid == pid) return -LINUX_EPERM; /* a group of its id exists */
    }
    self->pgid = self->sid = pid;
    self->tty = 0; /* a new session has no controlling terminal */
    return pid;
}
