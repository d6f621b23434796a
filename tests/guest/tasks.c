/* The task model's per-process state, natively and under picolx:
     tasks nofile          RLIMIT_NOFILE: raising the soft limit lets the 1,025th fd open,
                           lowering it gives EMFILE past it (and EBADF for dup2, EINVAL for
                           F_DUPFD), fds already above it stay usable
     tasks set NEXT...     sets the state an execve keeps (prctl, rlimits, umask, cwd,
                           signal mask, ignored signals, a pending signal), then execs
                           NEXT... (tests/e2e: python3, a fixed-address program that runs in
                           a new picolx process, which execs `tasks report`)
     tasks report          prints that state */
#include "guest.h"
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
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
    printf("pending: USR2 %d\n", sigismember(&set, SIGUSR2));
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

static void on_term(int sig) { (void)sig; }

int main(int argc, char **argv)
{
    GUEST_START();
    if (argc >= 2 && !strcmp(argv[1], "nofile")) return nofile();
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
