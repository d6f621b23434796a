/* Files: create, write, read, lseek, pread/pwrite, ftruncate, fstat sizes, O_APPEND,
   O_EXCL, rename, unlink. Run in an empty directory. */
#include "guest.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static int file_equals(const char *path, const char *want, size_t n)
{
    char buf[256];
    int fd = open(path, O_RDONLY);
    if (fd < 0) return 0;
    ssize_t got = read(fd, buf, sizeof buf);
    close(fd);
    return got == (ssize_t)n && memcmp(buf, want, n) == 0;
}

int main(void)
{
    GUEST_START();
    char buf[256];
    struct stat st;

    int fd = open("f1", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    EXPECT_RET("open new", fd, 3);
    EXPECT_RET("write", write(fd, "hello world\n", 12), 12);
    EXPECT_RET("fstat size after write", (fstat(fd, &st), st.st_size), 12);
    CHECK("fstat regular", fstat(fd, &st) == 0 && S_ISREG(st.st_mode));
    EXPECT_ERRNO("read on O_WRONLY", read(fd, buf, 1), EBADF);
    EXPECT_RET("close", close(fd), 0);

    fd = open("f1", O_RDWR);
    EXPECT_RET("reopen", fd, 3);
    memset(buf, 0, sizeof buf);
    EXPECT_RET("read 5", read(fd, buf, 5), 5);
    CHECK("read contents", memcmp(buf, "hello", 5) == 0);
    EXPECT_RET("lseek cur", lseek(fd, 0, SEEK_CUR), 5);
    EXPECT_RET("lseek end", lseek(fd, 0, SEEK_END), 12);
    EXPECT_RET("read at eof", read(fd, buf, sizeof buf), 0);
    EXPECT_RET("lseek set", lseek(fd, 6, SEEK_SET), 6);
    EXPECT_RET("read rest", read(fd, buf, sizeof buf), 6);
    CHECK("rest contents", memcmp(buf, "world\n", 6) == 0);

    memset(buf, 0, sizeof buf);
    EXPECT_RET("pread", pread(fd, buf, 5, 6), 5);
    CHECK("pread contents", memcmp(buf, "world", 5) == 0);
    EXPECT_RET("pwrite", pwrite(fd, "WORLD", 5, 6), 5);
    EXPECT_RET("offset unchanged by pread/pwrite", lseek(fd, 0, SEEK_CUR), 12);
    CHECK("pwrite reached the file", file_equals("f1", "hello WORLD\n", 12));

    EXPECT_RET("ftruncate shrink", ftruncate(fd, 5), 0);
    EXPECT_RET("size after shrink", (fstat(fd, &st), st.st_size), 5);
    EXPECT_RET("ftruncate grow", ftruncate(fd, 100), 0);
    EXPECT_RET("size after grow", (fstat(fd, &st), st.st_size), 100);
    memset(buf, 'x', sizeof buf);
    EXPECT_RET("pread grown part", pread(fd, buf, 10, 50), 10);
    CHECK("grown part reads as zeros", memcmp(buf, "\0\0\0\0\0\0\0\0\0\0", 10) == 0);
    EXPECT_RET("lseek past end", lseek(fd, 1000, SEEK_SET), 1000);
    EXPECT_RET("write past end", write(fd, "Z", 1), 1);
    EXPECT_RET("size after write past end", (fstat(fd, &st), st.st_size), 1001);
    EXPECT_RET("pread hole", pread(fd, buf, 4, 500), 4);
    CHECK("hole reads as zeros", memcmp(buf, "\0\0\0\0", 4) == 0);
    EXPECT_ERRNO("lseek negative", lseek(fd, -1, SEEK_SET), EINVAL);
    EXPECT_ERRNO("lseek bad whence", lseek(fd, 0, 77), EINVAL);
    EXPECT_ERRNO("ftruncate negative", ftruncate(fd, -1), EINVAL);
    EXPECT_RET("close", close(fd), 0);

    /* O_APPEND: every write goes to the end, whatever the offset. */
    fd = open("log", O_CREAT | O_WRONLY | O_APPEND, 0644);
    EXPECT_RET("open append", fd, 3);
    EXPECT_RET("append 1", write(fd, "one\n", 4), 4);
    EXPECT_RET("lseek 0", lseek(fd, 0, SEEK_SET), 0);
    EXPECT_RET("append 2", write(fd, "two\n", 4), 4);
    EXPECT_RET("offset after append", lseek(fd, 0, SEEK_CUR), 8);
    close(fd);
    CHECK("append contents", file_equals("log", "one\ntwo\n", 8));
    int fd2 = open("log", O_WRONLY | O_APPEND);
    int fd3 = open("log", O_WRONLY | O_APPEND);
    EXPECT_RET("two appenders 1", write(fd2, "333\n", 4), 4);
    EXPECT_RET("two appenders 2", write(fd3, "4444\n", 5), 5);
    close(fd2);
    close(fd3);
    CHECK("interleaved append contents", file_equals("log", "one\ntwo\n333\n4444\n", 17));

    /* O_TRUNC on an existing file. */
    fd = open("log", O_WRONLY | O_TRUNC);
    EXPECT_RET("size after O_TRUNC", (fstat(fd, &st), st.st_size), 0);
    close(fd);

    /* O_EXCL */
    EXPECT_ERRNO("O_EXCL on existing", open("f1", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
    fd = open("fresh", O_CREAT | O_EXCL | O_WRONLY, 0644);
    EXPECT_RET("O_EXCL on new", fd, 3);
    close(fd);
    EXPECT_ERRNO("open missing without O_CREAT", open("nothere", O_RDONLY), ENOENT);

    /* rename, also over an existing file */
    EXPECT_RET("rename", rename("f1", "f2"), 0);
    EXPECT_ERRNO("old name gone", open("f1", O_RDONLY), ENOENT);
    EXPECT_RET("new name size", file_size("f2"), 1001);
    EXPECT_RET("rename over existing", rename("f2", "fresh"), 0);
    EXPECT_RET("replaced file size", file_size("fresh"), 1001);
    EXPECT_ERRNO("rename missing", rename("nothere", "x"), ENOENT);

    /* unlink, including a file that is still open */
    fd = open("fresh", O_RDONLY);
    EXPECT_RET("unlink", unlink("fresh"), 0);
    EXPECT_ERRNO("stat after unlink", stat("fresh", &st), ENOENT);
    EXPECT_RET("read from unlinked open file", read(fd, buf, 5), 5);
    CHECK("unlinked file contents", memcmp(buf, "hello", 5) == 0);
    close(fd);
    EXPECT_ERRNO("unlink missing", unlink("fresh"), ENOENT);
    EXPECT_RET("unlink log", unlink("log"), 0);

    /* dup shares the offset */
    fd = open("shared", O_CREAT | O_RDWR | O_TRUNC, 0644);
    fd2 = dup(fd);
    EXPECT_RET("dup", fd2, 4);
    write(fd, "abc", 3);
    EXPECT_RET("dup shares offset", lseek(fd2, 0, SEEK_CUR), 3);
    close(fd);
    close(fd2);
    unlink("shared");

    return GUEST_END();
}
