/* The tracer's pure part: strace-style text for syscall arguments and results.
   No Win32 here, so tests/unit/trace_test.c runs it natively. */
#ifndef PX_TRACE_FORMAT_H
#define PX_TRACE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A bounded text buffer: appends past the end are dropped (the line then ends in "..."). */
typedef struct px_tbuf {
    char *data;
    size_t len, cap;
    bool overflow;
} px_tbuf;

void px_tbuf_init(px_tbuf *b, char *storage, size_t cap);
void px_tbuf_put(px_tbuf *b, const char *s, size_t n);
void px_tbuf_puts(px_tbuf *b, const char *s);
void px_tbuf_printf(px_tbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copies up to len bytes of guest memory at addr into dst; returns how many bytes
   could be read (a prefix: 0 when addr is not readable). */
typedef size_t px_trace_reader(uint64_t addr, void *dst, size_t len);

/* Strings and buffers are cut at this many bytes, as strace -s 32 does. */
#define PX_TRACE_STRLEN 32
/* Paths are shown whole, as strace shows them, up to PATH_MAX. */
#define PX_TRACE_PATHLEN 4096

/* One argument: args[i] in format fmt (enum px_arg_format). RBUF arguments are shown
   after the call (result is then the length filled); before it (result unused) they
   show as the pointer. */
void px_trace_format_arg(px_tbuf *b, int fmt, const uint64_t *args, int i, int nargs,
                         int64_t result, bool after_call, px_trace_reader *read);

/* " = result": a decimal, hex for calls returning addresses, or
   "-1 ENOENT (No such file or directory)". Pads the line to strace's column 40. */
void px_trace_format_result(px_tbuf *b, const char *name, int64_t result);

/* The strerror text for a positive errno, or NULL. */
const char *px_trace_errno_message(int64_t err);

/* The symbolic name of a value in the given format (O_RDONLY|O_CLOEXEC, PROT_READ, SIGINT...). */
void px_trace_format_flags(px_tbuf *b, int fmt, uint64_t value);

/* Quoted, C-escaped text of n bytes; "..." after the quote when truncated. */
void px_trace_format_quoted(px_tbuf *b, const unsigned char *s, size_t n, bool truncated);

#endif
