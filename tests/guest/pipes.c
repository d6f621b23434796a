/* Pipes: pipe2 flags, write then read, EOF after the writer closes, EAGAIN when empty
   and non-blocking, and dup2 of a pipe onto stdout. */
#include "guest.h"
#include <fcntl.h>
#include <unistd.h>

int main(void)
{
    GUEST_START();
    int p[2];
    char buf[64];

    EXPECT_RET("pipe2 cloexec", pipe2(p, O_CLOEXEC), 0);
    CHECK("pipe fds are the lowest free", p[0] == 3 && p[1] == 4);
    CHECK("FD_CLOEXEC set", (fcntl(p[0], F_GETFD) & FD_CLOEXEC) && (fcntl(p[1], F_GETFD) & FD_CLOEXEC));
    CHECK("read end is O_RDONLY", (fcntl(p[0], F_GETFL) & O_ACCMODE) == O_RDONLY);
    CHECK("write end is O_WRONLY", (fcntl(p[1], F_GETFL) & O_ACCMODE) == O_WRONLY);
    EXPECT_RET("write", write(p[1], "abc", 3), 3);
    EXPECT_RET("write more", write(p[1], "defg", 4), 4);
    memset(buf, 0, sizeof buf);
    EXPECT_RET("read all that is there", read(p[0], buf, sizeof buf), 7);
    CHECK("contents", strcmp(buf, "abcdefg") == 0);
    EXPECT_RET("write again", write(p[1], "xyz", 3), 3);
    EXPECT_RET("close writer", close(p[1]), 0);
    EXPECT_RET("read after writer closed", read(p[0], buf, sizeof buf), 3);
    EXPECT_RET("EOF", read(p[0], buf, sizeof buf), 0);
    EXPECT_RET("EOF again", read(p[0], buf, sizeof buf), 0);
    EXPECT_ERRNO("write to read end", write(p[0], "x", 1), EBADF);
    close(p[0]);

    EXPECT_RET("pipe2 nonblock", pipe2(p, O_NONBLOCK), 0);
    CHECK("O_NONBLOCK set", fcntl(p[0], F_GETFL) & O_NONBLOCK);
    CHECK("FD_CLOEXEC clear", !(fcntl(p[0], F_GETFD) & FD_CLOEXEC));
    EXPECT_ERRNO("read empty nonblocking", read(p[0], buf, sizeof buf), EAGAIN);
    /* a large write fits the default 64 KiB pipe buffer */
    static char big[65536];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i * 7);
    EXPECT_RET("64 KiB write", write(p[1], big, sizeof big), 65536);
    EXPECT_ERRNO("write to a full pipe", write(p[1], "x", 1), EAGAIN);
    static char back[65536];
    size_t total = 0;
    while (total < sizeof back) {
        ssize_t n = read(p[0], back + total, sizeof back - total);
        if (n <= 0) break;
        total += (size_t)n;
    }
    CHECK("64 KiB read back", total == sizeof big && memcmp(big, back, sizeof big) == 0);
    close(p[0]);
    close(p[1]);
    EXPECT_ERRNO("pipe2 bad flags", pipe2(p, 0x12345678), EINVAL);

    /* dup2 a pipe onto stdout, write through stdio, restore stdout; results are
       printed once stdout is back. */
    EXPECT_RET("pipe", pipe(p), 0);
    fflush(stdout);
    int saved = dup(1);
    int dup2_ret = dup2(p[1], 1);
    printf("through the pipe\n");
    fflush(stdout);
    ssize_t raw_ret = write(1, "raw\n", 4);
    dup2(saved, 1);
    close(saved);
    close(p[1]);
    EXPECT_RET("dup2 onto stdout", dup2_ret, 1);
    EXPECT_RET("write to fd 1", raw_ret, 4);
    char got[256] = {0};
    ssize_t n = read(p[0], got, sizeof got - 1);
    printf("the pipe got %zd bytes: %s", n, got);
    CHECK("dup2 output", strcmp(got, "through the pipe\nraw\n") == 0);
    EXPECT_RET("EOF after all writers closed", read(p[0], buf, sizeof buf), 0);
    close(p[0]);
    EXPECT_RET("dup2 same fd", dup2(1, 1), 1);
    EXPECT_ERRNO("dup2 from bad fd", dup2(77, 5), EBADF);
    return GUEST_END();
}
