/* splice(2) and sync_file_range(2) as a program sees them: how much moves from a file
   into a pipe and back, offsets, and the errors for wrong ends. Runs in the cwd. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void report(const char *what, ssize_t r)
{
    if (r < 0) printf("%s: -1 %s\n", what, errno == EINVAL ? "EINVAL" : errno == ESPIPE ? "ESPIPE" : errno == EBADF ? "EBADF" : errno == EAGAIN ? "EAGAIN" : strerror(errno));
    else printf("%s: %zd\n", what, r);
}

int main(void)
{
    enum { SIZE = 200000 };
    char *data = malloc(SIZE), *back = malloc(SIZE);
    for (int i = 0; i < SIZE; i++) data[i] = (char)(i * 7 + i / 251);
    int src = open("src", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (src < 0 || write(src, data, SIZE) != SIZE) return 2;
    int dst = open("dst", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int p[2];
    if (dst < 0 || pipe(p)) return 2;

    /* file -> pipe: at most what the pipe holds */
    loff_t off = 1000;
    ssize_t n = splice(src, &off, p[1], NULL, SIZE, 0);
    report("file to pipe", n);
    printf("offset after: %lld, file position: %lld\n", (long long)off, (long long)lseek(src, 0, SEEK_CUR));
    /* pipe -> file at an offset */
    loff_t out_off = 10;
    ssize_t m = splice(p[0], NULL, dst, &out_off, SIZE, 0);
    report("pipe to file", m);
    printf("out offset after: %lld\n", (long long)out_off);
    ssize_t got = pread(dst, back, SIZE, 10);
    printf("copied bytes match: %s (%zd read)\n", got == m && !memcmp(back, data + 1000, (size_t)m) ? "yes" : "no", got);

    /* from the file position, in steps */
    lseek(src, 5, SEEK_SET);
    n = splice(src, NULL, p[1], NULL, 100, SPLICE_F_MORE);
    report("file position to pipe", n);
    printf("file position after: %lld\n", (long long)lseek(src, 0, SEEK_CUR));
    m = splice(p[0], NULL, dst, NULL, 40, 0);
    report("pipe to file position, 40", m);
    m = splice(p[0], NULL, dst, NULL, 1000, 0);
    report("pipe to file position, the rest", m);

    /* a pipe that is empty, non-blocking */
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    report("empty non-blocking pipe", splice(p[0], NULL, dst, NULL, 10, SPLICE_F_NONBLOCK));

    /* errors */
    report("no pipe at either end", splice(src, NULL, dst, NULL, 10, 0));
    loff_t zero = 0;
    report("offset on the pipe", splice(p[0], &zero, dst, NULL, 10, 0));
    report("unknown flag", splice(src, NULL, p[1], NULL, 10, 0x100));
    report("bad fd", splice(99, NULL, p[1], NULL, 10, 0));
    report("write end read", splice(p[1], NULL, dst, NULL, 10, 0));
    report("zero length", splice(src, NULL, p[1], NULL, 0, 0));

    report("sync_file_range write+wait", sync_file_range(dst, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER));
    report("sync_file_range on a pipe", sync_file_range(p[1], 0, 0, SYNC_FILE_RANGE_WRITE));
    report("sync_file_range bad flags", sync_file_range(dst, 0, 0, 8));
    report("sync_file_range negative", sync_file_range(dst, -1, 0, SYNC_FILE_RANGE_WRITE));
    return 0;
}
