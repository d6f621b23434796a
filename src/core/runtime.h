/* Process-wide runtime state and start-up. */
#ifndef PX_CORE_RUNTIME_H
#define PX_CORE_RUNTIME_H

#include <stdint.h>

/* Installs the vectored exception handler (fault.c). */
int px_fault_init(void);
/* Ends the guest process with a Linux exit status: writes the trace summary, then
   returns to the host (px_leave_guest) on the guest thread, or exits the process. */
__attribute__((noreturn)) void px_process_exit(int status);
/* Ends the process because the guest was killed by signal sig: prints the shell's
   message ("Segmentation fault") and exits with 128 + sig. */
__attribute__((noreturn)) void px_process_killed(int sig);

#endif
