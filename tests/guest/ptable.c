/* The session's process table seen from two processes (no fork: two runs of this
   program, each started as a session leader, as a first picolx process is).

     ptable wait FILE     prints "ready PID", then waits (up to 120 s) until FILE exists;
                          named "ptable-waiter" (PR_SET_NAME) when FILE is called "release"
     ptable probe PID     run while `wait` waits: what kill(pid, 0), getpgid, getsid,
                          setpgid, setsid and /proc/PID say about that process and itself
     ptable gone PID      after a `wait` was killed (SIGKILL; under picolx its Windows
                          process ends without a word): that nothing knows the pid now

   Lines hold no pids: a pid is printed as "peer", "self" or "other". */
#include "guest.h"
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *who(pid_t v, pid_t peer)
{
    static char other[32];
    if (v == peer) return "peer";
    if (v == getpid()) return "self";
    if (v == -1) return "-1";
    snprintf(other, sizeof other, v > 0 ? "other" : "%d", (int)v);
    return other;
}

static void show(const char *name, long r, pid_t peer)
{
    int e = errno;
    if (r == -1) printf("%s: -1 %s\n", name, e == ESRCH ? "ESRCH" : errno_name(e));
    else printf("%s: %s\n", name, who((pid_t)r, peer));
}

static const char *base(const char *s)
{
    const char *slash = strrchr(s, '/');
    return slash ? slash + 1 : s;
}

/* A live waiter reads R or S depending on the instant it is looked at (natively it
   is R while it prints or polls the file): both print as "live". */
static const char *liveness(char state)
{
    static char other[2];
    if (state == 'R' || state == 'S') return "live";
    other[0] = state;
    return other;
}

static int wait_for(const char *file)
{
    if (!strcmp(base(file), "release")) prctl(PR_SET_NAME, "ptable-waiter"); /* comm as the others see it */
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    for (int i = 0; i < 120 * 20; i++) {
        if (access(file, F_OK) == 0) {
            printf("released\n");
            return 0;
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    printf("never released\n");
    return 1;
}

static int proc_lists(pid_t pid)
{
    DIR *d = opendir("/proc");
    if (!d) return -1;
    struct dirent *e;
    int found = 0;
    char want[32];
    snprintf(want, sizeof want, "%d", (int)pid);
    while ((e = readdir(d)))
        if (!strcmp(e->d_name, want)) found = e->d_type == DT_DIR ? 1 : 2;
    closedir(d);
    return found;
}

/* A pid no process has: one /proc does not list, from the top down. */
static pid_t unused_pid(void)
{
    for (pid_t p = 32000; p > 1000; p--)
        if (proc_lists(p) == 0 && kill(p, 0) == -1 && errno == ESRCH) return p;
    return 0;
}

static long read_file(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = 0;
    fclose(f);
    return (long)n;
}

static void probe_proc(pid_t peer)
{
    char path[64], buf[4096], mine[4096];
    CHECK("proc lists peer as a directory", proc_lists(peer) == 1);
    CHECK("proc lists self", proc_lists(getpid()) == 1);

    snprintf(path, sizeof path, "/proc/%d/stat", (int)peer);
    if (read_file(path, buf, sizeof buf) < 0) {
        printf("stat: %s\n", errno_name(errno));
        guest_failures++;
    } else {
        char *close = strrchr(buf, ')');
        char state = 0;
        int pid = 0, ppid = 0, pgrp = 0, session = 0;
        char comm[64] = "";
        char *open = strchr(buf, '(');
        if (open && close) snprintf(comm, sizeof comm, "%.*s", (int)(close - open - 1), open + 1);
        pid = atoi(buf);
        if (close) sscanf(close + 2, "%c %d %d %d", &state, &ppid, &pgrp, &session);
        printf("stat: pid %s comm %s state %s pgrp %s session %s ppid %s\n", who(pid, peer), comm, liveness(state),
               who(pgrp, peer), who(session, peer), ppid > 0 ? "positive" : "not positive");
    }
    snprintf(path, sizeof path, "/proc/%d/comm", (int)peer);
    if (read_file(path, buf, sizeof buf) >= 0) printf("comm: %s", buf);
    else printf("comm: %s\n", errno_name(errno));

    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)peer);
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        printf("cmdline:");
        for (size_t at = 0, i = 0; at < n; at += strlen(buf + at) + 1, i++)
            printf(" %s", i == 0 || i == 2 ? base(buf + at) : buf + at); /* the paths differ by side */
        printf("\n");
    } else {
        printf("cmdline: %s\n", errno_name(errno));
    }

    snprintf(path, sizeof path, "/proc/%d/status", (int)peer);
    if (read_file(path, buf, sizeof buf) >= 0 && read_file("/proc/self/status", mine, sizeof mine) >= 0) {
        char *name = strstr(buf, "Name:"), *state = strstr(buf, "State:"), *uid = strstr(buf, "\nUid:");
        char *my_uid = strstr(mine, "\nUid:");
        printf("status: Name %.*s", name ? (int)strcspn(name + 6, "\n") : 0, name ? name + 6 : "");
        printf(" State %s", liveness(state ? state[7] : '?'));
        CHECK(" Uid as mine", uid && my_uid && !strncmp(uid, my_uid, strcspn(uid + 1, "\n") + 1));
    } else {
        printf("status: %s\n", errno_name(errno));
        guest_failures++;
    }

    char link[PATH_MAX] = "", my_link[PATH_MAX] = "";
    snprintf(path, sizeof path, "/proc/%d/exe", (int)peer);
    ssize_t n = readlink(path, link, sizeof link - 1);
    ssize_t m = readlink("/proc/self/exe", my_link, sizeof my_link - 1);
    if (n >= 0) link[n] = 0;
    if (m >= 0) my_link[m] = 0;
    CHECK("exe is the same program as mine", n > 0 && m > 0 && !strcmp(link, my_link));
    snprintf(path, sizeof path, "/proc/%d/cwd", (int)peer);
    n = readlink(path, link, sizeof link - 1);
    if (n >= 0) link[n] = 0;
    CHECK("cwd is mine", n > 0 && getcwd(my_link, sizeof my_link) && !strcmp(link, my_link));
    snprintf(path, sizeof path, "/proc/%d", (int)peer);
    struct stat st;
    CHECK("the directory is the peer's user's", stat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid());
    snprintf(path, sizeof path, "/proc/%d/no-such-file", (int)peer);
    EXPECT_ERRNO("a missing file in it", open(path, 0), ENOENT);
}

static int probe(pid_t peer)
{
    pid_t self = getpid();
    show("kill(peer, 0)", kill(peer, 0), peer);
    show("kill(-peer, 0)", kill(-peer, 0), peer);
    show("kill(0, 0)", kill(0, 0), peer);
    show("kill(-1, 0)", kill(-1, 0), peer);
    show("getpgid(peer)", getpgid(peer), peer);
    show("getsid(peer)", getsid(peer), peer);
    show("getpgid(0)", getpgid(0), peer);
    show("getpgid(self)", getpgid(self), peer);
    show("getsid(0)", getsid(0), peer);
    show("getpgrp()", getpgrp(), peer);
    show("getpgid(-1)", getpgid(-1), peer);
    show("getsid(-5)", getsid(-5), peer);
    show("setpgid(peer, peer): not a child", setpgid(peer, peer), peer);
    show("setpgid(peer, 0): not a child", setpgid(peer, 0), peer);
    show("setpgid(0, 0): a session leader", setpgid(0, 0), peer);
    show("setpgid(0, peer): a session leader", setpgid(0, peer), peer);
    show("setpgid(0, -1)", setpgid(0, -1), peer);
    show("setpgid(-1, 0)", setpgid(-1, 0), peer);
    show("setsid(): a session leader", setsid(), peer);
    show("getsid(0) after", getsid(0), peer);
    pid_t none = unused_pid();
    CHECK("an unused pid found", none > 0);
    show("kill(unused, 0)", kill(none, 0), peer);
    show("kill(-unused, 0)", kill(-none, 0), peer);
    show("getpgid(unused)", getpgid(none), peer);
    show("getsid(unused)", getsid(none), peer);
    show("setpgid(unused, 0)", setpgid(none, 0), peer);
    probe_proc(peer);
    return 0;
}

static int gone(pid_t peer)
{
    show("kill(gone, 0)", kill(peer, 0), peer);
    show("kill(-gone, 0)", kill(-peer, 0), peer);
    show("getpgid(gone)", getpgid(peer), peer);
    show("getsid(gone)", getsid(peer), peer);
    CHECK("proc does not list it", proc_lists(peer) == 0);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)peer);
    EXPECT_ERRNO("its stat", open(path, O_RDONLY), ENOENT);
    return 0;
}

int main(int argc, char **argv)
{
    GUEST_START();
    if (argc == 3 && !strcmp(argv[1], "wait")) return wait_for(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "probe")) {
        probe((pid_t)atoi(argv[2]));
        return GUEST_END();
    }
    if (argc == 3 && !strcmp(argv[1], "gone")) {
        gone((pid_t)atoi(argv[2]));
        return GUEST_END();
    }
    fprintf(stderr, "usage: ptable wait FILE | ptable probe PID | ptable gone PID\n");
    return 2;
}
