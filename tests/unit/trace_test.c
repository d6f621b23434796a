/* The tracer's text (src/trace/format.c): flags, quoting, buffers, results. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "core/px.h"
#include "trace/format.h"

/* Guest memory is this process's memory; address 1 stands for an unreadable page. */
static size_t read_native(uint64_t addr, void *dst, size_t len)
{
    if (addr == 1) return 0;
    memcpy(dst, (const void *)(uintptr_t)addr, len);
    return len;
}

static char storage[8192];

static const char *arg_text(int fmt, const uint64_t *args, int i, int nargs, int64_t result, bool after)
{
    px_tbuf b;
    px_tbuf_init(&b, storage, sizeof storage);
    px_trace_format_arg(&b, fmt, args, i, nargs, result, after, read_native);
    return storage;
}

static const char *flags_text(int fmt, uint64_t v)
{
    px_tbuf b;
    px_tbuf_init(&b, storage, sizeof storage);
    px_trace_format_flags(&b, fmt, v);
    return storage;
}

Test(trace, open_flags)
{
    cr_assert_str_eq(flags_text(PX_ARG_OFLAGS, LINUX_O_RDONLY | LINUX_O_CLOEXEC), "O_RDONLY|O_CLOEXEC");
    cr_assert_str_eq(flags_text(PX_ARG_OFLAGS, LINUX_O_WRONLY | LINUX_O_CREAT | LINUX_O_TRUNC),
                     "O_WRONLY|O_CREAT|O_TRUNC");
    cr_assert_str_eq(flags_text(PX_ARG_OFLAGS, LINUX_O_RDWR | LINUX_O_SYNC), "O_RDWR|O_SYNC");
    cr_assert_str_eq(flags_text(PX_ARG_OFLAGS, LINUX_O_RDONLY | 0x80000000u), "O_RDONLY|0x80000000");
}

Test(trace, mmap_flags_and_prot)
{
    cr_assert_str_eq(flags_text(PX_ARG_PROT, LINUX_PROT_READ | LINUX_PROT_WRITE), "PROT_READ|PROT_WRITE");
    cr_assert_str_eq(flags_text(PX_ARG_PROT, 0), "PROT_NONE");
    cr_assert_str_eq(flags_text(PX_ARG_MAPFLAGS, LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS),
                     "MAP_PRIVATE|MAP_ANONYMOUS");
    cr_assert_str_eq(flags_text(PX_ARG_MAPFLAGS, LINUX_MAP_PRIVATE | LINUX_MAP_FIXED | LINUX_MAP_DENYWRITE),
                     "MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE");
}

Test(trace, enumerations)
{
    cr_assert_str_eq(flags_text(PX_ARG_CLOCKID, LINUX_CLOCK_MONOTONIC), "CLOCK_MONOTONIC");
    cr_assert_str_eq(flags_text(PX_ARG_SIG, LINUX_SIGSEGV), "SIGSEGV");
    cr_assert_str_eq(flags_text(PX_ARG_SIG, 34), "SIGRT_2");
    cr_assert_str_eq(flags_text(PX_ARG_SIGMASKHOW, LINUX_SIG_SETMASK), "SIG_SETMASK");
    cr_assert_str_eq(flags_text(PX_ARG_IOCTL, LINUX_TIOCGWINSZ), "TIOCGWINSZ");
    cr_assert_str_eq(flags_text(PX_ARG_IOCTL, 0x1234), "0x1234");
    cr_assert_str_eq(flags_text(PX_ARG_RLIMIT, LINUX_RLIMIT_NOFILE), "RLIMIT_NOFILE");
    cr_assert_str_eq(flags_text(PX_ARG_WHENCE, 99), "99");
}

Test(trace, scalars)
{
    uint64_t args[6] = {(uint64_t)-100, 0, 0644, (uint64_t)-1, 0x7f00, 5};
    cr_assert_str_eq(arg_text(PX_ARG_DFD, args, 0, 6, 0, false), "AT_FDCWD");
    cr_assert_str_eq(arg_text(PX_ARG_P, args, 1, 6, 0, false), "NULL");
    cr_assert_str_eq(arg_text(PX_ARG_O, args, 2, 6, 0, false), "0644");
    cr_assert_str_eq(arg_text(PX_ARG_FD, args, 3, 6, 0, false), "-1");
    cr_assert_str_eq(arg_text(PX_ARG_P, args, 4, 6, 0, false), "0x7f00");
    cr_assert_str_eq(arg_text(PX_ARG_L, args, 3, 6, 0, false), "-1");
    cr_assert_str_eq(arg_text(PX_ARG_U, args, 5, 6, 0, false), "5");
}

Test(trace, strings_and_escapes)
{
    const char *path = "/etc/passwd";
    uint64_t args[6] = {(uint64_t)(uintptr_t)path, 1, 0};
    cr_assert_str_eq(arg_text(PX_ARG_S, args, 0, 3, 0, false), "\"/etc/passwd\"");
    cr_assert_str_eq(arg_text(PX_ARG_S, args, 1, 3, 0, false), "0x1");  /* unreadable */
    cr_assert_str_eq(arg_text(PX_ARG_S, args, 2, 3, 0, false), "NULL");
    const char *odd = "a\"b\\\t\x01" "1\x7f";
    args[0] = (uint64_t)(uintptr_t)odd;
    cr_assert_str_eq(arg_text(PX_ARG_S, args, 0, 1, 0, false), "\"a\\\"b\\\\\\t\\0011\\177\"");
}

Test(trace, buffers_cut_at_32)
{
    const char *text = "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534\n";
    uint64_t args[3] = {3, (uint64_t)(uintptr_t)text, 4096};
    /* A read buffer shows the bytes the call filled, the result's count. */
    cr_assert_str_eq(arg_text(PX_ARG_RBUF, args, 1, 3, 46, true),
                     "\"root:x:0:0:root:/root:/bin/bash\\n\"...");
    cr_assert_str_eq(arg_text(PX_ARG_RBUF, args, 1, 3, 4, true), "\"root\"");
    /* After a failed call, only the pointer. */
    char expected[32];
    snprintf(expected, sizeof expected, "%#llx", (unsigned long long)args[1]);
    cr_assert_str_eq(arg_text(PX_ARG_RBUF, args, 1, 3, -LINUX_EBADF, true), expected);
    /* A write buffer's length is the next argument. */
    uint64_t wargs[3] = {1, (uint64_t)(uintptr_t)"hi\n", 3};
    cr_assert_str_eq(arg_text(PX_ARG_WBUF, wargs, 1, 3, 0, false), "\"hi\\n\"");
}

static const char *line_with_result(const char *call, const char *name, int64_t result)
{
    px_tbuf b;
    px_tbuf_init(&b, storage, sizeof storage);
    px_tbuf_puts(&b, call);
    px_trace_format_result(&b, name, result);
    return storage;
}

Test(trace, results)
{
    cr_assert_str_eq(line_with_result("close(-1)", "close", -LINUX_EBADF),
                     "close(-1)                               = -1 EBADF (Bad file descriptor)");
    cr_assert_str_eq(line_with_result("mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)",
                                      "mmap", 0x7f1200000000LL),
                     "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f1200000000");
    cr_assert_str_eq(line_with_result("rseq(0x1000, 32, 0, 0x53053053)", "rseq", -LINUX_ENOSYS),
                     "rseq(0x1000, 32, 0, 0x53053053)         = -1 ENOSYS (Function not implemented)");
    cr_assert_str_eq(line_with_result("x()", "x", -LINUX_EDOM), "x()                                     = -1 EDOM (Numerical argument out of domain)");
    cr_assert_str_eq(line_with_result("x()", "x", -300), "x()                                     = -1 E300 (Unknown error 300)");
}

Test(trace, bounded_buffer)
{
    char small[8];
    px_tbuf b;
    px_tbuf_init(&b, small, sizeof small);
    px_tbuf_puts(&b, "0123456789");
    cr_assert(b.overflow);
    cr_assert_str_eq(small, "0123456");
}
