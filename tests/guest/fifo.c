/* FIFOs (named pipes, fifo(7)) in a directory given by argv: mkfifo, the opens that
   do not block (O_RDWR, O_RDONLY|O_NONBLOCK, O_WRONLY|O_NONBLOCK with and without a
   reader), a round trip, EAGAIN, EOF, EPIPE, poll readiness, fstat, lseek, a write larger
   than the pipe, PIPE_BUF atomicity, unlink.

   fifo [test] [DIR]        the checks (DIR: /dev/shm by default)
   fifo reader PATH         opens PATH O_RDONLY (blocks until a writer comes), prints what it reads to EOF
   fifo writer PATH TEXT    opens PATH O_WRONLY (blocks until a reader comes), writes TEXT
   fifo hold PATH TEXT      the same, then keeps it open until killed */
#include "guest.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *err_name(int e)
{
    return e == ENXIO ? "ENXIO" : e == EWOULDBLOCK ? "EAGAIN" : errno_name(e);
}

/* Prints what a call returned: the value, or -1 and the errno's name. */
static long show(const char *name, long r)
{
    int e = errno;
    if (r == -1) printf("%s: ret=-1 errno=%s\n", name, err_name(e));
    else printf("%s: ret=%ld\n", name, r);
    errno = e;
    return r;
}

#define WANT(name, expr, want) do { \
        errno = 0; \
        long r_ = show((name), (long)(expr)); \
        if (r_ != (long)(want)) guest_failures++; \
    } while (0)

#define WANT_ERR(name, expr, err) do { \
        errno = 0; \
        long r_ = show((name), (long)(expr)); \
        if (r_ != -1 || errno != (err)) guest_failures++; \
    } while (0)

static void show_poll(const char *name, int fd, short events, short want)
{
    struct pollfd p = {.fd = fd, .events = events};
    int r = poll(&p, 1, 0);
    static const struct { short bit; const char *name; } bits[] = {
        {POLLIN, "IN"}, {POLLOUT, "OUT"}, {POLLERR, "ERR"}, {POLLHUP, "HUP"}, {POLLNVAL, "NVAL"},
    };
    printf("%s: ret=%d revents=", name, r);
    int any = 0;
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (p.revents & bits[i].bit) printf("%s%s", any++ ? "|" : "", bits[i].name);
    printf("%s\n", any ? "" : "0");
    if ((p.revents & (POLLIN | POLLOUT | POLLERR | POLLHUP)) != want) guest_failures++;
}

static int reader(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("reader open: %s\n", err_name(errno));
        return 1;
    }
    char buf[4096];
    long n, total = 0;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        fwrite(buf, 1, (size_t)n, stdout);
        total += n;
    }
    printf("\nreader: %ld bytes, last read %ld\n", total, n);
    close(fd);
    return n == 0 ? 0 : 1;
}

static int writer(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0) {
        printf("writer open: %s\n", err_name(errno));
        return 1;
    }
    long n = write(fd, text, strlen(text));
    printf("writer: wrote %ld\n", n);
    close(fd);
    return n == (long)strlen(text) ? 0 : 1;
}

/* Writes TEXT and keeps the FIFO open until killed (a writer that dies holding its end). */
static int holder(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0) return 1;
    write(fd, text, strlen(text));
    printf("holding\n"); /* the test kills us once it sees this */
    for (;;) sleep(60);
}

int main(int argc, char **argv)
{
    GUEST_START();
    if (argc >= 4 && !strcmp(argv[1], "hold")) return holder(argv[2], argv[3]);
    if (argc >= 3 && !strcmp(argv[1], "reader")) return reader(argv[2]);
    if (argc >= 4 && !strcmp(argv[1], "writer")) return writer(argv[2], argv[3]);
    const char *dir = argc >= 3 ? argv[2] : argc == 2 && strcmp(argv[1], "test") ? argv[1] : "/dev/shm";
    signal(SIGPIPE, SIG_IGN);
    umask(022);

    char path[256];
    snprintf(path, sizeof path, "%s/picolx-fifo-%d", dir, (int)getpid()); /* the pid is not printed */
    unlink(path);
    WANT("mkfifo", mkfifo(path, 0640), 0);
    WANT_ERR("mkfifo again", mkfifo(path, 0640), EEXIST);
    struct stat st, fst;
    WANT("stat", stat(path, &st), 0);
    CHECK("stat: S_ISFIFO", S_ISFIFO(st.st_mode));
    printf("stat: mode %o size %ld nlink %ld\n", (unsigned)st.st_mode, (long)st.st_size, (long)st.st_nlink);

    /* no reader yet: a non-blocking writer is refused */
    WANT_ERR("open O_WRONLY|O_NONBLOCK, no reader", open(path, O_WRONLY | O_NONBLOCK), ENXIO);
    int r = open(path, O_RDONLY | O_NONBLOCK);
    show("open O_RDONLY|O_NONBLOCK", r >= 0 ? 0 : -1);
    if (r < 0) return 1;
    show_poll("poll reader, no writer yet", r, POLLIN, 0);
    char buf[256];
    WANT("read, no writer: EOF", read(r, buf, sizeof buf), 0);
    int w = open(path, O_WRONLY | O_NONBLOCK);
    show("open O_WRONLY|O_NONBLOCK, with a reader", w >= 0 ? 0 : -1);
    if (w < 0) return 1;
    CHECK("writer's access mode", (fcntl(w, F_GETFL) & O_ACCMODE) == O_WRONLY);

    WANT("fstat writer", fstat(w, &fst), 0);
    CHECK("fstat: S_ISFIFO", S_ISFIFO(fst.st_mode));
    CHECK("fstat: the node's inode and mode", fst.st_ino == st.st_ino && fst.st_mode == st.st_mode && fst.st_dev == st.st_dev);
    WANT_ERR("lseek writer", lseek(w, 0, SEEK_SET), ESPIPE);
    WANT_ERR("lseek reader", lseek(r, 0, SEEK_CUR), ESPIPE);
    WANT_ERR("pread", pread(r, buf, 1, 0), ESPIPE);

    WANT_ERR("read empty, a writer open", read(r, buf, sizeof buf), EAGAIN);
    show_poll("poll reader, empty", r, POLLIN, 0);
    show_poll("poll writer, empty", w, POLLOUT, POLLOUT);
    WANT("write hello", write(w, "hello", 5), 5);
    show_poll("poll reader, 5 bytes", r, POLLIN, POLLIN);
    int avail = -1;
    WANT("FIONREAD", ioctl(r, FIONREAD, &avail), 0);
    printf("FIONREAD: %d\n", avail);
    memset(buf, 0, sizeof buf);
    WANT("read", read(r, buf, sizeof buf), 5);
    CHECK("read: hello", !strcmp(buf, "hello"));
    WANT("write tail", write(w, "tail", 4), 4);
    WANT("close writer", close(w), 0);
    show_poll("poll reader, bytes left, writer gone", r, POLLIN, POLLIN | POLLHUP);
    WANT("read what is left", read(r, buf, sizeof buf), 4);
    WANT("read: EOF after the last writer closed", read(r, buf, sizeof buf), 0);
    show_poll("poll reader, writer gone", r, POLLIN, POLLHUP);

    /* no reader left: EPIPE (SIGPIPE ignored) */
    w = open(path, O_WRONLY | O_NONBLOCK);
    show("open writer again", w >= 0 ? 0 : -1);
    WANT("close reader", close(r), 0);
    WANT_ERR("write, no reader", write(w, "x", 1), EPIPE);
    show_poll("poll writer, no reader", w, POLLOUT, POLLOUT | POLLERR);
    close(w);

    /* O_RDWR: both ends, never blocks */
    int rw = open(path, O_RDWR);
    show("open O_RDWR", rw >= 0 ? 0 : -1);
    if (rw < 0) return 1;
    WANT("write through O_RDWR", write(rw, "round trip", 10), 10);
    memset(buf, 0, sizeof buf);
    WANT("read through O_RDWR", read(rw, buf, sizeof buf), 10);
    CHECK("round trip", !strcmp(buf, "round trip"));
    show_poll("poll O_RDWR, empty", rw, POLLIN | POLLOUT, POLLOUT);

    /* more than the pipe holds, non-blocking: what fits, then EAGAIN */
    WANT("F_SETFL O_NONBLOCK", fcntl(rw, F_SETFL, O_NONBLOCK), 0);
    WANT_ERR("read empty O_RDWR", read(rw, buf, sizeof buf), EAGAIN);
    static char big[100000], back[100000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i * 13 + i / 256);
    WANT("write 100000, non-blocking", write(rw, big, sizeof big), 65536);
    WANT_ERR("write to the full FIFO", write(rw, "x", 1), EAGAIN);
    show_poll("poll O_RDWR, full", rw, POLLIN | POLLOUT, POLLIN);
    WANT("read 100000", read(rw, back, sizeof back), 65536);
    CHECK("the bytes came back in order", !memcmp(back, big, 65536));
    WANT_ERR("read empty again", read(rw, buf, sizeof buf), EAGAIN);

    /* PIPE_BUF: with 100 bytes of room, 50 go in, 200 do not go in partly */
    WANT("write 65436", write(rw, big, 65436), 65436);
    WANT_ERR("write 200 (<= PIPE_BUF) with 100 free", write(rw, big, 200), EAGAIN);
    WANT("write 50 with 100 free", write(rw, big, 50), 50);
    WANT("read 65486", read(rw, back, sizeof back), 65486);
    CHECK("both writes, in order", !memcmp(back, big, 65436) && !memcmp(back + 65436, big, 50));

    /* the FIFO outlives its name while open */
    WANT("unlink", unlink(path), 0);
    WANT_ERR("stat after unlink", stat(path, &st), ENOENT);
    WANT("write after unlink", write(rw, "still", 5), 5);
    WANT("read after unlink", read(rw, buf, sizeof buf), 5);
    WANT("close O_RDWR", close(rw), 0);
    WANT_ERR("open after unlink", open(path, O_RDONLY | O_NONBLOCK), ENOENT);
    return GUEST_END();
}
