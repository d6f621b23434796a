/* The poll wake-up benchmark (bench/pollwake.sh): `pollwake write N GAP_US` writes N
   8-byte stamps of CLOCK_REALTIME to stdout, GAP_US apart; `pollwake read N` polls stdin
   (poll, no timeout), takes the time when poll returns, reads the stamp and prints the
   best and the median latency from write to poll's return, in microseconds, of up to N
   stamps that came while it was blocked: stamps already waiting when it polls (written
   while it started) are read and not counted. Built static; CLOCK_REALTIME is the one
   clock that a Linux writer and a Windows reader under Wine share. */
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "write")) {
        int n = atoi(argv[2]), gap = atoi(argv[3]);
        usleep(200000); /* the reader starts */
        for (int i = 0; i < n; i++) {
            usleep(gap);
            int64_t t = now_ns();
            if (write(1, &t, sizeof t) != sizeof t) return 1;
        }
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "read")) {
        int n = atoi(argv[2]);
        int64_t *lat = calloc(n, sizeof *lat);
        int got = 0;
        for (;;) {
            struct pollfd p = {0, POLLIN, 0};
            int waiting = poll(&p, 1, 0);
            if (waiting != 1 && poll(&p, 1, -1) != 1) return 1;
            int64_t t1 = now_ns(), t0;
            ssize_t r = read(0, &t0, sizeof t0);
            if (r == 0) break; /* the writer is done */
            if (r != sizeof t0) return 1;
            if (waiting != 1 && got < n) lat[got++] = t1 - t0;
        }
        if (!got) return 1;
        n = got;
        qsort(lat, n, sizeof *lat, by_value);
        printf("best_us=%.1f median_us=%.1f\n", lat[0] / 1e3, lat[n / 2] / 1e3);
        return 0;
    }
    fprintf(stderr, "usage: pollwake write N GAP_US | pollwake read N\n");
    return 2;
}
