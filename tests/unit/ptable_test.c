/* The process table's rules (src/task/ptable_rules.c) on a table in this test's memory,
   with a fake answer to "does this Windows process still run": pid allocation, exit,
   zombies and re-parenting, the dead-process check, setpgid and setsid as Linux orders
   their errors. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include "core/px.h"
#include "task/ptable_rules.h"

static uint32_t dead_host; /* the one Windows process id that is gone (0: none) */
static bool fake_alive(uint32_t host_pid, int64_t host_time) { return host_pid != dead_host; }

static px_ptable_shared *shared;
static px_ptable_rows rows;

static void setup(void)
{
    shared = calloc(1, sizeof *shared);
    cr_assert(shared);
    shared->capacity = PX_PTABLE_CAPACITY;
    shared->last_pid = PX_PTABLE_FIRST_PID - 1;
    rows = (px_ptable_rows){.t = shared, .alive = fake_alive};
    dead_host = 0;
}

static void teardown(void) { free(shared); }

TestSuite(ptable, .init = setup, .fini = teardown);

/* A process picolx did not start: its own group and session, nobody reaps it. */
static px_ptable_entry *first(uint32_t host)
{
    px_ptable_entry e = {.state = PX_PTABLE_RUNNING, .flags = PX_PTABLE_HOST_PARENT, .ppid = 77, .host_pid = host};
    px_ptable_entry *r = px_ptable_rows_add(&rows, &e);
    cr_assert(r);
    return r;
}

/* A forked child of parent, in its group and session (as px_ptable_alloc_child). */
static px_ptable_entry *child(const px_ptable_entry *parent, uint32_t host)
{
    px_ptable_entry e = {.state = PX_PTABLE_RUNNING, .ppid = parent->pid, .pgid = parent->pgid, .sid = parent->sid,
                         .host_pid = host};
    px_ptable_entry *r = px_ptable_rows_add(&rows, &e);
    cr_assert(r);
    return r;
}

static px_ptable_entry *find(int32_t pid) { return px_ptable_rows_find(&rows, pid); }

Test(ptable, pids_go_up_and_skip_what_is_in_use)
{
    px_ptable_entry *a = first(100);
    cr_expect_eq(a->pid, 2);
    cr_expect_eq(a->pgid, 2);
    cr_expect_eq(a->sid, 2);
    px_ptable_entry *b = child(a, 101);
    cr_expect_eq(b->pid, 3);
    /* a group id in use is no free pid, even when its leader is gone */
    b->pgid = 4;
    px_ptable_entry *c = child(a, 102);
    cr_expect_eq(c->pid, 5);
    /* a freed pid comes back only after the others, never 0 or 1 */
    px_ptable_rows_free(&rows, c);
    cr_expect_eq(child(a, 103)->pid, 6);
}

Test(ptable, pids_wrap_to_300_after_pid_max)
{
    px_ptable_entry *a = first(100);
    shared->last_pid = PX_PTABLE_PID_MAX - 2;
    cr_expect_eq(child(a, 101)->pid, PX_PTABLE_PID_MAX - 1);
    px_ptable_entry *w = child(a, 102);
    cr_expect_eq(w->pid, 300);
    shared->last_pid = PX_PTABLE_PID_MAX - 1;
    cr_expect_eq(child(a, 103)->pid, 301); /* 300 is taken */
}

Test(ptable, a_full_table_drops_the_dead_first)
{
    px_ptable_entry *a = first(100);
    for (int i = 1; i < PX_PTABLE_CAPACITY; i++) child(a, 1000);
    px_ptable_entry e = {.state = PX_PTABLE_RUNNING, .flags = PX_PTABLE_HOST_PARENT, .host_pid = 5};
    cr_expect_null(px_ptable_rows_add(&rows, &e));
    dead_host = 1000; /* every child's process is gone: zombies for a, which lives */
    cr_expect_null(px_ptable_rows_add(&rows, &e));
    for (uint32_t i = 0; i < shared->record_limit; i++)
        if (shared->records[i].state == PX_PTABLE_ZOMBIE) px_ptable_rows_free(&rows, &shared->records[i]);
    cr_expect_not_null(px_ptable_rows_add(&rows, &e));
}

Test(ptable, nobody_reaps_a_first_process)
{
    px_ptable_entry *a = first(100);
    int32_t pid = a->pid;
    px_ptable_rows_end(&rows, a, 0, NULL);
    cr_expect_null(find(pid));
    cr_expect_eq(shared->record_limit, 0);
}

Test(ptable, a_child_is_a_zombie_until_reaped)
{
    px_ptable_entry *a = first(100);
    px_ptable_entry *c = child(a, 101);
    int32_t pid = c->pid;
    px_ptable_rows_end(&rows, c, 3 << 8, NULL);
    cr_expect_eq(c->state, PX_PTABLE_ZOMBIE);
    cr_expect_eq(c->wait_status, 3 << 8);
    cr_expect_neq(child(a, 102)->pid, pid); /* not reused while a zombie */
    px_ptable_rows_free(&rows, c);           /* reaped */
    cr_expect_null(find(pid));
}

Test(ptable, orphans_without_a_subreaper_go_to_init)
{
    px_ptable_entry *root = first(100);
    px_ptable_entry *a = child(root, 101);
    px_ptable_entry *b = child(a, 102);
    px_ptable_entry *z = child(a, 103);
    int32_t z_pid = z->pid;
    px_ptable_rows_end(&rows, z, 0, NULL); /* a zombie child of a */
    px_ptable_rows_end(&rows, a, 0, NULL);
    cr_expect_eq(b->ppid, PX_PTABLE_INIT_PID, "the first process of the tree is no subreaper");
    cr_expect(b->flags & PX_PTABLE_ORPHAN);
    cr_expect_null(find(z_pid), "init reaps the zombie at once");
    cr_expect_eq(a->state, PX_PTABLE_ZOMBIE); /* root reaps a */
    int32_t b_pid = b->pid;
    px_ptable_rows_end(&rows, b, 0, NULL);
    cr_expect_null(find(b_pid), "and init reaps the orphan at its end");
}

Test(ptable, a_first_process_that_is_a_subreaper_takes_its_trees_orphans)
{
    px_ptable_entry *root = first(100);
    root->flags |= PX_PTABLE_SUBREAPER;
    px_ptable_entry *a = child(root, 101);
    px_ptable_entry *b = child(a, 102);
    px_ptable_rows_end(&rows, a, 0, NULL);
    cr_expect_eq(b->ppid, root->pid);
}

Test(ptable, orphans_go_to_the_nearest_live_subreaper)
{
    px_ptable_entry *root = first(100);
    px_ptable_entry *s = child(root, 101);
    s->flags |= PX_PTABLE_SUBREAPER;
    px_ptable_entry *a = child(s, 102);
    px_ptable_entry *a2 = child(a, 103);
    px_ptable_entry *b = child(a2, 104);
    px_ptable_rows_end(&rows, a2, 0, NULL);
    cr_expect_eq(b->ppid, s->pid);
    /* a subreaper that has ended takes none */
    px_ptable_entry *c = child(a, 105);
    px_ptable_entry *d = child(c, 106);
    px_ptable_rows_end(&rows, s, 0, NULL);
    cr_expect_eq(a->ppid, PX_PTABLE_INIT_PID);
    px_ptable_rows_end(&rows, c, 0, NULL);
    cr_expect_eq(d->ppid, PX_PTABLE_INIT_PID, "a, init's now, is no subreaper either");
}

Test(ptable, without_a_reaper_zombies_go_and_the_living_are_freed_at_their_end)
{
    px_ptable_entry *root = first(100);
    px_ptable_entry *c = child(root, 101);
    px_ptable_entry *z = child(root, 102);
    int32_t root_pid = root->pid, c_pid = c->pid, z_pid = z->pid;
    px_ptable_rows_end(&rows, z, 0, NULL);
    px_ptable_rows_end(&rows, root, 0, NULL);
    cr_expect_null(find(root_pid));
    cr_expect_null(find(z_pid));
    cr_expect_eq(c->ppid, PX_PTABLE_INIT_PID); /* init's */
    cr_expect(c->flags & PX_PTABLE_ORPHAN);
    px_ptable_rows_end(&rows, c, 0, NULL);
    cr_expect_null(find(c_pid));
}

Test(ptable, a_process_gone_without_an_exit_was_killed)
{
    px_ptable_entry *root = first(100);
    px_ptable_entry *c = child(root, 101);
    int32_t pid = c->pid;
    cr_expect_eq(px_ptable_rows_find_live(&rows, pid), c);
    dead_host = 101;
    px_ptable_entry *found = px_ptable_rows_find_live(&rows, pid);
    cr_assert_eq(found, c);
    cr_expect_eq(c->state, PX_PTABLE_ZOMBIE);
    cr_expect_eq(c->wait_status, LINUX_SIGKILL);
    /* a first process that is gone simply goes */
    dead_host = 100;
    int32_t root_pid = root->pid;
    cr_expect_null(px_ptable_rows_find_live(&rows, root_pid));
    cr_expect_null(find(pid)); /* its zombie child had nobody left to reap it */
}

Test(ptable, setpgid_follows_linux)
{
    px_ptable_entry *root = first(100);
    px_ptable_entry *c = child(root, 101);
    px_ptable_entry *other = first(200);
    cr_expect_eq(px_ptable_rows_set_pgid(&rows, root->pid, root->pid, root->pid), -LINUX_EPERM); /* a session leader */
    cr_expect_eq(px_ptable_rows_set_pgid(&rows, root->pid, other->pid, other->pid), -LINUX_ESRCH); /* not a child */
    cr_expect_eq(px_ptable_rows_set_pgid(&rows, root->pid, 9999, 9999), -LINUX_ESRCH);
    cr_expect_eq(px_ptable_rows_set_pgid(&rows, root->pid, c->pid, c->pid), 0); /* a group of its own */
    cr_expect_eq(c->pgid, c->pid);
    cr_expect_eq(px_ptable_rows_set_pgid(&rows, root->pid, c->pid, root->pid), 0); /* back into the parent's */
    cr_expect_eq(c->pgid, root->pid);
    cr_expect_eq(px_ptable_rows_set_pgid(&rows, root->pid, c->pid, other->pid), -LINUX_EPERM); /* another session's */
    cr_expect_eq(px_ptable_rows_set_pgid(&rows, root->pid, c->pid, 4242), -LINUX_EPERM);       /* no such group */
    cr_expect_eq(px_ptable_rows_set_pgid(&rows, c->pid, c->pid, c->pid), 0); /* the child itself */
    c->flags |= PX_PTABLE_EXECED;
    cr_expect_eq(px_ptable_rows_set_pgid(&rows, root->pid, c->pid, root->pid), -LINUX_EACCES);
    cr_expect_eq(px_ptable_rows_set_pgid(&rows, c->pid, c->pid, root->pid), 0); /* itself, though exec'd */
    px_ptable_entry *d = child(root, 102);
    cr_expect_eq(px_ptable_rows_setsid(&rows, d->pid), d->pid);
    cr_expect_eq(px_ptable_rows_set_pgid(&rows, root->pid, d->pid, d->pid), -LINUX_EPERM); /* another session */
    px_ptable_entry *z = child(root, 103);
    px_ptable_rows_end(&rows, z, 0, NULL);
    cr_expect_eq(px_ptable_rows_set_pgid(&rows, root->pid, z->pid, z->pid), -LINUX_ESRCH); /* a zombie */
}

Test(ptable, setsid_follows_linux)
{
    px_ptable_entry *root = first(100);
    cr_expect_eq(px_ptable_rows_setsid(&rows, root->pid), -LINUX_EPERM); /* leads one */
    px_ptable_entry *c = child(root, 101);
    c->tty = 34816;
    cr_expect_eq(px_ptable_rows_setsid(&rows, c->pid), c->pid);
    cr_expect_eq(c->sid, c->pid);
    cr_expect_eq(c->pgid, c->pid);
    cr_expect_eq(c->tty, 0);
    cr_expect_eq(px_ptable_rows_setsid(&rows, c->pid), -LINUX_EPERM);
    /* a group leader cannot: its group would be in two sessions */
    px_ptable_entry *g = child(root, 102);
    cr_expect_eq(px_ptable_rows_set_pgid(&rows, root->pid, g->pid, g->pid), 0);
    cr_expect_eq(px_ptable_rows_setsid(&rows, g->pid), -LINUX_EPERM);
}

Test(ptable, repair_drops_half_written_records)
{
    px_ptable_entry *a = first(100);
    px_ptable_entry *b = child(a, 101);
    shared->records[7].state = 9;           /* not a state */
    shared->records[9].state = PX_PTABLE_RUNNING;
    shared->records[9].pid = 1;             /* not a pid we hand out */
    shared->records[5].state = PX_PTABLE_RUNNING;
    shared->records[5].pid = 4000;          /* a valid record beyond the limit */
    shared->record_limit = 1;
    px_ptable_rows_repair(&rows);
    cr_expect_eq(shared->records[7].state, PX_PTABLE_FREE);
    cr_expect_eq(shared->records[9].state, PX_PTABLE_FREE);
    cr_expect_eq(shared->record_limit, 6);
    cr_expect_eq(find(b->pid), b);
    cr_expect_not_null(find(4000));
}

/* Orphaned process groups (Linux's kill_orphaned_pgrp, will_become_orphaned_pgrp). The
   tree: root (its own session) forks s, which leads a session of its own and forks b
   and c; b leads a group of its own (a job of s's session), c stays in s's group. */
typedef struct job_tree {
    px_ptable_entry *root, *s, *b, *c;
} job_tree;

static job_tree job_tree_new(void)
{
    job_tree j;
    j.root = first(100);
    j.root->flags |= PX_PTABLE_SUBREAPER; /* orphans come back to it, in another session */
    j.s = child(j.root, 101);
    cr_assert_eq(px_ptable_rows_setsid(&rows, j.s->pid), j.s->pid);
    j.b = child(j.s, 102);
    cr_assert_eq(px_ptable_rows_set_pgid(&rows, j.b->pid, j.b->pid, j.b->pid), 0);
    j.c = child(j.s, 103);
    return j;
}

Test(ptable, a_group_is_orphaned_once_no_member_has_a_parent_in_another_group_of_its_session)
{
    job_tree j = job_tree_new();
    cr_expect_not(px_ptable_rows_group_orphaned(&rows, j.b->pgid, NULL), "b's parent s is in s's session, another group");
    cr_expect(px_ptable_rows_group_orphaned(&rows, j.b->pgid, j.b), "without b, nobody holds b's group");
    /* s's group: s's parent is in another session, c's parent (s) in the same group */
    cr_expect(px_ptable_rows_group_orphaned(&rows, j.s->pgid, NULL));
}

Test(ptable, an_exit_that_orphans_a_stopped_group_names_it)
{
    job_tree j = job_tree_new();
    j.b->stop_sig = LINUX_SIGTSTP;
    int32_t b_group = j.b->pgid;
    px_ptable_orphaned o = {.count = 99};
    px_ptable_rows_end(&rows, j.s, 0, &o);
    cr_expect_eq(find(j.b->pid)->ppid, j.root->pid, "b goes to the subreaper");
    cr_expect_eq(o.count, 1);
    cr_expect_eq(o.pgids[0], b_group);
}

Test(ptable, an_exit_that_orphans_a_running_group_names_none)
{
    job_tree j = job_tree_new();
    px_ptable_orphaned o = {.count = 99};
    px_ptable_rows_end(&rows, j.s, 0, &o);
    cr_expect_eq(o.count, 0, "no member stopped: nothing to hang up");
}

Test(ptable, a_group_held_by_another_member_is_not_orphaned)
{
    job_tree j = job_tree_new();
    j.b->stop_sig = LINUX_SIGSTOP;
    /* d: another child of s in b's group, whose parent (s) stays */
    px_ptable_entry *d = child(j.s, 104);
    cr_assert_eq(px_ptable_rows_set_pgid(&rows, j.s->pid, d->pid, j.b->pgid), 0);
    px_ptable_orphaned o = {.count = 99};
    px_ptable_rows_end(&rows, j.b, 0, &o); /* b ends: d still links the group to s's */
    cr_expect_eq(o.count, 0);
    cr_expect_not(px_ptable_rows_group_orphaned(&rows, d->pgid, NULL));
}

Test(ptable, the_leaving_member_was_its_groups_last_link)
{
    job_tree j = job_tree_new();
    /* e: b's child in b's group, stopped; b ends: e goes to the subreaper in another session */
    px_ptable_entry *e = child(j.b, 105);
    e->stop_sig = LINUX_SIGTTIN;
    px_ptable_orphaned o = {.count = 99};
    px_ptable_rows_end(&rows, j.b, 0, &o);
    cr_expect_eq(o.count, 1);
    cr_expect_eq(o.pgids[0], e->pgid);
}
