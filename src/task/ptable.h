/* The session's process table (ptable.c): every picolx process of the Windows session,
   with its Linux pid, parent, process group and session, exit status and what /proc
   shows of it. One named section of fixed records and a named mutex, shared by all of
   them; each process keeps its handle to the section for its whole life.

   Linux pids come from here: unique among live and zombie entries (and among the pgids
   and sids in use), not reused until reaped, one after the other up to PX_PTABLE_PID_MAX - 1
   and then round again from 300, as Linux allocates them (a new table, when no picolx
   process was left, starts at a place the clock gives). A record whose Windows process is gone
   without px_ptable_exit was killed (SIGKILL): whoever finds it ends it so.

   Without the table (it cannot be opened), the functions fail softly: register gives the
   Windows process id as before, the rest finds nothing. */
#ifndef PX_TASK_PTABLE_H
#define PX_TASK_PTABLE_H

#include <stdbool.h>
#include <stdint.h>

#define PX_PTABLE_PID_MAX 32768 /* Linux's default pid_max */
#define PX_PTABLE_EXE_MAX 256
#define PX_PTABLE_CWD_MAX 256
#define PX_PTABLE_CMDLINE_MAX 768

typedef enum px_ptable_state {
    PX_PTABLE_FREE = 0,
    PX_PTABLE_STARTING, /* fork: allocated, its Windows process not yet running it */
    PX_PTABLE_RUNNING,
    PX_PTABLE_ZOMBIE,   /* ended, kept until its parent reaps it */
} px_ptable_state;

/* Entry flags. */
#define PX_PTABLE_EXECED 1u       /* it ran execve since its fork (setpgid by the parent: EACCES) */
#define PX_PTABLE_HOST_PARENT 2u  /* its parent is no picolx process (ppid a Windows id): nobody reaps it */
#define PX_PTABLE_SUBREAPER 4u    /* PR_SET_CHILD_SUBREAPER */
#define PX_PTABLE_SIGBELL 8u      /* its doorbell runs (kernel/sigbell.c): signals to it are posted, not acted on by the sender */

/* Job-control reports a stopped or continued process leaves for its parent's wait. */
#define PX_PTABLE_REPORT_STOPPED 1u
#define PX_PTABLE_REPORT_CONTINUED 2u

/* A copy of one entry. */
typedef struct px_ptable_entry {
    px_ptable_state state;
    uint32_t flags;
    int32_t pid, ppid, pgid, sid;
    uint32_t host_pid;         /* the Windows process that runs it now */
    int64_t host_time;         /* that process's creation time (host wall clock, 100 ns) */
    int64_t start_time;        /* when the Linux process began (its fork), same clock */
    uint32_t uid, gid;         /* its ids when it began */
    int32_t wait_status;       /* a zombie's, as wait4 gives it */
    int32_t nice;              /* its nice value (-20..19): getpriority/setpriority, kept by fork and execve */
    uint64_t peak_rss;         /* a zombie's peak working set, bytes (its ru_maxrss: Wine keeps
                                  no counters of an ended process) */
    uint32_t tty;              /* its controlling terminal's device number (0: none) */
    int32_t fg_pgid;           /* a session leader's: its terminal's foreground group (0: its own) */
    uint64_t sig_caught, sig_ignored; /* its signal actions other than SIG_DFL (bit sig-1): what a
                                         sender in another process may do without it */
    int32_t stop_sig;          /* the signal that stopped it, 0 while it runs */
    uint32_t job_report;       /* PX_PTABLE_REPORT_*: not yet taken by its parent's wait */
    char comm[16];
    char exe[PX_PTABLE_EXE_MAX];
    char cwd[PX_PTABLE_CWD_MAX];
    uint32_t cmdline_len;      /* bytes of cmdline: argv, each string with its NUL (cut when too long) */
    char cmdline[PX_PTABLE_CMDLINE_MAX];
} px_ptable_entry;

/* A process not started by picolx (px_task_boot): a new pid leading its own process
   group and session, ppid the Windows parent's id. Its pid (the Windows process id
   when there is no table). */
int32_t px_ptable_register_first(int32_t host_ppid);
/* A process started by picolx for a fixed-address program (loader/spawn.c, no
   hand-over): it continues the pid of the picolx process that made it, which waits.
   The pid, or 0 when the parent is not in the table. */
int32_t px_ptable_continue_parent(int32_t host_ppid);
/* fork: a new STARTING entry, child of parent_pid, in its group and session, with its
   ids, comm, exe, cmdline and cwd (the EXECED and SUBREAPER flags cleared). Until
   px_ptable_attach, the calling Windows process stands for it. The pid or -LINUX_EAGAIN. */
int32_t px_ptable_alloc_child(int32_t parent_pid);
/* This Windows process runs pid from now on (a forked child, or an execve continued in
   a new Windows process): RUNNING, host pid and creation time this process's. */
void px_ptable_attach(int32_t pid);
/* A fork whose child never ran: the STARTING entry goes. */
void px_ptable_abandon(int32_t pid);
/* pid ended with wait_status (wait4's encoding) in this Windows process: a zombie until
   reaped, or freed when nobody can reap it (its parent is no picolx process, or gone).
   Its children go to the nearest live PR_SET_CHILD_SUBREAPER ancestor, else to the
   first process of its tree (the ancestor picolx did not start), else keep their ppid
   and are freed when they end. Nothing when another Windows process runs pid now (the
   execve's old process). to_parent (or NULL): a SIGCHLD queued for its parent in the same
   step, so no one sees the zombie before it; *parent_host_pid: the doorbell to ring (0: none).
   True: pid ended here (not before). */
/* The process groups an exit leaves orphaned with stopped members (Linux's
   kill_orphaned_pgrp): each gets SIGHUP, then SIGCONT (POSIX: a stopped job nobody in
   the session can continue any more). */
#define PX_PTABLE_ORPHANED_MAX 8
typedef struct px_ptable_orphaned {
    uint32_t count;
    int32_t pgids[PX_PTABLE_ORPHANED_MAX];
} px_ptable_orphaned;
/* ...; *orphaned (NULL: not wanted): the groups this exit orphaned that have stopped
   members. */
struct px_ptable_signal;
bool px_ptable_exit(int32_t pid, int32_t wait_status, uint64_t peak_rss, const struct px_ptable_signal *to_parent,
                    uint32_t *parent_host_pid, px_ptable_orphaned *orphaned);
/* Whether group pgid is orphaned (no member has a parent in another group of its session:
   nobody can continue it by job control): its stop signals other than SIGSTOP are
   discarded, as Linux's is_current_pgrp_orphaned. False without the table. */
bool px_ptable_group_orphaned(int32_t pgid);
/* pid's Windows process is gone (process: its handle; the caller read wait_status from
   its exit code): if its record still runs (it was ended from outside, TerminateProcess
   from Windows, or by a SIGKILL's sender), it ends as wait_status with its parent's
   SIGCHLD queued in the same step; true then, and *parent_host_pid: the doorbell to ring.
   Any other finder of such a record (px_ptable_lookup and the rest) ends it as killed by
   SIGKILL and queues the SIGCHLD too, without ringing: the parent's doorbell thread
   watches its children's processes and looks at its queue when one ends. */
bool px_ptable_end_dead(int32_t pid, int32_t wait_status, uint32_t *parent_host_pid);
/* wait4 took the zombie's status: the entry goes. */
void px_ptable_reaped(int32_t pid);

/* A copy of pid's entry (not FREE): 0, or -LINUX_ESRCH. */
int64_t px_ptable_lookup(int32_t pid, px_ptable_entry *out);
/* The entries in turn: *cursor 0 to start; false at the end. */
bool px_ptable_next(int32_t *cursor, px_ptable_entry *out);
/* Whether some entry (zombies too) is in process group pgid. */
bool px_ptable_group_exists(int32_t pgid);

/* setpgid(2) with Linux's rules, for the calling process (pid 0: itself; pgid 0: pid):
   0, or -LINUX_EINVAL, -LINUX_ESRCH, -LINUX_EPERM, -LINUX_EACCES. */
int64_t px_ptable_set_pgid(int32_t pid, int32_t pgid);
/* setsid(2) for pid (the calling process): the new sid, or -LINUX_EPERM (it leads a
   session already, or a process group of its id exists). */
int64_t px_ptable_setsid(int32_t pid);
/* execve: the new program's path, argv (cut to PX_PTABLE_CMDLINE_MAX) and name (its
   basename, cut to 15 bytes; NULL: exe's); sets EXECED. For the calling process the cwd
   is taken again too (at the launch it is set after the entry is made). */
void px_ptable_set_exec(int32_t pid, const char *exe, char *const argv[], const char *comm);
void px_ptable_set_cwd(int32_t pid, const char *cwd);
/* The foreground process group of session sid's terminal (tcgetpgrp): what the leader
   recorded, else the leader's own group (sid). */
int32_t px_ptable_foreground(int32_t sid);
/* tcsetpgrp: pgid becomes sid's foreground group. 0, or -LINUX_EPERM when no process of
   the session is in pgid (Linux's rule), -LINUX_EINVAL for pgid < 0. */
int64_t px_ptable_set_foreground(int32_t sid, int32_t pgid);
/* The calling process's signal actions as others must know them (signal.c keeps it current). */
void px_ptable_set_signals(int32_t pid, uint64_t caught, uint64_t ignored);
/* A signal posted to another process (its doorbell, kernel/sigbell.c): siginfo's fields
   that cross processes. */
typedef struct px_ptable_signal {
    int32_t signo, code, pid;
    uint32_t uid;
    int32_t tid;               /* a thread-directed signal's thread (tgkill), or 0: the process */
    int32_t pad;
    uint64_t value;            /* the 8 bytes at si_value (sigqueue's value; SIGCHLD's si_status) */
} px_ptable_signal;
#define PX_PTABLE_SIGNALS 32   /* posted and not yet taken, per process */
/* Appends s to pid's queue (a standard signal already queued is not queued again: it
   coalesces). 0 and *host_pid (the Windows process whose doorbell to ring), -LINUX_ESRCH
   (no such live process or no doorbell: *host_pid 0), -LINUX_EAGAIN (the queue is full).
   A fork's child still STARTING takes signals too: its doorbell looks at its queue first. */
int64_t px_ptable_post_signal(int32_t pid, const px_ptable_signal *s, uint32_t *host_pid);
/* Takes up to max signals posted to the calling process, oldest first: their count. */
size_t px_ptable_take_signals(px_ptable_signal *out, size_t max);
/* The calling process has a doorbell from now on (sets PX_PTABLE_SIGBELL); ring is how
   to ring another's (for signals the table itself queues). */
void px_ptable_set_sigbell(void (*ring)(uint32_t host_pid));
/* The calling process stopped by sig (0: continued): recorded, with a report for its
   parent, and to_parent (its SIGCHLD, or NULL) queued for the parent in the same step, so
   that a wait that finds the report finds the SIGCHLD pending too (Linux's
   do_notify_parent_cldstop); *parent_host_pid: the doorbell to ring (0: none). */
void px_ptable_set_job(int32_t sig, const struct px_ptable_signal *to_parent, uint32_t *parent_host_pid);
/* Takes child pid's job report that want (PX_PTABLE_REPORT_* bits) asks for (keep: leaves
   it): the wait status (0x7f | sig << 8 stopped, 0xffff continued), or 0 when none. */
int32_t px_ptable_take_job_report(int32_t pid, uint32_t want, bool keep);

/* PR_SET_NAME of the main thread: /proc/<pid>/comm (cut to 15 bytes). */
void px_ptable_set_comm(int32_t pid, const char *comm);
void px_ptable_set_subreaper(int32_t pid, bool on);
/* pid's nice value (setpriority). 0, or -LINUX_ESRCH when it has no entry. */
int64_t px_ptable_set_nice(int32_t pid, int32_t nice);

/* The pid this Windows process runs (0 before it registers or attaches), and its own
   group and session read from the table (0 when there is none). */
int32_t px_ptable_self(void);
int32_t px_ptable_self_pgid(void);
int32_t px_ptable_self_sid(void);
/* Its parent as the table has it now (re-parented when the parent ended); 0: no table. */
int32_t px_ptable_self_ppid(void);

#endif
