/* A small-file workload on a tmpfs: create, write 100 bytes, read them back, unlink,
   for N files (default 1000) in DIR (default /dev/shm). Prints the time it took.
     gcc -O2 -static bench/tmpfs_files.c -o /tmp/tmpfs_files
     /tmp/tmpfs_files; scripts/picolx run --root 'Z:\' -- /tmp/tmpfs_files */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/dev/shm";
    int n = argc > 2 ? atoi(argv[2]) : 1000;
    char path[4096], buf[100], back[100];
    memset(buf, 'x', sizeof buf);
    double start = now();
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/bench-%d-%d", dir, (int)getpid(), i);
        int fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0600);
        if (fd < 0 || write(fd, buf, sizeof buf) != sizeof buf || pread(fd, back, sizeof back, 0) != sizeof back ||
            close(fd) < 0 || unlink(path) < 0) {
            perror(path);
            return 1;
        }
    }
    double took = now() - start;
    printf("%d files in %s: %.3f s, %.1f us a file\n", n, dir, took, took * 1e6 / n);
    return 0;
}
