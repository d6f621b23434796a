/* memfd seals across fork and execve (issue 11): seals are the inode's on Linux, so one
   a child adds holds in its parent at once and the other way round; the offset is the
   open file description's and so is shared too, and the child's /proc/self/fd names the
   memfd as its parent's does. A program exec'd by a child (this one again, "exec-child")
   sees the seals, is held to them, and adds the last one. */
#include "fork_common.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>

static void show_link(const char *who, int fd)
{
    char path[64], target[PATH_MAX] = {0};
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    printf("%s: /proc/self/fd/N = %s\n", who, n < 0 ? errno_name(errno) : target);
}

static void fork_cases(void)
{
    int fd = memfd_create("shared seals", MFD_ALLOW_SEALING);
    CHECK("memfd_create", fd >= 0);
    EXPECT_RET("write", write(fd, "abcdef", 6), 6);
    pid_t pid = fork_flushed();
    if (pid == 0) {
        CHILD_BEGIN();
        show_link("child", fd);
        EXPECT_RET("child: F_GET_SEALS", fcntl(fd, F_GET_SEALS), 0);
        EXPECT_RET("child: F_ADD_SEALS(SHRINK|GROW)", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
        EXPECT_RET("child: lseek to 2", lseek(fd, 2, SEEK_SET), 2);
        CHILD_END();
    }
    expect_child_ok("the first child", pid);
    show_link("parent", fd);
    EXPECT_RET("parent: F_GET_SEALS after the child's", fcntl(fd, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW);
    EXPECT_ERRNO("parent: ftruncate larger", ftruncate(fd, 100), EPERM);
    EXPECT_ERRNO("parent: ftruncate smaller", ftruncate(fd, 1), EPERM);
    EXPECT_RET("parent: the offset the child set", lseek(fd, 0, SEEK_CUR), 2);
    EXPECT_RET("parent: F_ADD_SEALS(WRITE)", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0);

    pid = fork_flushed();
    if (pid == 0) {
        CHILD_BEGIN();
        EXPECT_ERRNO("child: write, sealed by the parent", write(fd, "x", 1), EPERM);
        EXPECT_ERRNO("child: pwrite, sealed", pwrite(fd, "x", 1, 0), EPERM);
        EXPECT_ERRNO("child: mmap writable shared", (long)mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
                     EPERM);
        char buf[8] = {0};
        EXPECT_RET("child: pread", pread(fd, buf, 6, 0), 6);
        printf("child: read %s\n", buf);
        EXPECT_RET("child: F_ADD_SEALS(SEAL)", fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL), 0);
        CHILD_END();
    }
    expect_child_ok("the second child", pid);
    EXPECT_ERRNO("parent: F_ADD_SEALS after the child's F_SEAL_SEAL", fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE),
                 EPERM);
    EXPECT_RET("parent: F_GET_SEALS", fcntl(fd, F_GET_SEALS), F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
    close(fd);
}

static void exec_case(const char *self)
{
    int fd = memfd_create("exec seals", MFD_ALLOW_SEALING);
    EXPECT_RET("write", write(fd, "kept", 4), 4);
    EXPECT_RET("F_ADD_SEALS(WRITE)", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0);
    pid_t pid = fork_flushed();
    if (pid == 0) {
        char arg[16];
        snprintf(arg, sizeof arg, "%d", fd);
        execl(self, self, "exec-child", arg, (char *)NULL);
        _exit(127);
    }
    expect_child_ok("the exec'd program", pid);
    EXPECT_RET("F_GET_SEALS after the exec'd program's", fcntl(fd, F_GET_SEALS), F_SEAL_SEAL | F_SEAL_WRITE);
    close(fd);
}

static int exec_child(int fd)
{
    show_link("exec'd", fd);
    EXPECT_RET("exec'd: F_GET_SEALS", fcntl(fd, F_GET_SEALS), F_SEAL_WRITE);
    EXPECT_ERRNO("exec'd: write", write(fd, "x", 1), EPERM);
    char buf[8] = {0};
    EXPECT_RET("exec'd: pread", pread(fd, buf, 4, 0), 4);
    printf("exec'd: read %s\n", buf);
    EXPECT_RET("exec'd: F_ADD_SEALS(SEAL)", fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL), 0);
    fflush(stdout);
    return guest_failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "exec-child")) return exec_child(atoi(argv[2]));
    GUEST_START();
    fork_cases();
    exec_case("/proc/self/exe");
    return GUEST_END();
}
