/* host_identity.h on Win32. */
#include <windows.h>
#include "core/errors.h"
#include "core/px.h"
#include "host/host_identity.h"

int64_t px_host_user_name(char *buf, size_t size)
{
    DWORD len = (DWORD)size;
    if (!GetUserNameA(buf, &len)) return px_err_last();
    return (int64_t)strlen(buf);
}

bool px_host_is_elevated(void)
{
    HANDLE token;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) return false;
    TOKEN_ELEVATION elevation = {0};
    DWORD got = 0;
    BOOL ok = GetTokenInformation(token, TokenElevation, &elevation, sizeof elevation, &got);
    CloseHandle(token);
    return ok && elevation.TokenIsElevated;
}

int64_t px_host_computer_name(char *buf, size_t size)
{
    DWORD len = (DWORD)size;
    if (!GetComputerNameExA(ComputerNameDnsHostname, buf, &len)) return px_err_last();
    return len;
}
