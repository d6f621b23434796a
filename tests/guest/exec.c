/* execve in the same process: the parent leaves a close-on-exec fd and a plain one,
   a handled and an ignored signal and a blocked one, checks the errors execve returns
   while the old program stays, then execs itself as the child, which checks argv, envp,
   the fds and the signal state. */
#include "guest.h"
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define CLOEXEC_FD 20
#define PLAIN_FD 21

static void on_usr1(int sig) { (void)sig; }

static int child(int argc, char **argv)
{
    printf("child argc=%d\n", argc);
    for (int i = 1; i < argc; i++) printf("argv[%d]=[%s]\n", i, argv[i]);
    const char *v = getenv("EXEC_TEST");
    printf("EXEC_TEST=[%s]\n", v ? v : "(unset)");
    CHECK("only the given environment", getenv("PATH") == NULL);
    EXPECT_ERRNO("cloexec fd closed", fcntl(CLOEXEC_FD, F_GETFD), EBADF);
    char buf[32] = {0};
    CHECK("plain fd kept", pread(PLAIN_FD, buf, sizeof buf - 1, 0) == 11 && !strcmp(buf, "plain data\n"));
    CHECK("plain fd not cloexec", fcntl(PLAIN_FD, F_GETFD) == 0);
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    CHECK("handled signal back to default", sa.sa_handler == SIG_DFL);
    sigaction(SIGUSR2, NULL, &sa);
    CHECK("ignored signal stays ignored", sa.sa_handler == SIG_IGN);
    sigset_t mask;
    sigprocmask(SIG_BLOCK, NULL, &mask);
    CHECK("mask kept", sigismember(&mask, SIGHUP) && !sigismember(&mask, SIGUSR1));
    return GUEST_END();
}

int main(int argc, char **argv)
{
    GUEST_START();
    if (argc > 1 && !strcmp(argv[1], "child")) return child(argc, argv);

    int fd = open("plain.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK("write", write(fd, "plain data\n", 11) == 11);
    CHECK("dup plain", dup2(fd, PLAIN_FD) == PLAIN_FD);
    CHECK("dup cloexec", dup3(fd, CLOEXEC_FD, O_CLOEXEC) == CLOEXEC_FD);
    close(fd);
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, SIG_IGN);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);

    char *none[] = {NULL};
    EXPECT_ERRNO("missing program", execve("no-such-program", argv, none), ENOENT);
    EXPECT_ERRNO("directory", execve(".", argv, none), EACCES);
    int t = open("text", O_WRONLY | O_CREAT | O_TRUNC, 0755);
    CHECK("text file", write(t, "just text\n", 10) == 10);
    close(t);
    EXPECT_ERRNO("not a program", execve("./text", argv, none), ENOEXEC);
    char **volatile bad_argv = (char **)16; /* volatile: the compiler must not see through it */
    EXPECT_ERRNO("bad argv", execve(argv[0], bad_argv, none), EFAULT);
    CHECK("still here, fds open", fcntl(CLOEXEC_FD, F_GETFD) == FD_CLOEXEC);

    char *child_argv[] = {argv[0], "child", "two words", "", NULL};
    char *child_envp[] = {"EXEC_TEST=passed on", NULL};
    fflush(stdout);
    execve(argv[0], child_argv, child_envp);
    printf("execve failed: %s\n", errno_name(errno));
    return 1;
}
