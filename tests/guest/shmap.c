/* MAP_SHARED file mappings: coherent with read() and write() on the same file, with a
   second mapping of it, and with msync; munmap (whole and partial); the file keeps its
   size. Runs in the cwd (a fresh directory per run). */
#include "guest.h"
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE 4096

static off_t file_size(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? st.st_size : -1;
}

int main(void)
{
    GUEST_START();
    const size_t size = 5 * PAGE + 100; /* not a whole number of pages */
    int fd = open("shmap.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK("open", fd >= 0);
    char *buf = malloc(size);
    for (size_t i = 0; i < size; i++) buf[i] = (char)('a' + i % 26);
    CHECK("write file", write(fd, buf, size) == (ssize_t)size);

    char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK("mmap shared", m != MAP_FAILED);
    if (m == MAP_FAILED) return GUEST_END();
    CHECK("mapping has the file", memcmp(m, buf, size) == 0);

    /* a write through the mapping is seen by read() */
    memcpy(m + 10, "MAPPED", 6);
    char got[16] = {0};
    CHECK("pread sees mapping write", pread(fd, got, 6, 10) == 6 && memcmp(got, "MAPPED", 6) == 0);
    memcpy(m + 3 * PAGE + 7, "PAGE3", 5);
    CHECK("pread sees write on page 3", pread(fd, got, 5, 3 * PAGE + 7) == 5 && memcmp(got, "PAGE3", 5) == 0);

    /* write() is seen by the mapping */
    CHECK("pwrite", pwrite(fd, "WRITTEN", 7, 2 * PAGE + 1) == 7);
    CHECK("mapping sees pwrite", memcmp(m + 2 * PAGE + 1, "WRITTEN", 7) == 0);
    CHECK("lseek+write", lseek(fd, 5 * PAGE, SEEK_SET) == 5 * PAGE && write(fd, "tail", 4) == 4);
    CHECK("mapping sees write in last page", memcmp(m + 5 * PAGE, "tail", 4) == 0);

    CHECK("msync MS_SYNC", msync(m, size, MS_SYNC) == 0);
    CHECK("msync MS_ASYNC", msync(m + PAGE, PAGE, MS_ASYNC) == 0);
    EXPECT_ERRNO("msync both flags", msync(m, PAGE, MS_SYNC | MS_ASYNC), EINVAL);
    EXPECT_ERRNO("msync unaligned", msync(m + 1, PAGE, MS_SYNC), EINVAL);

    /* a second mapping of the same file, at an offset, shares the pages */
    char *m2 = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 2 * PAGE);
    CHECK("second mmap at offset", m2 != MAP_FAILED);
    if (m2 != MAP_FAILED) {
        CHECK("second sees first's write", memcmp(m2 + 1, "WRITTEN", 7) == 0);
        memcpy(m2 + PAGE + 20, "SECOND", 6);
        CHECK("first sees second's write", memcmp(m + 3 * PAGE + 20, "SECOND", 6) == 0);
        m[2 * PAGE] = '#';
        CHECK("second sees first's later write", m2[0] == '#');
        CHECK("munmap second", munmap(m2, 2 * PAGE) == 0);
    }

    /* a read-only shared mapping of a read-only fd follows the file */
    int rfd = open("shmap.dat", O_RDONLY);
    char *r = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, rfd, 0);
    CHECK("read-only mmap", r != MAP_FAILED);
    if (r != MAP_FAILED) {
        m[0] = 'Z';
        CHECK("read-only mapping sees write", r[0] == 'Z');
        EXPECT_ERRNO("mprotect write on O_RDONLY mapping", mprotect(r, PAGE, PROT_READ | PROT_WRITE), EACCES);
        munmap(r, PAGE);
    }
    EXPECT_ERRNO("mmap shared writable of O_RDONLY", (long)mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, 0), EACCES);
    close(rfd);

    /* mprotect to read-only and back */
    CHECK("mprotect read", mprotect(m, PAGE, PROT_READ) == 0);
    CHECK("still readable", m[0] == 'Z');
    CHECK("mprotect read-write", mprotect(m, PAGE, PROT_READ | PROT_WRITE) == 0);
    m[1] = 'Y';
    CHECK("write after mprotect", pread(fd, got, 2, 0) == 2 && got[0] == 'Z' && got[1] == 'Y');

    /* partial munmap keeps the rest working */
    CHECK("munmap middle page", munmap(m + PAGE, PAGE) == 0);
    m[4 * PAGE] = '!';
    CHECK("rest still shared", pread(fd, got, 1, 4 * PAGE) == 1 && got[0] == '!');
    CHECK("munmap rest", munmap(m, size) == 0);

    /* closing the fd keeps a mapping alive */
    char *m3 = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK("mmap again", m3 != MAP_FAILED);
    CHECK("file size unchanged", file_size(fd) == (off_t)size);
    close(fd);
    if (m3 != MAP_FAILED) {
        memcpy(m3 + 100, "AFTERCLOSE", 10);
        CHECK("msync after close", msync(m3, PAGE, MS_SYNC) == 0);
        munmap(m3, PAGE);
    }
    fd = open("shmap.dat", O_RDONLY);
    CHECK("reopen sees write after close", pread(fd, got, 10, 100) == 10 && memcmp(got, "AFTERCLOSE", 10) == 0);
    CHECK("file size still unchanged", file_size(fd) == (off_t)size);
    close(fd);
    free(buf);
    unlink("shmap.dat");
    return GUEST_END();
}
