/* picolx's own messages: straight to the host's standard error handle. */
#include <windows.h>
#include <stdarg.h>
#include <stdio.h>
#include "core/px.h"
#include "core/runtime.h"

static void write_stderr(const char *s, size_t n)
{
    DWORD done;
    WriteFile(GetStdHandle(STD_ERROR_HANDLE), s, (DWORD)n, &done, NULL);
}

void px_log(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n > sizeof buf - 2) n = sizeof buf - 2;
    if (n == 0 || buf[n - 1] != '\n') buf[n++] = '\n';
    write_stderr(buf, (size_t)n);
}

void px_fatal(int status, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    px_log("picolx: %s", n >= 0 ? buf : fmt);
    ExitProcess((UINT)status);
}
