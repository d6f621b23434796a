/* memfd_create and file seals as Linux has them (issue 11): the flags, the name in
   /proc/self/fd, a file that reads, writes, maps and truncates like any other, and the
   seals (F_ADD_SEALS, F_GET_SEALS) that refuse writes, mappings and size changes. */
#include "guest.h"
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static void show_link(int fd)
{
    char path[64], target[PATH_MAX] = {0};
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    printf("readlink(/proc/self/fd/N) = %s\n", n < 0 ? errno_name(errno) : target);
}

int main(void)
{
    GUEST_START();
    int fd = memfd_create("x", 0);
    CHECK("memfd_create(\"x\", 0)", fd >= 0);
    EXPECT_RET("F_GETFD without MFD_CLOEXEC", fcntl(fd, F_GETFD), 0);
    EXPECT_RET("F_GETFL", fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
    show_link(fd);
    EXPECT_RET("F_GET_SEALS without MFD_ALLOW_SEALING", fcntl(fd, F_GET_SEALS), F_SEAL_SEAL);
    EXPECT_ERRNO("F_ADD_SEALS without MFD_ALLOW_SEALING", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
    EXPECT_RET("write", write(fd, "hello", 5), 5);
    struct stat st;
    EXPECT_RET("fstat", fstat(fd, &st), 0);
    printf("fstat: regular=%d size=%lld nlink=%lld mode=%o\n", S_ISREG(st.st_mode), (long long)st.st_size,
           (long long)st.st_nlink, st.st_mode & 07777);
    char buf[16] = {0};
    EXPECT_RET("pread", pread(fd, buf, sizeof buf, 0), 5);
    printf("pread: %s\n", buf);
    EXPECT_RET("ftruncate(8192)", ftruncate(fd, 8192), 0);
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK("mmap MAP_SHARED", m != MAP_FAILED);
    if (m != MAP_FAILED) {
        printf("mapped: %.5s\n", m);
        memcpy(m + 4096, "page2", 5);
        EXPECT_RET("pread of a mapped write", pread(fd, buf, 5, 4096), 5);
        printf("pread: %.5s\n", buf);
        munmap(m, 8192);
    }
    close(fd);

    fd = memfd_create("sealed one", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    CHECK("memfd_create(MFD_CLOEXEC|MFD_ALLOW_SEALING)", fd >= 0);
    EXPECT_RET("F_GETFD with MFD_CLOEXEC", fcntl(fd, F_GETFD), FD_CLOEXEC);
    show_link(fd);
    EXPECT_RET("F_GET_SEALS", fcntl(fd, F_GET_SEALS), 0);
    EXPECT_RET("write 4096", write(fd, memset(malloc(4096), 'q', 4096), 4096), 4096);
    EXPECT_RET("F_ADD_SEALS(F_SEAL_SHRINK)", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
    EXPECT_ERRNO("ftruncate smaller, sealed", ftruncate(fd, 10), EPERM);
    EXPECT_RET("ftruncate larger", ftruncate(fd, 8192), 0);
    EXPECT_RET("F_ADD_SEALS(F_SEAL_GROW)", fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), 0);
    EXPECT_ERRNO("ftruncate larger, sealed", ftruncate(fd, 9000), EPERM);
    EXPECT_RET("ftruncate same size", ftruncate(fd, 8192), 0);
    EXPECT_ERRNO("pwrite past the end, sealed", pwrite(fd, "x", 1, 8192), EPERM);
    EXPECT_RET("pwrite inside", pwrite(fd, "x", 1, 100), 1);
    char *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK("a writable shared mapping", w != MAP_FAILED);
    EXPECT_ERRNO("F_SEAL_WRITE while mapped writable", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
    munmap(w, 4096);
    EXPECT_RET("F_ADD_SEALS(F_SEAL_WRITE)", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0);
    EXPECT_ERRNO("write, sealed", write(fd, "x", 1), EPERM);
    EXPECT_ERRNO("pwrite, sealed", pwrite(fd, "x", 1, 0), EPERM);
    EXPECT_ERRNO("mmap writable shared, sealed", (long)mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EPERM);
    char *ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    CHECK("mmap read-only shared, sealed", ro != MAP_FAILED);
    if (ro != MAP_FAILED) {
        printf("read-only map: %c%c\n", ro[0], ro[100]);
        munmap(ro, 4096);
    }
    char *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK("mmap writable private, sealed", priv != MAP_FAILED);
    if (priv != MAP_FAILED) munmap(priv, 4096);
    EXPECT_RET("F_GET_SEALS", fcntl(fd, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
    EXPECT_RET("F_ADD_SEALS(F_SEAL_SEAL)", fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL), 0);
    EXPECT_ERRNO("F_ADD_SEALS after F_SEAL_SEAL", fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), EPERM);
    EXPECT_ERRNO("F_ADD_SEALS unknown bit", fcntl(fd, F_ADD_SEALS, 0x100), EINVAL);
    int dup_fd = dup(fd);
    EXPECT_RET("F_GET_SEALS of a dup", fcntl(dup_fd, F_GET_SEALS), F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
    close(dup_fd);
    close(fd);

    /* seals of files that are no memfd, and bad arguments */
    int plain = open("plain.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    EXPECT_ERRNO("F_GET_SEALS of a plain file", fcntl(plain, F_GET_SEALS), EINVAL);
    EXPECT_ERRNO("F_ADD_SEALS of a plain file", fcntl(plain, F_ADD_SEALS, F_SEAL_WRITE), EINVAL);
    close(plain);
    unlink("plain.txt");
    EXPECT_ERRNO("memfd_create(unknown flag)", memfd_create("x", 0x100), EINVAL);
    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    EXPECT_ERRNO("memfd_create(name of 299 bytes)", memfd_create(longname, 0), EINVAL);
    longname[249] = 0;
    fd = memfd_create(longname, 0);
    CHECK("memfd_create(name of 249 bytes)", fd >= 0);
    close(fd);
    EXPECT_ERRNO("memfd_create(bad pointer)", memfd_create((const char *)8, 0), EFAULT);
    return GUEST_END();
}
