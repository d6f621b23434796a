/* The one place that turns Windows errors into Linux errno values (errors.c). */
#ifndef PX_CORE_ERRORS_H
#define PX_CORE_ERRORS_H

#include <stdint.h>

/* Returns -LINUX_Exxx for a Win32 error code (GetLastError()). */
int64_t px_err_win32(uint32_t win32_error);
/* Returns -LINUX_Exxx for an NTSTATUS. */
int64_t px_err_nt(int32_t ntstatus);
/* -LINUX_Exxx for GetLastError() now. */
int64_t px_err_last(void);
/* The errno name ("ENOENT") for a positive errno, or NULL. */
const char *px_errno_name(int64_t err);

#endif
