/* strace-style text for syscall arguments and results: flag tables, quoting, errno
   names and messages. Pure: guest memory is read through a px_trace_reader. */
#include <stdarg.h>
#include <stdio.h>
#include "core/px.h"
#include "core/errors.h"
#include "trace/format.h"

void px_tbuf_init(px_tbuf *b, char *storage, size_t cap)
{
    b->data = storage;
    b->len = 0;
    b->cap = cap;
    b->overflow = false;
    if (cap) storage[0] = 0;
}

void px_tbuf_put(px_tbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->overflow = true;
        n = b->cap > b->len + 1 ? b->cap - b->len - 1 : 0;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    if (b->cap) b->data[b->len] = 0;
}

void px_tbuf_puts(px_tbuf *b, const char *s) { px_tbuf_put(b, s, strlen(s)); }

void px_tbuf_printf(px_tbuf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    px_tbuf_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* ---- flags and enumerations ---------------------------------------------------- */

struct name_row { uint64_t value; const char *name; };

/* Bit sets: each row's bits are printed when all are set; multi-bit rows come before
   the single bits they contain. */
static const struct name_row open_flag_rows[] = {
    {LINUX_O_CREAT, "O_CREAT"}, {LINUX_O_EXCL, "O_EXCL"}, {LINUX_O_NOCTTY, "O_NOCTTY"},
    {LINUX_O_TRUNC, "O_TRUNC"}, {LINUX_O_APPEND, "O_APPEND"}, {LINUX_O_NONBLOCK, "O_NONBLOCK"},
    {LINUX_O_SYNC, "O_SYNC"}, {LINUX_O_DSYNC, "O_DSYNC"}, {020000, "O_ASYNC"},
    {LINUX_O_DIRECT, "O_DIRECT"}, {LINUX_O_LARGEFILE, "O_LARGEFILE"},
    {LINUX_O_TMPFILE, "O_TMPFILE"}, {LINUX_O_DIRECTORY, "O_DIRECTORY"},
    {LINUX_O_NOFOLLOW, "O_NOFOLLOW"}, {LINUX_O_NOATIME, "O_NOATIME"},
    {LINUX_O_CLOEXEC, "O_CLOEXEC"}, {LINUX_O_PATH, "O_PATH"},
};
static const struct name_row prot_rows[] = {
    {LINUX_PROT_READ, "PROT_READ"}, {LINUX_PROT_WRITE, "PROT_WRITE"}, {LINUX_PROT_EXEC, "PROT_EXEC"},
    {0x8, "PROT_SEM"}, {LINUX_PROT_GROWSDOWN, "PROT_GROWSDOWN"}, {0x02000000, "PROT_GROWSUP"},
};
static const struct name_row map_type_rows[] = {
    {LINUX_MAP_SHARED, "MAP_SHARED"}, {LINUX_MAP_PRIVATE, "MAP_PRIVATE"},
    {LINUX_MAP_SHARED_VALIDATE, "MAP_SHARED_VALIDATE"},
};
static const struct name_row map_flag_rows[] = {
    {LINUX_MAP_FIXED, "MAP_FIXED"}, {LINUX_MAP_ANONYMOUS, "MAP_ANONYMOUS"}, {LINUX_MAP_32BIT, "MAP_32BIT"},
    {LINUX_MAP_GROWSDOWN, "MAP_GROWSDOWN"}, {LINUX_MAP_DENYWRITE, "MAP_DENYWRITE"},
    {LINUX_MAP_EXECUTABLE, "MAP_EXECUTABLE"}, {LINUX_MAP_LOCKED, "MAP_LOCKED"},
    {LINUX_MAP_NORESERVE, "MAP_NORESERVE"}, {LINUX_MAP_POPULATE, "MAP_POPULATE"},
    {LINUX_MAP_NONBLOCK, "MAP_NONBLOCK"}, {LINUX_MAP_STACK, "MAP_STACK"},
    {LINUX_MAP_HUGETLB, "MAP_HUGETLB"}, {0x80000, "MAP_SYNC"},
    {LINUX_MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"},
};
/* Enumerations: one value, one name. */
static const struct name_row whence_rows[] = {
    {LINUX_SEEK_SET, "SEEK_SET"}, {LINUX_SEEK_CUR, "SEEK_CUR"}, {LINUX_SEEK_END, "SEEK_END"},
    {3, "SEEK_DATA"}, {4, "SEEK_HOLE"},
};
static const struct name_row clock_rows[] = {
    {LINUX_CLOCK_REALTIME, "CLOCK_REALTIME"}, {LINUX_CLOCK_MONOTONIC, "CLOCK_MONOTONIC"},
    {LINUX_CLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID"},
    {LINUX_CLOCK_THREAD_CPUTIME_ID, "CLOCK_THREAD_CPUTIME_ID"},
    {LINUX_CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW"}, {LINUX_CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE"},
    {LINUX_CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE"}, {LINUX_CLOCK_BOOTTIME, "CLOCK_BOOTTIME"},
    {LINUX_CLOCK_REALTIME_ALARM, "CLOCK_REALTIME_ALARM"}, {LINUX_CLOCK_BOOTTIME_ALARM, "CLOCK_BOOTTIME_ALARM"},
    {LINUX_CLOCK_TAI, "CLOCK_TAI"},
};
static const struct name_row signal_rows[] = {
    {1, "SIGHUP"}, {2, "SIGINT"}, {3, "SIGQUIT"}, {4, "SIGILL"}, {5, "SIGTRAP"}, {6, "SIGABRT"},
    {7, "SIGBUS"}, {8, "SIGFPE"}, {9, "SIGKILL"}, {10, "SIGUSR1"}, {11, "SIGSEGV"}, {12, "SIGUSR2"},
    {13, "SIGPIPE"}, {14, "SIGALRM"}, {15, "SIGTERM"}, {16, "SIGSTKFLT"}, {17, "SIGCHLD"},
    {18, "SIGCONT"}, {19, "SIGSTOP"}, {20, "SIGTSTP"}, {21, "SIGTTIN"}, {22, "SIGTTOU"},
    {23, "SIGURG"}, {24, "SIGXCPU"}, {25, "SIGXFSZ"}, {26, "SIGVTALRM"}, {27, "SIGPROF"},
    {28, "SIGWINCH"}, {29, "SIGIO"}, {30, "SIGPWR"}, {31, "SIGSYS"}, {32, "SIGRTMIN"},
};
static const struct name_row sigmask_how_rows[] = {
    {LINUX_SIG_BLOCK, "SIG_BLOCK"}, {LINUX_SIG_UNBLOCK, "SIG_UNBLOCK"}, {LINUX_SIG_SETMASK, "SIG_SETMASK"},
};
static const struct name_row fcntl_rows[] = {
    {LINUX_F_DUPFD, "F_DUPFD"}, {LINUX_F_GETFD, "F_GETFD"}, {LINUX_F_SETFD, "F_SETFD"},
    {LINUX_F_GETFL, "F_GETFL"}, {LINUX_F_SETFL, "F_SETFL"}, {LINUX_F_GETLK, "F_GETLK"},
    {LINUX_F_SETLK, "F_SETLK"}, {LINUX_F_SETLKW, "F_SETLKW"}, {8, "F_SETOWN"}, {9, "F_GETOWN"},
    {10, "F_SETSIG"}, {11, "F_GETSIG"}, {15, "F_SETOWN_EX"}, {16, "F_GETOWN_EX"},
    {36, "F_OFD_GETLK"}, {37, "F_OFD_SETLK"}, {38, "F_OFD_SETLKW"}, {1024, "F_SETLEASE"},
    {1025, "F_GETLEASE"}, {1026, "F_NOTIFY"}, {LINUX_F_DUPFD_CLOEXEC, "F_DUPFD_CLOEXEC"},
    {1031, "F_SETPIPE_SZ"}, {1032, "F_GETPIPE_SZ"}, {1033, "F_ADD_SEALS"}, {1034, "F_GET_SEALS"},
};
static const struct name_row ioctl_rows[] = {
    {LINUX_TCGETS, "TCGETS"}, {LINUX_TCSETS, "TCSETS"}, {LINUX_TCSETSW, "TCSETSW"},
    {LINUX_TCSETSF, "TCSETSF"}, {0x5409, "TCSBRK"}, {0x540A, "TCXONC"}, {0x540B, "TCFLSH"},
    {0x540E, "TIOCSCTTY"}, {LINUX_TIOCGPGRP, "TIOCGPGRP"}, {LINUX_TIOCSPGRP, "TIOCSPGRP"},
    {0x5411, "TIOCOUTQ"}, {0x5412, "TIOCSTI"}, {LINUX_TIOCGWINSZ, "TIOCGWINSZ"},
    {LINUX_TIOCSWINSZ, "TIOCSWINSZ"}, {LINUX_FIONREAD, "FIONREAD"}, {LINUX_FIONBIO, "FIONBIO"},
    {0x5422, "TIOCNOTTY"}, {0x5429, "TIOCGSID"}, {LINUX_FIONCLEX, "FIONCLEX"},
    {LINUX_FIOCLEX, "FIOCLEX"}, {0x5452, "FIOASYNC"}, {0x80045430, "TIOCGPTN"},
    {0x40045431, "TIOCSPTLCK"}, {0x80045439, "TIOCGPTLCK"}, {0x5441, "TIOCGPTPEER"}, {0x5424, "TIOCGETD"},
};
static const struct name_row rlimit_rows[] = {
    {LINUX_RLIMIT_CPU, "RLIMIT_CPU"}, {LINUX_RLIMIT_FSIZE, "RLIMIT_FSIZE"}, {LINUX_RLIMIT_DATA, "RLIMIT_DATA"},
    {LINUX_RLIMIT_STACK, "RLIMIT_STACK"}, {LINUX_RLIMIT_CORE, "RLIMIT_CORE"}, {LINUX_RLIMIT_RSS, "RLIMIT_RSS"},
    {LINUX_RLIMIT_NPROC, "RLIMIT_NPROC"}, {LINUX_RLIMIT_NOFILE, "RLIMIT_NOFILE"},
    {LINUX_RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK"}, {LINUX_RLIMIT_AS, "RLIMIT_AS"},
    {LINUX_RLIMIT_LOCKS, "RLIMIT_LOCKS"}, {LINUX_RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING"},
    {LINUX_RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE"}, {LINUX_RLIMIT_NICE, "RLIMIT_NICE"},
    {LINUX_RLIMIT_RTPRIO, "RLIMIT_RTPRIO"}, {LINUX_RLIMIT_RTTIME, "RLIMIT_RTTIME"},
};

#define ROWS(t) t, PX_ARRAY_LEN(t)

static const char *lookup(const struct name_row *rows, size_t n, uint64_t value)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].value == value) return rows[i].name;
    return NULL;
}

/* Appends "A|B|0x40" for the bits of value; returns whether anything was written. */
static bool put_bits(px_tbuf *b, const struct name_row *rows, size_t n, uint64_t value, bool written)
{
    for (size_t i = 0; i < n; i++) {
        if ((value & rows[i].value) != rows[i].value) continue;
        if (written) px_tbuf_puts(b, "|");
        px_tbuf_puts(b, rows[i].name);
        value &= ~rows[i].value;
        written = true;
    }
    if (value) {
        if (written) px_tbuf_puts(b, "|");
        px_tbuf_printf(b, "%#llx", (unsigned long long)value);
        written = true;
    }
    return written;
}

static void put_enum(px_tbuf *b, const struct name_row *rows, size_t n, uint64_t value, bool hex)
{
    const char *name = lookup(rows, n, value);
    if (name) px_tbuf_puts(b, name);
    else if (hex) px_tbuf_printf(b, "%#llx", (unsigned long long)value);
    else px_tbuf_printf(b, "%lld", (long long)value);
}

static void put_open_flags(px_tbuf *b, uint64_t v)
{
    static const char *const modes[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};
    uint32_t flags = (uint32_t)v;
    px_tbuf_puts(b, modes[flags & LINUX_O_ACCMODE]);
    put_bits(b, ROWS(open_flag_rows), flags & ~(uint32_t)LINUX_O_ACCMODE, true);
}

static void put_map_flags(px_tbuf *b, uint64_t v)
{
    uint32_t flags = (uint32_t)v;
    const char *type = lookup(ROWS(map_type_rows), flags & LINUX_MAP_TYPE);
    bool written = false;
    if (type) {
        px_tbuf_puts(b, type);
        flags &= ~(uint32_t)LINUX_MAP_TYPE;
        written = true;
    }
    if (!put_bits(b, ROWS(map_flag_rows), flags, written)) px_tbuf_puts(b, "0");
}

static void put_signal(px_tbuf *b, uint64_t v)
{
    int64_t sig = (int32_t)v;
    const char *name = lookup(ROWS(signal_rows), (uint64_t)sig);
    if (name) px_tbuf_puts(b, name);
    else if (sig > 32 && sig <= LINUX_NSIG) px_tbuf_printf(b, "SIGRT_%lld", (long long)(sig - 32));
    else px_tbuf_printf(b, "%lld", (long long)sig);
}

void px_trace_format_flags(px_tbuf *b, int fmt, uint64_t v)
{
    switch (fmt) {
    case PX_ARG_OFLAGS: put_open_flags(b, v); break;
    case PX_ARG_PROT:
        if ((uint32_t)v == 0) px_tbuf_puts(b, "PROT_NONE");
        else put_bits(b, ROWS(prot_rows), (uint32_t)v, false);
        break;
    case PX_ARG_MAPFLAGS: put_map_flags(b, v); break;
    case PX_ARG_WHENCE: put_enum(b, ROWS(whence_rows), (uint32_t)v, false); break;
    case PX_ARG_CLOCKID: put_enum(b, ROWS(clock_rows), (uint64_t)(int64_t)(int32_t)v, false); break;
    case PX_ARG_SIG: put_signal(b, v); break;
    case PX_ARG_SIGMASKHOW: put_enum(b, ROWS(sigmask_how_rows), (uint32_t)v, false); break;
    case PX_ARG_FCNTLCMD: put_enum(b, ROWS(fcntl_rows), (uint32_t)v, false); break;
    case PX_ARG_IOCTL: put_enum(b, ROWS(ioctl_rows), (uint32_t)v, true); break;
    case PX_ARG_RLIMIT: put_enum(b, ROWS(rlimit_rows), (uint32_t)v, false); break;
    default: px_tbuf_printf(b, "%#llx", (unsigned long long)v); break;
    }
}

/* ---- strings and buffers -------------------------------------------------------- */

void px_trace_format_quoted(px_tbuf *b, const unsigned char *s, size_t n, bool truncated)
{
    px_tbuf_puts(b, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        char esc[8];
        switch (c) {
        case '\n': px_tbuf_puts(b, "\\n"); continue;
        case '\t': px_tbuf_puts(b, "\\t"); continue;
        case '\r': px_tbuf_puts(b, "\\r"); continue;
        case '\v': px_tbuf_puts(b, "\\v"); continue;
        case '\f': px_tbuf_puts(b, "\\f"); continue;
        case '\\': px_tbuf_puts(b, "\\\\"); continue;
        case '"': px_tbuf_puts(b, "\\\""); continue;
        default: break;
        }
        if (c >= 0x20 && c < 0x7f) {
            px_tbuf_put(b, (const char *)&c, 1);
            continue;
        }
        /* Octal, as short as the next character allows (a digit after it would join in). */
        bool digit_follows = i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7';
        snprintf(esc, sizeof esc, digit_follows ? "\\%03o" : "\\%o", c);
        px_tbuf_puts(b, esc);
    }
    px_tbuf_puts(b, truncated ? "\"..." : "\"");
}

static void put_pointer(px_tbuf *b, uint64_t p)
{
    if (p) px_tbuf_printf(b, "%#llx", (unsigned long long)p);
    else px_tbuf_puts(b, "NULL");
}

/* A NUL-terminated guest string, whole up to max bytes. */
static void put_string(px_tbuf *b, uint64_t addr, size_t max, px_trace_reader *read)
{
    if (!addr) {
        px_tbuf_puts(b, "NULL");
        return;
    }
    unsigned char chunk[PX_TRACE_PATHLEN + 1];
    size_t want = max + 1 < sizeof chunk ? max + 1 : sizeof chunk;
    size_t got = read(addr, chunk, want);
    if (got == 0) {
        put_pointer(b, addr);
        return;
    }
    const unsigned char *nul = memchr(chunk, 0, got);
    if (nul) {
        px_trace_format_quoted(b, chunk, (size_t)(nul - chunk), false);
        return;
    }
    /* No terminator within max bytes (or readable memory): cut, as strace does. */
    px_trace_format_quoted(b, chunk, got < max ? got : max, true);
}

/* A buffer of len bytes: the first PX_TRACE_STRLEN of them. */
static void put_buffer(px_tbuf *b, uint64_t addr, uint64_t len, px_trace_reader *read)
{
    if (!addr && len) {
        px_tbuf_puts(b, "NULL");
        return;
    }
    unsigned char chunk[PX_TRACE_STRLEN];
    size_t want = len < PX_TRACE_STRLEN ? (size_t)len : PX_TRACE_STRLEN;
    size_t got = want ? read(addr, chunk, want) : 0;
    if (got < want) {
        put_pointer(b, addr);
        return;
    }
    px_trace_format_quoted(b, chunk, got, len > want);
}

void px_trace_format_arg(px_tbuf *b, int fmt, const uint64_t *args, int i, int nargs,
                         int64_t result, bool after_call, px_trace_reader *read)
{
    uint64_t v = args[i];
    switch (fmt) {
    case PX_ARG_I:
    case PX_ARG_FD: px_tbuf_printf(b, "%d", (int)(int32_t)v); break;
    case PX_ARG_L: px_tbuf_printf(b, "%lld", (long long)(int64_t)v); break;
    case PX_ARG_U: px_tbuf_printf(b, "%llu", (unsigned long long)v); break;
    case PX_ARG_X: px_tbuf_printf(b, "%#llx", (unsigned long long)v); break;
    case PX_ARG_P: put_pointer(b, v); break;
    case PX_ARG_O: px_tbuf_printf(b, "%#03o", (unsigned)(uint32_t)v); break;
    case PX_ARG_DFD:
        if ((int32_t)v == LINUX_AT_FDCWD) px_tbuf_puts(b, "AT_FDCWD");
        else px_tbuf_printf(b, "%d", (int)(int32_t)v);
        break;
    case PX_ARG_S: put_string(b, v, PX_TRACE_PATHLEN, read); break;
    case PX_ARG_WBUF: put_buffer(b, v, i + 1 < nargs ? args[i + 1] : 0, read); break;
    case PX_ARG_RBUF:
        if (after_call && !LINUX_IS_ERR(result)) put_buffer(b, v, (uint64_t)result, read);
        else put_pointer(b, v);
        break;
    default: px_trace_format_flags(b, fmt, v); break;
    }
}

/* ---- results ---------------------------------------------------------------------- */

static const char *const errno_messages[] = {
    [LINUX_EPERM] = "Operation not permitted", [LINUX_ENOENT] = "No such file or directory",
    [LINUX_ESRCH] = "No such process", [LINUX_EINTR] = "Interrupted system call",
    [LINUX_EIO] = "Input/output error", [LINUX_ENXIO] = "No such device or address",
    [LINUX_E2BIG] = "Argument list too long", [LINUX_ENOEXEC] = "Exec format error",
    [LINUX_EBADF] = "Bad file descriptor", [LINUX_ECHILD] = "No child processes",
    [LINUX_EAGAIN] = "Resource temporarily unavailable", [LINUX_ENOMEM] = "Cannot allocate memory",
    [LINUX_EACCES] = "Permission denied", [LINUX_EFAULT] = "Bad address",
    [LINUX_ENOTBLK] = "Block device required", [LINUX_EBUSY] = "Device or resource busy",
    [LINUX_EEXIST] = "File exists", [LINUX_EXDEV] = "Invalid cross-device link",
    [LINUX_ENODEV] = "No such device", [LINUX_ENOTDIR] = "Not a directory",
    [LINUX_EISDIR] = "Is a directory", [LINUX_EINVAL] = "Invalid argument",
    [LINUX_ENFILE] = "Too many open files in system", [LINUX_EMFILE] = "Too many open files",
    [LINUX_ENOTTY] = "Inappropriate ioctl for device", [LINUX_ETXTBSY] = "Text file busy",
    [LINUX_EFBIG] = "File too large", [LINUX_ENOSPC] = "No space left on device",
    [LINUX_ESPIPE] = "Illegal seek", [LINUX_EROFS] = "Read-only file system",
    [LINUX_EMLINK] = "Too many links", [LINUX_EPIPE] = "Broken pipe",
    [LINUX_EDOM] = "Numerical argument out of domain", [LINUX_ERANGE] = "Numerical result out of range",
    [LINUX_EDEADLK] = "Resource deadlock avoided", [LINUX_ENAMETOOLONG] = "File name too long",
    [LINUX_ENOLCK] = "No locks available", [LINUX_ENOSYS] = "Function not implemented",
    [LINUX_ENOTEMPTY] = "Directory not empty", [LINUX_ELOOP] = "Too many levels of symbolic links",
    [LINUX_ENOMSG] = "No message of desired type", [LINUX_ENODATA] = "No data available",
    [LINUX_ETIME] = "Timer expired", [LINUX_EOVERFLOW] = "Value too large for defined data type",
    [LINUX_EILSEQ] = "Invalid or incomplete multibyte or wide character",
    [LINUX_ENOTSOCK] = "Socket operation on non-socket",
    [LINUX_EOPNOTSUPP] = "Operation not supported", [LINUX_EADDRINUSE] = "Address already in use",
    [LINUX_ETIMEDOUT] = "Connection timed out", [LINUX_ECONNREFUSED] = "Connection refused",
};

const char *px_trace_errno_message(int64_t err)
{
    if (err <= 0 || err >= (int64_t)PX_ARRAY_LEN(errno_messages)) return NULL;
    return errno_messages[err];
}

/* Calls whose result is an address. */
static bool returns_address(const char *name)
{
    static const char *const names[] = {"mmap", "mremap", "brk", "shmat"};
    for (size_t i = 0; i < PX_ARRAY_LEN(names); i++)
        if (!strcmp(name, names[i])) return true;
    return false;
}

/* strace puts " = " at column 40 when the call is shorter. */
#define RESULT_COLUMN 40

void px_trace_format_result(px_tbuf *b, const char *name, int64_t result)
{
    px_tbuf_puts(b, " ");
    while (b->len < RESULT_COLUMN && !b->overflow) px_tbuf_puts(b, " ");
    if (LINUX_IS_ERR(result)) {
        int64_t err = -result;
        const char *ename = px_errno_name(err);
        const char *msg = px_trace_errno_message(err);
        if (ename) px_tbuf_printf(b, "= -1 %s", ename);
        else px_tbuf_printf(b, "= -1 E%lld", (long long)err);
        if (msg) px_tbuf_printf(b, " (%s)", msg);
        else px_tbuf_printf(b, " (Unknown error %lld)", (long long)err);
    } else if (name && !strcmp(name, "umask")) {
        px_tbuf_printf(b, "= %#03llo", (unsigned long long)result);
    } else if (name && returns_address(name)) {
        px_tbuf_printf(b, "= %#llx", (unsigned long long)result);
    } else {
        px_tbuf_printf(b, "= %lld", (long long)result);
    }
}
