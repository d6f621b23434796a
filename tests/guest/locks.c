/* Advisory locks seen across processes (no fork: two runs of this program).

     locks hold FILE SECONDS   takes locks on FILE, prints "held", sleeps SECONDS, drops
                               its POSIX locks by hand, sleeps SECONDS again and exits
                               (the OFD and flock locks go with the process)
     locks probe FILE          run while `hold` sleeps: prints what conflicts, then waits
                               (F_SETLKW, F_OFD_SETLKW, flock) until each lock is free
     locks deadlock FILE 1|2   two processes: 1 locks byte 0 then waits for byte 1; 2 locks
                               byte 1, then (1 waiting) asks for byte 0: EDEADLK for 2

   The holder's locks: POSIX write locks on [0,4] and [5,9] (one lock [0,9] once merged),
   a POSIX read lock on [100,109] with [103,104] unlocked (two pieces), an OFD write lock
   on [20,29], and flock LOCK_SH converted to LOCK_EX. Lines hold no pids or times: l_pid
   is printed as "positive" or "-1", a wait as "waited" when it took at least 0.2 s. */
#include "guest.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#ifndef F_OFD_GETLK
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#endif

static int set(int fd, int cmd, short type, off_t start, off_t len)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &fl);
}

static const char *type_name(short t) { return t == F_RDLCK ? "F_RDLCK" : t == F_WRLCK ? "F_WRLCK" : t == F_UNLCK ? "F_UNLCK" : "?"; }

/* What F_GETLK (or F_OFD_GETLK) says of [start, start + len). */
static void show_getlk(const char *what, int fd, int cmd, short type, off_t start, off_t len)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    if (fcntl(fd, cmd, &fl) < 0) {
        printf("%s: error %s\n", what, errno_name(errno));
        guest_failures++;
        return;
    }
    if (fl.l_type == F_UNLCK) {
        printf("%s: F_UNLCK\n", what);
        return;
    }
    printf("%s: %s start %lld len %lld pid %s\n", what, type_name(fl.l_type), (long long)fl.l_start,
           (long long)fl.l_len, fl.l_pid == -1 ? "-1" : fl.l_pid > 0 ? "positive" : "other");
}

static void show_ret(const char *what, int r)
{
    printf("%s: %s\n", what, r == 0 ? "0" : errno_name(errno));
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void show_wait(const char *what, int r, double since)
{
    double took = now() - since;
    printf("%s: %s%s\n", what, r == 0 ? "0" : errno_name(errno), took >= 0.2 ? " (waited)" : " (at once)");
}

static int hold(const char *path, int seconds)
{
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0) {
        printf("open: %s\n", errno_name(errno));
        return 1;
    }
    CHECK("F_SETLK W [0,4]", set(fd, F_SETLK, F_WRLCK, 0, 5) == 0);
    CHECK("F_SETLK W [5,9]", set(fd, F_SETLK, F_WRLCK, 5, 5) == 0);
    CHECK("F_SETLK R [100,109]", set(fd, F_SETLK, F_RDLCK, 100, 10) == 0);
    CHECK("F_SETLK U [103,104]", set(fd, F_SETLK, F_UNLCK, 103, 2) == 0);
    CHECK("F_OFD_SETLK W [20,29]", set(fd, F_OFD_SETLK, F_WRLCK, 20, 10) == 0);
    CHECK("flock SH", flock(fd, LOCK_SH) == 0);
    CHECK("flock SH to EX", flock(fd, LOCK_EX | LOCK_NB) == 0);
    /* a second open of the file: another description, the same process */
    int fd2 = open(path, O_RDWR);
    CHECK("own flock on another description", flock(fd2, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK);
    show_getlk("own F_GETLK", fd2, F_GETLK, F_WRLCK, 0, 0);
    show_getlk("own F_OFD_GETLK", fd2, F_OFD_GETLK, F_WRLCK, 0, 10);
    puts("held");
    fflush(stdout);
    sleep(seconds);
    /* by hand; closing fd2 would drop them too (any close of the file, as Linux) */
    CHECK("F_SETLK U [0,9]", set(fd, F_SETLK, F_UNLCK, 0, 10) == 0);
    close(fd2);
    puts("released the POSIX locks");
    fflush(stdout);
    sleep(seconds);
    return GUEST_END();
}

static int probe(const char *path)
{
    int fd = open(path, O_RDWR);
    if (fd < 0) {
        printf("open: %s\n", errno_name(errno));
        return 1;
    }
    show_getlk("F_GETLK W [0,9]", fd, F_GETLK, F_WRLCK, 0, 10);
    show_getlk("F_GETLK R [9,12]", fd, F_GETLK, F_RDLCK, 9, 4);
    show_getlk("F_GETLK W [10,19]", fd, F_GETLK, F_WRLCK, 10, 10);
    show_getlk("F_GETLK W [15,34]", fd, F_GETLK, F_WRLCK, 15, 20);
    show_getlk("F_GETLK R [25,25]", fd, F_GETLK, F_RDLCK, 25, 1);
    show_getlk("F_OFD_GETLK W [5,5]", fd, F_OFD_GETLK, F_WRLCK, 5, 1);
    show_getlk("F_OFD_GETLK W [20,20]", fd, F_OFD_GETLK, F_WRLCK, 20, 1);
    show_getlk("F_GETLK W [100,119]", fd, F_GETLK, F_WRLCK, 100, 20);
    show_getlk("F_GETLK W [103,104]", fd, F_GETLK, F_WRLCK, 103, 2);
    show_getlk("F_GETLK W [104,113]", fd, F_GETLK, F_WRLCK, 104, 10);
    show_getlk("F_GETLK R [100,109]", fd, F_GETLK, F_RDLCK, 100, 10);
    show_getlk("F_GETLK W [200,EOF]", fd, F_GETLK, F_WRLCK, 200, 0);
    errno = 0;
    show_ret("F_SETLK R [0,9]", set(fd, F_SETLK, F_RDLCK, 0, 10));
    show_ret("F_SETLK W [9,9]", set(fd, F_SETLK, F_WRLCK, 9, 1));
    show_ret("F_SETLK W [10,19]", set(fd, F_SETLK, F_WRLCK, 10, 10));
    show_ret("F_SETLK R [100,102]", set(fd, F_SETLK, F_RDLCK, 100, 3));
    show_ret("F_SETLK W [103,104]", set(fd, F_SETLK, F_WRLCK, 103, 2));
    show_ret("F_SETLK W [105,105]", set(fd, F_SETLK, F_WRLCK, 105, 1));
    show_ret("F_OFD_SETLK R [25,25]", set(fd, F_OFD_SETLK, F_RDLCK, 25, 1));
    show_ret("F_OFD_SETLK W [30,39]", set(fd, F_OFD_SETLK, F_WRLCK, 30, 10));
    show_ret("flock SH|NB", flock(fd, LOCK_SH | LOCK_NB));
    show_ret("flock EX|NB", flock(fd, LOCK_EX | LOCK_NB));
    /* the holder drops its POSIX locks by hand after a while: an unlock wakes us */
    double t = now();
    show_wait("F_SETLKW W [0,9]", set(fd, F_SETLKW, F_WRLCK, 0, 10), t);
    show_getlk("F_GETLK W [0,9] then", fd, F_GETLK, F_WRLCK, 0, 10);
    show_getlk("F_OFD_GETLK W [20,29] then", fd, F_OFD_GETLK, F_WRLCK, 20, 10);
    show_ret("flock SH|NB then", flock(fd, LOCK_SH | LOCK_NB));
    /* the OFD and flock locks go when the holder exits */
    t = now();
    show_wait("F_OFD_SETLKW W [20,29]", set(fd, F_OFD_SETLKW, F_WRLCK, 20, 10), t);
    t = now();
    show_wait("flock EX", flock(fd, LOCK_EX), t);
    show_ret("F_SETLK W [100,109]", set(fd, F_SETLK, F_WRLCK, 100, 10));
    return GUEST_END();
}

/* Waits (polling F_GETLK: this is the test, not the code under test) until another
   process holds a lock on byte b. */
static void await_lock_on(int fd, off_t b)
{
    for (int i = 0; i < 600; i++) {
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = b, .l_len = 1};
        if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) return;
        usleep(50000);
    }
    printf("byte %lld never got locked\n", (long long)b);
    guest_failures++;
}

static int deadlock(const char *path, int which)
{
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0) {
        printf("open: %s\n", errno_name(errno));
        return 1;
    }
    off_t mine = which == 1 ? 0 : 1, theirs = 1 - mine;
    CHECK("lock my byte", set(fd, F_SETLK, F_WRLCK, mine, 1) == 0);
    await_lock_on(fd, theirs);
    if (which == 2) sleep(1); /* the first is waiting by then */
    double t = now();
    int r = set(fd, F_SETLKW, F_WRLCK, theirs, 1);
    printf("F_SETLKW on their byte: %s\n", r == 0 ? "0" : errno == EDEADLK ? "EDEADLK" : errno_name(errno));
    if (which == 1) show_wait("the first waited", r, t);
    if (which == 2) {
        sleep(1);
        CHECK("unlock my byte", set(fd, F_SETLK, F_UNLCK, mine, 1) == 0);
    }
    return GUEST_END();
}

int main(int argc, char **argv)
{
    GUEST_START();
    if (argc == 4 && strcmp(argv[1], "hold") == 0) return hold(argv[2], atoi(argv[3]));
    if (argc == 3 && strcmp(argv[1], "probe") == 0) return probe(argv[2]);
    if (argc == 4 && strcmp(argv[1], "deadlock") == 0) return deadlock(argv[2], atoi(argv[3]));
    fprintf(stderr, "usage: %s hold FILE SECONDS | probe FILE | deadlock FILE 1|2\n", argv[0]);
    return 2;
}
