/* The process's standard handles and picolx's own messages. (The console file of the
   guest, with its modes and input events, is src/fs/console.c's for now.) */
#ifndef PX_HOST_CONSOLE_H
#define PX_HOST_CONSOLE_H

#include "host/host.h"

enum { PX_HOST_STDIN, PX_HOST_STDOUT, PX_HOST_STDERR };
/* The standard handle (which: PX_HOST_STD*), or NULL when there is none. */
px_host_handle px_host_std_handle(int which);
/* Writes n bytes to the host's standard error, whatever the guest did to its fd 2. */
void px_host_stderr_write(const char *s, size_t n);

#endif
