/* host_sem.h on Win32. */
#include <windows.h>
#include "core/errors.h"
#include "host/host_sem.h"

px_host_handle px_host_semaphore_named(const wchar_t *name, bool *existed)
{
    HANDLE h = CreateSemaphoreW(NULL, 0, 0x7fffffff, name);
    if (existed) *existed = h && GetLastError() == ERROR_ALREADY_EXISTS;
    return h;
}

px_host_handle px_host_semaphore_open(const wchar_t *name)
{
    return OpenSemaphoreW(SEMAPHORE_MODIFY_STATE | SYNCHRONIZE, FALSE, name);
}

int64_t px_host_semaphore_release(px_host_handle sem, uint32_t count)
{
    /* a count above the maximum (stale waiters piled up) is no error worth a caller's care */
    if (ReleaseSemaphore(sem, (LONG)count, NULL) || GetLastError() == ERROR_TOO_MANY_POSTS) return 0;
    return px_err_last();
}
