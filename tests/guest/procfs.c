/* /proc, /dev, /sys and /dev/shm as a program sees them: only what is the same natively
   and under picolx is printed (ok/FAIL, errno names, fixed strings). */
#include "guest.h"
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static char *read_all(const char *path, size_t *len_out)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (len == cap) buf = realloc(buf, (cap *= 2) + 1);
        ssize_t n = read(fd, buf + len, cap - len); /* small reads on purpose: positions must work */
        if (n <= 0) break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = 0;
    if (len_out) *len_out = len;
    return buf;
}

static int count_lines_starting(const char *text, const char *prefix)
{
    int n = 0;
    size_t pl = strlen(prefix);
    for (const char *p = text; p && *p;) {
        if (!strncmp(p, prefix, pl)) n++;
        p = strchr(p, '\n');
        if (p) p++;
    }
    return n;
}

static void check_cmdline(int argc, char **argv)
{
    size_t len;
    char *cmd = read_all("/proc/self/cmdline", &len);
    size_t want = 0;
    for (int i = 0; i < argc; i++) want += strlen(argv[i]) + 1;
    int same = cmd && len == want;
    size_t at = 0;
    for (int i = 0; same && i < argc; i++) {
        same = !strcmp(cmd + at, argv[i]);
        at += strlen(argv[i]) + 1;
    }
    CHECK("cmdline is argv", same);
    free(cmd);
    char *env = read_all("/proc/self/environ", &len);
    int found = 0;
    for (size_t i = 0; env && i < len; i += strlen(env + i) + 1)
        if (!strncmp(env + i, "PATH=", 5) && !strcmp(env + i + 5, getenv("PATH"))) found = 1;
    CHECK("environ has PATH", found);
    free(env);
}

static void check_links(const char *argv0)
{
    char exe[PATH_MAX], real[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n >= 0) exe[n] = 0;
    CHECK("readlink exe is the program", n > 0 && realpath(argv0, real) && !strcmp(exe, real));

    char self[32], pid[32];
    n = readlink("/proc/self", self, sizeof self - 1);
    if (n >= 0) self[n] = 0;
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    CHECK("/proc/self is the pid", n > 0 && !strcmp(self, pid));
    struct stat st;
    CHECK("lstat /proc/self is a link", lstat("/proc/self", &st) == 0 && S_ISLNK(st.st_mode));
    CHECK("stat /proc/self is a dir", stat("/proc/self", &st) == 0 && S_ISDIR(st.st_mode));

    int fd = open("procfs-file.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    char link[64], target[PATH_MAX], cwd[PATH_MAX], want[PATH_MAX + 32];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    n = readlink(link, target, sizeof target - 1);
    if (n >= 0) target[n] = 0;
    snprintf(want, sizeof want, "%s/procfs-file.txt", getcwd(cwd, sizeof cwd) ? cwd : "?");
    CHECK("readlink fd/N of a file", n > 0 && !strcmp(target, want));

    char cwdlink[PATH_MAX];
    n = readlink("/proc/self/cwd", cwdlink, sizeof cwdlink - 1);
    if (n >= 0) cwdlink[n] = 0;
    CHECK("readlink cwd", n > 0 && !strcmp(cwdlink, cwd));

    DIR *d = opendir("/proc/self/fd");
    int seen0 = 0, seen_file = 0, others = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        int num = atoi(e->d_name);
        if (num == 0) seen0 = 1;
        else if (num == fd) seen_file = 1;
        else others++;
        if (e->d_type != DT_LNK) others = -1000;
    }
    CHECK("listing fd/ has 0 and the file, as links", d && seen0 && seen_file && others >= 0);
    if (d) closedir(d);
    close(fd);
    unlink("procfs-file.txt");
    errno = 0;
    n = readlink("/proc/self/fd/999", target, sizeof target);
    printf("readlink fd/999: %s\n", n < 0 ? errno_name(errno) : "found");
}

static void on_usr1(int sig) { (void)sig; }

static void check_text_files(void)
{
    char *ostype = read_all("/proc/sys/kernel/ostype", NULL);
    printf("ostype: %s", ostype ? ostype : "(none)\n");
    free(ostype);

    char *status = read_all("/proc/self/status", NULL);
    char want[64];
    snprintf(want, sizeof want, "\nPid:\t%d\n", (int)getpid());
    CHECK("status has Pid", status && strstr(status, want));
    CHECK("status starts with Name", status && !strncmp(status, "Name:\t", 6));
    printf("status Pid lines: %d\n", count_lines_starting(status, "Pid:"));
    free(status);

    /* the signal lines say the process's own sets: SIGPIPE ignored, SIGUSR1 caught,
       SIGUSR2 blocked and pending (raised), SIGHUP blocked */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGUSR1, on_usr1);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR2);
    status = read_all("/proc/self/status", NULL);
    static const char *const lines[] = {"SigQ:", "SigPnd:", "ShdPnd:", "SigBlk:", "SigIgn:", "SigCgt:", "NoNewPrivs:"};
    for (size_t i = 0; status && i < sizeof lines / sizeof lines[0]; i++) {
        const char *at = strstr(status, lines[i]);
        const char *end = at ? strchr(at, '\n') : NULL;
        if (!strcmp(lines[i], "SigQ:") && end) { /* counts the user's signals of every process: only there */
            printf("status has SigQ: %d\n", memchr(at, '/', (size_t)(end - at)) != NULL);
            continue;
        }
        printf("status %.*s\n", end ? (int)(end - at) : 0, end ? at : "");
    }
    free(status);
    sigset_t pending;
    int got;
    sigemptyset(&pending);
    sigaddset(&pending, SIGUSR2);
    sigwait(&pending, &got);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);

    char *stat = read_all("/proc/self/stat", NULL);
    int fields = 0;
    const char *after = stat ? strrchr(stat, ')') : NULL;
    for (const char *p = after; p && *p; p++)
        if (*p == ' ') fields++;
    CHECK("stat has 52 fields", fields == 50); /* after "pid (comm)": 50 more, space-separated */
    CHECK("stat starts with the pid", stat && atoi(stat) == getpid());
    free(stat);

    char *maps = read_all("/proc/self/maps", NULL);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n >= 0) exe[n] = 0;
    int stack = 0, exe_code = 0;
    for (char *line = maps; line && *line;) {
        char *end = strchr(line, '\n');
        if (end) *end = 0;
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3) {
            if (strstr(line, "[stack]")) stack = lo <= (unsigned long)&maps && (unsigned long)&maps < hi;
            const char *name = strchr(line, '/');
            if (name && n > 0 && !strcmp(name, exe) && perms[2] == 'x') exe_code = 1;
        }
        line = end ? end + 1 : NULL;
    }
    CHECK("maps: [stack] holds a local", stack);
    CHECK("maps: the program's code", exe_code);
    free(maps);

    char *cpuinfo = read_all("/proc/cpuinfo", NULL);
    int procs = count_lines_starting(cpuinfo, "processor");
    CHECK("cpuinfo: one processor block per cpu", procs > 0 && procs == sysconf(_SC_NPROCESSORS_CONF));
    CHECK("cpuinfo has flags", cpuinfo && strstr(cpuinfo, "\nflags\t\t: "));
    free(cpuinfo);

    char *meminfo = read_all("/proc/meminfo", NULL);
    CHECK("meminfo starts with MemTotal", meminfo && !strncmp(meminfo, "MemTotal:", 9));
    free(meminfo);
    char *mounts = read_all("/proc/mounts", NULL);
    CHECK("mounts has /proc", mounts && strstr(mounts, " /proc proc "));
    free(mounts);
    char *online = read_all("/sys/devices/system/cpu/online", NULL);
    CHECK("sys cpu online starts with 0", online && online[0] == '0');
    free(online);
    char *uuid = read_all("/proc/sys/kernel/random/uuid", NULL);
    CHECK("random uuid", uuid && strlen(uuid) == 37 && uuid[8] == '-' && uuid[14] == '4');
    free(uuid);
}

static void check_devices(void)
{
    struct { const char *path; unsigned major, minor; } devs[] = {
        {"/dev/null", 1, 3}, {"/dev/zero", 1, 5}, {"/dev/full", 1, 7}, {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9},
    };
    for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++) {
        struct stat st;
        int r = stat(devs[i].path, &st);
        printf("%s: %s %u:%u mode %o\n", devs[i].path, r == 0 && S_ISCHR(st.st_mode) ? "char" : "?",
               r == 0 ? major(st.st_rdev) : 0, r == 0 ? minor(st.st_rdev) : 0, r == 0 ? st.st_mode & 0777 : 0);
    }
    char buf[64];
    int fd = open("/dev/null", O_RDWR);
    printf("null: write %zd read %zd\n", write(fd, "abc", 3), read(fd, buf, sizeof buf));
    close(fd);
    fd = open("/dev/zero", O_RDONLY);
    memset(buf, 'x', sizeof buf);
    ssize_t n = read(fd, buf, sizeof buf);
    int zeros = 1;
    for (size_t i = 0; i < sizeof buf; i++) zeros &= buf[i] == 0;
    CHECK("zero reads zeros", n == (ssize_t)sizeof buf && zeros);
    close(fd);
    fd = open("/dev/full", O_WRONLY);
    errno = 0;
    n = write(fd, "abc", 3);
    printf("full: write %zd %s\n", n, errno_name(errno));
    close(fd);
    fd = open("/dev/urandom", O_RDONLY);
    printf("urandom: read %zd\n", read(fd, buf, 16));
    close(fd);
    char target[64];
    n = readlink("/dev/stdin", target, sizeof target - 1);
    if (n >= 0) target[n] = 0;
    printf("/dev/stdin -> %s\n", n > 0 ? target : "?");
    n = readlink("/dev/fd", target, sizeof target - 1);
    if (n >= 0) target[n] = 0;
    printf("/dev/fd -> %s\n", n > 0 ? target : "?");
    errno = 0;
    printf("open /dev/no-such: %s\n", open("/dev/no-such", O_RDONLY) < 0 ? errno_name(errno) : "opened");
}

static void check_shm(void)
{
    char path[64], moved[64];
    snprintf(path, sizeof path, "/dev/shm/procfs-test-%d", (int)getpid());
    snprintf(moved, sizeof moved, "/dev/shm/procfs-moved-%d", (int)getpid());
    mode_t old = umask(022);
    int fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0666);
    CHECK("shm create", fd >= 0);
    printf("shm write: %zd\n", write(fd, "hello shm", 9));
    struct stat st;
    fstat(fd, &st);
    printf("shm stat: size %lld mode %o nlink %ld\n", (long long)st.st_size, st.st_mode & 07777, (long)st.st_nlink);
    struct statfs sf;
    CHECK("shm is a tmpfs", statfs("/dev/shm", &sf) == 0 && sf.f_type == 0x01021994);
    CHECK("shm rename", rename(path, moved) == 0);
    char buf[16] = {0};
    printf("shm pread after rename: %zd %s\n", pread(fd, buf, sizeof buf - 1, 6), buf);
    CHECK("shm unlink open file", unlink(moved) == 0);
    printf("shm read after unlink: %zd\n", pread(fd, buf, 5, 0));
    fstat(fd, &st);
    printf("shm nlink after unlink: %ld\n", (long)st.st_nlink);
    close(fd);
    errno = 0;
    printf("shm stat removed: %s\n", stat(moved, &st) < 0 ? errno_name(errno) : "exists");
    char dir[64], inner[96];
    snprintf(dir, sizeof dir, "/dev/shm/procfs-dir-%d", (int)getpid());
    snprintf(inner, sizeof inner, "%s/x", dir);
    CHECK("shm mkdir", mkdir(dir, 0700) == 0);
    close(open(inner, O_CREAT | O_WRONLY, 0600));
    errno = 0;
    printf("shm rmdir non-empty: %s\n", rmdir(dir) < 0 ? errno_name(errno) : "removed");
    unlink(inner);
    CHECK("shm rmdir", rmdir(dir) == 0);
    umask(old);
}

int main(int argc, char **argv)
{
    GUEST_START();
    check_cmdline(argc, argv);
    check_links(argv[0]);
    check_text_files();
    check_devices();
    check_shm();
    return GUEST_END();
}
