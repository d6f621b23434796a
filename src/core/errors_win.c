/* The Windows half of errors.c: the last-error lookup, and a compile-time check that
   every row of the tables carries the SDK's value for its name. */
#include <winsock2.h>
#include <windows.h>
#include <winternl.h>
#include <ntstatus.h>
#include "core/px.h"
#include "core/errors.h"

#define PX_ERR(name, value, err) _Static_assert((uint32_t)(name) == (uint32_t)(value), #name " is not " #value);
#include "core/errors_win32.inc"
#include "core/errors_nt.inc"
#include "core/errors_winsock.inc"
#undef PX_ERR

int64_t px_err_last(void) { return px_err_win32(GetLastError()); }
