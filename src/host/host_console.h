/* The process's standard handles, picolx's own messages, and the console a guest's tty
   fd stands for (src/fs/console.c): UTF-8 out, UTF-16 in, key presses, window size. */
#ifndef PX_HOST_CONSOLE_H
#define PX_HOST_CONSOLE_H

#include "host/host.h"

enum { PX_HOST_STDIN, PX_HOST_STDOUT, PX_HOST_STDERR };
/* The standard handle (which: PX_HOST_STD*), or NULL when there is none. */
px_host_handle px_host_std_handle(int which);
/* Writes n bytes to the host's standard error, whatever the guest did to its fd 2. */
void px_host_stderr_write(const char *s, size_t n);

/* Whether h is a console (a character device with console modes). */
bool px_host_console_is(px_host_handle h);
/* Writes n bytes of UTF-8 to the console (as UTF-16): 0, -LINUX_EINVAL when they do not
   convert, or -LINUX_Exxx. */
int64_t px_host_console_write_utf8(px_host_handle h, const char *s, size_t n);
/* Reads up to cap UTF-16 units of input (in line-input mode: a line): the count (0 at
   end of input), or -LINUX_Exxx. */
int64_t px_host_console_read(px_host_handle h, wchar_t *buf, size_t cap);
/* The number of input records waiting, or -LINUX_Exxx (an output handle has none). */
int64_t px_host_console_input_pending(px_host_handle h);
/* True when a key press that gives a character waits in the input. The other records
   at the front (key releases, focus, mouse, resizes), which keep the handle signalled
   without making a read return, are dropped, as a console read drops them. */
bool px_host_console_key_waiting(px_host_handle h);
/* The window's rows and columns (of the console's output buffer for an input handle):
   0, or -LINUX_ENOTTY. */
int64_t px_host_console_size(px_host_handle h, uint16_t *rows, uint16_t *cols);
/* Makes the console show output as UTF-8. */
void px_host_console_set_utf8_output(void);

#endif
