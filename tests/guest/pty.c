/* Pseudo-terminals: /dev/ptmx and /dev/pts/N, openpty's steps, the line discipline
   (canonical lines, echo, erase and kill, EOF, CR/NL on input and output, raw mode,
   VMIN=0), ISIG's SIGINT to the foreground group of a child's session, window sizes,
   FIONREAD, and the ends' hang-ups. Every line it prints is compared with Linux's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* errno's name (musl has no strerrorname_np) */
static const char *ename(int e)
{
    static char other[16];
    switch (e) {
    case EAGAIN: return "EAGAIN";
    case EIO: return "EIO";
    case ENOTTY: return "ENOTTY";
    case EINTR: return "EINTR";
    case ENXIO: return "ENXIO";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EINVAL: return "EINVAL";
    default: snprintf(other, sizeof other, "errno %d", e); return other;
    }
}

static void show(const char *what, const char *buf, ssize_t n)
{
    printf("%s: %zd \"", what, n);
    for (ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '\n') printf("\\n");
        else if (c == '\r') printf("\\r");
        else if (c == '\b') printf("\\b");
        else if (c < 0x20 || c >= 0x7f) printf("\\x%02x", c);
        else putchar(c);
    }
    printf("\"\n");
}

/* What the master has to read now (echo, output), waiting a little for it. */
static void drain_master(int master, const char *what)
{
    char buf[512];
    struct pollfd p = {.fd = master, .events = POLLIN};
    ssize_t total = 0;
    char all[2048];
    while (poll(&p, 1, 300) > 0 && (p.revents & POLLIN)) {
        ssize_t n = read(master, buf, sizeof buf);
        if (n <= 0) break;
        if (total + n <= (ssize_t)sizeof all) memcpy(all + total, buf, (size_t)n), total += n;
    }
    show(what, all, total);
}

static void slave_read(int slave, const char *what)
{
    char buf[256];
    ssize_t n = read(slave, buf, sizeof buf);
    if (n < 0) printf("%s: errno %s\n", what, ename(errno));
    else show(what, buf, n);
}

static volatile sig_atomic_t got_int;
static void on_int(int sig) { (void)sig; got_int = 1; }

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0) { printf("posix_openpt: %s\n", ename(errno)); return 1; }
    printf("grantpt %d unlockpt %d\n", grantpt(master), unlockpt(master));
    const char *name = ptsname(master);
    unsigned index = 0;
    printf("ptsname: %s\n", name && sscanf(name, "/dev/pts/%u", &index) == 1 ? "/dev/pts/N" : "bad");
    int n;
    int rc = ioctl(master, TIOCGPTN, &n);
    printf("TIOCGPTN: %d same %d\n", rc, (unsigned)n == index);
    printf("isatty master %d\n", isatty(master));
    struct stat st;
    fstat(master, &st);
    printf("master: chr %d %u:%u mode %o\n", S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev), st.st_mode & 07777);
    char link[64] = {0}, proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", master);
    readlink(proc, link, sizeof link - 1);
    printf("master link: %s\n", link);

    /* nothing written yet: the master has nothing to read */
    fcntl(master, F_SETFL, O_NONBLOCK);
    char buf[256];
    ssize_t r = read(master, buf, sizeof buf);
    printf("fresh master read: %zd %s\n", r, r < 0 ? ename(errno) : "");
    fcntl(master, F_SETFL, 0);

    int slave = open(name, O_RDWR | O_NOCTTY);
    if (slave < 0) { printf("open slave: %s\n", ename(errno)); return 1; }
    printf("isatty slave %d\n", isatty(slave));
    const char *tn = ttyname(slave);
    printf("ttyname matches ptsname: %d\n", tn && !strcmp(tn, name));
    fstat(slave, &st);
    struct stat st2;
    stat(name, &st2);
    /* (the mode and group are the mount's: devpts options differ between machines) */
    printf("slave: chr %d major %u minor is N %d same as path %d\n", S_ISCHR(st.st_mode),
           major(st.st_rdev), minor(st.st_rdev) == index,
           st.st_ino == st2.st_ino && st.st_dev == st2.st_dev && st.st_rdev == st2.st_rdev);
    rc = ioctl(slave, TIOCGPTN, &n);
    printf("TIOCGPTN on slave: %d %s\n", rc, rc < 0 ? ename(errno) : "");

    struct termios t;
    tcgetattr(slave, &t);
    printf("slave termios: i %o o %o c %o l %o cc", t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag);
    for (int i = 0; i < 17; i++) printf(" %d", t.c_cc[i]);
    printf("\n");
    tcgetattr(master, &t);
    printf("master termios: i %o o %o c %o l %o\n", t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag);

    /* canonical input, echo, output processing */
    write(master, "hello\n", 6);
    slave_read(slave, "line");
    drain_master(master, "echo");
    write(slave, "a\nb", 3);
    drain_master(master, "output");
    write(master, "abx\x7f" "c\r", 6);
    slave_read(slave, "erase, CR");
    drain_master(master, "echo");
    write(master, "xyz\x15ok\n", 7);
    slave_read(slave, "kill");
    drain_master(master, "echo");
    write(master, "l1\nl2\n", 6);
    slave_read(slave, "first of two");
    slave_read(slave, "second of two");
    drain_master(master, "echo");
    write(master, "ab\x04", 3);
    slave_read(slave, "EOF after ab");
    write(master, "\x04", 1);
    slave_read(slave, "EOF alone");
    write(master, "tab\there\x01\n", 10);
    slave_read(slave, "control");
    drain_master(master, "echo");
    write(master, "abc\n", 4);
    usleep(100000); /* Linux hands input to the line discipline a moment later */
    int avail = -1;
    ioctl(slave, FIONREAD, &avail);
    printf("FIONREAD %d\n", avail);
    tcflush(slave, TCIFLUSH);
    ioctl(slave, FIONREAD, &avail);
    printf("FIONREAD after TCIFLUSH %d\n", avail);
    drain_master(master, "echo");

    /* raw mode */
    struct termios saved;
    tcgetattr(slave, &saved);
    struct termios raw = saved;
    cfmakeraw(&raw);
    tcsetattr(slave, TCSANOW, &raw);
    tcgetattr(slave, &t);
    printf("raw termios: i %o o %o c %o l %o\n", t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag);
    write(master, "\r\x03x", 3);
    usleep(100000);
    slave_read(slave, "raw");
    write(slave, "\n", 1);
    drain_master(master, "raw output (no echo)");
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    tcsetattr(slave, TCSANOW, &raw);
    slave_read(slave, "VMIN 0, nothing there");
    tcsetattr(slave, TCSAFLUSH, &saved);

    /* window size */
    struct winsize ws = {.ws_row = 33, .ws_col = 101};
    printf("TIOCSWINSZ %d\n", ioctl(master, TIOCSWINSZ, &ws));
    memset(&ws, 0, sizeof ws);
    ioctl(slave, TIOCGWINSZ, &ws);
    printf("winsize %u x %u\n", ws.ws_row, ws.ws_col);

    /* a child's session with the slave as its terminal: ^C is its SIGINT */
    pid_t child = fork();
    if (child == 0) {
        close(master);
        setsid();
        if (ioctl(slave, TIOCSCTTY, 0) < 0) { printf("TIOCSCTTY: %s\n", ename(errno)); _exit(3); }
        struct sigaction sa = {.sa_handler = on_int};
        sigaction(SIGINT, &sa, NULL); /* no SA_RESTART: the read gives EINTR */
        char line[64];
        snprintf(line, sizeof line, "fg is mine %d\n", tcgetpgrp(slave) == getpgrp());
        write(slave, line, strlen(line));
        write(slave, "ready\n", 6);
        ssize_t k = read(slave, line, sizeof line);
        snprintf(line, sizeof line, "read %zd %s got_int %d\n", k, k < 0 ? ename(errno) : "", got_int);
        write(slave, line, strlen(line));
        _exit(7);
    }
    close(slave);
    /* wait for "ready", then ^C */
    char seen[512];
    size_t have = 0;
    while (!memmem(seen, have, "ready", 5) && have < sizeof seen) {
        ssize_t k = read(master, seen + have, sizeof seen - have);
        if (k <= 0) break;
        have += (size_t)k;
    }
    show("child says", seen, (ssize_t)have);
    write(master, "\x03", 1);
    int status;
    waitpid(child, &status, 0);
    printf("child exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    drain_master(master, "after ^C");
    struct pollfd p = {.fd = master, .events = POLLIN};
    rc = poll(&p, 1, 1000);
    printf("poll after slave gone: %d revents %x\n", rc, p.revents);
    r = read(master, buf, sizeof buf);
    printf("master read after slave gone: %zd %s\n", r, r < 0 ? ename(errno) : "");

    /* the other way: the master goes */
    int m2 = posix_openpt(O_RDWR | O_NOCTTY);
    grantpt(m2);
    unlockpt(m2);
    int s2 = open(ptsname(m2), O_RDWR | O_NOCTTY);
    printf("locked pty opened again: ");
    int m3 = posix_openpt(O_RDWR | O_NOCTTY);
    int s3 = open(ptsname(m3), O_RDWR | O_NOCTTY);
    printf("%d %s\n", s3, s3 < 0 ? ename(errno) : "");
    close(m3);
    write(m2, "left\n", 5);
    close(m2);
    slave_read(s2, "slave read, data left");
    slave_read(s2, "slave read after master gone");
    r = write(s2, "x", 1);
    printf("slave write after master gone: %zd %s\n", r, r < 0 ? ename(errno) : "");
    p.fd = s2;
    p.events = POLLIN | POLLOUT;
    rc = poll(&p, 1, 0);
    printf("slave poll: %d revents %x\n", rc, p.revents);
    close(s2);
    printf("done\n");
    return 0;
}
