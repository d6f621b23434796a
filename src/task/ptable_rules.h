/* The process table's rules (ptable_rules.c), apart from where the table lives: pid
   allocation, exit with re-parenting and zombies, the dead-process check, setpgid and
   setsid. ptable.c runs them on the shared section with its mutex held; the native unit
   test (tests/unit/ptable_test.c) on a table in its own memory, with a fake liveness. */
#ifndef PX_TASK_PTABLE_RULES_H
#define PX_TASK_PTABLE_RULES_H

#include <stdbool.h>
#include <stdint.h>
#include "task/ptable.h"

#define PX_PTABLE_CAPACITY 4096
#define PX_PTABLE_FIRST_PID 2   /* 1 is init's, which no picolx process is */
#define PX_PTABLE_WRAP_PID 300  /* Linux's RESERVED_PIDS: after pid_max, allocation starts again here */
/* A record's flag beyond ptable.h's: its parent ended with no subreaper above it, so it
   is init's (ppid PX_PTABLE_INIT_PID), which reaps it at its end: nobody waits for it. */
#define PX_PTABLE_ORPHAN 0x100u
#define PX_PTABLE_INIT_PID 1    /* an orphan's parent: Linux's init, which no picolx process is */

/* The shared section's layout. */
typedef struct px_ptable_shared {
    uint64_t magic;
    uint32_t capacity;
    volatile uint32_t record_limit; /* records at and above it are free */
    int32_t last_pid;               /* the last pid handed out */
    uint32_t reserved[9];
    px_ptable_entry records[PX_PTABLE_CAPACITY];
    /* signals posted to records[i]'s process (ptable.h's px_ptable_post_signal); pid says
       whose they are (a record reused by another pid starts an empty queue) */
    struct px_ptable_queue {
        int32_t pid;
        uint32_t count;
        px_ptable_signal q[PX_PTABLE_SIGNALS];
    } queues[PX_PTABLE_CAPACITY];
} px_ptable_shared;

/* Whether the Windows process (id, creation time) still runs. */
typedef bool px_ptable_alive_fn(uint32_t host_pid, int64_t host_time);

/* Told when a record whose Windows process is gone was ended (it was as it is in
   before, now it ended as wait_status; *orphaned: the groups its end orphaned with
   stopped members): its parent's SIGCHLD and those groups' SIGHUP and SIGCONT are
   queued there, in the same step, as an ordinary exit does. NULL: nothing. */
struct px_ptable_rows;
typedef void px_ptable_ended_dead_fn(struct px_ptable_rows *rows, const px_ptable_entry *before, int32_t wait_status,
                                     const px_ptable_orphaned *orphaned);

typedef struct px_ptable_rows {
    px_ptable_shared *t;
    px_ptable_alive_fn *alive;
    px_ptable_ended_dead_fn *ended_dead;
} px_ptable_rows;

/* After a holder died mid-change: records with a state or pid out of range go, the limit
   is found again. */
void px_ptable_rows_repair(px_ptable_rows *rows);
/* The record of pid (any state but FREE), or NULL. */
px_ptable_entry *px_ptable_rows_find(px_ptable_rows *rows, int32_t pid);
/* The same after ending it when its Windows process is gone. */
px_ptable_entry *px_ptable_rows_find_live(px_ptable_rows *rows, int32_t pid);
/* A record of e's contents (state as given; pgid and sid 0: the new pid) with a new pid,
   written whole before its state is set; NULL when the table or the pids are full. */
px_ptable_entry *px_ptable_rows_add(px_ptable_rows *rows, const px_ptable_entry *e);
void px_ptable_rows_free(px_ptable_rows *rows, px_ptable_entry *r);
/* r ends with status: children handed on, r a zombie or freed (ptable.h's px_ptable_exit);
   *orphaned (or NULL): the groups the exit orphaned with stopped members. */
void px_ptable_rows_end(px_ptable_rows *rows, px_ptable_entry *r, int32_t status, px_ptable_orphaned *orphaned);
/* Linux's will_become_orphaned_pgrp: no live member of pgid but ignored (or NULL) has a
   parent in the table in another group of the same session. */
bool px_ptable_rows_group_orphaned(px_ptable_rows *rows, int32_t pgid, const px_ptable_entry *ignored);
/* A STARTING or RUNNING record whose Windows process is gone ends as killed (SIGKILL);
   true when that happened. _as: with the wait status the caller knows (its exit code). */
bool px_ptable_rows_end_if_dead(px_ptable_rows *rows, px_ptable_entry *r);
bool px_ptable_rows_end_if_dead_as(px_ptable_rows *rows, px_ptable_entry *r, int32_t wait_status);
/* setpgid(pid, pgid) by the process self_pid (pid and pgid 0 already replaced, pgid >= 0). */
int64_t px_ptable_rows_set_pgid(px_ptable_rows *rows, int32_t self_pid, int32_t pid, int32_t pgid);
/* setsid() by pid: the new sid or -LINUX_EPERM. */
int64_t px_ptable_rows_setsid(px_ptable_rows *rows, int32_t pid);

#endif
