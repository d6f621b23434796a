/* Error paths: the errno each failing call sets, as Linux sets it. */
#include "guest.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    GUEST_START();
    char buf[16];
    struct stat st;

    int fd = open("file", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    write(fd, "data", 4);
    close(fd);
    mkdir("dir", 0755);

    EXPECT_ERRNO("open missing", open("missing", O_RDONLY), ENOENT);
    EXPECT_ERRNO("open missing dir component", open("missing/file", O_RDONLY), ENOENT);
    EXPECT_ERRNO("stat missing", stat("missing", &st), ENOENT);
    EXPECT_ERRNO("open empty path", open("", O_RDONLY), ENOENT);
    EXPECT_ERRNO("close(-1)", close(-1), EBADF);
    EXPECT_ERRNO("close(9999)", close(9999), EBADF);
    EXPECT_ERRNO("read bad fd", read(77, buf, 1), EBADF);
    EXPECT_ERRNO("write bad fd", write(77, "x", 1), EBADF);
    EXPECT_ERRNO("fstat bad fd", fstat(77, &st), EBADF);
    EXPECT_ERRNO("lseek bad fd", lseek(77, 0, SEEK_SET), EBADF);
    EXPECT_ERRNO("dup bad fd", dup(77), EBADF);
    EXPECT_ERRNO("raw close(-1)", syscall(SYS_close, -1), EBADF);
    EXPECT_ERRNO("open dir for writing", open("dir", O_WRONLY), EISDIR);
    EXPECT_ERRNO("open dir O_RDWR", open("dir", O_RDWR), EISDIR);
    fd = open("dir", O_RDONLY);
    EXPECT_RET("open dir read-only", fd, 3);
    EXPECT_ERRNO("read a directory", read(fd, buf, sizeof buf), EISDIR);
    close(fd);
    EXPECT_ERRNO("file as a dir component", open("file/x", O_RDONLY), ENOTDIR);
    EXPECT_ERRNO("stat through a file", stat("file/x", &st), ENOTDIR);
    EXPECT_ERRNO("O_DIRECTORY on a file", open("file", O_RDONLY | O_DIRECTORY), ENOTDIR);
    fd = open("file", O_RDONLY);
    EXPECT_ERRNO("lseek bad whence", lseek(fd, 0, 42), EINVAL);
    EXPECT_ERRNO("lseek before start", lseek(fd, -10, SEEK_SET), EINVAL);
    EXPECT_ERRNO("write on O_RDONLY", write(fd, "x", 1), EBADF);
    close(fd);
    EXPECT_ERRNO("mmap length 0", (long)mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
    EXPECT_ERRNO("mmap unaligned offset", (long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 0, 3), EINVAL);
    EXPECT_ERRNO("mmap bad fd", (long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 77, 0), EBADF);
    EXPECT_ERRNO("munmap unaligned", munmap((void *)4097, 4096), EINVAL);
    EXPECT_ERRNO("fcntl bad cmd", fcntl(0, 99999), EINVAL);
    int fds[2];
    pipe(fds);
    EXPECT_ERRNO("lseek on a pipe", lseek(fds[0], 0, SEEK_SET), ESPIPE);
    close(fds[0]);
    close(fds[1]);
    EXPECT_ERRNO("unknown syscall", syscall(100000), ENOSYS);
    EXPECT_ERRNO("rmdir .", rmdir("."), EINVAL);
    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    EXPECT_ERRNO("name too long", open(longname, O_RDONLY), ENAMETOOLONG);
    /* errno is not touched by a successful call */
    errno = 1234;
    getpid();
    CHECK("errno survives a successful call", errno == 1234);
    unlink("file");
    rmdir("dir");
    return GUEST_END();
}
