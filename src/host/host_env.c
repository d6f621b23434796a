/* host_env.h on Win32. */
#include <windows.h>
#include "core/errors.h"
#include "core/px.h"
#include "host/host_env.h"

int64_t px_host_env_get(const char *name, char *buf, size_t size)
{
    DWORD n = GetEnvironmentVariableA(name, buf, (DWORD)size);
    if (n == 0) return GetLastError() == ERROR_ENVVAR_NOT_FOUND ? -LINUX_ENOENT : (size ? (buf[0] = 0, 0) : 0);
    return n >= size ? -LINUX_ERANGE : (int64_t)n;
}

int64_t px_host_env_get_w(const wchar_t *name, wchar_t *buf, size_t size)
{
    DWORD n = GetEnvironmentVariableW(name, buf, (DWORD)size);
    if (n == 0) return GetLastError() == ERROR_ENVVAR_NOT_FOUND ? -LINUX_ENOENT : (size ? (buf[0] = 0, 0) : 0);
    return n >= size ? -LINUX_ERANGE : (int64_t)n;
}

bool px_host_env_is_set(const wchar_t *name)
{
    return GetEnvironmentVariableW(name, NULL, 0) != 0;
}

int64_t px_host_env_set_w(const wchar_t *name, const wchar_t *value)
{
    return SetEnvironmentVariableW(name, value) ? 0 : px_err_last();
}

int64_t px_host_cwd(wchar_t *buf, size_t size)
{
    DWORD n = GetCurrentDirectoryW((DWORD)size, buf);
    if (n == 0) return px_err_last();
    return n >= size ? -LINUX_ERANGE : (int64_t)n;
}
