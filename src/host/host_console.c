/* host_console.h on Win32. */
#include <windows.h>
#include "host/host_console.h"

px_host_handle px_host_std_handle(int which)
{
    static const DWORD ids[] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
    if (which < PX_HOST_STDIN || which > PX_HOST_STDERR) return NULL;
    HANDLE h = GetStdHandle(ids[which]);
    return h == INVALID_HANDLE_VALUE ? NULL : h;
}

void px_host_stderr_write(const char *s, size_t n)
{
    DWORD done;
    WriteFile(GetStdHandle(STD_ERROR_HANDLE), s, (DWORD)n, &done, NULL);
}
