/* Waiting for processes, as Linux does it: ECHILD with no children (and for a pid that
   is not a child); WNOHANG before and after a child's exit; waitid with P_PID, P_ALL,
   P_PGID, WEXITED, WNOWAIT and WNOHANG, and its siginfo for an exit and a death by
   signal; waitpid(-pgid) and waitid(P_PGID) of a process group made with setpgid, and
   wait4(0) of the caller's own group; the rusage of children (sane values only: times
   depend on the machine); orphans (a grandchild whose parent died has a new parent, which
   one depends on what runs above us, and a PR_SET_CHILD_SUBREAPER becomes it); zombies (an exited child not yet reaped is still
   there for kill(pid, 0) and /proc until waitpid collects it). */
#include "fork_common.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>

static void no_children(void)
{
    EXPECT_FAIL("waitpid(-1) with no children", waitpid(-1, NULL, 0), ECHILD);
    EXPECT_FAIL("wait4(-1, WNOHANG) with no children", wait4(-1, NULL, WNOHANG, NULL), ECHILD);
    siginfo_t si;
    EXPECT_FAIL("waitid(P_ALL) with no children", waitid(P_ALL, 0, &si, WEXITED | WNOHANG), ECHILD);
    EXPECT_FAIL("waitpid of the parent (not a child)", waitpid(getppid(), NULL, 0), ECHILD);
    EXPECT_FAIL("waitid without WEXITED/WSTOPPED/WCONTINUED", waitid(P_ALL, 0, &si, 0), EINVAL);
}

static void nohang(void)
{
    struct gate g;
    gate_init(&g);
    pid_t pid = fork_flushed();
    if (pid == 0) { gate_wait(&g); _exit(7); }
    int st = -1;
    EXPECT_RET("WNOHANG while the child runs", waitpid(pid, &st, WNOHANG), 0);
    siginfo_t si;
    memset(&si, 0xff, sizeof si);
    si.si_pid = 0;
    EXPECT_RET("waitid WNOHANG while the child runs", waitid(P_PID, pid, &si, WEXITED | WNOHANG), 0);
    CHECK("waitid WNOHANG: si_pid 0", si.si_pid == 0);
    gate_open(&g);
    memset(&si, 0, sizeof si);
    EXPECT_RET("waitid(P_PID, WEXITED|WNOWAIT) waits for the exit", waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
    CHECK("waitid: si_pid is the child", si.si_pid == pid);
    CHECK("waitid: si_signo SIGCHLD, si_code CLD_EXITED, si_status 7",
          si.si_signo == SIGCHLD && si.si_code == CLD_EXITED && si.si_status == 7);
    CHECK("waitid: si_uid is ours", si.si_uid == getuid());
    memset(&si, 0, sizeof si);
    EXPECT_RET("waitid WNOWAIT again: still there", waitid(P_ALL, 0, &si, WEXITED | WNOWAIT), 0);
    CHECK("waitid(P_ALL): the same child", si.si_pid == pid && si.si_status == 7);
    CHECK("WNOHANG after the exit: the child", waitpid(pid, &st, WNOHANG) == pid);
    printf("WNOHANG after the exit: %s\n", status_text(st));
    EXPECT_FAIL("WNOHANG once reaped", waitpid(pid, &st, WNOHANG), ECHILD);
    gate_close(&g);

    /* a death by signal, reaped by waitid(P_ALL, WEXITED) */
    pid = fork_flushed();
    if (pid == 0) {
        signal(SIGTERM, SIG_DFL);
        raise(SIGTERM);
        _exit(99);
    }
    memset(&si, 0, sizeof si);
    EXPECT_RET("waitid(P_ALL, WEXITED) of a child killed by SIGTERM", waitid(P_ALL, 0, &si, WEXITED), 0);
    CHECK("waitid: CLD_KILLED, si_status SIGTERM", si.si_pid == pid && si.si_code == CLD_KILLED && si.si_status == SIGTERM);
    EXPECT_FAIL("waitid reaped it", waitpid(pid, NULL, WNOHANG), ECHILD);

    pid = fork_flushed();
    if (pid == 0) {
        signal(SIGTERM, SIG_DFL);
        raise(SIGTERM);
        _exit(99);
    }
    waitpid(pid, &st, 0);
    printf("waitpid of a child killed by SIGTERM: %s\n", status_text(st));
    CHECK("WIFSIGNALED, WTERMSIG SIGTERM", WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
}

/* a child that joins process group `pgid` (0: its own), waits on the gate, exits `code` */
static pid_t group_child(pid_t pgid, struct gate *g, int code)
{
    pid_t pid = fork_flushed();
    if (pid == 0) {
        if (pgid >= 0) setpgid(0, pgid);
        gate_wait(g);
        _exit(code);
    }
    if (pgid >= 0) setpgid(pid, pgid ? pgid : pid); /* both sides: no race with the child */
    return pid;
}

static void groups(void)
{
    struct gate g;
    gate_init(&g);
    pid_t a = group_child(0, &g, 21);
    pid_t b = group_child(a, &g, 22);
    pid_t c = group_child(a, &g, 23);
    pid_t d = group_child(-1, &g, 24); /* stays in our group */
    CHECK("setpgid: the leader's group is its pid", getpgid(a) == a);
    CHECK("setpgid: the two others joined it", getpgid(b) == a && getpgid(c) == a);
    CHECK("the fourth child is in our group", getpgid(d) == getpgrp() && getpgrp() != a);
    EXPECT_RET("kill(-pgid, 0): the group exists", kill(-a, 0), 0);
    EXPECT_RET("waitpid(-pgid, WNOHANG) while they run", waitpid(-a, NULL, WNOHANG), 0);
    EXPECT_FAIL("setpgid into a group that does not exist", setpgid(d, 999999), EPERM);
    for (int i = 0; i < 4; i++) gate_open(&g);
    int codes[3] = {0, 0, 0}, n = 0;
    for (int i = 0; i < 3; i++) {
        int st = 0;
        pid_t r = waitpid(-a, &st, 0);
        if ((r == a || r == b || r == c) && WIFEXITED(st)) codes[n++] = WEXITSTATUS(st);
    }
    /* in any order: print them sorted */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (codes[j] < codes[i]) { int t = codes[i]; codes[i] = codes[j]; codes[j] = t; }
    printf("waitpid(-pgid) x3: %d children, exits %d %d %d\n", n, codes[0], codes[1], codes[2]);
    CHECK("waitpid(-pgid): exactly the group", n == 3 && codes[0] == 21 && codes[1] == 22 && codes[2] == 23);
    EXPECT_FAIL("waitpid(-pgid) once the group is reaped", waitpid(-a, NULL, 0), ECHILD);
    int st = 0;
    CHECK("wait4(0): the child of our own group", wait4(0, &st, 0, NULL) == d);
    printf("wait4(0): %s\n", status_text(st));
    gate_close(&g);

    /* waitid(P_PGID) */
    gate_init(&g);
    a = group_child(0, &g, 31);
    b = group_child(a, &g, 32);
    gate_open(&g);
    gate_open(&g);
    int sum = 0;
    for (int i = 0; i < 2; i++) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        if (waitid(P_PGID, a, &si, WEXITED) == 0 && (si.si_pid == a || si.si_pid == b)) sum += si.si_status;
    }
    printf("waitid(P_PGID) x2: statuses add up to %d\n", sum);
    CHECK("waitid(P_PGID): both", sum == 31 + 32);
    siginfo_t si;
    EXPECT_FAIL("waitid(P_PGID) once the group is reaped", waitid(P_PGID, a, &si, WEXITED), ECHILD);
    gate_close(&g);
}

static int tv_sane(struct timeval tv) { return tv.tv_sec >= 0 && tv.tv_usec >= 0 && tv.tv_usec < 1000000; }

static void usage(void)
{
    pid_t pid = fork_flushed();
    if (pid == 0) {
        /* some CPU and some memory: values depend on the machine, so only their sanity is checked */
        volatile unsigned long x = 0;
        for (unsigned long i = 0; i < 20000000; i++) x += i;
        char *m = malloc(4u << 20);
        for (size_t i = 0; i < (4u << 20); i += 4096) m[i] = 1;
        _exit(0);
    }
    struct rusage ru;
    memset(&ru, 0xff, sizeof ru);
    int st = 0;
    CHECK("wait4 with rusage", wait4(pid, &st, 0, &ru) == pid && WIFEXITED(st));
    CHECK("wait4 rusage: ru_utime and ru_stime are sane", tv_sane(ru.ru_utime) && tv_sane(ru.ru_stime));
    CHECK("wait4 rusage: ru_maxrss > 0", ru.ru_maxrss > 0);
    struct rusage rc;
    CHECK("getrusage(RUSAGE_CHILDREN)", getrusage(RUSAGE_CHILDREN, &rc) == 0);
    CHECK("RUSAGE_CHILDREN: sane times", tv_sane(rc.ru_utime) && tv_sane(rc.ru_stime));
    CHECK("RUSAGE_CHILDREN: at least the reaped child's user time",
          rc.ru_utime.tv_sec > ru.ru_utime.tv_sec ||
          (rc.ru_utime.tv_sec == ru.ru_utime.tv_sec && rc.ru_utime.tv_usec >= ru.ru_utime.tv_usec));
    CHECK("RUSAGE_CHILDREN: ru_maxrss at least the child's", rc.ru_maxrss >= ru.ru_maxrss);
}

/* A child forks a grandchild and exits; the grandchild, let go once the child has been
   reaped, reports who its parent is now through a pipe. */
static void orphan(int subreaper)
{
    const char *label = subreaper ? "orphan with a subreaper" : "orphan";
    char name[160];
    struct gate g;
    gate_init(&g);
    int rep[2];
    if (pipe(rep) != 0) { printf("pipe: %s\n", err_name(errno)); guest_failures++; return; }
    pid_t self = getpid();
    pid_t pid = fork_flushed();
    if (pid == 0) {
        pid_t dead_parent = getpid();
        pid_t gpid = fork();
        if (gpid == 0) {
            close(rep[0]);
            gate_wait(&g);
            pid_t info[3] = {getpid(), getppid(), dead_parent};
            write(rep[1], info, sizeof info);
            _exit(17);
        }
        _exit(gpid > 0 ? 0 : 1);
    }
    close(rep[1]);
    snprintf(name, sizeof name, "%s: its parent exits", label);
    expect_child_ok(name, pid);
    gate_open(&g);
    pid_t info[3] = {0, 0, 0};
    ssize_t n = read(rep[0], info, sizeof info);
    close(rep[0]);
    snprintf(name, sizeof name, "%s: the grandchild reports", label);
    CHECK(name, n == sizeof info);
    snprintf(name, sizeof name, "%s: getppid is no longer the dead parent", label);
    CHECK(name, info[1] != info[2] && info[1] > 0);
    if (subreaper) {
        snprintf(name, sizeof name, "%s: getppid is the subreaper", label);
        CHECK(name, info[1] == self);
        int st = 0;
        snprintf(name, sizeof name, "%s: the subreaper reaps it", label);
        CHECK(name, waitpid(info[0], &st, 0) == info[0]);
        printf("%s: grandchild %s\n", label, status_text(st));
    } else {
        /* init or a subreaper above us takes it, never its grandparent */
        snprintf(name, sizeof name, "%s: getppid is not its grandparent", label);
        CHECK(name, info[1] != self);
        if (info[1] == self) waitpid(info[0], NULL, 0);
    }
    gate_close(&g);
}

static char proc_state(pid_t pid)
{
    char path[64], buf[256] = {0};
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return '-';
    read(fd, buf, sizeof buf - 1);
    close(fd);
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : '?';
}

static void zombie(void)
{
    pid_t pid = fork_flushed();
    if (pid == 0) _exit(9);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    EXPECT_RET("zombie: waitid WNOWAIT sees the exit", waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
    EXPECT_RET("zombie: kill(pid, 0) still finds it", kill(pid, 0), 0);
    printf("zombie: /proc/<pid>/stat state %c\n", proc_state(pid));
    int st = 0;
    CHECK("zombie: waitpid collects it", waitpid(pid, &st, 0) == pid);
    printf("zombie: %s\n", status_text(st));
    EXPECT_FAIL("zombie: gone once reaped (kill)", kill(pid, 0), ESRCH);
    printf("zombie: /proc/<pid>/stat once reaped: %c\n", proc_state(pid));
}

int main(void)
{
    GUEST_START();
    no_children();
    nohang();
    groups();
    usage();
    orphan(0);
    EXPECT_RET("prctl(PR_SET_CHILD_SUBREAPER)", prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
    int on = 0;
    CHECK("prctl(PR_GET_CHILD_SUBREAPER)", prctl(PR_GET_CHILD_SUBREAPER, &on, 0, 0, 0) == 0 && on == 1);
    orphan(1);
    zombie();
    no_children();
    return GUEST_END();
}
