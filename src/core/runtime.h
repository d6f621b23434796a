/* Process-wide runtime state and start-up. */
#ifndef PX_CORE_RUNTIME_H
#define PX_CORE_RUNTIME_H

#include <stdint.h>

/* Installs the vectored exception handler (fault.c). */
int px_fault_init(void);
/* Ends the guest process with a Linux exit status: writes the trace summary, then
   returns to the host (px_leave_guest) on the guest thread, or exits the process. */
__attribute__((noreturn)) void px_process_exit(int status);
/* The same with a whole exit code (a fork child passing on the code of an execve's new
   process: a wait status, task/process.h). */
__attribute__((noreturn)) void px_process_exit_code(uint32_t code);
/* A vfork child at execve or exit: lets its parent go on (once). */
void px_process_vfork_release(void);
/* Ends the process because the guest was killed by signal sig: prints the shell's
   message ("Segmentation fault") and exits with 128 + sig. */
__attribute__((noreturn)) void px_process_killed(int sig);

#endif
