/* Host pipes (fs/pipe.c): anonymous pipes, their reads and writes with the pipe's own
   end-of-file and broken-pipe answers, and what a watcher thread needs to wait for bytes
   (a zero-byte read, cancelled). */
#ifndef PX_HOST_PIPE_H
#define PX_HOST_PIPE_H

#include "host/host.h"

/* A pipe holding about capacity bytes: 0 and its two ends, or -LINUX_Exxx. */
int64_t px_host_pipe_new(px_host_handle *read_end, px_host_handle *write_end, uint32_t capacity);
/* Up to n bytes (n 0: blocks until bytes arrive or every writer is gone, takes nothing):
   the count, 0 at end of file (every writer gone), or -LINUX_Exxx. Also for character
   devices (NUL). */
int64_t px_host_pipe_read(px_host_handle h, void *buf, size_t n);
/* Writes what fits (non-blocking mode: possibly nothing): the count, -LINUX_EPIPE when
   no reader is left, or another -LINUX_Exxx. */
int64_t px_host_pipe_write(px_host_handle h, const void *buf, size_t n);
/* The bytes waiting in the pipe, without taking them, or -LINUX_Exxx: -LINUX_EPIPE when
   the other end is gone, and then *writers_gone says it was the write end of a read end. */
int64_t px_host_pipe_available(px_host_handle h, bool *writers_gone);
/* The bytes waiting in the pipe, asked through either end (FILE_READ_ATTRIBUTES; Wine
   says 0 through a write end), or -LINUX_Exxx. */
int64_t px_host_pipe_queued(px_host_handle h);
/* False once the other end is closed (true when the host cannot tell). */
bool px_host_pipe_connected(px_host_handle h);
/* Writes that return at once with what fitted (true) or wait for room (false). */
int64_t px_host_pipe_set_nonblocking(px_host_handle h, bool nonblocking);
/* Ends a blocking read (or write) that host thread `thread` is in. */
void px_host_thread_cancel_io(px_host_handle thread);
/* Whether the host is Wine (where I/O on one synchronous handle is not serialised). */
bool px_host_is_wine(void);

#endif
