/* /proc/<pid>/ of the other picolx processes (proc_pids.c). The process table lives in
   the tasks layer (src/task/ptable.c), above the VFS: it hands /proc its entries through
   a source it registers when it opens, so that no file here calls upward. */
#ifndef PX_FS_PSEUDO_PROC_PIDS_H
#define PX_FS_PSEUDO_PROC_PIDS_H

#include <stdbool.h>
#include <stdint.h>
#include "fs/vfs.h"

/* What /proc shows of one process. */
typedef struct px_proc_pid_info {
    int32_t pid, ppid, pgid, sid;
    bool zombie;
    bool stopped;          /* by a stop signal (job control) */
    uint32_t uid, gid;
    uint32_t tty;          /* the controlling terminal's device number, 0: none */
    uint32_t host_pid;     /* the Windows process that runs it (0: a zombie) */
    int64_t host_time;     /* its creation time (host wall clock, 100 ns units) */
    int64_t start_time;    /* when the Linux process began, same clock */
    char comm[16];
    char exe[256];
    char cwd[256];
    uint32_t cmdline_len;
    char cmdline[768];
} px_proc_pid_info;

typedef struct px_proc_pid_source {
    bool (*lookup)(int32_t pid, px_proc_pid_info *out);
    /* *cursor 0 first; false at the end */
    bool (*next)(int32_t *cursor, px_proc_pid_info *out);
    int32_t (*self)(void); /* the calling process's pid (0: not in the table) */
} px_proc_pid_source;

/* The calling process's pid and parent as the source knows them (without one: the host
   process id and 0), for /proc/self. */
int32_t px_proc_self_pid(void);
int32_t px_proc_self_ppid(void);

/* The threads of the calling process (the tasks layer registers itself at its first
   thread; before, the process has one thread, tid = pid): list gives the tids, the
   first thread's first, up to cap (how many there are); comm a thread's name (false:
   no such thread, or none set). */
typedef struct px_proc_thread_source {
    size_t (*list)(int32_t *tids, size_t cap);
    bool (*comm)(int32_t tid, char out[16]);
} px_proc_thread_source;
void px_proc_set_thread_source(const px_proc_thread_source *s);

/* What /proc/<pid>/status says of a thread's signals (SigPnd, ShdPnd, SigBlk, SigIgn,
   SigCgt: bit sig-1) and NoNewPrivs, as the signal layer tells it (px_proc_set_signal_source:
   false when tid is no thread of this process). */
typedef struct px_proc_signals {
    uint64_t pending, shared_pending, blocked, ignored, caught;
    int no_new_privs;
} px_proc_signals;
typedef bool px_proc_signal_source(int32_t tid, px_proc_signals *out);
void px_proc_set_signal_source(px_proc_signal_source *s);

/* The process table registers itself (once, when it opens). */
void px_proc_pids_set_source(const px_proc_pid_source *s);

/* --- proc.c's hooks --- */

/* Whether rel ("<pid>" or "<pid>/...") names the directory of a process other than self
   (which is proc.c's); the operations below then answer, ENOENT when there is none. */
bool px_proc_pids_owns(const char *rel, int32_t self);
/* The fs operations for such a path. */
int64_t px_proc_pids_stat(px_mount *m, const char *rel, px_stat_info *st);
int64_t px_proc_pids_open(px_mount *m, const char *rel, uint32_t flags, px_file **out);
int64_t px_proc_pids_readlink(px_mount *m, const char *rel, char *buf, uint64_t size);
/* Adds the directories of every process (self among them) to /proc's listing, by pid. */
struct px_pseudo_listing;
void px_proc_pids_list(px_mount *m, struct px_pseudo_listing *l, int32_t self);

#endif
