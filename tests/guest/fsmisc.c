/* The smaller differences of issue 11, as Linux has them (run natively and under picolx,
   outputs compared): fsync of a read-only fd, open of a directory for writing, O_PATH of
   a symlink itself, nice values, setting the clock, supplementary groups, F_NOTIFY and
   the statfs types of the pseudo file systems. Works in its cwd. Run as root: the parts
   that need an unprivileged process come last, after setuid(65534). */
#include "guest.h"
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void fsync_read_only(void)
{
    int fd = open("ro.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(fd, "data\n", 5);
    close(fd);
    fd = open("ro.txt", O_RDONLY);
    EXPECT_RET("fsync(O_RDONLY file)", fsync(fd), 0);
    EXPECT_RET("fdatasync(O_RDONLY file)", fdatasync(fd), 0);
    close(fd);
    fd = open(".", O_RDONLY | O_DIRECTORY);
    EXPECT_RET("fsync(directory)", fsync(fd), 0);
    close(fd);
    fd = open("ro.txt", O_PATH);
    EXPECT_ERRNO("fsync(O_PATH)", fsync(fd), EBADF);
    close(fd);
    unlink("ro.txt");
}

static void open_directory_for_writing(void)
{
    mkdir("somedir", 0755);
    EXPECT_ERRNO("open(dir, O_WRONLY|O_CREAT|O_TRUNC)", open("somedir", O_WRONLY | O_CREAT | O_TRUNC, 0666), EISDIR);
    EXPECT_ERRNO("open(dir, O_WRONLY)", open("somedir", O_WRONLY), EISDIR);
    EXPECT_ERRNO("open(dir, O_RDWR)", open("somedir", O_RDWR), EISDIR);
    EXPECT_ERRNO("open(dir, O_RDONLY|O_CREAT)", open("somedir", O_RDONLY | O_CREAT, 0666), EISDIR);
    EXPECT_ERRNO("open(dir, O_RDONLY|O_CREAT|O_EXCL)", open("somedir", O_RDONLY | O_CREAT | O_EXCL, 0666), EEXIST);
    EXPECT_ERRNO("open(dir/, O_WRONLY|O_CREAT)", open("somedir/", O_WRONLY | O_CREAT, 0666), EISDIR);
    int fd = open("somedir", O_RDONLY);
    CHECK("open(dir, O_RDONLY)", fd >= 0);
    close(fd);
    rmdir("somedir");
}

static void path_of_symlink(void)
{
    static const char target[] = "target-that-need-not-exist";
    unlink("lnk");
    symlink(target, "lnk");
    int fd = open("lnk", O_PATH | O_NOFOLLOW);
    CHECK("open(symlink, O_PATH|O_NOFOLLOW)", fd >= 0);
    struct stat st;
    EXPECT_RET("fstat(O_PATH symlink)", fstat(fd, &st), 0);
    CHECK("fstat: a symlink", S_ISLNK(st.st_mode));
    printf("fstat: st_size=%lld\n", (long long)st.st_size);
    char buf[64] = {0};
    EXPECT_RET("readlinkat(fd, \"\")", readlinkat(fd, "", buf, sizeof buf), (long)strlen(target));
    printf("readlinkat: %s\n", buf);
    EXPECT_RET("fchownat(fd, \"\", AT_EMPTY_PATH)", fchownat(fd, "", 0, 0, AT_EMPTY_PATH), 0);
    struct stat st2;
    EXPECT_RET("fstatat(fd, \"\", AT_EMPTY_PATH)", fstatat(fd, "", &st2, AT_EMPTY_PATH), 0);
    CHECK("fstatat: the same symlink", S_ISLNK(st2.st_mode) && st2.st_ino == st.st_ino);
    EXPECT_ERRNO("read(O_PATH symlink)", read(fd, buf, 1), EBADF);
    close(fd);
    /* glibc's fchmodat(AT_SYMLINK_NOFOLLOW) opens the link O_PATH|O_NOFOLLOW: EOPNOTSUPP */
    EXPECT_ERRNO("fchmodat(symlink, AT_SYMLINK_NOFOLLOW)", fchmodat(AT_FDCWD, "lnk", 0600, AT_SYMLINK_NOFOLLOW), EOPNOTSUPP);
    EXPECT_ERRNO("open(symlink, O_NOFOLLOW)", open("lnk", O_RDONLY | O_NOFOLLOW), ELOOP);
    unlink("lnk");
}

static void nice_values(bool root)
{
    errno = 0;
    int p = getpriority(PRIO_PROCESS, 0);
    printf("getpriority = %d errno=%s\n", p, errno_name(errno));
    EXPECT_RET("raw getpriority(PRIO_PROCESS, 0)", syscall(SYS_getpriority, PRIO_PROCESS, 0), 20 - p);
    EXPECT_RET("setpriority(5)", setpriority(PRIO_PROCESS, 0, p + 5), 0);
    EXPECT_RET("getpriority after +5", getpriority(PRIO_PROCESS, 0), p + 5);
    EXPECT_RET("setpriority(getpid(), 7)", setpriority(PRIO_PROCESS, getpid(), 7), 0);
    EXPECT_RET("getpriority(getpid())", getpriority(PRIO_PROCESS, getpid()), 7);
    EXPECT_RET("setpriority(99) clamps", setpriority(PRIO_PROCESS, 0, 99), 0);
    EXPECT_RET("getpriority after 99", getpriority(PRIO_PROCESS, 0), 19);
    if (root) {
        EXPECT_RET("setpriority(-3) as root", setpriority(PRIO_PROCESS, 0, -3), 0);
        EXPECT_RET("getpriority after -3", getpriority(PRIO_PROCESS, 0), -3);
        EXPECT_RET("setpriority(-99) as root clamps", setpriority(PRIO_PROCESS, 0, -99), 0);
        EXPECT_RET("getpriority after -99", getpriority(PRIO_PROCESS, 0), -20);
        EXPECT_RET("setpriority(2)", setpriority(PRIO_PROCESS, 0, 2), 0);
    } else {
        EXPECT_ERRNO("setpriority(lower) unprivileged", setpriority(PRIO_PROCESS, 0, 18), EACCES);
        EXPECT_RET("getpriority unchanged", getpriority(PRIO_PROCESS, 0), 19);
        EXPECT_RET("setpriority(same) unprivileged", setpriority(PRIO_PROCESS, 0, 19), 0);
        EXPECT_ERRNO("setpriority(-1) unprivileged", setpriority(PRIO_PROCESS, 0, -1), EACCES);
    }
    EXPECT_ERRNO("getpriority(bad which)", getpriority(7, 0), EINVAL);
    EXPECT_ERRNO("setpriority(bad which)", setpriority(7, 0, 0), EINVAL);
    EXPECT_ERRNO("getpriority(no such pid)", getpriority(PRIO_PROCESS, 999999), ESRCH);
    EXPECT_ERRNO("setpriority(no such pid)", setpriority(PRIO_PROCESS, 999999, 1), ESRCH);
}

static void setting_the_clock(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    EXPECT_ERRNO("clock_settime(CLOCK_MONOTONIC)", clock_settime(CLOCK_MONOTONIC, &t), EINVAL);
    EXPECT_ERRNO("clock_settime(bad clock)", clock_settime(77, &t), EINVAL);
    struct timespec bad = {.tv_sec = 1, .tv_nsec = 1000000000};
    EXPECT_ERRNO("clock_settime(REALTIME, bad nsec)", clock_settime(CLOCK_REALTIME, &bad), EINVAL);
}

static void setting_the_clock_unprivileged(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    EXPECT_ERRNO("clock_settime(CLOCK_REALTIME) unprivileged", clock_settime(CLOCK_REALTIME, &t), EPERM);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    EXPECT_ERRNO("settimeofday unprivileged", settimeofday(&tv, NULL), EPERM);
}

static void print_groups(const char *what)
{
    gid_t g[64];
    int n = getgroups(64, g);
    printf("%s: getgroups = %d:", what, n);
    for (int i = 0; i < n; i++) printf(" %d", (int)g[i]);
    printf("\n");
}

static void supplementary_groups(void)
{
    gid_t set[] = {30, 10, 20};
    EXPECT_RET("setgroups(3)", setgroups(3, set), 0);
    print_groups("after setgroups");
    EXPECT_RET("getgroups(0, NULL)", getgroups(0, NULL), 3);
    gid_t small[2];
    EXPECT_ERRNO("getgroups(2) too small", getgroups(2, small), EINVAL);
    EXPECT_RET("setgroups(0)", setgroups(0, NULL), 0);
    print_groups("after setgroups(0)");
}

static volatile sig_atomic_t sigio_count;
static void on_sigio(int sig) { sigio_count++; }

/* Waits up to 5 s for a SIGIO: whether one came. */
static bool sigio_within(int before)
{
    for (int i = 0; i < 500 && sigio_count == before; i++) usleep(10000);
    return sigio_count != before;
}

static void dnotify(void)
{
    signal(SIGIO, on_sigio);
    mkdir("watched", 0755);
    int d = open("watched", O_RDONLY);
    int r = fcntl(d, F_NOTIFY, DN_CREATE | DN_MULTISHOT);
    printf("fcntl(dirfd, F_NOTIFY, DN_CREATE|DN_MULTISHOT) = %d %s\n", r, r < 0 ? errno_name(errno) : "");
    int n = sigio_count;
    close(open("watched/one", O_WRONLY | O_CREAT, 0644));
    CHECK("SIGIO after a create", sigio_within(n));
    usleep(200000);
    n = sigio_count;
    close(open("watched/two", O_WRONLY | O_CREAT, 0644));
    CHECK("SIGIO after a second create (multishot)", sigio_within(n));
    EXPECT_RET("fcntl(F_NOTIFY, 0) ends the watch", fcntl(d, F_NOTIFY, 0), 0);
    int f = open("watched/one", O_RDONLY);
    EXPECT_ERRNO("F_NOTIFY of a file", fcntl(f, F_NOTIFY, DN_CREATE), ENOTDIR);
    close(f);
    close(d);
    unlink("watched/one");
    unlink("watched/two");
    rmdir("watched");
    signal(SIGIO, SIG_IGN);
}

static void statfs_types(void)
{
    static const char *const paths[] = {"/proc", "/proc/self", "/sys", "/dev/shm"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct statfs s;
        int r = statfs(paths[i], &s);
        printf("statfs(%s) = %d f_type=0x%lx\n", paths[i], r, r ? 0ul : (unsigned long)s.f_type);
    }
    int fd = open("/proc/self/status", O_RDONLY);
    struct statfs s;
    int r = fstatfs(fd, &s);
    printf("fstatfs(/proc/self/status) = %d f_type=0x%lx\n", r, r ? 0ul : (unsigned long)s.f_type);
    close(fd);
}

int main(void)
{
    GUEST_START();
    fsync_read_only();
    open_directory_for_writing();
    path_of_symlink();
    nice_values(true);
    setting_the_clock();
    supplementary_groups();
    dnotify();
    statfs_types();
    /* now as an unprivileged user */
    CHECK("setgroups(0) + setgid + setuid(65534)", setgroups(0, NULL) == 0 && setgid(65534) == 0 && setuid(65534) == 0);
    nice_values(false);
    setting_the_clock_unprivileged();
    gid_t one = 5;
    EXPECT_ERRNO("setgroups unprivileged", setgroups(1, &one), EPERM);
    print_groups("unprivileged");
    return GUEST_END();
}
