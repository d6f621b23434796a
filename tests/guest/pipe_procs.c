/* Pipes between processes that end badly or race (issue 8): EOF once a writer child is
   killed with SIGKILL, EPIPE once a reader child is, PIPE_BUF atomicity with 4 writer
   processes, and poll readiness (POLLIN, POLLOUT, POLLHUP, POLLERR) across processes. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pipe_blocks.h"

#define BLOCKS 150
#define BLOCK 4096 /* PIPE_BUF */

static const char *revents_text(short r)
{
    static char buf[64];
    buf[0] = 0;
    if (r & POLLIN) strcat(buf, " POLLIN");
    if (r & POLLOUT) strcat(buf, " POLLOUT");
    if (r & POLLHUP) strcat(buf, " POLLHUP");
    if (r & POLLERR) strcat(buf, " POLLERR");
    return buf[0] ? buf + 1 : "none";
}

static int poll_one(int fd, short events, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = events};
    int n = poll(&p, 1, timeout_ms);
    printf("%d %s\n", n, n > 0 ? revents_text(p.revents) : "");
    return n;
}

static void killed_writer(void)
{
    int p[2], go[2];
    if (pipe(p) || pipe(go)) exit(1);
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        close(go[1]);
        write(p[1], "before the kill", 15);
        char x;
        read(go[0], &x, 1); /* until killed: never returns */
        _exit(0);
    }
    close(p[1]);
    close(go[0]);
    char buf[64];
    ssize_t n = read(p[0], buf, sizeof buf);
    printf("read from the writer child: %.*s\n", (int)(n > 0 ? n : 0), buf);
    kill(c, SIGKILL);
    int st;
    waitpid(c, &st, 0);
    printf("writer child killed: %s\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL ? "SIGKILL" : "other");
    n = read(p[0], buf, sizeof buf); /* blocks until the end is seen */
    printf("then read: %zd\n", n);
    printf("poll of the read end: ");
    poll_one(p[0], POLLIN, 5000);
    close(p[0]);
    close(go[1]);
}

static void killed_reader(void)
{
    int p[2];
    if (pipe(p)) exit(1);
    pid_t c = fork();
    if (c == 0) {
        close(p[1]);
        pause();
        _exit(0);
    }
    close(p[0]);
    kill(c, SIGKILL);
    int st;
    waitpid(c, &st, 0);
    signal(SIGPIPE, SIG_IGN);
    static char buf[BLOCK];
    ssize_t n = 0;
    long total = 0;
    /* a write can go into what the pipe holds before the end is seen; never beyond */
    while ((n = write(p[1], buf, sizeof buf)) > 0 && total < (1 << 20)) total += n;
    printf("writes after the reader was killed end with: %s\n", n < 0 && errno == EPIPE ? "EPIPE" : "something else");
    printf("poll of the write end: ");
    poll_one(p[1], POLLOUT, 5000);
    signal(SIGPIPE, SIG_DFL);
    close(p[1]);
}

static void four_writers(void)
{
    int p[2];
    if (pipe(p)) exit(1);
    pid_t kids[4];
    start_block_writers(p, kids, 4, BLOCK, BLOCKS);
    close(p[1]);
    static char all[4 * BLOCKS * BLOCK];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof all && (n = read(p[0], all + got, sizeof all - got > 6000 ? 6000 : sizeof all - got)) > 0)
        got += (size_t)n;
    int counts[4] = {0};
    bool whole = blocks_whole(all, got, BLOCK, counts, 4);
    printf("four writer processes, %d blocks of PIPE_BUF each: read %zu bytes, blocks whole: %s, a=%d b=%d c=%d d=%d\n",
           BLOCKS, got, whole ? "yes" : "no", counts[0], counts[1], counts[2], counts[3]);
    printf("then read: %zd\n", read(p[0], all, 1));
    for (int k = 0; k < 4; k++) {
        int st;
        waitpid(kids[k], &st, 0);
        printf("writer %d exited %d\n", k, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    }
    close(p[0]);
}

static void poll_across(void)
{
    int p[2], back[2], hold[2];
    if (pipe(p) || pipe(back) || pipe(hold)) exit(1);
    pid_t c = fork();
    if (c == 0) { /* the reader of p; tells the parent through back, waits on hold */
        close(p[1]);
        close(back[0]);
        close(hold[1]);
        char x = 0;
        write(back[1], &x, 1); /* "fill it now" */
        sleep(1);
        static char buf[1 << 17];
        long drained = 0;
        ssize_t n;
        while (drained < 65536 && (n = read(p[0], buf, sizeof buf)) > 0) drained += n;
        read(hold[0], &x, 1); /* until the parent has polled */
        _exit(drained == 65536 ? 0 : 3);
    }
    close(p[0]);
    close(back[1]);
    close(hold[0]);
    char x;
    read(back[0], &x, 1);
    /* the write end while full, then after the child drains it, then once it is gone */
    int fl = 65536;
    static char buf[4096];
    long put = 0;
    ssize_t n;
    while (put < fl && (n = write(p[1], buf, sizeof buf)) > 0) put += n;
    printf("filled: %ld\n", put);
    printf("poll of the full write end at once: ");
    poll_one(p[1], POLLOUT, 0);
    printf("poll of the write end while the child drains it: ");
    poll_one(p[1], POLLOUT, 10000);
    close(hold[1]);
    int st;
    waitpid(c, &st, 0);
    printf("reader child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    printf("poll of the write end once it is gone: ");
    poll_one(p[1], POLLOUT, 5000);
    close(p[1]);
    close(back[0]);

    /* the read end: empty, then a child writes, then the child is gone */
    if (pipe(p) || pipe(back)) exit(1);
    if ((c = fork()) == 0) {
        close(p[0]);
        close(back[1]);
        read(back[0], &x, 1); /* the parent polled once */
        write(p[1], "ping", 4);
        read(back[0], &x, 1); /* the parent saw it */
        _exit(0);
    }
    close(p[1]);
    close(back[0]);
    printf("poll of the empty read end: ");
    poll_one(p[0], POLLIN, 0);
    write(back[1], "g", 1);
    printf("poll while the child writes: ");
    poll_one(p[0], POLLIN, 10000);
    char got[8] = {0};
    printf("read: %zd\n", read(p[0], got, sizeof got - 1));
    write(back[1], "g", 1);
    waitpid(c, &st, 0);
    printf("poll once the writer child is gone: ");
    poll_one(p[0], POLLIN, 5000);
    close(p[0]);
    close(back[1]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    killed_writer();
    killed_reader();
    four_writers();
    poll_across();
    return 0;
}
