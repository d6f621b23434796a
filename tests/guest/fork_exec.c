/* New programs from a process: vfork (the child shares memory and the parent waits until
   it execs or exits) and vfork + execve; posix_spawn with file actions (addopen onto
   stdout, adddup2 of a pipe onto stderr, addclose of an inherited fd) and attributes (a
   new process group, a signal mask); posix_spawnp through PATH and its error for a
   missing program; a forked child whose execve fails and exits 127; system() and
   popen(); execve of /bin/sh and of this program from a forked child. The programs
   started print to the shared stdout while the parent waits. */
#include "fork_common.h"
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>

extern char **environ;

/* argv: self show TAG STATUS [ARGS...]: prints what it was given, exits with STATUS */
static int show(int argc, char **argv)
{
    printf("show(%s): argc=%d", argv[2], argc);
    for (int i = 4; i < argc; i++) printf(" [%s]", argv[i]);
    const char *v = getenv("FORK_EXEC");
    printf(" FORK_EXEC=%s\n", v ? v : "(unset)");
    return atoi(argv[3]);
}

/* argv: self spawned KEPT_FD: the posix_spawn child (stdout a file, stderr a pipe) */
static int spawned(char **argv)
{
    int kept = atoi(argv[2]);
    printf("spawned: stdout is the file opened by addopen\n");
    EXPECT_FAIL("spawned: the fd closed by addclose", fcntl(kept, F_GETFD), EBADF);
    CHECK("spawned: its own process group (POSIX_SPAWN_SETPGROUP)", getpgrp() == getpid());
    sigset_t mask;
    sigprocmask(SIG_BLOCK, NULL, &mask);
    CHECK("spawned: SIGUSR1 blocked (POSIX_SPAWN_SETSIGMASK)", sigismember(&mask, SIGUSR1) && !sigismember(&mask, SIGUSR2));
    fflush(stdout);
    static const char msg[] = "spawned: this went to stderr, a pipe (adddup2)\n";
    write(2, msg, sizeof msg - 1);
    return guest_failures ? 1 : 4;
}

static void vfork_cases(const char *self)
{
    static volatile int flag;
    pid_t pid = vfork();
    if (pid == 0) {
        flag = 42;
        _exit(5);
    }
    CHECK("vfork: the child's write is seen (memory shared until it exits)", flag == 42);
    int st = 0;
    CHECK("vfork: waitpid", waitpid(pid, &st, 0) == pid);
    printf("vfork: child %s\n", status_text(st));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 5) guest_failures++;

    fflush(stdout);
    char *argv[] = {(char *)self, "show", "vfork+execve", "3", "one", "two words", NULL};
    char *envp[] = {"FORK_EXEC=from vfork", NULL};
    pid = vfork();
    if (pid == 0) {
        execve(self, argv, envp);
        _exit(127);
    }
    CHECK("vfork: waitpid of the exec'd child", waitpid(pid, &st, 0) == pid);
    printf("vfork+execve: child %s\n", status_text(st));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 3) guest_failures++;
}

static void spawn_cases(const char *self)
{
    int kept = open(self, O_RDONLY);
    int p[2];
    CHECK("posix_spawn: a pipe and an fd to close", kept >= 0 && pipe(p) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "spawn.out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    posix_spawn_file_actions_addclose(&fa, p[1]);
    posix_spawn_file_actions_addclose(&fa, kept);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
    posix_spawnattr_setpgroup(&at, 0);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    posix_spawnattr_setsigmask(&at, &mask);
    char kept_text[16];
    snprintf(kept_text, sizeof kept_text, "%d", kept);
    char *argv[] = {(char *)self, "spawned", kept_text, NULL};
    pid_t pid = -1;
    fflush(stdout);
    int spawn_ret = posix_spawn(&pid, self, &fa, &at, argv, environ);
    close(p[1]);
    int st = 0;
    pid_t waited = waitpid(pid, &st, 0); /* before printing anything while it runs */
    EXPECT_RET("posix_spawn", spawn_ret, 0);
    CHECK("posix_spawn: waitpid of the pid it gave", waited == pid);
    printf("posix_spawn: child %s\n", status_text(st));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 4) guest_failures++;
    char buf[512] = {0};
    int fd = open("spawn.out", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    close(fd);
    printf("posix_spawn: spawn.out has %zd bytes:\n%s", n, n > 0 ? buf : "\n");
    memset(buf, 0, sizeof buf);
    n = read(p[0], buf, sizeof buf - 1);
    printf("posix_spawn: the pipe has %zd bytes: %s", n, n > 0 ? buf : "\n");
    CHECK("posix_spawn: the pipe's EOF after the child", read(p[0], buf, sizeof buf) == 0);
    CHECK("posix_spawn: the parent's fd stays open", fcntl(kept, F_GETFD) >= 0);
    close(p[0]);
    close(kept);
    unlink("spawn.out");
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);

    char *sh_argv[] = {"sh", "-c", "echo \"spawnp: $0 $1 PATH found sh\"; exit 6", "zero", "one", NULL};
    fflush(stdout);
    int spawned_ret = posix_spawnp(&pid, "sh", NULL, NULL, sh_argv, environ);
    waited = waitpid(pid, &st, 0); /* before printing: sh prints too */
    EXPECT_RET("posix_spawnp sh", spawned_ret, 0);
    CHECK("posix_spawnp: waitpid", waited == pid);
    printf("posix_spawnp: child %s\n", status_text(st));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 6) guest_failures++;

    char *missing_argv[] = {"picolx-no-such-program", NULL};
    int r = posix_spawnp(&pid, "picolx-no-such-program", NULL, NULL, missing_argv, environ);
    printf("posix_spawnp of a missing program: %s\n", err_name(r));
    if (r != ENOENT) guest_failures++;
    r = posix_spawn(&pid, "/no/such/dir/program", NULL, NULL, missing_argv, environ);
    printf("posix_spawn of a missing path: %s\n", err_name(r));
    if (r != ENOENT) guest_failures++;
}

static void fork_exec_cases(const char *self)
{
    pid_t pid = fork_flushed();
    if (pid == 0) {
        char *argv[] = {"program", NULL};
        execve("/no/such/program", argv, environ);
        printf("forked child: execve failed with %s\n", err_name(errno));
        fflush(stdout);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    printf("failed exec: child %s\n", status_text(st));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 127) guest_failures++;

    pid = fork_flushed();
    if (pid == 0) {
        char *argv[] = {"sh", "-c", "echo \"sh says $X, its parent is a forked child\"; exit 4", NULL};
        char *envp[] = {"X=hello", NULL};
        execve("/bin/sh", argv, envp);
        _exit(127);
    }
    waitpid(pid, &st, 0);
    printf("fork+execve /bin/sh: child %s\n", status_text(st));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 4) guest_failures++;

    pid = fork_flushed();
    if (pid == 0) {
        char *argv[] = {(char *)self, "show", "fork+execve", "9", "x", NULL};
        setenv("FORK_EXEC", "from fork", 1);
        execv(self, argv);
        _exit(127);
    }
    waitpid(pid, &st, 0);
    printf("fork+execve self: child %s\n", status_text(st));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 9) guest_failures++;
}

static void shell_cases(void)
{
    CHECK("system(NULL): a shell is there", system(NULL) != 0);
    fflush(stdout);
    int st = system("echo from system; exit 3");
    printf("system: %s\n", status_text(st));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 3) guest_failures++;
    st = system("/no/such/program 2>/dev/null");
    printf("system of a missing program: %s\n", status_text(st));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 127) guest_failures++;

    FILE *f = popen("echo popen read; exit 2", "r");
    char line[64] = {0};
    int got = f && fgets(line, sizeof line, f) && !strcmp(line, "popen read\n");
    st = f ? pclose(f) : -1;
    CHECK("popen r", got);
    printf("pclose r: %s\n", status_text(st));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 2) guest_failures++;
    fflush(stdout);
    f = popen("tr a-z A-Z", "w");
    int put = f ? fputs("written into popen\n", f) : -1;
    st = f ? pclose(f) : -1; /* tr prints before pclose returns */
    CHECK("popen w", f && put >= 0);
    printf("pclose w: %s\n", status_text(st));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) guest_failures++;
}

int main(int argc, char **argv)
{
    GUEST_START();
    if (argc > 3 && !strcmp(argv[1], "show")) return show(argc, argv);
    if (argc > 2 && !strcmp(argv[1], "spawned")) return spawned(argv);
    vfork_cases(argv[0]);
    spawn_cases(argv[0]);
    fork_exec_cases(argv[0]);
    shell_cases();
    return GUEST_END();
}
