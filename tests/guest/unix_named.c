/* Named AF_UNIX sockets: bind to a path (a socket node) and to an abstract name, listen,
   connect, accept, between processes; names and credentials of both sides; a client that
   writes and exits before its accept; a forked child accepting on the parent's listener;
   seqpacket records; the errors (EADDRINUSE, ECONNREFUSED, ENOENT, EPROTOTYPE, EINVAL,
   EAGAIN, ENOTCONN). Every line it prints is compared with Linux's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *ename(int e)
{
    static char other[16];
    switch (e) {
    case EADDRINUSE: return "EADDRINUSE";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ENOENT: return "ENOENT";
    case EPROTOTYPE: return "EPROTOTYPE";
    case EINVAL: return "EINVAL";
    case EAGAIN: return "EAGAIN";
    case ENOTCONN: return "ENOTCONN";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EISCONN: return "EISCONN";
    default: snprintf(other, sizeof other, "errno %d", e); return other;
    }
}

static void result(const char *what, int r)
{
    if (r < 0) printf("%s: -1 %s\n", what, ename(errno));
    else printf("%s: ok\n", what);
}

static socklen_t path_addr(struct sockaddr_un *a, const char *path)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path, path);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    memcpy(a->sun_path + 1, name, strlen(name));
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

static void show_name(const char *what, const struct sockaddr_un *a, socklen_t len, const char *dir)
{
    if (len <= offsetof(struct sockaddr_un, sun_path)) printf("%s: unnamed (len %u)\n", what, (unsigned)len);
    else if (a->sun_path[0] == 0) printf("%s: abstract \"%.*s\" (len %u)\n", what, (int)(len - 3), a->sun_path + 1, (unsigned)len);
    else {
        const char *p = a->sun_path;
        if (!strncmp(p, dir, strlen(dir))) printf("%s: DIR%s (len %u)\n", what, p + strlen(dir), (unsigned)len);
        else printf("%s: %s (len %u)\n", what, p, (unsigned)len);
    }
}

static int client(const struct sockaddr_un *a, socklen_t len, int type)
{
    int c = socket(AF_UNIX, type, 0);
    if (connect(c, (const struct sockaddr *)a, len) < 0) {
        printf("client connect: %s\n", ename(errno));
        return -1;
    }
    return c;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    char dir[] = "/tmp/unix_named.XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char path[200];
    snprintf(path, sizeof path, "%s/sock", dir);
    struct sockaddr_un a, got;
    socklen_t alen = path_addr(&a, path), glen;

    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    glen = sizeof got;
    getsockname(s, (struct sockaddr *)&got, &glen);
    show_name("unbound getsockname", &got, glen, dir);
    glen = sizeof got;
    result("unbound getpeername", getpeername(s, (struct sockaddr *)&got, &glen));
    result("listen unbound", listen(s, 5));
    result("write unconnected", (int)write(s, "x", 1));
    result("bind", bind(s, (struct sockaddr *)&a, alen));
    result("bind again", bind(s, (struct sockaddr *)&a, alen));
    struct stat st;
    stat(path, &st);
    printf("the node is a socket: %d\n", S_ISSOCK(st.st_mode));
    int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
    result("bind a taken path", bind(s2, (struct sockaddr *)&a, alen));
    result("connect before listen", connect(s2, (struct sockaddr *)&a, alen));
    close(s2);
    result("listen", listen(s, 8));
    int acc;
    socklen_t al = sizeof acc;
    getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &acc, &al);
    printf("SO_ACCEPTCONN %d\n", acc);
    glen = sizeof got;
    getsockname(s, (struct sockaddr *)&got, &glen);
    show_name("listener getsockname", &got, glen, dir);

    /* nonblocking accept with nothing queued, then poll */
    fcntl(s, F_SETFL, O_NONBLOCK);
    result("accept, nothing queued", accept(s, NULL, NULL));
    fcntl(s, F_SETFL, 0);
    struct pollfd p = {.fd = s, .events = POLLIN};
    int rc = poll(&p, 1, 0);
    printf("poll listener: %d %x\n", rc, p.revents);

    /* a child connects, writes, and exits before the accept */
    pid_t kid = fork();
    if (kid == 0) {
        int c = client(&a, alen, SOCK_STREAM);
        if (c < 0) _exit(1);
        glen = sizeof got;
        getpeername(c, (struct sockaddr *)&got, &glen);
        show_name("client getpeername", &got, glen, dir);
        glen = sizeof got;
        getsockname(c, (struct sockaddr *)&got, &glen);
        show_name("client getsockname", &got, glen, dir);
        struct ucred cr;
        socklen_t cl = sizeof cr;
        getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &cl);
        printf("client sees the server's pid: %d\n", cr.pid == getppid());
        write(c, "left behind", 11);
        _exit(0);
    }
    int st2;
    waitpid(kid, &st2, 0);
    printf("client exit %d\n", WEXITSTATUS(st2));
    rc = poll(&p, 1, 1000);
    printf("poll listener: %d %x\n", rc, p.revents);
    glen = sizeof got;
    int c1 = accept(s, (struct sockaddr *)&got, &glen);
    show_name("accept's address", &got, glen, dir);
    struct ucred cr;
    socklen_t cl = sizeof cr;
    getsockopt(c1, SOL_SOCKET, SO_PEERCRED, &cr, &cl);
    printf("server sees the client's pid: %d\n", cr.pid == kid);
    char buf[64];
    ssize_t n = read(c1, buf, sizeof buf);
    printf("read from the gone client: %zd \"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
    n = read(c1, buf, sizeof buf);
    printf("then: %zd\n", n);
    glen = sizeof got;
    getsockname(c1, (struct sockaddr *)&got, &glen);
    show_name("accepted getsockname", &got, glen, dir);
    close(c1);

    /* a round trip with a live client, both ways */
    kid = fork();
    if (kid == 0) {
        int c = client(&a, alen, SOCK_STREAM);
        if (c < 0) _exit(1);
        write(c, "ping", 4);
        n = read(c, buf, sizeof buf);
        printf("client got %.*s\n", (int)(n > 0 ? n : 0), buf);
        _exit(0);
    }
    c1 = accept(s, NULL, NULL);
    n = read(c1, buf, sizeof buf);
    printf("server got %.*s\n", (int)(n > 0 ? n : 0), buf);
    write(c1, "pong", 4);
    waitpid(kid, &st2, 0);
    n = read(c1, buf, sizeof buf);
    printf("server read after the client's exit: %zd\n", n);
    close(c1);

    /* a forked child accepts on the listener it inherited; we connect */
    kid = fork();
    if (kid == 0) {
        int c = accept(s, NULL, NULL);
        n = read(c, buf, sizeof buf);
        printf("child accepted and got %.*s\n", (int)(n > 0 ? n : 0), buf);
        _exit(0);
    }
    int c2 = client(&a, alen, SOCK_STREAM);
    write(c2, "to the child", 12);
    waitpid(kid, &st2, 0);
    close(c2);

    /* the wrong type, and after the listener is gone */
    int q = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    result("seqpacket to a stream listener", connect(q, (struct sockaddr *)&a, alen));
    close(q);
    close(s);
    q = socket(AF_UNIX, SOCK_STREAM, 0);
    result("connect after the listener closed", connect(q, (struct sockaddr *)&a, alen));
    close(q);
    unlink(path);
    q = socket(AF_UNIX, SOCK_STREAM, 0);
    result("connect to a removed path", connect(q, (struct sockaddr *)&a, alen));
    close(q);

    /* abstract names, seqpacket records */
    struct sockaddr_un ab;
    char abname[64];
    snprintf(abname, sizeof abname, "unix_named-test-%d", (int)getpid()); /* runs of it at once stay apart */
    socklen_t ablen = abstract_addr(&ab, abname);
    int l = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    result("bind abstract", bind(l, (struct sockaddr *)&ab, ablen));
    int l2 = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    result("bind a taken abstract name", bind(l2, (struct sockaddr *)&ab, ablen));
    close(l2);
    listen(l, 4);
    glen = sizeof got;
    getsockname(l, (struct sockaddr *)&got, &glen);
    printf("abstract getsockname: the name %d, len is the name's %d\n", got.sun_path[0] == 0 &&
           !memcmp(got.sun_path + 1, abname, strlen(abname)), glen == ablen);
    kid = fork();
    if (kid == 0) {
        int c = client(&ab, ablen, SOCK_SEQPACKET);
        if (c < 0) _exit(1);
        write(c, "one", 3);
        write(c, "two!", 4);
        _exit(0);
    }
    int c3 = accept(l, NULL, NULL);
    waitpid(kid, &st2, 0);
    n = read(c3, buf, sizeof buf);
    printf("record 1: %zd\n", n);
    n = read(c3, buf, sizeof buf);
    printf("record 2: %zd\n", n);
    close(c3);
    close(l);

    /* autobind: an abstract name of five hex digits */
    int b = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un fam = {.sun_family = AF_UNIX};
    result("autobind", bind(b, (struct sockaddr *)&fam, sizeof(sa_family_t)));
    glen = sizeof got;
    getsockname(b, (struct sockaddr *)&got, &glen);
    printf("autobound: len %u abstract %d\n", (unsigned)glen, got.sun_path[0] == 0);
    close(b);
    rmdir(dir);
    printf("done\n");
    return 0;
}
