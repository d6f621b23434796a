/* Orphaned process groups (issue 10), natively and under picolx. The test process is a
   subreaper; its child s leads a session of its own and forks b, which leads a job (a
   group) of s's session. When s exits, b's group has nobody left in its session to
   continue it:
     hup     b is stopped when s exits: b gets SIGHUP, then SIGCONT (POSIX, Linux's
             kill_orphaned_pgrp), both with si_code SI_KERNEL, and goes on
     tstp    b runs when s exits: nothing is sent; then SIGTSTP, SIGTTIN and SIGTTOU with
             their default action do not stop b (discarded), a SIGTSTP handler still runs
     killed  as hup, but s does not exit: the test process kills it (SIGKILL), so no exit
             of its own runs; the process that finds it dead hangs up b's group
   b tells what it saw through a pipe; the test process prints it, in order.
     cont    not orphaned: a stopped child continued by its parent's SIGCONT runs its
             SIGCONT handler; with SIGHUP sent first, both handlers run, SIGCONT's first
             (Linux takes SIGHUP first and stacks SIGCONT's frame on top of it) */
#include "fork_common.h"
#include <signal.h>
#include <sys/prctl.h>

static int report_fd = -1;

static void say(const char *text) { (void)!write(report_fd, text, strlen(text)); }

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    char line[96];
    snprintf(line, sizeof line, "b: %s, si_code %s\n", sig == SIGHUP ? "SIGHUP" : sig == SIGCONT ? "SIGCONT" : "SIGTSTP",
             si->si_code == SI_KERNEL ? "SI_KERNEL" : si->si_code == SI_USER ? "SI_USER" : "other");
    say(line);
}

static void catch_signal(int sig)
{
    struct sigaction sa = {.sa_sigaction = on_signal, .sa_flags = SA_SIGINFO | SA_RESTART};
    sigaction(sig, &sa, NULL);
}

/* b: waits until s is gone (its parent becomes the subreaper). */
static void wait_for_new_parent(pid_t reaper)
{
    for (int i = 0; i < 2000 && getppid() != reaper; i++) usleep(5000);
    say(getppid() == reaper ? "b: now a child of the subreaper\n" : "b: FAIL: still a child of s\n");
}

/* Prints what the children wrote to fd until every writer closed it. */
static void print_reports(int fd)
{
    char buf[1024];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof buf - 1 && (n = read(fd, buf + got, sizeof buf - 1 - got)) > 0) got += (size_t)n;
    buf[got] = 0;
    fputs(buf, stdout);
}

static int scenario(int stopped, int killed)
{
    pid_t reaper = getpid();
    int fds[2], sync[2];
    if (pipe(fds) != 0 || pipe(sync) != 0) return 1;
    pid_t s = fork_flushed();
    if (s == 0) {
        close(fds[0]);
        report_fd = fds[1];
        if (setsid() < 0) _exit(3);
        pid_t b = fork();
        if (b == 0) {
            if (setpgid(0, 0) != 0) _exit(4);
            catch_signal(SIGHUP);
            catch_signal(SIGCONT);
            if (stopped) {
                raise(SIGSTOP); /* s sees the stop, then exits: b's group is orphaned, stopped */
                say("b: running again\n");
                _exit(0);
            }
            wait_for_new_parent(reaper);
            signal(SIGCONT, SIG_DFL);
            raise(SIGTSTP);
            say("b: SIGTSTP did not stop it\n");
            raise(SIGTTIN);
            raise(SIGTTOU);
            say("b: SIGTTIN and SIGTTOU did not stop it\n");
            catch_signal(SIGTSTP);
            raise(SIGTSTP);
            _exit(0);
        }
        if (stopped) {
            int st;
            if (waitpid(b, &st, WUNTRACED) != b || !WIFSTOPPED(st)) _exit(5);
            say(killed ? "s: b stopped, s waits to be killed\n" : "s: b stopped, s exits\n");
        }
        if (killed) {
            (void)!write(sync[1], "k", 1);
            for (;;) pause();
        }
        _exit(0);
    }
    close(fds[1]);
    close(sync[1]);
    int st;
    char k;
    if (killed && read(sync[0], &k, 1) == 1) kill(s, SIGKILL);
    close(sync[0]);
    waitpid(s, &st, 0);
    printf("s: %s\n", status_text(st));
    print_reports(fds[0]);
    pid_t b = wait(&st); /* b came to us */
    printf("b reaped by the subreaper: %d, %s\n", b > 0, b > 0 ? status_text(st) : err_name(errno));
    close(fds[0]);
    return 0;
}

static int continued(int hup_too)
{
    int fds[2];
    if (pipe(fds) != 0) return 1;
    pid_t b = fork_flushed();
    if (b == 0) {
        close(fds[0]);
        report_fd = fds[1];
        catch_signal(SIGHUP);
        catch_signal(SIGCONT);
        raise(SIGSTOP);
        say("b: running again\n");
        _exit(0);
    }
    close(fds[1]);
    int st;
    waitpid(b, &st, WUNTRACED);
    printf("b stopped: %d\n", WIFSTOPPED(st));
    if (hup_too) kill(b, SIGHUP);
    kill(b, SIGCONT);
    print_reports(fds[0]);
    waitpid(b, &st, 0);
    printf("b: %s\n", status_text(st));
    close(fds[0]);
    return 0;
}

int main(int argc, char **argv)
{
    GUEST_START();
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) return 2;
    if (argc >= 2 && !strcmp(argv[1], "hup")) scenario(1, 0);
    else if (argc >= 2 && !strcmp(argv[1], "killed")) scenario(1, 1);
    else if (argc >= 2 && !strcmp(argv[1], "tstp")) scenario(0, 0);
    else if (argc >= 2 && !strcmp(argv[1], "cont")) {
        continued(0);
        continued(1);
    } else {
        fprintf(stderr, "usage: fork_orphans hup | killed | tstp | cont\n");
        return 2;
    }
    return GUEST_END();
}
