/* Pipes whose ends live in different processes (issue 8): capacity and F_GETPIPE_SZ /
   F_SETPIPE_SZ, atomic writes of PIPE_BUF bytes from two writers, end of file when the last
   writer (in another process) closes, EPIPE when the last reader is gone, O_NONBLOCK, and
   poll readiness across processes. Prints the same lines natively and under picolx. */
#include "guest.h"
#include "pipe_blocks.h"
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define MESSAGES 200

static int wait_child(pid_t pid)
{
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void capacity(void)
{
    int p[2];
    pipe(p);
    printf("F_GETPIPE_SZ of a new pipe: %d\n", fcntl(p[0], F_GETPIPE_SZ));
    printf("F_SETPIPE_SZ 20000: %d\n", fcntl(p[1], F_SETPIPE_SZ, 20000));
    printf("F_GETPIPE_SZ after it (read end): %d\n", fcntl(p[0], F_GETPIPE_SZ));
    static char some[10000];
    write(p[1], some, sizeof some);
    errno = 0;
    int r = fcntl(p[0], F_SETPIPE_SZ, 4096);
    printf("F_SETPIPE_SZ 4096 (read end) with 10000 bytes queued: %d %s\n", r, errno_name(errno));
    int q[2];
    pipe(q);
    r = fcntl(q[0], F_SETPIPE_SZ, 0);
    printf("F_SETPIPE_SZ 0 of another pipe: %d, then %d\n", r, fcntl(q[1], F_GETPIPE_SZ));
    close(q[0]);
    close(q[1]);
    int f = open("/dev/null", O_RDONLY);
    errno = 0;
    r = fcntl(f, F_GETPIPE_SZ);
    printf("F_GETPIPE_SZ of /dev/null: %d %s\n", r, errno_name(errno));
    close(f);
    close(p[0]);
    close(p[1]);

    /* a new pipe takes 64 KiB without a reader, then says EAGAIN */
    pipe2(p, O_NONBLOCK);
    static char block[4096];
    long total = 0;
    ssize_t n;
    while ((n = write(p[1], block, sizeof block)) > 0) total += n;
    printf("non-blocking writes of 4 KiB until full: %ld bytes, then %s\n", total, errno_name(errno));
    close(p[0]);
    close(p[1]);
}

/* Two children write MESSAGES blocks of PIPE_BUF bytes each, each block one letter: the
   reader must find every block whole. */
static void atomic_writes(void)
{
    int p[2];
    pipe(p);
    pid_t kids[2];
    start_block_writers(p, kids, 2, PIPE_BUF, MESSAGES);
    close(p[1]);
    static char buf[2 * MESSAGES * PIPE_BUF];
    size_t got = 0;
    ssize_t n;
    while ((n = read(p[0], buf + got, sizeof buf - got)) > 0) got += (size_t)n;
    close(p[0]);
    int counts[2] = {0, 0};
    bool whole = blocks_whole(buf, got, PIPE_BUF, counts, 2);
    printf("two writers, %d blocks of PIPE_BUF each: read %zu bytes, blocks whole: %s, a=%d b=%d\n", MESSAGES, got,
           whole ? "yes" : "no", counts[0], counts[1]);
    int s0 = wait_child(kids[0]), s1 = wait_child(kids[1]);
    printf("writers exited %d %d\n", s0, s1);
}

static void end_of_file(void)
{
    int p[2];
    pipe(p);
    pid_t kid = fork();
    if (kid == 0) {
        close(p[0]);
        usleep(100000);
        write(p[1], "last words", 10);
        _exit(0); /* the last writer goes with the process */
    }
    close(p[1]);
    char buf[64];
    ssize_t n = read(p[0], buf, sizeof buf);
    printf("read from the child: %.*s\n", (int)(n > 0 ? n : 0), buf);
    n = read(p[0], buf, sizeof buf);
    printf("then, the writer gone: %zd\n", n);
    close(p[0]);
    printf("child exited %d\n", wait_child(kid));
}

static void broken_pipe(void)
{
    signal(SIGPIPE, SIG_IGN);
    int p[2];
    pipe(p);
    int go[2];
    pipe(go);
    pid_t kid = fork();
    if (kid == 0) {
        close(p[1]);
        close(go[0]);
        close(p[0]); /* the last reader */
        write(go[1], "x", 1);
        _exit(0);
    }
    close(p[0]);
    close(go[1]);
    char c;
    read(go[0], &c, 1);
    close(go[0]);
    printf("child exited %d\n", wait_child(kid));
    errno = 0;
    ssize_t n = write(p[1], "data", 4);
    printf("write with the reader gone in another process: %zd %s\n", n, errno_name(errno));
    struct pollfd pf = {.fd = p[1], .events = POLLOUT};
    int r = poll(&pf, 1, 1000);
    printf("poll of the write end: %d%s%s\n", r, pf.revents & POLLOUT ? " POLLOUT" : "", pf.revents & POLLERR ? " POLLERR" : "");
    close(p[1]);
    signal(SIGPIPE, SIG_DFL);
}

static void nonblocking_and_poll(void)
{
    int p[2];
    pipe(p);
    int go[2];
    pipe(go);
    pid_t kid = fork();
    if (kid == 0) {
        close(p[0]);
        close(go[1]);
        char c;
        read(go[0], &c, 1); /* until the parent has looked at the empty pipe */
        write(p[1], "ping", 4);
        read(go[0], &c, 1);
        _exit(0);
    }
    close(p[1]);
    close(go[0]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    char buf[16];
    errno = 0;
    ssize_t n = read(p[0], buf, sizeof buf);
    printf("O_NONBLOCK read of an empty pipe whose writer is in a child: %zd %s\n", n, errno_name(errno));
    struct pollfd pf = {.fd = p[0], .events = POLLIN};
    int r = poll(&pf, 1, 0);
    printf("poll before the child writes: %d\n", r);
    write(go[1], "g", 1);
    r = poll(&pf, 1, 10000);
    printf("poll after it writes: %d%s%s\n", r, pf.revents & POLLIN ? " POLLIN" : "", pf.revents & POLLHUP ? " POLLHUP" : "");
    n = read(p[0], buf, sizeof buf);
    printf("read: %.*s\n", (int)(n > 0 ? n : 0), buf);
    write(go[1], "g", 1);
    close(go[1]);
    printf("child exited %d\n", wait_child(kid));
    r = poll(&pf, 1, 10000);
    printf("poll once it is gone: %d%s%s\n", r, pf.revents & POLLIN ? " POLLIN" : "", pf.revents & POLLHUP ? " POLLHUP" : "");
    n = read(p[0], buf, sizeof buf);
    printf("read: %zd\n", n);
    close(p[0]);
}

int main(void)
{
    GUEST_START();
    capacity();
    atomic_writes();
    end_of_file();
    broken_pipe();
    nonblocking_and_poll();
    (void)guest_failures;
    return 0;
}
