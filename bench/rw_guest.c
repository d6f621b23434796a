/* The guest side of the sequential I/O benchmark: writes then reads FILE in 1 MiB
   blocks (256 MiB by default) with plain open/write/read/close, timing each phase with
   clock_gettime as ../shared/bench/wine-floor/rw.c does with QueryPerformanceCounter,
   so start-up is left out of both. Built static: it runs natively and under picolx.
     rw_guest FILE [MIB]
   prints "write_s SECONDS" and "read_s SECONDS". */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static char block[1 << 20];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs("usage: rw_guest FILE [MIB]\n", stderr);
        return 2;
    }
    int mib = argc > 2 ? atoi(argv[2]) : 256;
    for (size_t i = 0; i < sizeof block; i++) block[i] = (char)i;

    double start = now_s();
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { perror("open for writing"); return 1; }
    for (int i = 0; i < mib; i++)
        if (write(fd, block, sizeof block) != (ssize_t)sizeof block) { perror("write"); return 1; }
    close(fd);
    double written = now_s();

    fd = open(argv[1], O_RDONLY);
    if (fd < 0) { perror("open for reading"); return 1; }
    long long total = 0;
    ssize_t n;
    while ((n = read(fd, block, sizeof block)) > 0) total += n;
    close(fd);
    double read_done = now_s();
    if (n < 0 || total != (long long)mib << 20) { fputs("short read\n", stderr); return 1; }

    printf("write_s %.6f\nread_s %.6f\n", written - start, read_done - written);
    return 0;
}
