/* Bad guest pointers: every implemented syscall that takes a pointer, called through raw
   syscall() (no libc checks in between) with NULL, an unmapped page, a kernel-half
   address, a read-only page (for buffers the call fills), a PROT_NONE page, a string
   that runs off the end of its mapping, bad iovec arrays and iovec entries, and buffers
   whose tail is bad (a short count, as Linux gives). Each line prints what the call
   returned or its errno by name, so the e2e runner compares picolx with Linux; the
   program itself checks only that it got through (the runtime must never die).

   Every run covers the file-system, memory, kernel-info and socket calls, then the
   calls of the signal, identity, limit, process, time, futex, poll and pipe code
   ("others"); `badptr --others NAME` runs only those others whose name starts with
   NAME (one at a time, to look at a single call). */
#include "guest.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define PG 4096
#define KERNEL_HALF ((void *)0xffff800000000000ull)

struct bad {
    const char *name;
    void *p;
};

/* Buffers the call reads: NULL, unmapped, kernel half, PROT_NONE, and the last 8 bytes of
   a page before an unmapped one (no NUL: a string runs off the mapping). */
static struct bad in_bad[5];
/* Buffers the call fills: NULL, unmapped, kernel half, read-only, PROT_NONE. */
static struct bad out_bad[5];
static char *edge;       /* the last 8 bytes of a mapped page ('a', no NUL) */
static char *unmapped;   /* the page after it, unmapped */
static char long_path[PG + 16]; /* PATH_MAX bytes without a NUL among them */

/* `--others NAME`: only the calls whose name starts with NAME (one at a time, to see
   which pass while a runtime still dies of some) */
static const char *only;
static int skip(const char *call)
{
    return only && strncmp(call, only, strlen(only));
}

static void report(const char *call, const char *how, long r)
{
    if (r == -1) printf("%s(%s): %s\n", call, how, errno_name(errno));
    else printf("%s(%s): %ld\n", call, how, r);
}

/* No count: the call succeeds with a value that differs between runs (times). */
static void report_ok(const char *call, const char *how, long r)
{
    if (r == -1) printf("%s(%s): %s\n", call, how, errno_name(errno));
    else printf("%s(%s): ok\n", call, how);
}

#define N_BAD 5
/* expr uses P, one bad pointer after the other */
#define EACH_FROM(first, list, call, expr) do { \
        for (int i_ = (first); i_ < N_BAD && !skip(call); i_++) { \
            void *P = list[i_].p; \
            memset(edge, 'a', 8); /* select and poll write their sets back */ \
            errno = 0; \
            long r_ = (long)(expr); \
            report((call), list[i_].name, r_); \
        } \
    } while (0)
#define EACH(list, call, expr) EACH_FROM(0, list, call, expr)
#define EACH_IN(call, expr) EACH(in_bad, call, expr)
/* A word the call reads: the last 8 bytes of a page are a whole one, not a bad pointer */
#define EACH_IN_WORD(call, expr) do { \
        for (int i_ = 0; i_ < N_BAD - 1 && !skip(call); i_++) { \
            void *P = in_bad[i_].p; \
            memset(edge, 'a', 8); \
            errno = 0; \
            long r_ = (long)(expr); \
            report((call), in_bad[i_].name, r_); \
        } \
    } while (0)
/* For a timeout, where NULL means "wait for ever" */
#define EACH_IN_NOT_NULL(call, expr) EACH_FROM(1, in_bad, call, expr)
#define EACH_OUT(call, expr) EACH(out_bad, call, expr)
#define ONE(call, how, expr) do { errno = 0; long r_ = (long)(expr); report((call), (how), r_); } while (0)

static void setup(void)
{
    /* far from where mmap places things, so that no later mapping fills the hole */
    char *base = mmap((void *)0x300000000000ull, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *ro = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *none = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED || ro == MAP_FAILED || none == MAP_FAILED) {
        printf("mmap failed\n");
        exit(2);
    }
    unmapped = base + 2 * PG;
    munmap(unmapped, PG);
    edge = unmapped - 8;
    memset(edge, 'a', 8);
    memset(long_path, 'a', PG);
    in_bad[0] = (struct bad){"NULL", NULL};
    in_bad[1] = (struct bad){"unmapped", unmapped};
    in_bad[2] = (struct bad){"kernel", KERNEL_HALF};
    in_bad[3] = (struct bad){"PROT_NONE", none};
    in_bad[4] = (struct bad){"off-the-end", edge};
    out_bad[0] = (struct bad){"NULL", NULL};
    out_bad[1] = (struct bad){"unmapped", unmapped};
    out_bad[2] = (struct bad){"kernel", KERNEL_HALF};
    out_bad[3] = (struct bad){"read-only", ro};
    out_bad[4] = (struct bad){"PROT_NONE", none};
}

/* Every call here whose handler reads a path: the bad strings, and one too long. */
#define PATHS(call, expr) do { \
        EACH_IN(call, expr); \
        { void *P = long_path; ONE(call, "PATH_MAX", expr); } \
    } while (0)

static void paths(void)
{
    PATHS("open", syscall(SYS_open, P, O_RDONLY));
    PATHS("creat", syscall(SYS_creat, P, 0644));
    PATHS("openat", syscall(SYS_openat, AT_FDCWD, P, O_RDONLY));
    struct { uint64_t flags, mode, resolve; } how = {O_RDONLY, 0, 0};
    PATHS("openat2", syscall(SYS_openat2, AT_FDCWD, P, &how, sizeof how));
    struct stat st;
    PATHS("stat", syscall(SYS_stat, P, &st));
    PATHS("lstat", syscall(SYS_lstat, P, &st));
    PATHS("newfstatat", syscall(SYS_newfstatat, AT_FDCWD, P, &st, 0));
    char sx[256];
    PATHS("statx", syscall(SYS_statx, AT_FDCWD, P, 0, 0x7ff, sx));
    PATHS("access", syscall(SYS_access, P, F_OK));
    PATHS("faccessat", syscall(SYS_faccessat, AT_FDCWD, P, F_OK));
    PATHS("faccessat2", syscall(SYS_faccessat2, AT_FDCWD, P, F_OK, 0));
    PATHS("chdir", syscall(SYS_chdir, P));
    PATHS("mkdir", syscall(SYS_mkdir, P, 0755));
    PATHS("mkdirat", syscall(SYS_mkdirat, AT_FDCWD, P, 0755));
    PATHS("rmdir", syscall(SYS_rmdir, P));
    PATHS("unlink", syscall(SYS_unlink, P));
    PATHS("unlinkat", syscall(SYS_unlinkat, AT_FDCWD, P, 0));
    PATHS("rename old", syscall(SYS_rename, P, "new"));
    PATHS("rename new", syscall(SYS_rename, "f", P));
    PATHS("renameat old", syscall(SYS_renameat, AT_FDCWD, P, AT_FDCWD, "new"));
    PATHS("renameat new", syscall(SYS_renameat, AT_FDCWD, "f", AT_FDCWD, P));
    PATHS("renameat2 old", syscall(SYS_renameat2, AT_FDCWD, P, AT_FDCWD, "new", 0));
    PATHS("renameat2 new", syscall(SYS_renameat2, AT_FDCWD, "f", AT_FDCWD, P, 0));
    PATHS("link old", syscall(SYS_link, P, "new"));
    PATHS("link new", syscall(SYS_link, "f", P));
    PATHS("linkat old", syscall(SYS_linkat, AT_FDCWD, P, AT_FDCWD, "new", 0));
    PATHS("linkat new", syscall(SYS_linkat, AT_FDCWD, "f", AT_FDCWD, P, 0));
    PATHS("symlink target", syscall(SYS_symlink, P, "new"));
    PATHS("symlink name", syscall(SYS_symlink, "f", P));
    PATHS("symlinkat target", syscall(SYS_symlinkat, P, AT_FDCWD, "new"));
    PATHS("symlinkat name", syscall(SYS_symlinkat, "f", AT_FDCWD, P));
    char buf[64];
    PATHS("readlink", syscall(SYS_readlink, P, buf, sizeof buf));
    PATHS("readlinkat", syscall(SYS_readlinkat, AT_FDCWD, P, buf, sizeof buf));
    PATHS("chmod", syscall(SYS_chmod, P, 0644));
    PATHS("fchmodat", syscall(SYS_fchmodat, AT_FDCWD, P, 0644));
    PATHS("chown", syscall(SYS_chown, P, getuid(), getgid()));
    PATHS("lchown", syscall(SYS_lchown, P, getuid(), getgid()));
    PATHS("fchownat", syscall(SYS_fchownat, AT_FDCWD, P, getuid(), getgid(), 0));
    PATHS("utime", syscall(SYS_utime, P, NULL));
    PATHS("utimes", syscall(SYS_utimes, P, NULL));
    PATHS("futimesat", syscall(SYS_futimesat, AT_FDCWD, P, NULL));
    PATHS("utimensat", syscall(SYS_utimensat, AT_FDCWD, P, NULL, 0));
    PATHS("truncate", syscall(SYS_truncate, P, 0));
    char sfs[128];
    PATHS("statfs", syscall(SYS_statfs, P, sfs));
    PATHS("mknod", syscall(SYS_mknod, P, S_IFIFO | 0644, 0));
    PATHS("mknodat", syscall(SYS_mknodat, AT_FDCWD, P, S_IFIFO | 0644, 0));
    PATHS("chroot", syscall(SYS_chroot, P));
    PATHS("getxattr path", syscall(SYS_getxattr, P, "user.x", buf, sizeof buf));
    PATHS("lgetxattr path", syscall(SYS_lgetxattr, P, "user.x", buf, sizeof buf));
    PATHS("setxattr path", syscall(SYS_setxattr, P, "user.x", "v", 1, 0));
    PATHS("lsetxattr path", syscall(SYS_lsetxattr, P, "user.x", "v", 1, 0));
    PATHS("listxattr path", syscall(SYS_listxattr, P, buf, sizeof buf));
    PATHS("llistxattr path", syscall(SYS_llistxattr, P, buf, sizeof buf));
    PATHS("removexattr path", syscall(SYS_removexattr, P, "user.x"));
    PATHS("lremovexattr path", syscall(SYS_lremovexattr, P, "user.x"));
}

/* Structs the handlers read or fill, on a file "f" that exists. */
static void structs(void)
{
    EACH_OUT("stat buf", syscall(SYS_stat, "f", P));
    EACH_OUT("lstat buf", syscall(SYS_lstat, "f", P));
    int fd = open("f", O_RDONLY);
    EACH_OUT("fstat buf", syscall(SYS_fstat, fd, P));
    EACH_OUT("newfstatat buf", syscall(SYS_newfstatat, AT_FDCWD, "f", P, 0));
    EACH_OUT("statx buf", syscall(SYS_statx, AT_FDCWD, "f", 0, 0x7ff, P));
    EACH_OUT("statfs buf", syscall(SYS_statfs, ".", P));
    EACH_OUT("fstatfs buf", syscall(SYS_fstatfs, fd, P));
    EACH_IN("openat2 how", syscall(SYS_openat2, AT_FDCWD, "f", P, 24));
    EACH_IN("utimensat times", syscall(SYS_utimensat, AT_FDCWD, "f", P, 0));
    EACH_IN("utimes times", syscall(SYS_utimes, "f", P));
    EACH_IN("futimesat times", syscall(SYS_futimesat, AT_FDCWD, "f", P));
    EACH_IN("utime times", syscall(SYS_utime, "f", P));
    EACH_OUT("getcwd", syscall(SYS_getcwd, P, 4096));
    EACH_OUT("readlink buf", syscall(SYS_readlink, "/proc/self/cwd", P, 64));
    EACH_OUT("readlinkat buf", syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/cwd", P, 64));
    EACH_OUT("uname", syscall(SYS_uname, P));
    EACH_OUT("sysinfo", syscall(SYS_sysinfo, P));
    EACH_OUT("getrusage", syscall(SYS_getrusage, RUSAGE_SELF, P));
    for (int i = 0; i < N_BAD; i++) /* a count that changes: ok or the errno */
        if (out_bad[i].p) { errno = 0; report_ok("times", out_bad[i].name, syscall(SYS_times, out_bad[i].p)); }
    EACH_OUT("sched_getaffinity", syscall(SYS_sched_getaffinity, 0, 8, P));
    EACH_OUT("getcpu cpu", syscall(SYS_getcpu, P, NULL, NULL));
    EACH_OUT("getcpu node", syscall(SYS_getcpu, NULL, P, NULL));
    EACH_OUT("arch_prctl ARCH_GET_FS", syscall(SYS_arch_prctl, 0x1003, P));
    EACH_OUT("pipe", syscall(SYS_pipe, P));
    EACH_OUT("pipe2", syscall(SYS_pipe2, P, 0));
    EACH_OUT("ioctl FIONREAD", syscall(SYS_ioctl, fd, 0x541b, P));
    EACH_IN("ioctl FIONBIO", syscall(SYS_ioctl, fd, 0x5421, P));
    ONE("mremap", "unmapped", syscall(SYS_mremap, unmapped, PG, PG, 0));
    ONE("mremap", "NULL", syscall(SYS_mremap, NULL, PG, PG, 0));
    close(fd);
}

/* The buffers of read and write, on a drvfs file, a tmpfs file, /proc and /dev. */
static void io_on(const char *what, int fd)
{
    char call[64];
    snprintf(call, sizeof call, "read %s", what);
    EACH_OUT(call, (lseek(fd, 0, SEEK_SET), syscall(SYS_read, fd, P, 4)));
    ONE(call, "tail bad", (lseek(fd, 0, SEEK_SET), syscall(SYS_read, fd, unmapped - 4, 8)));
    snprintf(call, sizeof call, "pread64 %s", what);
    EACH_OUT(call, syscall(SYS_pread64, fd, P, 4, 0));
    ONE(call, "tail bad", syscall(SYS_pread64, fd, unmapped - 4, 8, 0));
}

static void io_write_on(const char *what, int fd)
{
    char call[64];
    snprintf(call, sizeof call, "write %s", what);
    EACH_IN(call, (lseek(fd, 0, SEEK_SET), syscall(SYS_write, fd, P, 16)));
    snprintf(call, sizeof call, "pwrite64 %s", what);
    EACH_IN(call, syscall(SYS_pwrite64, fd, P, 16, 0));
}

static void io(void)
{
    int fd = open("f", O_RDWR);
    io_on("file", fd);
    io_write_on("file", fd);
    char ok[16];
    struct iovec good = {ok, 4};
    EACH_IN("readv array", (lseek(fd, 0, SEEK_SET), syscall(SYS_readv, fd, P, 1)));
    EACH_IN("writev array", (lseek(fd, 0, SEEK_SET), syscall(SYS_writev, fd, P, 1)));
    for (int i = 0; i < N_BAD; i++) {
        struct iovec one = {out_bad[i].p, 4}, two[2] = {good, {out_bad[i].p, 4}};
        lseek(fd, 0, SEEK_SET);
        errno = 0;
        report("readv entry", out_bad[i].name, syscall(SYS_readv, fd, &one, 1));
        lseek(fd, 0, SEEK_SET);
        errno = 0;
        report("readv good+bad", out_bad[i].name, syscall(SYS_readv, fd, two, 2));
    }
    for (int i = 0; i < N_BAD; i++) {
        struct iovec one = {in_bad[i].p, 16}, two[2] = {good, {in_bad[i].p, 16}};
        lseek(fd, 0, SEEK_SET);
        errno = 0;
        report("writev entry", in_bad[i].name, syscall(SYS_writev, fd, &one, 1));
        lseek(fd, 0, SEEK_SET);
        errno = 0;
        report("writev good+bad", in_bad[i].name, syscall(SYS_writev, fd, two, 2));
    }
    /* put the contents back for the other readers */
    lseek(fd, 0, SEEK_SET);
    ftruncate(fd, 0);
    write(fd, "hello world\n", 12);

    int dir = open(".", O_RDONLY | O_DIRECTORY);
    EACH_OUT("getdents64", (lseek(dir, 0, SEEK_SET), syscall(SYS_getdents64, dir, P, 4096)));
    close(dir);

    int out = open("g", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    EACH_IN_WORD("sendfile offset", syscall(SYS_sendfile, out, fd, P, 4));
    EACH_IN_WORD("copy_file_range off_in", syscall(SYS_copy_file_range, fd, P, out, NULL, 4, 0));
    EACH_IN_WORD("copy_file_range off_out", syscall(SYS_copy_file_range, fd, NULL, out, P, 4, 0));
    int p[2];
    pipe(p);
    EACH_IN_WORD("splice off_in", syscall(SYS_splice, fd, P, p[1], NULL, 4, 0));
    close(p[0]);
    close(p[1]);
    close(out);

    /* not sockets: the address is read first (connect), the buffer checked (sendto) */
    EACH_IN("connect addr", syscall(SYS_connect, fd, P, 16));
    EACH_IN("sendto buf", syscall(SYS_sendto, fd, P, 4, 0, NULL, 0));
    EACH_OUT("recvfrom buf", syscall(SYS_recvfrom, fd, P, 4, 0, NULL, NULL));
    close(fd);

    char shm[64];
    snprintf(shm, sizeof shm, "/dev/shm/badptr.%d", (int)getpid());
    fd = open(shm, O_CREAT | O_RDWR | O_TRUNC, 0644);
    write(fd, "hello world\n", 12);
    io_on("tmpfs", fd);
    io_write_on("tmpfs", fd);
    /* xattrs on the tmpfs file: names, values, lists */
    syscall(SYS_fsetxattr, fd, "user.x", "value", 5, 0);
    char buf[64];
    EACH_IN("getxattr name", syscall(SYS_getxattr, shm, P, buf, sizeof buf));
    EACH_IN("fgetxattr name", syscall(SYS_fgetxattr, fd, P, buf, sizeof buf));
    EACH_IN("setxattr name", syscall(SYS_setxattr, shm, P, "v", 1, 0));
    EACH_IN("fsetxattr name", syscall(SYS_fsetxattr, fd, P, "v", 1, 0));
    EACH_IN("removexattr name", syscall(SYS_removexattr, shm, P));
    EACH_IN("fremovexattr name", syscall(SYS_fremovexattr, fd, P));
    EACH_OUT("getxattr value", syscall(SYS_getxattr, shm, "user.x", P, sizeof buf));
    EACH_OUT("lgetxattr value", syscall(SYS_lgetxattr, shm, "user.x", P, sizeof buf));
    EACH_OUT("fgetxattr value", syscall(SYS_fgetxattr, fd, "user.x", P, sizeof buf));
    EACH_IN("setxattr value", syscall(SYS_setxattr, shm, "user.y", P, 16, 0));
    EACH_IN("lsetxattr value", syscall(SYS_lsetxattr, shm, "user.y", P, 16, 0));
    EACH_IN("fsetxattr value", syscall(SYS_fsetxattr, fd, "user.y", P, 16, 0));
    EACH_OUT("listxattr list", syscall(SYS_listxattr, shm, P, sizeof buf));
    EACH_OUT("llistxattr list", syscall(SYS_llistxattr, shm, P, sizeof buf));
    EACH_OUT("flistxattr list", syscall(SYS_flistxattr, fd, P, sizeof buf));
    close(fd);
    unlink(shm);

    fd = open("/proc/self/stat", O_RDONLY);
    io_on("/proc", fd);
    close(fd);
    fd = open("/dev/zero", O_RDWR);
    io_on("/dev/zero", fd);
    io_write_on("/dev/zero", fd);
    close(fd);
    fd = open("/dev/urandom", O_RDONLY);
    io_on("/dev/urandom", fd);
    close(fd);
    EACH_OUT("getrandom", syscall(SYS_getrandom, P, 16, 0));
    ONE("getrandom", "tail bad", syscall(SYS_getrandom, unmapped - 4, 8, 0));
}

/* The calls in the signal, identity, limits, process, time, futex, poll and pipe code. */
static int word_timer; /* timer_create's id, when a bad sigevent is refused */

static void others(void)
{
    EACH_IN("poll fds", syscall(SYS_poll, P, 1, 0));
    struct timespec zero = {0, 0};
    EACH_IN("ppoll fds", syscall(SYS_ppoll, P, 1, &zero, NULL, 8));
    struct pollfd pfd = {0, POLLIN, 0};
    EACH_IN_NOT_NULL("ppoll timeout", syscall(SYS_ppoll, &pfd, 1, P, NULL, 8));
    struct { long s, us; } tv0 = {0, 0};
    EACH_IN("select readfds", syscall(SYS_select, 1, P, NULL, NULL, &tv0));
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(0, &rs);
    EACH_IN_NOT_NULL("select timeout", syscall(SYS_select, 1, &rs, NULL, NULL, P));
    EACH_IN("pselect6 readfds", syscall(SYS_pselect6, 1, P, NULL, NULL, &zero, NULL));
    EACH_IN("nanosleep req", syscall(SYS_nanosleep, P, NULL));
    EACH_IN("clock_nanosleep req", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, P, NULL));
    EACH_OUT("gettimeofday tv", syscall(SYS_gettimeofday, P, NULL));
    EACH_OUT("clock_gettime", syscall(SYS_clock_gettime, CLOCK_REALTIME, P));
    EACH_OUT("clock_getres", syscall(SYS_clock_getres, CLOCK_REALTIME, P));
    for (int i = 0; i < N_BAD && !skip("time"); i++) /* the time itself changes: ok or the errno */
        if (out_bad[i].p) { errno = 0; report_ok("time", out_bad[i].name, syscall(SYS_time, out_bad[i].p)); }
    /* timers: the itimers, a timerfd, a POSIX timer (all left disarmed) */
    EACH_OUT("getitimer", syscall(SYS_getitimer, ITIMER_REAL, P));
    EACH_IN_NOT_NULL("setitimer new", syscall(SYS_setitimer, ITIMER_REAL, P, NULL));
    struct { long is, ius, vs, vus; } it_off = {0, 0, 0, 0};
    EACH_OUT("setitimer old", syscall(SYS_setitimer, ITIMER_REAL, &it_off, P));
    int tfd = (int)syscall(SYS_timerfd_create, CLOCK_MONOTONIC, 0);
    struct timespec its_off[2] = {{0, 0}, {0, 0}};
    EACH_IN("timerfd_settime new", syscall(SYS_timerfd_settime, tfd, 0, P, NULL));
    EACH_OUT("timerfd_settime old", syscall(SYS_timerfd_settime, tfd, 0, its_off, P));
    EACH_OUT("timerfd_gettime", syscall(SYS_timerfd_gettime, tfd, P));
    close(tfd);
    for (int i = 0; i < N_BAD && !skip("signalfd4"); i++) { /* a signalfd's mask: each made is closed again */
        errno = 0;
        long sfd = syscall(SYS_signalfd4, -1, in_bad[i].p, 8, 0);
        report_ok("signalfd4 mask", in_bad[i].name, sfd < 0 ? sfd : 0);
        if (sfd >= 0) close((int)sfd);
    }
    EACH_IN_NOT_NULL("timer_create sigevent", syscall(SYS_timer_create, CLOCK_MONOTONIC, P, &word_timer));
    int timer = -1;
    syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, &timer);
    EACH_IN("timer_settime new", syscall(SYS_timer_settime, timer, 0, P, NULL));
    EACH_OUT("timer_settime old", syscall(SYS_timer_settime, timer, 0, its_off, P));
    EACH_OUT("timer_gettime", syscall(SYS_timer_gettime, timer, P));
    syscall(SYS_timer_delete, timer);
    EACH_IN("rt_sigaction act", syscall(SYS_rt_sigaction, SIGUSR1, P, NULL, 8));
    EACH_OUT("rt_sigaction oldact", syscall(SYS_rt_sigaction, SIGUSR1, NULL, P, 8));
    EACH_IN("rt_sigprocmask set", syscall(SYS_rt_sigprocmask, SIG_BLOCK, P, NULL, 8));
    EACH_OUT("rt_sigprocmask oldset", syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, P, 8));
    EACH_OUT("rt_sigpending", syscall(SYS_rt_sigpending, P, 8));
    EACH_OUT("getrlimit", syscall(SYS_getrlimit, RLIMIT_NOFILE, P));
    EACH_IN("setrlimit", syscall(SYS_setrlimit, RLIMIT_NOFILE, P));
    EACH_IN("prlimit64 new", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, P, NULL));
    EACH_OUT("prlimit64 old", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, P));
    EACH_OUT("getresuid", syscall(SYS_getresuid, P, P, P));
    EACH_OUT("getresgid", syscall(SYS_getresgid, P, P, P));
    EACH_IN("futex uaddr", syscall(SYS_futex, P, 0 /* FUTEX_WAIT */, 0, NULL, NULL, 0));
    int word = 0;
    EACH_IN_NOT_NULL("futex timeout", syscall(SYS_futex, &word, 0, 0, P, NULL, 0));
    char *argv[] = {"/bin/true", NULL};
    EACH_IN("execve path", syscall(SYS_execve, P, argv, NULL));
    for (int i = 1; i < N_BAD && !skip("execve argv"); i++) { /* not NULL: Linux runs the program with no arguments */
        errno = 0;
        report("execve argv", in_bad[i].name, syscall(SYS_execve, "/bin/true", in_bad[i].p, NULL));
    }
    int fd = open("f", O_RDWR);
    EACH_IN("fcntl F_SETLK", syscall(SYS_fcntl, fd, F_SETLK, P));
    EACH_OUT("fcntl F_GETLK", syscall(SYS_fcntl, fd, F_GETLK, P));
    close(fd);
    int p[2];
    pipe(p);
    write(p[1], "abcd", 4);
    EACH_OUT("read pipe", syscall(SYS_read, p[0], P, 4));
    EACH_IN("write pipe", syscall(SYS_write, p[1], P, 4));
    close(p[0]);
    close(p[1]);
}

int main(int argc, char **argv)
{
    GUEST_START();
    setup();
    int fd = open("f", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    write(fd, "hello world\n", 12);
    close(fd);
    paths();
    structs();
    io();
    if (argc > 2 && !strcmp(argv[1], "--others")) only = argv[2];
    others();
    return GUEST_END();
}
