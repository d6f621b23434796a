/* tee(2) between pipes: the bytes are copied and stay in the first pipe; its answers for
   an empty pipe (EAGAIN with SPLICE_F_NONBLOCK, a wait for a writer in another process,
   0 once the writers are gone), a full one, one pipe twice and a file. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, ssize_t r)
{
    if (r < 0) printf("%s: -1 %s\n", what, errno == EAGAIN ? "EAGAIN" : errno == EINVAL ? "EINVAL" : strerror(errno));
    else printf("%s: %zd\n", what, r);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int a[2], b[2];
    if (pipe(a) || pipe(b)) return 1;
    write(a[1], "hello, tee", 10);
    show("tee of 100 from a pipe holding 10", tee(a[0], b[1], 100, 0));
    show("tee of 3", tee(a[0], b[1], 3, 0));
    char buf[64] = {0};
    ssize_t n = read(b[0], buf, sizeof buf - 1);
    printf("the second pipe holds %zd: %.*s\n", n, (int)n, buf);
    n = read(a[0], buf, sizeof buf - 1);
    printf("the first still holds %zd: %.*s\n", n, (int)n, buf);
    show("tee of an empty pipe, SPLICE_F_NONBLOCK", tee(a[0], b[1], 100, SPLICE_F_NONBLOCK));
    show("tee of a pipe to itself", tee(a[0], a[1], 100, 0));
    int f = open("/proc/self/exe", O_RDONLY);
    show("tee from a file", tee(f, b[1], 100, 0));
    close(f);

    /* a full second pipe: nothing goes with SPLICE_F_NONBLOCK */
    fcntl(b[1], F_SETFL, O_NONBLOCK);
    static char block[4096];
    long filled = 0;
    while ((n = write(b[1], block, sizeof block)) > 0) filled += n;
    fcntl(b[1], F_SETFL, 0);
    write(a[1], "x", 1);
    printf("second pipe filled with %ld\n", filled);
    show("tee into a full pipe, SPLICE_F_NONBLOCK", tee(a[0], b[1], 1, SPLICE_F_NONBLOCK));
    read(a[0], buf, 1);
    while (filled > 0 && (n = read(b[0], block, sizeof block)) > 0) filled -= n;

    /* a writer in another process: tee waits for it, then sees it gone */
    pid_t c = fork();
    if (c == 0) {
        close(a[0]);
        usleep(200000);
        write(a[1], "late", 4);
        _exit(0);
    }
    close(a[1]);
    show("tee waiting for the child's write", tee(a[0], b[1], 100, 0));
    waitpid(c, NULL, 0);
    n = read(a[0], buf, sizeof buf - 1);
    printf("read from the first: %.*s\n", (int)n, buf);
    show("tee once the writer is gone", tee(a[0], b[1], 100, 0));
    n = read(b[0], buf, sizeof buf - 1);
    printf("read from the second: %.*s\n", (int)n, buf);
    return 0;
}
