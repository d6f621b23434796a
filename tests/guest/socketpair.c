/* socketpair(2) and the sockets it makes: AF_UNIX stream, datagram and seqpacket pairs.
   Reads and writes both ways, send/recv with MSG_PEEK, MSG_DONTWAIT, FIONREAD; the
   SOCK_NONBLOCK/SOCK_CLOEXEC flags and the calls Linux refuses; fstat, getsockopt,
   getsockname/getpeername; poll after a write, a shutdown and a close (EPIPE, SIGPIPE
   ignored, MSG_NOSIGNAL, a handler); shutdown(SHUT_RD); sendmsg/recvmsg over 3 iovecs;
   a pair across fork (messages both ways, 4 MiB checked, a ping-pong on one pair held
   by both); message boundaries and truncation of DGRAM and SEQPACKET; a read that
   blocks until another process writes, EINTR from a timer and SA_RESTART. Every line
   is a value, so the output is compared with Linux's as it is; the exit status is 0. */
#include "fork_common.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>

/* err_name with the socket errors */
static const char *en(int e)
{
    switch (e) {
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ENOTSOCK: return "ENOTSOCK";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case ENOTCONN: return "ENOTCONN";
    case EISCONN: return "EISCONN";
    case EMSGSIZE: return "EMSGSIZE";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT";
    case EPROTOTYPE: return "EPROTOTYPE";
    case EDESTADDRREQ: return "EDESTADDRREQ";
    case ENOBUFS: return "ENOBUFS";
    case EMFILE: return "EMFILE";
    default: return err_name(e);
    }
}

/* prints "name: N" or "name: -1 ERRNO" */
#define SHOW(name, expr) do { \
        errno = 0; \
        long r_ = (long)(expr); \
        int e_ = errno; \
        if (r_ < 0) printf("%s: %ld %s\n", (name), r_, en(e_)); \
        else printf("%s: %ld\n", (name), r_); \
    } while (0)

static const char *poll_names(int ev)
{
    static char buf[160];
    static const struct { int bit; const char *name; } t[] = {
        {POLLIN, "POLLIN"}, {POLLPRI, "POLLPRI"}, {POLLOUT, "POLLOUT"}, {POLLERR, "POLLERR"},
        {POLLHUP, "POLLHUP"}, {POLLNVAL, "POLLNVAL"}, {POLLRDNORM, "POLLRDNORM"},
        {POLLRDBAND, "POLLRDBAND"}, {POLLWRNORM, "POLLWRNORM"}, {POLLWRBAND, "POLLWRBAND"},
        {POLLRDHUP, "POLLRDHUP"},
    };
    buf[0] = 0;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (ev & t[i].bit) {
            if (buf[0]) strcat(buf, "|");
            strcat(buf, t[i].name);
            ev &= ~t[i].bit;
        }
    if (ev) snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s0x%x", buf[0] ? "|" : "", ev);
    return buf[0] ? buf : "0";
}

/* polls fd for events without waiting, prints the result */
static void show_poll(const char *name, int fd, int events)
{
    struct pollfd p = {.fd = fd, .events = (short)events};
    int n = poll(&p, 1, 0);
    if (n < 0) printf("%s: poll -1 %s\n", name, en(errno));
    else printf("%s: %d %s\n", name, n, poll_names(p.revents));
}

/* reads into buf and prints the count and the bytes */
static void show_read(const char *name, int fd, size_t len)
{
    char buf[256];
    if (len > sizeof buf) len = sizeof buf;
    errno = 0;
    ssize_t n = read(fd, buf, len);
    if (n < 0) printf("%s: -1 %s\n", name, en(errno));
    else printf("%s: %zd \"%.*s\"\n", name, n, (int)n, buf);
}

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

static int read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        got += (size_t)n;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
    size_t put = 0;
    while (put < len) {
        ssize_t n = write(fd, (const char *)buf + put, len - put);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        put += (size_t)n;
    }
    return 0;
}

static int pair(int type, int sv[2])
{
    if (socketpair(AF_UNIX, type, 0, sv) != 0) {
        printf("socketpair type %d: %s\n", type, en(errno));
        exit(1);
    }
    return 0;
}

static void stream_basics(void)
{
    printf("-- stream\n");
    int sv[2];
    SHOW("socketpair(AF_UNIX, SOCK_STREAM, 0)", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    SHOW("write on 0", write(sv[0], "ping", 4));
    show_read("read on 1", sv[1], 64);
    SHOW("write on 1", write(sv[1], "pong!", 5));
    show_read("read on 0", sv[0], 64);
    SHOW("send on 0", send(sv[0], "sent", 4, 0));
    char buf[64], peek[64];
    SHOW("recv on 1", recv(sv[1], buf, sizeof buf, 0));
    SHOW("send on 1", send(sv[1], "peekdata", 8, 0));
    ssize_t a = recv(sv[0], peek, sizeof peek, MSG_PEEK);
    ssize_t b = recv(sv[0], buf, sizeof buf, 0);
    printf("recv MSG_PEEK: %zd \"%.*s\", then recv: %zd \"%.*s\", same: %s\n", a, a > 0 ? (int)a : 0, peek, b,
           b > 0 ? (int)b : 0, buf, a == b && a > 0 && memcmp(peek, buf, (size_t)a) == 0 ? "yes" : "no");
    SHOW("recv MSG_DONTWAIT on an empty socket", recv(sv[0], buf, sizeof buf, MSG_DONTWAIT));
    int q = -1;
    SHOW("ioctl FIONREAD, empty", ioctl(sv[1], FIONREAD, &q));
    printf("  count: %d\n", q);
    write(sv[0], "abc", 3);
    write(sv[0], "defghij", 7);
    SHOW("ioctl FIONREAD after writes of 3 and 7 bytes", ioctl(sv[1], FIONREAD, &q));
    printf("  count: %d\n", q);
    show_read("read 4 of them", sv[1], 4);
    ioctl(sv[1], FIONREAD, &q);
    printf("FIONREAD then: %d\n", q);
    show_read("read the rest", sv[1], 64);
    close(sv[0]);
    close(sv[1]);
}

static void flags_and_errors(void)
{
    printf("-- flags\n");
    int sv[2];
    pair(SOCK_STREAM, sv);
    int fl = fcntl(sv[0], F_GETFL);
    printf("plain: F_GETFL accmode %d O_NONBLOCK %d, F_GETFD %d\n", fl & O_ACCMODE, !!(fl & O_NONBLOCK),
           fcntl(sv[0], F_GETFD));
    close(sv[0]);
    close(sv[1]);
    SHOW("socketpair SOCK_NONBLOCK|SOCK_CLOEXEC", socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
    for (int i = 0; i < 2; i++) {
        fl = fcntl(sv[i], F_GETFL);
        int fd = fcntl(sv[i], F_GETFD);
        printf("end %d: F_GETFL accmode %d O_NONBLOCK %d, F_GETFD FD_CLOEXEC %d\n", i, fl & O_ACCMODE,
               !!(fl & O_NONBLOCK), !!(fd & FD_CLOEXEC));
    }
    char c;
    SHOW("read on an empty nonblocking end", read(sv[1], &c, 1));
    SHOW("recv on an empty nonblocking end", recv(sv[0], &c, 1, 0));
    close(sv[0]);
    close(sv[1]);

    SHOW("socketpair(AF_INET, SOCK_STREAM, 0)", socketpair(AF_INET, SOCK_STREAM, 0, sv));
    SHOW("socketpair(AF_INET, SOCK_DGRAM, 0)", socketpair(AF_INET, SOCK_DGRAM, 0, sv));
    SHOW("socketpair(AF_UNIX, 99, 0)", socketpair(AF_UNIX, 99, 0, sv));
    SHOW("socketpair(AF_UNIX, SOCK_STREAM, 2)", socketpair(AF_UNIX, SOCK_STREAM, 2, sv));
    SHOW("socketpair(AF_UNIX, SOCK_STREAM|0x40000000, 0)", socketpair(AF_UNIX, SOCK_STREAM | 0x40000000, 0, sv));
    int before = dup(1);
    close(before);
    int *volatile bad_sv = (int *)1; /* volatile: the compiler would see through it */
    SHOW("socketpair(AF_UNIX, SOCK_STREAM, 0, (int*)1)", socketpair(AF_UNIX, SOCK_STREAM, 0, bad_sv));
    int after = dup(1);
    close(after);
    printf("lowest free fd unchanged after EFAULT: %s\n", before == after ? "yes" : "no");
}

static void identity(void)
{
    printf("-- identity\n");
    static const struct { int type; const char *name; } types[] = {
        {SOCK_STREAM, "SOCK_STREAM"}, {SOCK_DGRAM, "SOCK_DGRAM"}, {SOCK_SEQPACKET, "SOCK_SEQPACKET"},
    };
    for (int t = 0; t < 3; t++) {
        int sv[2];
        pair(types[t].type, sv);
        struct stat st;
        fstat(sv[0], &st);
        printf("%s: S_ISSOCK %d, mode 0%o\n", types[t].name, S_ISSOCK(st.st_mode), (unsigned)st.st_mode);
        static const struct { int opt; const char *name; } opts[] = {
            {SO_TYPE, "SO_TYPE"}, {SO_DOMAIN, "SO_DOMAIN"}, {SO_ERROR, "SO_ERROR"},
            {SO_ACCEPTCONN, "SO_ACCEPTCONN"}, {SO_PROTOCOL, "SO_PROTOCOL"},
        };
        for (int o = 0; o < 5; o++) {
            int v = -1;
            socklen_t len = sizeof v;
            int r = getsockopt(sv[1], SOL_SOCKET, opts[o].opt, &v, &len);
            if (r < 0) printf("  %s: -1 %s\n", opts[o].name, en(errno));
            else printf("  %s: %d (len %u)\n", opts[o].name, v, (unsigned)len);
        }
        struct sockaddr_storage ss;
        for (int w = 0; w < 2; w++) {
            memset(&ss, 0x55, sizeof ss);
            socklen_t len = sizeof ss;
            int r = w ? getpeername(sv[0], (struct sockaddr *)&ss, &len) : getsockname(sv[0], (struct sockaddr *)&ss, &len);
            if (r < 0) printf("  %s: -1 %s\n", w ? "getpeername" : "getsockname", en(errno));
            else printf("  %s: family %d (AF_UNIX %d), addrlen %u\n", w ? "getpeername" : "getsockname", ss.ss_family,
                        AF_UNIX, (unsigned)len);
        }
        close(sv[0]);
        close(sv[1]);
    }
    int p[2];
    pipe(p);
    int v;
    socklen_t len = sizeof v;
    SHOW("getsockopt of a pipe", getsockopt(p[0], SOL_SOCKET, SO_TYPE, &v, &len));
    close(p[0]);
    close(p[1]);
}

static volatile sig_atomic_t pipes_caught, alarms;
static void on_pipe(int sig) { pipes_caught++; }
static void on_alarm(int sig) { alarms++; }

static void set_handler(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void polls(void)
{
    printf("-- poll and shutdown\n");
    int sv[2];
    pair(SOCK_STREAM, sv);
    show_poll("fresh end, POLLIN|POLLOUT", sv[0], POLLIN | POLLOUT);
    write(sv[1], "data", 4);
    show_poll("after the peer writes", sv[0], POLLIN | POLLOUT);
    show_read("read it", sv[0], 64);
    SHOW("peer shutdown(SHUT_WR)", shutdown(sv[1], SHUT_WR));
    show_read("read after the peer's SHUT_WR", sv[0], 64);
    show_poll("POLLIN|POLLRDHUP after the peer's SHUT_WR", sv[0], POLLIN | POLLRDHUP);
    show_poll("POLLIN|POLLOUT|POLLRDHUP after the peer's SHUT_WR", sv[0], POLLIN | POLLOUT | POLLRDHUP);
    show_poll("the shut-down side, POLLIN|POLLOUT|POLLRDHUP", sv[1], POLLIN | POLLOUT | POLLRDHUP);
    SHOW("write on 0 to the shut-down side", write(sv[0], "back", 4));
    show_poll("the shut-down side with data", sv[1], POLLIN | POLLOUT | POLLRDHUP);
    show_read("the shut-down side reads", sv[1], 64);
    signal(SIGPIPE, SIG_IGN);
    SHOW("write on the shut-down side (SIGPIPE ignored)", write(sv[1], "x", 1));
    close(sv[1]);
    show_poll("after the peer closes, POLLIN|POLLOUT", sv[0], POLLIN | POLLOUT);
    show_poll("after the peer closes, POLLIN|POLLOUT|POLLRDHUP", sv[0], POLLIN | POLLOUT | POLLRDHUP);
    show_poll("after the peer closes, no events", sv[0], 0);
    show_read("read after the peer closes", sv[0], 64);
    SHOW("write, SIGPIPE ignored", write(sv[0], "x", 1));
    signal(SIGPIPE, SIG_DFL);
    SHOW("send MSG_NOSIGNAL, SIGPIPE default", send(sv[0], "x", 1, MSG_NOSIGNAL));
    printf("still running after MSG_NOSIGNAL\n");
    set_handler(SIGPIPE, on_pipe, 0);
    SHOW("write, SIGPIPE caught", write(sv[0], "x", 1));
    printf("SIGPIPE handler ran: %d\n", (int)pipes_caught);
    SHOW("send flags 0, SIGPIPE caught", send(sv[0], "x", 1, 0));
    printf("SIGPIPE handler ran: %d\n", (int)pipes_caught);
    signal(SIGPIPE, SIG_IGN);
    int e = -1;
    socklen_t len = sizeof e;
    getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &e, &len);
    printf("SO_ERROR after the peer closes: %s\n", en(e));
    close(sv[0]);

    printf("-- shutdown(SHUT_RD)\n");
    pair(SOCK_STREAM, sv);
    write(sv[1], "queued", 6);
    SHOW("shutdown(0, SHUT_RD) with 6 bytes queued", shutdown(sv[0], SHUT_RD));
    show_read("read after SHUT_RD", sv[0], 64);
    show_read("read again", sv[0], 64);
    SHOW("peer writes after SHUT_RD", write(sv[1], "more", 4));
    show_read("read after the peer's write", sv[0], 64);
    show_poll("poll of the SHUT_RD end", sv[0], POLLIN | POLLOUT | POLLRDHUP);
    show_poll("poll of its peer", sv[1], POLLIN | POLLOUT | POLLRDHUP);
    SHOW("the SHUT_RD end still writes", write(sv[0], "w", 1));
    show_read("its peer reads", sv[1], 64);
    SHOW("shutdown(SHUT_RDWR)", shutdown(sv[1], SHUT_RDWR));
    show_poll("poll after SHUT_RDWR", sv[1], POLLIN | POLLOUT | POLLRDHUP);
    SHOW("shutdown how 5", shutdown(sv[0], 5));
    SHOW("shutdown how -1", shutdown(sv[0], -1));
    close(sv[0]);
    close(sv[1]);
    int p[2];
    pipe(p);
    SHOW("shutdown of a pipe", shutdown(p[0], SHUT_RD));
    close(p[0]);
    close(p[1]);
    SHOW("shutdown of a closed fd", shutdown(p[0], SHUT_RD));
}

static void vectors(void)
{
    printf("-- sendmsg/recvmsg\n");
    int sv[2];
    pair(SOCK_STREAM, sv);
    char a[] = "one-", b[] = "two--", c[] = "three";
    struct iovec out[3] = {{a, 4}, {b, 5}, {c, 5}};
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = out;
    m.msg_iovlen = 3;
    SHOW("sendmsg 4+5+5", sendmsg(sv[0], &m, 0));
    char x[3], y[6], z[20];
    memset(x, '.', sizeof x);
    memset(y, '.', sizeof y);
    memset(z, '.', sizeof z);
    struct iovec in[3] = {{x, 3}, {y, 6}, {z, 20}};
    memset(&m, 0, sizeof m);
    m.msg_iov = in;
    m.msg_iovlen = 3;
    m.msg_flags = -1;
    ssize_t n = recvmsg(sv[1], &m, 0);
    printf("recvmsg 3+6+20: %zd, \"%.3s\" \"%.6s\" \"%.*s\", msg_flags %d, controllen %zu\n", n, x, y,
           n > 9 ? (int)(n - 9) : 0, z, m.msg_flags, (size_t)m.msg_controllen);
    close(sv[0]);
    close(sv[1]);
}

static uint8_t pattern(uint32_t i) { return (uint8_t)((i * 2654435761u) >> 13) ^ (uint8_t)(i >> 9); }

static void across_fork(void)
{
    printf("-- fork\n");
    enum { TOTAL = 4 << 20 };
    static uint8_t big[200000];
    int sv[2];
    pair(SOCK_STREAM, sv);
    pid_t pid = fork_flushed();
    if (pid == 0) {
        CHILD_BEGIN();
        close(sv[0]);
        char msg[64], reply[80];
        ssize_t n = read(sv[1], msg, sizeof msg);
        int len = snprintf(reply + 1, sizeof reply - 1, "child got %zd bytes: %.*s", n, n > 0 ? (int)n : 0, msg);
        reply[0] = (char)len;
        if (write_full(sv[1], reply, (size_t)len + 1) != 0) _exit(2);
        char go;
        if (read_full(sv[1], &go, 1) != 0) _exit(3);
        static const size_t sizes[] = {1, 7, 4096, 65536, 100000, 13, 777, 32768, 200000, 4095};
        uint32_t off = 0;
        for (int k = 0; off < TOTAL; k++) {
            size_t s = sizes[k % 10];
            if (s > TOTAL - off) s = TOTAL - off;
            for (size_t j = 0; j < s; j++) big[j] = pattern(off + (uint32_t)j);
            if (write_full(sv[1], big, s) != 0) _exit(4);
            off += (uint32_t)s;
        }
        close(sv[1]);
        CHILD_END();
    }
    close(sv[1]);
    SHOW("parent writes", write(sv[0], "hello child", 11));
    unsigned char len = 0;
    char reply[256];
    if (read_full(sv[0], &len, 1) == 0 && read_full(sv[0], reply, len) == 0)
        printf("parent reads: \"%.*s\"\n", (int)len, reply);
    else
        printf("parent reads: nothing\n");
    write(sv[0], "g", 1);
    static const size_t rsizes[] = {3, 1000, 65535, 8191, 200000, 1, 4097};
    uint32_t got = 0, sum = 2166136261u;
    long bad = 0;
    for (int k = 0;; k++) {
        ssize_t n = read(sv[0], big, rsizes[k % 7]);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            printf("stream ends with read %zd %s\n", n, n < 0 ? en(errno) : "(EOF)");
            break;
        }
        for (ssize_t j = 0; j < n; j++) {
            if (big[j] != pattern(got + (uint32_t)j)) bad++;
            sum = (sum ^ big[j]) * 16777619u;
        }
        got += (uint32_t)n;
    }
    printf("stream: %u bytes, FNV-1a 0x%08x, wrong bytes %ld\n", got, sum, bad);
    expect_child_ok("the stream child", pid);
    close(sv[0]);

    pair(SOCK_STREAM, sv);
    pid = fork_flushed();
    if (pid == 0) {
        CHILD_BEGIN();
        for (uint32_t i = 0; i < 100; i++) {
            uint32_t v;
            if (write_full(sv[0], &i, 4) != 0 || read_full(sv[0], &v, 4) != 0) _exit(2);
            if (v != i * 3 + 1) guest_failures++;
        }
        CHILD_END();
    }
    int wrong = 0, rounds = 0;
    for (uint32_t i = 0; i < 100; i++) {
        uint32_t v;
        if (read_full(sv[1], &v, 4) != 0) break;
        if (v != i) wrong++;
        v = v * 3 + 1;
        if (write_full(sv[1], &v, 4) != 0) break;
        rounds++;
    }
    printf("ping-pong, both ends in both: %d rounds, %d wrong\n", rounds, wrong);
    expect_child_ok("the ping-pong child", pid);
    close(sv[0]);
    close(sv[1]);
}

static void messages(int type, const char *name)
{
    printf("-- %s\n", name);
    int sv[2];
    pair(type, sv);
    int v = -1;
    socklen_t sl = sizeof v;
    getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &sl);
    printf("SO_TYPE: %d\n", v);
    static char big[3000], buf[4096];
    for (int i = 0; i < 3000; i++) big[i] = (char)('a' + i % 26);
    SHOW("send 5", send(sv[0], "fives", 5, 0));
    if (type == SOCK_DGRAM) SHOW("send 0", send(sv[0], "", 0, 0));
    SHOW("send 3000", send(sv[0], big, 3000, 0));
    int q = -1;
    ioctl(sv[1], FIONREAD, &q);
    printf("FIONREAD: %d\n", q);
    for (int i = 0; i < (type == SOCK_DGRAM ? 3 : 2); i++) {
        memset(buf, 0, sizeof buf);
        ssize_t n = recv(sv[1], buf, sizeof buf, 0);
        int same = n == 3000 ? memcmp(buf, big, 3000) == 0 : n == 5 ? memcmp(buf, "fives", 5) == 0 : n == 0;
        printf("recv %d: %zd %s\n", i, n, same ? "as sent" : "different");
    }
    SHOW("recv MSG_DONTWAIT, empty", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
    send(sv[0], big, 100, 0);
    send(sv[0], "next!!!", 7, 0);
    SHOW("recv 10 of a 100-byte message", recv(sv[1], buf, 10, 0));
    show_read("then read", sv[1], 100);
    send(sv[0], big, 100, 0);
    SHOW("recv 10 with MSG_TRUNC", recv(sv[1], buf, 10, MSG_TRUNC));
    SHOW("recv MSG_DONTWAIT after it", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
    send(sv[0], big, 100, 0);
    SHOW("recv MSG_PEEK|MSG_TRUNC 10", recv(sv[1], buf, 10, MSG_PEEK | MSG_TRUNC));
    struct iovec io = {buf, 10};
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &io;
    m.msg_iovlen = 1;
    ssize_t n = recvmsg(sv[1], &m, 0);
    printf("recvmsg 10 of 100: %zd, MSG_TRUNC %d, other flags 0x%x\n", n, !!(m.msg_flags & MSG_TRUNC),
           (unsigned)(m.msg_flags & ~MSG_TRUNC));
    send(sv[0], "short", 5, 0);
    memset(&m, 0, sizeof m);
    io.iov_len = 100;
    m.msg_iov = &io;
    m.msg_iovlen = 1;
    n = recvmsg(sv[1], &m, 0);
    printf("recvmsg 100 of 5: %zd, msg_flags 0x%x\n", n, (unsigned)m.msg_flags);
    SHOW("send from 1 to 0", send(sv[1], "back", 4, 0));
    show_read("read on 0", sv[0], 100);
    close(sv[1]);
    show_poll("after the peer closes, POLLIN|POLLOUT|POLLRDHUP", sv[0], POLLIN | POLLOUT | POLLRDHUP);
    SHOW("recv MSG_DONTWAIT after the peer closes", recv(sv[0], buf, sizeof buf, MSG_DONTWAIT));
    SHOW("send MSG_NOSIGNAL after the peer closes", send(sv[0], "x", 1, MSG_NOSIGNAL));
    SHOW("send MSG_NOSIGNAL again", send(sv[0], "x", 1, MSG_NOSIGNAL));
    sl = sizeof v;
    getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &v, &sl);
    printf("SO_ERROR: %s\n", en(v));
    close(sv[0]);
}

static void blocking(void)
{
    printf("-- blocking\n");
    int sv[2];
    pair(SOCK_STREAM, sv);
    pid_t pid = fork_flushed();
    if (pid == 0) {
        CHILD_BEGIN();
        show_read("child's blocked read", sv[1], 64);
        CHILD_END();
    }
    pause_ms(100);
    write(sv[0], "wake up", 7);
    expect_child_ok("the blocked child", pid);

    struct itimerval it = {{0, 0}, {0, 100000}};
    alarms = 0;
    set_handler(SIGALRM, on_alarm, 0);
    setitimer(ITIMER_REAL, &it, NULL);
    char rb[8];
    SHOW("read interrupted by SIGALRM (no SA_RESTART)", read(sv[1], rb, sizeof rb));
    printf("alarms: %d\n", (int)alarms);
    setitimer(ITIMER_REAL, &it, NULL);
    SHOW("recv interrupted by SIGALRM (no SA_RESTART)", recv(sv[1], rb, sizeof rb, 0));
    printf("alarms: %d\n", (int)alarms);

    alarms = 0;
    set_handler(SIGALRM, on_alarm, SA_RESTART);
    pid = fork_flushed();
    if (pid == 0) {
        pause_ms(600);
        _exit(write(sv[0], "later", 5) == 5 ? 0 : 1);
    }
    setitimer(ITIMER_REAL, &it, NULL);
    char buf[16];
    errno = 0;
    ssize_t n = read(sv[1], buf, sizeof buf);
    if (n < 0) printf("read with SA_RESTART: -1 %s\n", en(errno));
    else printf("read with SA_RESTART: %zd \"%.*s\"\n", n, (int)n, buf);
    for (int i = 0; i < 500 && !alarms; i++) pause_ms(10); /* the timer's signal, if the data came first */
    printf("alarms: %d\n", (int)alarms);
    expect_child_ok("the late writer", pid);
    signal(SIGALRM, SIG_DFL);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    GUEST_START();
    stream_basics();
    flags_and_errors();
    identity();
    polls();
    vectors();
    across_fork();
    messages(SOCK_DGRAM, "SOCK_DGRAM");
    messages(SOCK_SEQPACKET, "SOCK_SEQPACKET");
    blocking();
    printf("socketpair: all done\n");
    return 0;
}
