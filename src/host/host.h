/* The host layer: the only code that calls Win32 and NT (the .c files of src/host). The Linux layers
   see these headers alone, host-neutral: handles are px_host_handle, errors -LINUX_Exxx
   (core/errors.h turns the host's codes into them), times in the host's 100 ns units.
   Under the interface today: Win32. Later: the kernel helper, and a fake for native unit
   tests of the VFS, the fd table and the signal bookkeeping.

   One header per group: host_sync.h (locks, once, events, waits), host_thread.h,
   host_process.h, host_mem.h, host_time.h, host_file.h, host_env.h, host_console.h,
   host_identity.h, host_random.h, host_utf.h. */
#ifndef PX_HOST_H
#define PX_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

/* A host object (a Windows HANDLE today); NULL: none. */
typedef void *px_host_handle;

/* A timeout that never ends, in the host waits' milliseconds. */
#define PX_HOST_FOREVER UINT32_MAX

/* Host paths are the host's own wide strings (UTF-16 on Windows), NUL-terminated. */

/* Closes a handle any host function returned; NULL is ignored. 0 or -LINUX_Exxx. */
int64_t px_host_close(px_host_handle h);

#endif
