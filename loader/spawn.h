/* Programs linked at fixed addresses run in a child process whose ranges the parent
   reserved before the child started (spawn.c). */
#ifndef PX_LOADER_SPAWN_H
#define PX_LOADER_SPAWN_H

#include <stdbool.h>
#include "elf.h"
#include "loader.h" /* px_spawn_hook */

/* In a child started by px_spawn_reserved: adopts the reserved ranges (px_vm_adopt_reservation),
   removes the variable that listed them from the environment, and returns true. False in a
   first process. */
bool px_spawn_adopt_reservations(void);

/* True in a child started by px_spawn_reserved or px_spawn_start, until
   px_spawn_adopt_reservations: a process that continues one a parent began. */
bool px_spawn_is_child(void);
/* The same for any process that goes on with a parent's guest (that one, a fork's child,
   an execve's new process, fork's spare): the trace file is appended to, not emptied. */
bool px_spawn_continues_parent(void);

/* In the first process: starts picolx.exe again with the same command line, suspended,
   reserves info's PT_LOAD ranges and a brk area after them in it, resumes it and returns
   its exit status (or 126 with a message when it cannot). name is the program for messages. */
int px_spawn_reserved(const px_elf_info *info, const char *name);

/* px_spawn_reserved in two halves, for execve (src/kernel/exec.c). Start: the child is
   created suspended, its ranges reserved, then before_resume (if not NULL) gets its
   process handle and ctx; false from it ends the child. 0 and *process once the child
   runs, or 126 after a message (no child is left). */
int px_spawn_start(const px_elf_info *info, const char *name, px_spawn_hook before_resume, void *ctx,
                   void **process);
/* Waits for the child and returns its exit status (a Windows crash as 128 + a signal);
   closes the handle. */
int px_spawn_wait(void *process, const char *name);
/* The same, the child's exit code as it is (a forked process passes it on: a wait status). */
uint32_t px_spawn_wait_code(void *process);

#endif
