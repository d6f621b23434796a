/* readv/writev and their positional forms (preadv, pwritev, preadv2, pwritev2), as
   Linux has them: the offset given is used and the file position stays, -1 in the v2
   calls means the file position (and moves it), RWF_APPEND writes at the end, unknown
   flags are EOPNOTSUPP, a pipe is ESPIPE, a negative offset EINVAL. CPython's
   os.preadv/os.pwritev tests call them. */
#include "guest.h"
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <sys/syscall.h>

#ifndef RWF_HIPRI
#define RWF_HIPRI 0x1
#define RWF_DSYNC 0x2
#define RWF_APPEND 0x10
#endif

/* the v2 calls by number: musl has no wrappers for them (offset low, high, flags) */
static long v2_read(int fd, const struct iovec *iov, int n, long off, int flags)
{
    return syscall(SYS_preadv2, fd, iov, n, off, 0L, flags);
}
static long v2_write(int fd, const struct iovec *iov, int n, long off, int flags)
{
    return syscall(SYS_pwritev2, fd, iov, n, off, 0L, flags);
}

static void show(int fd, const char *what)
{
    char buf[64] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    printf("%s: \"%.*s\" (%zd bytes), position %ld\n", what, (int)(n > 0 ? n : 0), buf, n, (long)lseek(fd, 0, SEEK_CUR));
}

int main(void)
{
    GUEST_START();
    int fd = open("vec.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    struct iovec w[3] = {{"abc", 3}, {"", 0}, {"defgh", 5}};
    EXPECT_RET("writev", writev(fd, w, 3), 8);
    show(fd, "after writev");
    struct iovec pw[2] = {{"XY", 2}, {"Z", 1}};
    EXPECT_RET("pwritev at 2", pwritev(fd, pw, 2, 2), 3);
    show(fd, "after pwritev");
    EXPECT_RET("pwritev past the end (a hole)", pwritev(fd, pw, 1, 12), 2);
    char a[3] = {0}, b[4] = {0};
    struct iovec pr[2] = {{a, 2}, {b, 3}};
    EXPECT_RET("preadv at 1", preadv(fd, pr, 2, 1), 5);
    printf("preadv: \"%.2s\" \"%.3s\", position %ld\n", a, b, (long)lseek(fd, 0, SEEK_CUR));
    EXPECT_RET("preadv at the end", preadv(fd, pr, 2, 14), 0);
    EXPECT_RET("lseek 0", lseek(fd, 0, SEEK_SET), 0);
    EXPECT_RET("preadv2 at -1 (the position)", v2_read(fd, pr, 1, -1, 0), 2);
    printf("position after: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    EXPECT_RET("preadv2 at 4, RWF_HIPRI", v2_read(fd, pr, 1, 4, RWF_HIPRI), 2);
    printf("read \"%.2s\", position %ld\n", a, (long)lseek(fd, 0, SEEK_CUR));
    struct iovec one = {"!", 1};
    EXPECT_RET("pwritev2 at -1 (the position)", v2_write(fd, &one, 1, -1, 0), 1);
    EXPECT_RET("pwritev2 RWF_APPEND", v2_write(fd, &one, 1, 0, RWF_APPEND), 1);
    EXPECT_RET("pwritev2 RWF_DSYNC", v2_write(fd, &one, 1, 0, RWF_DSYNC), 1);
    show(fd, "after the v2 writes");
    int app = open("vec.txt", O_WRONLY | O_APPEND);
    EXPECT_RET("pwritev2 RWF_NOAPPEND on an O_APPEND fd at 0", v2_write(app, &one, 1, 0, 0x20), 1);
    close(app);
    show(fd, "after RWF_NOAPPEND");
    EXPECT_RET("F_GETFL has no O_APPEND after RWF_APPEND", fcntl(fd, F_GETFL) & O_APPEND, 0);
    EXPECT_ERRNO("preadv2 unknown flag", v2_read(fd, pr, 1, 0, 0x40000000), EOPNOTSUPP);
    EXPECT_ERRNO("pwritev2 unknown flag", v2_write(fd, &one, 1, 0, 0x40000000), EOPNOTSUPP);
    EXPECT_ERRNO("preadv at -1", preadv(fd, pr, 1, -1), EINVAL);
    EXPECT_ERRNO("pwritev at -5", pwritev(fd, &one, 1, -5), EINVAL);
    EXPECT_ERRNO("preadv2 at -2", v2_read(fd, pr, 1, -2, 0), EINVAL);
    struct iovec *volatile bad = (struct iovec *)8;
    volatile int minus_one = -1;
    EXPECT_ERRNO("preadv bad iovec", preadv(fd, bad, 1, 0), EFAULT);
    EXPECT_ERRNO("preadv iovcnt -1", preadv(fd, pr, minus_one, 0), EINVAL);
    EXPECT_ERRNO("preadv bad fd", preadv(99, pr, 1, 0), EBADF);
    int ro = open("vec.txt", O_RDONLY);
    EXPECT_ERRNO("pwritev read-only", pwritev(ro, &one, 1, 0), EBADF);
    close(ro);
    int p[2];
    pipe(p);
    EXPECT_ERRNO("preadv pipe", preadv(p[0], pr, 1, 0), ESPIPE);
    EXPECT_ERRNO("pwritev pipe", pwritev(p[1], &one, 1, 0), ESPIPE);
    EXPECT_RET("pwritev2 pipe at -1", v2_write(p[1], &one, 1, -1, 0), 1);
    EXPECT_RET("preadv2 pipe at -1", v2_read(p[0], pr, 1, -1, 0), 1);
    close(p[0]);
    close(p[1]);
    close(fd);
    unlink("vec.txt");
    return GUEST_END();
}
