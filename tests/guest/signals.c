/* kill, tkill and tgkill sent to oneself: existence checks, ESRCH, ignored and blocked
   signals, then a default action that ends the process (the exit status says which).
   argv[1] picks the end: "term" (SIGTERM by kill), "abort" (abort()), "usr1" (tgkill). */
#include "guest.h"
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    GUEST_START();
    pid_t pid = getpid();
    pid_t tid = (pid_t)syscall(SYS_gettid);
    EXPECT_RET("kill(self, 0)", kill(pid, 0), 0);
    EXPECT_RET("kill(0, 0)", kill(0, 0), 0);
    EXPECT_ERRNO("kill(self, 65): EINVAL", kill(pid, 65), EINVAL);
    EXPECT_ERRNO("kill(99999999, 0): ESRCH", kill(99999999, 0), ESRCH);
    EXPECT_RET("tkill(tid, 0)", syscall(SYS_tkill, tid, 0), 0);
    EXPECT_RET("tgkill(pid, tid, 0)", syscall(SYS_tgkill, pid, tid, 0), 0);
    EXPECT_ERRNO("tgkill(pid, 99999999, 0): ESRCH", syscall(SYS_tgkill, pid, 99999999, 0), ESRCH);
    EXPECT_ERRNO("tkill(0, 0): EINVAL", syscall(SYS_tkill, 0, 0), EINVAL);
    EXPECT_RET("SIGCHLD by default: ignored", kill(pid, SIGCHLD), 0);
    EXPECT_RET("SIGWINCH by default: ignored", raise(SIGWINCH), 0);
    signal(SIGUSR2, SIG_IGN);
    EXPECT_RET("ignored SIGUSR2", kill(pid, SIGUSR2), 0);
    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    EXPECT_RET("blocked SIGTERM", kill(pid, SIGTERM), 0);
    sigpending(&pend);
    CHECK("SIGTERM pending", sigismember(&pend, SIGTERM) == 1);
    signal(SIGTERM, SIG_IGN);
    sigpending(&pend);
    CHECK("SIG_IGN discards the pending SIGTERM", sigismember(&pend, SIGTERM) == 0);
    signal(SIGTERM, SIG_DFL);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("still here\n");
    fflush(stdout);
    const char *end = argc > 1 ? argv[1] : "term";
    if (!strcmp(end, "abort")) abort();
    if (!strcmp(end, "usr1")) syscall(SYS_tgkill, pid, tid, SIGUSR1);
    if (!strcmp(end, "pending")) { /* blocked, then unblocked: delivered at the unblock */
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigprocmask(SIG_BLOCK, &set, NULL);
        kill(pid, SIGINT);
        printf("SIGINT pending\n");
        fflush(stdout);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
    }
    kill(pid, SIGTERM);
    printf("not reached\n");
    return GUEST_END();
}
