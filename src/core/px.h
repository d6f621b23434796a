/* Common internal header of the picolx runtime. */
#ifndef PX_CORE_PX_H
#define PX_CORE_PX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "linux_consts.h"
#include "linux_errno.h"
#include "linux_types.h"
#include "core/syscall.h"

#define PX_LIKELY(x) __builtin_expect(!!(x), 1)
#define PX_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define PX_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define PX_ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define PX_ALIGN_UP(x, a) (((x) + (uint64_t)(a) - 1) & ~((uint64_t)(a) - 1))

/* The runtime's own heap (mimalloc in the Windows build; libc in native unit tests). */
void *px_alloc(size_t size);
void *px_calloc(size_t n, size_t size);
void *px_realloc(void *p, size_t size);
void px_free(void *p);
char *px_strdup(const char *s);

/* Messages from picolx itself go to the host's stderr handle, whatever the guest did to fd 2. */
void px_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "picolx: <message>" and ends the process with status. */
__attribute__((noreturn)) void px_fatal(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Runtime-wide settings, filled before the guest starts. */
typedef struct px_config {
    const char *root;        /* Windows directory that is the guest's "/" (UTF-8, no trailing '\') */
    bool trace;
    void *trace_handle;      /* HANDLE the trace goes to */
} px_config;
extern px_config px_cfg;

#endif
