/* The task model's per-process state, natively and under picolx:
     tasks nofile          RLIMIT_NOFILE: raising the soft limit lets the 1,025th fd open,
                           lowering it gives EMFILE past it (and EBADF for dup2, EINVAL for
                           F_DUPFD), fds already above it stay usable
     tasks set NEXT...     sets the state an execve keeps (prctl, rlimits, umask, cwd,
                           signal mask, ignored signals, pending signals with their
                           siginfo, queued real-time signals, ITIMER_REAL), then execs
                           NEXT... (tests/e2e: python3, a fixed-address program that runs in
                           a new picolx process, which execs `tasks report`)
     tasks report          prints that state
     tasks creds           set*id and setgroups as root: each change and refusal, the
                           dumpable flag they clear, EFAULT for bad pointers */
#include "guest.h"
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <grp.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int set_nofile(rlim_t soft)
{
    struct rlimit r;
    getrlimit(RLIMIT_NOFILE, &r);
    r.rlim_cur = soft;
    return setrlimit(RLIMIT_NOFILE, &r);
}

static int nofile(void)
{
    EXPECT_RET("raise soft limit to 2048", set_nofile(2048), 0);
    int highest = -1, fails = 0;
    for (int i = 0; i < 1100; i++) { /* fds 3..1102: past the old limit of 1024 */
        int fd = dup(0);
        if (fd < 0) fails++;
        else highest = fd;
    }
    printf("dup x1100: failures %d, highest fd %d\n", fails, highest);
    CHECK("fd 1024 (the 1,025th) is open", fcntl(1024, F_GETFD) == 0);
    EXPECT_RET("dup2 to 2047", dup2(0, 2047), 2047);
    EXPECT_ERRNO("dup2 to 2048 (the limit)", dup2(0, 2048), EBADF);
    EXPECT_ERRNO("F_DUPFD from 2048", fcntl(0, F_DUPFD, 2048), EINVAL);

    EXPECT_RET("lower soft limit to 64", set_nofile(64), 0);
    EXPECT_ERRNO("dup with 1100 fds open, limit 64", dup(0), EMFILE);
    EXPECT_ERRNO("open with limit 64", open("/dev/null", O_RDONLY), EMFILE);
    EXPECT_ERRNO("dup2 to 64", dup2(0, 64), EBADF);
    EXPECT_ERRNO("F_DUPFD from 64", fcntl(0, F_DUPFD, 64), EINVAL);
    CHECK("fd 1000 above the limit still works", fcntl(1000, F_GETFD) == 0);
    EXPECT_RET("close fd 1000", close(1000), 0);
    EXPECT_RET("close fd 10", close(10), 0);
    EXPECT_RET("dup below the limit takes the free fd 10", dup(0), 10);
    EXPECT_RET("dup2 to 63", dup2(0, 63), 63);
    EXPECT_ERRNO("dup2 to 1000 (closed, above the limit)", dup2(0, 1000), EBADF);
    return GUEST_END();
}

static void report(void)
{
    printf("dumpable %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    printf("no_new_privs %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    int sig = -1, reaper = -1;
    prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
    prctl(PR_GET_CHILD_SUBREAPER, &reaper, 0, 0, 0);
    printf("pdeathsig %d child_subreaper %d\n", sig, reaper);
    struct rlimit r;
    getrlimit(RLIMIT_NOFILE, &r);
    printf("RLIMIT_NOFILE soft %llu\n", (unsigned long long)r.rlim_cur);
    getrlimit(RLIMIT_MSGQUEUE, &r);
    printf("RLIMIT_MSGQUEUE %llu %llu\n", (unsigned long long)r.rlim_cur, (unsigned long long)r.rlim_max);
    mode_t mask = umask(0);
    printf("umask %03o\n", (unsigned)mask);
    char cwd[4096];
    const char *base = getcwd(cwd, sizeof cwd) ? strrchr(cwd, '/') : NULL;
    printf("cwd ends in %s\n", base ? base : "(none)");
    sigset_t set;
    sigprocmask(SIG_BLOCK, NULL, &set);
    printf("blocked: USR2 %d HUP %d\n", sigismember(&set, SIGUSR2), sigismember(&set, SIGHUP));
    sigpending(&set);
    printf("pending: USR2 %d RTMIN %d\n", sigismember(&set, SIGUSR2), sigismember(&set, SIGRTMIN));
    /* the infos: USR2's (raise: SI_TKILL), then both queued RTMIN instances in order */
    sigset_t wait_set;
    sigemptyset(&wait_set);
    sigaddset(&wait_set, SIGUSR2);
    sigaddset(&wait_set, SIGRTMIN);
    struct timespec none = {0, 0};
    siginfo_t si;
    for (int i = 0; i < 4; i++) {
        int got = sigtimedwait(&wait_set, &si, &none);
        if (got < 0) {
            printf("sigtimedwait %d: %s\n", i, strerror(errno));
            break;
        }
        printf("sigtimedwait %d: %s code %d value %d pid kept %d\n", i, got == SIGUSR2 ? "USR2" : got == SIGRTMIN ? "RTMIN" : "other",
               si.si_code, got == SIGRTMIN ? si.si_value.sival_int : 0, si.si_pid == getpid());
    }
    struct itimerval it;
    getitimer(ITIMER_REAL, &it);
    printf("ITIMER_REAL left in (20 s, 30 s] %d, interval %ld s\n", it.it_value.tv_sec >= 20 && it.it_value.tv_sec < 30,
           (long)it.it_interval.tv_sec);
    struct sigaction a;
    sigaction(SIGHUP, NULL, &a);
    printf("SIGHUP ignored %d\n", a.sa_handler == SIG_IGN);
    sigaction(SIGTERM, NULL, &a);
    printf("SIGTERM default %d\n", a.sa_handler == SIG_DFL);
    const char *ids = getenv("TASKS_IDS");
    char now[64];
    snprintf(now, sizeof now, "%u %u %u %u %d", getuid(), geteuid(), getgid(), getegid(), getpid());
    printf("ids and pid kept %d\n", ids && !strcmp(ids, now));
}

static void print_ids(const char *when)
{
    uid_t r, e, s;
    gid_t gr, ge, gs;
    getresuid(&r, &e, &s);
    getresgid(&gr, &ge, &gs);
    gid_t groups[8];
    int n = getgroups(8, groups);
    printf("%s: uid %u %u %u fsuid %d gid %u %u %u groups", when, r, e, s, setfsuid(-1), gr, ge, gs);
    for (int i = 0; i < n; i++) printf(" %u", groups[i]);
    printf(" dumpable %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
}

/* Raw calls: glibc's set*id wrappers broadcast to every thread and abort on failure paths
   we want to see. */
#define SYS(...) syscall(__VA_ARGS__)

static int creds(void)
{
    if (getuid() != 0) {
        printf("not root: nothing to check\n");
        return GUEST_END();
    }
    gid_t g3[3] = {5, 3, 4};
    EXPECT_RET("setgroups 5 3 4", SYS(SYS_setgroups, 3, g3), 0);
    gid_t one[1];
    EXPECT_ERRNO("getgroups into 1 slot", getgroups(1, one), EINVAL);
    EXPECT_RET("getgroups size 0", getgroups(0, NULL), 3);
    EXPECT_ERRNO("setgroups from a bad pointer", SYS(SYS_setgroups, 2, (void *)8), EFAULT);
    EXPECT_ERRNO("getresuid into NULL", SYS(SYS_getresuid, NULL, NULL, NULL), EFAULT);
    EXPECT_RET("setresgid 100 100 100", SYS(SYS_setresgid, 100, 100, 100), 0);
    EXPECT_RET("setfsuid 2000 (returns the old)", SYS(SYS_setfsuid, 2000), 0);
    EXPECT_RET("setfsuid 0 (returns 2000)", SYS(SYS_setfsuid, 0), 2000);
    print_ids("root, gid 100");
    EXPECT_RET("setresuid 1000 1000 0", SYS(SYS_setresuid, 1000, 1000, 0), 0);
    print_ids("euid 1000, saved 0");
    EXPECT_ERRNO("setgroups unprivileged", SYS(SYS_setgroups, 0, NULL), EPERM);
    EXPECT_ERRNO("setgid 0 unprivileged", SYS(SYS_setgid, 0), EPERM);
    EXPECT_RET("setgid 100 (the real gid)", SYS(SYS_setgid, 100), 0);
    EXPECT_RET("setfsuid 3000 refused (returns 1000)", SYS(SYS_setfsuid, 3000), 1000);
    EXPECT_ERRNO("setuid 2000 unprivileged", SYS(SYS_setuid, 2000), EPERM);
    EXPECT_RET("setuid 0 (the saved uid): euid only", SYS(SYS_setuid, 0), 0);
    print_ids("euid 0 again");
    EXPECT_RET("setreuid -1 1000", SYS(SYS_setreuid, -1, 1000), 0);
    print_ids("setreuid -1 1000");
    EXPECT_ERRNO("setreuid 1000 2000 refused", SYS(SYS_setreuid, 1000, 2000), EPERM);
    EXPECT_RET("setresuid -1 -1 1000", SYS(SYS_setresuid, -1, -1, 1000), 0);
    EXPECT_ERRNO("setuid 0 with no 0 left", SYS(SYS_setuid, 0), EPERM);
    EXPECT_ERRNO("setuid -1", SYS(SYS_setuid, -1), EINVAL);
    EXPECT_RET("prctl: dumpable again", prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
    EXPECT_RET("setresgid -1 -1 -1 changes nothing", SYS(SYS_setresgid, -1, -1, -1), 0);
    print_ids("all 1000");
    return GUEST_END();
}

static void on_term(int sig) { (void)sig; }

int main(int argc, char **argv)
{
    GUEST_START();
    if (argc >= 2 && !strcmp(argv[1], "nofile")) return nofile();
    if (argc >= 2 && !strcmp(argv[1], "creds")) return creds();
    if (argc >= 2 && !strcmp(argv[1], "report")) {
        report();
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "set")) {
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        set_nofile(512);
        struct rlimit r;
        getrlimit(RLIMIT_MSGQUEUE, &r);
        r.rlim_cur = 4096;
        setrlimit(RLIMIT_MSGQUEUE, &r);
        umask(023);
        if (chdir("sub") != 0) perror("chdir sub");
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR2);
        sigprocmask(SIG_BLOCK, &set, NULL);
        raise(SIGUSR2); /* stays pending across the exec */
        sigset_t rt;
        sigemptyset(&rt);
        sigaddset(&rt, SIGRTMIN);
        sigprocmask(SIG_BLOCK, &rt, NULL);
        sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 11}); /* both instances stay queued, */
        sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 22}); /* each with its value */
        struct itimerval it = {.it_interval = {7, 0}, .it_value = {30, 0}}; /* kept by an execve */
        setitimer(ITIMER_REAL, &it, NULL);
        signal(SIGHUP, SIG_IGN);
        signal(SIGTERM, on_term); /* a handler: back to SIG_DFL in the new program */
        char ids[64];
        snprintf(ids, sizeof ids, "%u %u %u %u %d", getuid(), geteuid(), getgid(), getegid(), getpid());
        setenv("TASKS_IDS", ids, 1);
        printf("set, exec %s\n", strrchr(argv[2], '/') ? strrchr(argv[2], '/') + 1 : argv[2]);
        fflush(stdout);
        execvp(argv[2], argv + 2);
        perror("execvp");
        return 1;
    }
    fprintf(stderr, "usage: tasks nofile | set PROGRAM ARGS... | report\n");
    return 2;
}
