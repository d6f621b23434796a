/* picolx's own messages: straight to the host's standard error handle. */
#include <stdarg.h>
#include <stdio.h>
#include "core/px.h"
#include "host/host_console.h"
#include "host/host_process.h"

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
    px_host_stderr_write(buf, (size_t)n);
}

void px_fatal(int status, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    px_log("picolx: %s", n >= 0 ? buf : fmt);
    px_host_exit((uint32_t)status);
}
