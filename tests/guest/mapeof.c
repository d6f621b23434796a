/* Access past the end of a file mapping: a 100-byte file mapped with a length of three
   pages. The rest of the last (partial) page reads as zeros; a whole page past end of
   file kills the process with SIGBUS (status 128 + 7 in a shell).
   Usage: mapeof shared|private (the mapping's type). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int shared = argc > 1 && !strcmp(argv[1], "shared");
    int fd = open("eof.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    char data[100];
    for (int i = 0; i < 100; i++) data[i] = (char)('A' + i % 26);
    if (fd < 0 || write(fd, data, sizeof data) != (ssize_t)sizeof data) {
        printf("cannot create eof.dat\n");
        return 2;
    }
    volatile unsigned char *m = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE,
                                     shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
        printf("mmap failed\n");
        return 2;
    }
    printf("%s mapping of a 100-byte file, 3 pages long\n", shared ? "shared" : "private");
    printf("byte 99: %c\n", m[99]);
    printf("byte 200: %d\n", m[200]);
    printf("byte 4095: %d\n", m[4095]);
    m[300] = 7; /* the partial page is writable too */
    printf("byte 300 after a write: %d\n", m[300]);
    printf("reading byte 5000\n");
    printf("byte 5000: %d (must not print)\n", m[5000]);
    return 0;
}
