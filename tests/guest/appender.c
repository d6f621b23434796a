/* O_APPEND from several processes (issue 11). `appender write FILE ID N` appends N lines
   "ID NNNNNN xxx...\n" to FILE, one write(2) each, opened O_WRONLY|O_APPEND (no lock);
   `appender check FILE PROCS N` reads FILE back and prints how many of the PROCS*N lines
   are there exactly once, missing, repeated, or not one of them. Driven by
   tests/e2e/append_e2e.py, which starts the writers at once. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAD 40

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "write")) {
        int id = atoi(argv[3]), n = atoi(argv[4]);
        int fd = open(argv[2], O_WRONLY | O_APPEND | O_CREAT, 0644);
        if (fd < 0) return perror("open"), 2;
        for (int i = 0; i < n; i++) {
            char line[128];
            int len = snprintf(line, sizeof line, "%d %06d %.*s\n", id, i, PAD + (i % 17), "................................................................");
            if (write(fd, line, (size_t)len) != len) return perror("write"), 2;
        }
        return close(fd) ? 2 : 0;
    }
    if (argc == 5 && !strcmp(argv[1], "check")) {
        int procs = atoi(argv[3]), n = atoi(argv[4]);
        FILE *f = fopen(argv[2], "r");
        if (!f) return perror("fopen"), 2;
        unsigned char *seen = calloc((size_t)procs * n, 1);
        long bad = 0, repeated = 0, missing = 0, once = 0;
        char line[256];
        while (fgets(line, sizeof line, f)) {
            int id, i, used = 0;
            char expect[128];
            if (sscanf(line, "%d %d%n", &id, &i, &used) != 2 || id < 0 || id >= procs || i < 0 || i >= n) {
                bad++;
                continue;
            }
            snprintf(expect, sizeof expect, "%d %06d %.*s\n", id, i, PAD + (i % 17), "................................................................");
            if (strcmp(line, expect)) bad++;
            else if (seen[(size_t)id * n + i]++) repeated++;
        }
        for (size_t k = 0; k < (size_t)procs * n; k++) {
            if (!seen[k]) missing++;
            else if (seen[k] == 1) once++;
        }
        printf("lines expected %ld, exactly once %ld, missing %ld, repeated %ld, malformed %ld\n",
               (long)procs * n, once, missing, repeated, bad);
        return once == (long)procs * n && !bad && !repeated ? 0 : 1;
    }
    fprintf(stderr, "usage: appender write FILE ID N | appender check FILE PROCS N\n");
    return 2;
}
