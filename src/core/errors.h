/* The one place that turns Windows errors into Linux errno values (errors.c; the
   tables are errors_win32.inc, errors_nt.inc, errors_winsock.inc). */
#ifndef PX_CORE_ERRORS_H
#define PX_CORE_ERRORS_H

#include <stddef.h>
#include <stdint.h>

/* Returns -LINUX_Exxx for a Win32 error code (GetLastError()); never 0. */
int64_t px_err_win32(uint32_t win32_error);
/* Returns -LINUX_Exxx for an NTSTATUS; never 0. */
int64_t px_err_nt(int32_t ntstatus);
/* Returns -LINUX_Exxx for a Winsock error code (WSAGetLastError()); never 0. */
int64_t px_err_winsock(uint32_t wsa_error);
/* -LINUX_Exxx for GetLastError() now (errors_win.c). */
int64_t px_err_last(void);
/* The errno name ("ENOENT") for a positive errno, or NULL. */
const char *px_errno_name(int64_t err);

/* The tables' rows, for tests: the Windows name, its value and the Linux errno. */
typedef struct px_err_row {
    const char *name;
    uint32_t code;
    int16_t linux_errno;
} px_err_row;
extern const px_err_row px_err_win32_rows[], px_err_nt_rows[], px_err_winsock_rows[];
extern const size_t px_err_win32_count, px_err_nt_count, px_err_winsock_count;

#endif
