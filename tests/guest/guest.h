/* Shared by the guest programs: deterministic checks. Every line a guest prints is the
   same natively and under picolx (no addresses, pids or times), so the e2e runner can
   compare the two outputs byte for byte; the exit status is 1 when any check failed. */
#ifndef GUEST_H
#define GUEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

static __attribute__((unused)) int guest_failures;

/* Line-buffered, so the output up to a crash is not lost and stays in order with
   writes made directly to fd 1. */
#define GUEST_START() setvbuf(stdout, NULL, _IOLBF, 0)
#define GUEST_END() (printf("failures: %d\n", guest_failures), guest_failures ? 1 : 0)

#define CHECK(name, cond) do { \
        int ok_ = !!(cond); \
        printf("%s: %s\n", (name), ok_ ? "ok" : "FAIL"); \
        if (!ok_) guest_failures++; \
    } while (0)

static __attribute__((unused)) const char *errno_name(int e)
{
    static char other[32];
    switch (e) {
    case 0: return "0";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ESPIPE: return "ESPIPE";
    case EPIPE: return "EPIPE";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENOSYS: return "ENOSYS";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ELOOP: return "ELOOP";
    case EXDEV: return "EXDEV";
    case ERANGE: return "ERANGE";
    case EIO: return "EIO";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EDEADLK: return "EDEADLK";
    case ETIMEDOUT: return "ETIMEDOUT";
    default: snprintf(other, sizeof other, "errno%d", e); return other;
    }
}

/* A call that must fail with errno `err`: prints what it returned and the errno. */
#define EXPECT_ERRNO(name, expr, err) do { \
        errno = 0; \
        long r_ = (long)(expr); \
        int e_ = errno; \
        printf("%s: ret=%ld errno=%s\n", (name), r_, r_ == -1 ? errno_name(e_) : "-"); \
        if (r_ != -1 || e_ != (err)) guest_failures++; \
    } while (0)

/* A call that must return `want`: prints the result (or the errno when it failed). */
#define EXPECT_RET(name, expr, want) do { \
        errno = 0; \
        long r_ = (long)(expr); \
        int e_ = errno; \
        if (r_ == -1) printf("%s: ret=-1 errno=%s\n", (name), errno_name(e_)); \
        else printf("%s: ret=%ld\n", (name), r_); \
        if (r_ != (long)(want)) guest_failures++; \
    } while (0)

/* Prints label and the "Threads:" line of /proc/self/status (the thread count). */
static __attribute__((unused)) void print_thread_count(const char *label)
{
    char buf[4096];
    FILE *f = fopen("/proc/self/status", "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = 0;
    if (f) fclose(f);
    char *t = strstr(buf, "Threads:");
    printf("%s: %.*s\n", label, t ? (int)strcspn(t, "\n") : 0, t ? t : "");
}

#endif
