/* The ELF64 loader: validates a Linux program, maps it, builds its initial stack, starts it. */
#ifndef PX_LOADER_H
#define PX_LOADER_H

#include <stdbool.h>
#include <stdint.h>

typedef struct px_launch {
    int argc;
    const char *const *argv;      /* argv[0]: the program's path in the guest */
    const char *const *extra_env; /* --env K=V, NULL-terminated, or NULL */
} px_launch;

/* Runs the program described by l (the runtime is initialised, px_cfg filled) and
   returns the guest's exit status: 126 when it is not a runnable ELF, 127 when it
   does not exist, each with a one-line message naming the file and the problem.
   Programs linked at fixed addresses that a running Wine process already uses run
   in a child process whose address ranges are reserved before it starts. */
int px_loader_run(const px_launch *l);

/* execve(2) in the running process: a program read and validated, not mapped yet. */
typedef struct px_exec_program px_exec_program;

/* Reads and validates path (relative to the cwd; a #! script: its interpreter, one
   level) with argv and envp (runtime copies, kept until the program starts), checks
   its ELF interpreter exists and whether a fixed-address program's range is usable
   here. Changes nothing: 0 and *out, or -LINUX_Exxx as execve returns it (ENOENT,
   EACCES, ENOEXEC, E2BIG, ENOMEM). */
int64_t px_loader_exec_prepare(const char *path, const char *const *argv, const char *const *envp,
                               px_exec_program **out);
/* True when the program's fixed range is Windows' here: it must run in a new process. */
bool px_loader_exec_needs_process(const px_exec_program *e);
/* Starts that process (loader/spawn.h's px_spawn_start: suspended, ranges reserved,
   before_resume, resumed): 0 and *process, or 126 after a message. */
typedef bool (*px_spawn_hook)(void *process, void *ctx);
int px_loader_exec_spawn(px_exec_program *e, px_spawn_hook before_resume, void *ctx, void **process);
/* Waits for it: its exit status (px_spawn_wait). */
int px_loader_exec_wait(px_exec_program *e, void *process);
/* The same, the exit code untouched (px_spawn_wait_code). */
uint32_t px_loader_exec_wait_code(void *process);
/* In that new process, from px_loader_run: the execve continues (src/kernel/exec.c)
   with the state handed over (fd_handoff.h; freed here). Returns the exit status. */
struct px_handoff;
int px_exec_continue(struct px_handoff *h);
/* fork (src/kernel/fork.c): picolx.exe again with this process's command line, suspended,
   nothing of it run (px_host_spawn_suspended's results: 0, PX_HOST_SPAWN_DIED or
   -LINUX_Exxx). */
struct px_host_child;
#include "mm/mm_fork.h"
int64_t px_loader_start_copy(struct px_host_child *child);
/* execve: names the program this process runs now (path as execve got it, argv) in its
   Windows command line and in the command lines of the children it starts from now on
   (spawn.c); a spare started for the old program is ended. */
void px_spawn_set_program(const char *path, const char *const *argv);
/* Held by whoever sets an environment variable for a child it creates and clears it
   after (fork, execve into a new process, the spare below), so that no child gets a
   variable meant for another. */
void px_spawn_env_lock(void);
void px_spawn_env_unlock(void);
/* fork's spare process (spawn.c): started in the background after a fork, running and
   waiting, so that the next fork need not create and start a process. */
void px_spawn_spare_prepare(void);
#define PX_SPARE_FIXED_MAX 8
typedef struct px_spawn_spare {
    void *go, *mailbox_section;
    struct spare_mailbox *mailbox;
    struct px_mm_range fixed[PX_SPARE_FIXED_MAX]; /* reserved in it before it ran (px_mm_fork_fixed_ranges) */
    size_t n_fixed;
} px_spawn_spare;
/* The ready spare (false: none): *child (running; its thread handle closed) and *s are
   the caller's: px_spawn_spare_go hands it a blob section (a handle value in it),
   px_spawn_spare_close gives up (then end the child). */
bool px_spawn_spare_take(struct px_host_child *child, px_spawn_spare *s);
void px_spawn_spare_go(px_spawn_spare *s, uint64_t handoff_section);
void px_spawn_spare_close(px_spawn_spare *s);
/* Ends a ready spare (this process will fork no more from this runtime: execve elsewhere). */
void px_spawn_spare_discard(void);
/* At the process's exit: waits for a spare still being made, then ends it. */
void px_spawn_spare_end(void);
/* In a spare: whether this process is one, and its wait for a fork's blob: the blob's
   section handle (the process ends quietly if its parent ends first). */
bool px_spawn_is_spare(void);
void *px_spawn_spare_wait(void);
/* In that process, from px_loader_run: whether the state handed over is a fork's, and
   the fork's child going on from there (freed here). Returns the exit status. */
bool px_fork_is_handoff(const struct px_handoff *h);
int px_fork_continue(struct px_handoff *h);
/* Once the old program's memory is gone: maps the program, its interpreter, the stack
   and the vDSO, sets the exe path (px_vm_set_exe_path) and gives the entry point and initial rsp.
   0, or a status after a message (the process cannot go on). */
int px_loader_exec_start(px_exec_program *e, uint64_t *entry, uint64_t *rsp);
/* Frees what px_loader_exec_prepare made (not the caller's argv and envp). */
void px_loader_exec_free(px_exec_program *e);

#endif
