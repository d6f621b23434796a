/* clone and clone3 for new processes, and pidfds: clone3 with CLONE_PIDFD (the pidfd
   polls readable once the child ends, waitid(P_PIDFD) reaps it); pidfd_open of a running
   child and pidfd_send_signal to it; clone(CLONE_PARENT) from a child makes a sibling that
   the parent reaps; clone(CLONE_VM|CLONE_VFORK) as posix_spawn uses it (memory shared, the
   parent waits); and the flag combinations Linux refuses. The raw system calls: the C
   libraries wrap few of them. */
#include "fork_common.h"
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* the kernel's struct clone_args, version 0 (64 bytes) */
struct clone_args_v0 {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

/* clone3 without a new stack: the child returns 0 here, as from fork */
static long clone3_fork(struct clone_args_v0 *ca)
{
    fflush(stdout);
    return syscall(SYS_clone3, ca, sizeof *ca);
}

static void with_pidfd(void)
{
    int pidfd = -1;
    struct clone_args_v0 ca = {.flags = CLONE_PIDFD, .pidfd = (uintptr_t)&pidfd, .exit_signal = SIGCHLD};
    struct gate g;
    gate_init(&g);
    long pid = clone3_fork(&ca);
    if (pid == 0) { gate_wait(&g); _exit(5); }
    CHECK("clone3(CLONE_PIDFD): a child and a pidfd", pid > 0 && pidfd >= 0);
    if (pid <= 0 || pidfd < 0) { printf("clone3: %s\n", err_name(errno)); gate_close(&g); return; }
    struct pollfd pf = {pidfd, POLLIN, 0};
    EXPECT_RET("pidfd: not readable while the child runs", poll(&pf, 1, 0), 0);
    gate_open(&g);
    pf.revents = 0;
    CHECK("pidfd: readable once the child has ended", poll(&pf, 1, 60000) == 1 && (pf.revents & POLLIN));
    siginfo_t si;
    memset(&si, 0, sizeof si);
    EXPECT_RET("waitid(P_PIDFD)", waitid(P_PIDFD, pidfd, &si, WEXITED), 0);
    CHECK("waitid(P_PIDFD): the child, CLD_EXITED, status 5", si.si_pid == pid && si.si_code == CLD_EXITED && si.si_status == 5);
    EXPECT_FAIL("waitpid after waitid(P_PIDFD) reaped it", waitpid(pid, NULL, WNOHANG), ECHILD);
    close(pidfd);
    gate_close(&g);
}

static void pidfd_open_and_signal(void)
{
    struct gate g;
    gate_init(&g);
    pid_t pid = fork_flushed();
    if (pid == 0) { signal(SIGTERM, SIG_DFL); gate_wait(&g); _exit(0); }
    int pidfd = syscall(SYS_pidfd_open, pid, 0);
    CHECK("pidfd_open of a running child", pidfd >= 0);
    if (pid < 0 || pidfd < 0) { printf("fork or pidfd_open: %s\n", err_name(errno)); gate_close(&g); return; }
    EXPECT_RET("pidfd_send_signal SIGTERM", syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0), 0);
    struct pollfd pf = {pidfd, POLLIN, 0};
    CHECK("pidfd: readable once the signal has killed it", poll(&pf, 1, 60000) == 1 && (pf.revents & POLLIN));
    int st = 0;
    CHECK("waitpid", waitpid(pid, &st, 0) == pid);
    printf("pidfd_send_signal: child %s\n", status_text(st));
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGTERM) guest_failures++;
    EXPECT_FAIL("pidfd_send_signal to a reaped process", syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0), ESRCH);
    close(pidfd);
    EXPECT_FAIL("pidfd_open of a pid that is gone", syscall(SYS_pidfd_open, pid, 0), ESRCH);
    gate_close(&g);

    /* an open /proc/<pid> directory names its process as a pidfd does */
    gate_init(&g);
    pid = fork_flushed();
    if (pid == 0) { signal(SIGTERM, SIG_DFL); gate_wait(&g); _exit(0); }
    char dir[32];
    snprintf(dir, sizeof dir, "/proc/%d", (int)pid);
    int procfd = open(dir, O_RDONLY | O_DIRECTORY);
    EXPECT_RET("pidfd_send_signal SIGTERM through /proc/<pid>", syscall(SYS_pidfd_send_signal, procfd, SIGTERM, NULL, 0), 0);
    CHECK("waitpid", waitpid(pid, &st, 0) == pid);
    printf("through /proc/<pid>: child %s\n", status_text(st));
    close(procfd);
    int taskdir = open("/proc/self/task", O_RDONLY | O_DIRECTORY);
    EXPECT_FAIL("pidfd_send_signal through another directory", syscall(SYS_pidfd_send_signal, taskdir, 0, NULL, 0), EBADF);
    close(taskdir);
    gate_close(&g);
}

static void parent_flag(void)
{
    pid_t self = getpid();
    int from_maker[2], from_sibling[2];
    if (pipe(from_maker) != 0 || pipe(from_sibling) != 0) { guest_failures++; return; }
    pid_t pid = fork_flushed();
    if (pid == 0) {
        /* the sibling: clone(CLONE_PARENT) without a new stack returns 0 here, as fork */
        long sib = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
        if (sib == 0) {
            pid_t ppid = getppid();
            write(from_sibling[1], &ppid, sizeof ppid);
            _exit(8);
        }
        pid_t sib_pid = (pid_t)sib;
        write(from_maker[1], &sib_pid, sizeof sib_pid);
        EXPECT_FAIL("CLONE_PARENT: not a child of its maker", waitpid(sib_pid, NULL, 0), ECHILD);
        _exit(guest_failures ? 1 : 0);
    }
    close(from_maker[1]);
    close(from_sibling[1]);
    expect_child_ok("CLONE_PARENT: the maker", pid);
    pid_t sib = 0, sib_ppid = 0;
    CHECK("CLONE_PARENT: the maker reports the sibling's pid", read(from_maker[0], &sib, sizeof sib) == sizeof sib && sib > 0);
    CHECK("CLONE_PARENT: the sibling reports", read(from_sibling[0], &sib_ppid, sizeof sib_ppid) == sizeof sib_ppid);
    CHECK("CLONE_PARENT: the sibling's getppid is ours", sib_ppid == self);
    close(from_maker[0]);
    close(from_sibling[0]);
    int st = 0;
    CHECK("CLONE_PARENT: we reap the sibling", sib > 0 && waitpid(sib, &st, 0) == sib);
    printf("CLONE_PARENT: sibling %s\n", status_text(st));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 8) guest_failures++;
}

static volatile int vm_word;
static int vm_child(void *arg)
{
    vm_word = *(int *)arg;
    return 6;
}

static void vm_vfork(void)
{
    static char stack[64 * 1024] __attribute__((aligned(16)));
    int value = 1234;
    fflush(stdout);
    pid_t pid = clone(vm_child, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &value);
    CHECK("clone(CLONE_VM|CLONE_VFORK): the child's write is seen on return", pid > 0 && vm_word == 1234);
    int st = 0;
    CHECK("clone(CLONE_VM|CLONE_VFORK): waitpid", waitpid(pid, &st, 0) == pid);
    printf("clone(CLONE_VM|CLONE_VFORK): child %s\n", status_text(st));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 6) guest_failures++;
}

static void refused(void)
{
    struct clone_args_v0 ca = {.exit_signal = SIGCHLD};
    EXPECT_FAIL("clone3 with a size below version 0", syscall(SYS_clone3, &ca, 32), EINVAL);
    ca.flags = CLONE_SIGHAND;
    EXPECT_FAIL("clone3 CLONE_SIGHAND without CLONE_VM", syscall(SYS_clone3, &ca, sizeof ca), EINVAL);
    ca.flags = CLONE_THREAD | CLONE_VM;
    EXPECT_FAIL("clone3 CLONE_THREAD without CLONE_SIGHAND", syscall(SYS_clone3, &ca, sizeof ca), EINVAL);
    ca = (struct clone_args_v0){.exit_signal = 65};
    EXPECT_FAIL("clone3 with an exit signal above 64", syscall(SYS_clone3, &ca, sizeof ca), EINVAL);
    EXPECT_FAIL("clone CLONE_SIGHAND without CLONE_VM", syscall(SYS_clone, CLONE_SIGHAND | SIGCHLD, 0, NULL, NULL, 0), EINVAL);
}

int main(void)
{
    GUEST_START();
    with_pidfd();
    pidfd_open_and_signal();
    parent_flag();
    vm_vfork();
    refused();
    EXPECT_FAIL("no children left", waitpid(-1, NULL, WNOHANG), ECHILD);
    return GUEST_END();
}
