/* Host processes: this one (its id, times, exit) and the children picolx starts
   suspended for fixed-address programs and execve (loader/spawn.c). */
#ifndef PX_HOST_PROCESS_H
#define PX_HOST_PROCESS_H

#include "host/host.h"

uint32_t px_host_pid(void);
/* The id of the process that started this one, or 0 when unknown. */
uint32_t px_host_parent_pid(void);
/* This process, as a handle the process functions take (needs no close). */
px_host_handle px_host_self(void);
__attribute__((noreturn)) void px_host_exit(uint32_t status);

/* A process's times in 100 ns units: creation (wall clock), kernel and user CPU. */
typedef struct px_host_times { int64_t creation, exit, kernel, user; } px_host_times;
int64_t px_host_process_times(px_host_handle process, px_host_times *out);
/* Another process's CPU time as exactly as the host can tell (px_host_process_times,
   or under Wine the sum of its live threads' times); more host calls. */
int64_t px_host_process_cpu_times(px_host_handle process, px_host_times *out);
int64_t px_host_thread_times(px_host_times *out); /* the calling thread's */
int64_t px_host_thread_times_of(px_host_handle thread, px_host_times *out); /* px_host_thread_self_handle's */

/* This process's command line, as the host keeps it. */
const wchar_t *px_host_command_line(void);
/* Replaces it as Windows tools read it (the PEB's process parameters, what
   GetCommandLineW returns): in place when it fits, else in a new buffer (on Windows,
   GetCommandLineW then keeps the old one). 0 or -LINUX_ENOMEM. */
int64_t px_host_set_command_line(const wchar_t *cmdline);
/* The path of the module this code is in (libpicolx.dll) into buf (size characters):
   its length, or -LINUX_Exxx. */
int64_t px_host_module_path(wchar_t *buf, size_t size);

/* A child started suspended: nothing of it has run. */
typedef struct px_host_child { px_host_handle process, thread; uint32_t pid; } px_host_child;
/* The child ended while it started (Wine's ERROR_INTERNAL_ERROR): none of it ran. */
#define PX_HOST_SPAWN_DIED 1
/* Starts exe with cmdline suspended, with this process's environment and inheritable
   handles, and its standard handles (made inheritable) as its own. 0, PX_HOST_SPAWN_DIED,
   or -LINUX_Exxx. */
int64_t px_host_spawn_suspended(const wchar_t *exe, const wchar_t *cmdline, px_host_child *out);
/* Reserves [addr, addr+len) in the child, inaccessible. 0 or -LINUX_Exxx. */
int64_t px_host_child_reserve(px_host_child *c, uint64_t addr, uint64_t len);
/* Lets the child run; closes its thread handle. */
int64_t px_host_child_resume(px_host_child *c);
/* Ends the child (before or after it runs) and closes its handles. */
void px_host_child_kill(px_host_child *c, uint32_t status);
/* Ends the child when this process ends, however it ends. */
void px_host_tie_to_self(px_host_handle process);
/* Lets Ctrl-C go by this process (the child on the same console gets it). */
void px_host_ignore_ctrl_c(void);
/* fn runs (on a thread of its own) for Ctrl-C, Ctrl-Break and the console's closing,
   instead of the process ending. */
enum { PX_HOST_CONSOLE_INTERRUPT, PX_HOST_CONSOLE_BREAK, PX_HOST_CONSOLE_CLOSE };
void px_host_on_console_event(void (*fn)(int kind));
/* Another process, for waiting on its end and reading its times: NULL when it is gone. */
px_host_handle px_host_process_open(uint32_t pid);
/* Windows process pid's priority class for a Linux nice value (-20..19): HIGH below -10,
   ABOVE_NORMAL below 0, NORMAL at 0, BELOW_NORMAL up to 9, IDLE from 10 (REALTIME is never
   used). Best effort: 0, or -LINUX_Exxx when the host refused. */
int64_t px_host_process_set_nice(uint32_t pid, int32_t nice);
/* The exit status of an ended process. */
int64_t px_host_process_exit_code(px_host_handle process, uint32_t *code);
/* The Linux signal a host crash status stands for (an access violation: SIGSEGV; any
   other status past 255: SIGKILL), or 0 for an ordinary exit status. */
int px_host_crash_signal(uint32_t code);

/* fork: copies len bytes at addr of another process (a handle with read access to its
   memory) to `to` in this one. 0 or -LINUX_Exxx (-LINUX_EFAULT: part of it unreadable). */
int64_t px_host_process_read(px_host_handle process, uint64_t addr, void *to, size_t len);
/* The other way (a vfork child's writes into its parent). */
int64_t px_host_process_write(px_host_handle process, uint64_t addr, const void *from, size_t len);
/* Another process, to end it (px_host_process_terminate): NULL when it is gone or may not be. */
px_host_handle px_host_process_open_to_end(uint32_t pid);
/* Ends another process with exit code code. 0 or -LINUX_Exxx. */
int64_t px_host_process_terminate(px_host_handle process, uint32_t code);

/* Whether children started later inherit h. */
int64_t px_host_handle_inherit(px_host_handle h, bool inherit);
/* A copy of h (of this process) in process `to` (px_host_self(): this one), same access:
   0 and *out (a value meaningful in `to`), or -LINUX_Exxx. */
int64_t px_host_handle_dup(px_host_handle h, px_host_handle to, bool inheritable, px_host_handle *out);
/* Another process whose handles this one may copy in and out (px_host_handle_dup,
   px_host_handle_take): NULL when it is gone or may not be. */
px_host_handle px_host_process_open_for_handles(uint32_t pid);
/* Handle `remote` of process `from` moved into this one (closed there): 0 and *out. */
int64_t px_host_handle_take(px_host_handle from, uint64_t remote, px_host_handle *out);
/* Closes handle `remote` of process `from`. */
void px_host_handle_close_in(px_host_handle from, uint64_t remote);

#endif
