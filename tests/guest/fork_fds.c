/* File descriptors across fork and exec, as Linux has them: parent and child share each
   open file description (the offset, moved by either, and the status flags; not the fd
   flags) for a file in the cwd, a file on the tmpfs at /dev/shm, /proc/version, a
   directory and /dev/null; O_CLOEXEC fds close at exec while the others keep their
   shared offset; O_APPEND and plain shared-offset writers running at the same time lose
   nothing; a pipe between two grandchildren carries 256 KiB in order; a pipe reads EOF
   only when its last writer in any process is gone, polls readable across processes,
   and gives EPIPE (SIGPIPE ignored) or death by SIGPIPE when its last reader is gone;
   writes of PIPE_BUF bytes from four processes at once stay whole; flock locks are shared
   with the child, fcntl record locks are not; the tmpfs at /dev/shm is the same for both. */
#include "fork_common.h"
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/stat.h>

static char shm_path[64];

/* the exec'd side of exec_keeps_fds: argv = self exec-child CLOEXEC_FD PLAIN_FD PIPE_CLOEXEC_FD */
static int exec_child(char **argv)
{
    int cloexec_fd = atoi(argv[2]), plain_fd = atoi(argv[3]), pipe_fd = atoi(argv[4]);
    EXPECT_FAIL("exec'd child: the O_CLOEXEC file is closed", fcntl(cloexec_fd, F_GETFD), EBADF);
    EXPECT_FAIL("exec'd child: the pipe2(O_CLOEXEC) end is closed", fcntl(pipe_fd, F_GETFD), EBADF);
    EXPECT_RET("exec'd child: the plain fd is open, not close-on-exec", fcntl(plain_fd, F_GETFD), 0);
    EXPECT_RET("exec'd child: its offset is the parent's", lseek(plain_fd, 0, SEEK_CUR), 4);
    char c = 0;
    EXPECT_RET("exec'd child: read one byte", read(plain_fd, &c, 1), 1);
    CHECK("exec'd child: the byte at offset 4", c == '4');
    return GUEST_END();
}

static void make_file(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "0123456789abcdefghij", 20) != 20) printf("make %s: %s\n", path, err_name(errno));
    close(fd);
}

/* the offset of a regular file moves for both when either reads or writes */
static void shared_offset(const char *label, const char *path)
{
    char name[160], buf[32] = {0};
    make_file(path);
    int fd = open(path, O_RDWR);
    snprintf(name, sizeof name, "%s: open", label);
    CHECK(name, fd >= 0);
    lseek(fd, 2, SEEK_SET);
    pid_t pid = fork_flushed();
    if (pid == 0) {
        CHILD_BEGIN();
        snprintf(name, sizeof name, "%s: child starts at the parent's offset", label);
        EXPECT_RET(name, lseek(fd, 0, SEEK_CUR), 2);
        snprintf(name, sizeof name, "%s: child reads 3", label);
        EXPECT_RET(name, read(fd, buf, 3), 3);
        snprintf(name, sizeof name, "%s: child writes 2", label);
        EXPECT_RET(name, write(fd, "XY", 2), 2);
        snprintf(name, sizeof name, "%s: child's pread leaves the offset", label);
        EXPECT_RET(name, pread(fd, buf, 1, 0), 1);
        CHILD_END();
    }
    snprintf(name, sizeof name, "%s: child", label);
    expect_child_ok(name, pid);
    snprintf(name, sizeof name, "%s: parent's offset moved by the child", label);
    EXPECT_RET(name, lseek(fd, 0, SEEK_CUR), 7);
    memset(buf, 0, sizeof buf);
    pread(fd, buf, 20, 0);
    printf("%s: contents now %s\n", label, buf);

    struct gate g;
    gate_init(&g);
    pid = fork_flushed();
    if (pid == 0) {
        CHILD_BEGIN();
        gate_wait(&g);
        snprintf(name, sizeof name, "%s: child sees the offset the parent set after the fork", label);
        EXPECT_RET(name, lseek(fd, 0, SEEK_CUR), 15);
        memset(buf, 0, sizeof buf);
        snprintf(name, sizeof name, "%s: child reads from there", label);
        CHECK(name, read(fd, buf, 2) == 2 && !strcmp(buf, "fg"));
        CHILD_END();
    }
    lseek(fd, 15, SEEK_SET);
    gate_open(&g);
    snprintf(name, sizeof name, "%s: second child", label);
    expect_child_ok(name, pid);
    snprintf(name, sizeof name, "%s: parent's offset after the second child", label);
    EXPECT_RET(name, lseek(fd, 0, SEEK_CUR), 17);
    gate_close(&g);

    /* status flags belong to the open file description, fd flags to the fd */
    pid = fork_flushed();
    if (pid == 0) {
        CHILD_BEGIN();
        fcntl(fd, F_SETFL, O_APPEND);
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        CHILD_END();
    }
    snprintf(name, sizeof name, "%s: child sets O_APPEND and FD_CLOEXEC", label);
    expect_child_ok(name, pid);
    snprintf(name, sizeof name, "%s: parent sees O_APPEND", label);
    CHECK(name, fcntl(fd, F_GETFL) & O_APPEND);
    snprintf(name, sizeof name, "%s: parent's FD_CLOEXEC is its own", label);
    EXPECT_RET(name, fcntl(fd, F_GETFD), 0);
    close(fd);
    unlink(path);
}

/* read-only and special files: /proc/version's offset, a directory, /dev/null */
static void other_kinds(void)
{
    int fd = open("/proc/version", O_RDONLY);
    CHECK("/proc/version: open", fd >= 0);
    pid_t pid = fork_flushed();
    if (pid == 0) {
        CHILD_BEGIN();
        char buf[8];
        EXPECT_RET("/proc/version: child reads 6", read(fd, buf, 6), 6);
        CHECK("/proc/version: says Linux", !memcmp(buf, "Linux ", 6));
        CHILD_END();
    }
    expect_child_ok("/proc/version: child", pid);
    EXPECT_RET("/proc/version: parent's offset moved", lseek(fd, 0, SEEK_CUR), 6);
    close(fd);

    mkdir("dir", 0755);
    make_file("dir/inside");
    int dfd = open("dir", O_RDONLY | O_DIRECTORY);
    int nfd = open("/dev/null", O_WRONLY);
    pid = fork_flushed();
    if (pid == 0) {
        CHILD_BEGIN();
        struct stat st;
        CHECK("directory fd: a directory in the child", fstat(dfd, &st) == 0 && S_ISDIR(st.st_mode));
        int f = openat(dfd, "inside", O_RDONLY);
        char buf[4] = {0};
        CHECK("directory fd: openat through it in the child", f >= 0 && read(f, buf, 3) == 3 && !strcmp(buf, "012"));
        close(f);
        EXPECT_RET("/dev/null: the child writes", write(nfd, "hello", 5), 5);
        CHILD_END();
    }
    expect_child_ok("directory and /dev/null: child", pid);
    close(dfd);
    close(nfd);
    unlink("dir/inside");
    rmdir("dir");
}

static void exec_keeps_fds(const char *self)
{
    make_file("exec.txt");
    int cloexec_fd = open("exec.txt", O_RDONLY | O_CLOEXEC);
    int plain_fd = open("exec.txt", O_RDONLY);
    int p[2];
    CHECK("exec: opened", cloexec_fd >= 0 && plain_fd >= 0 && pipe2(p, O_CLOEXEC) == 0);
    lseek(plain_fd, 4, SEEK_SET);
    pid_t pid = fork_flushed();
    if (pid == 0) {
        char a[16], b[16], c[16];
        snprintf(a, sizeof a, "%d", cloexec_fd);
        snprintf(b, sizeof b, "%d", plain_fd);
        snprintf(c, sizeof c, "%d", p[1]);
        char *argv[] = {(char *)self, "exec-child", a, b, c, NULL};
        execv(self, argv);
        printf("execv: %s\n", err_name(errno));
        _exit(127);
    }
    expect_child_ok("exec: the exec'd child", pid);
    EXPECT_RET("exec: the parent's offset moved by the exec'd child", lseek(plain_fd, 0, SEEK_CUR), 5);
    close(cloexec_fd);
    close(plain_fd);
    close(p[0]);
    close(p[1]);
    unlink("exec.txt");
}

#define LINES 200
#define LINE_LEN 16 /* "W nnn ..........\n" with the newline */

static void write_lines(int fd, char who)
{
    for (int i = 0; i < LINES; i++) {
        char line[LINE_LEN + 1];
        snprintf(line, sizeof line, "%c %03d ..........", who, i);
        line[LINE_LEN - 1] = '\n';
        if (write(fd, line, LINE_LEN) != LINE_LEN) _exit(3);
    }
}

/* two children and the parent write lines at the same time into one fd: nothing lost,
   nothing overwritten, each writer's lines in its order */
static void concurrent_writers(const char *label, int flags)
{
    char name[160];
    int fd = open("lines.txt", O_WRONLY | O_CREAT | O_TRUNC | flags, 0644);
    pid_t a = fork_flushed();
    if (a == 0) { write_lines(fd, 'A'); _exit(0); }
    pid_t b = fork_flushed();
    if (b == 0) { write_lines(fd, 'B'); _exit(0); }
    write_lines(fd, 'P');
    snprintf(name, sizeof name, "%s: writer A", label);
    expect_child_ok(name, a);
    snprintf(name, sizeof name, "%s: writer B", label);
    expect_child_ok(name, b);
    close(fd);

    static char buf[3 * LINES * LINE_LEN + 64];
    fd = open("lines.txt", O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    snprintf(name, sizeof name, "%s: file size", label);
    EXPECT_RET(name, n, 3 * LINES * LINE_LEN);
    int next[3] = {0, 0, 0}, bad = 0;
    for (ssize_t off = 0; off + LINE_LEN <= n; off += LINE_LEN) {
        char *l = buf + off;
        int w = l[0] == 'A' ? 0 : l[0] == 'B' ? 1 : l[0] == 'P' ? 2 : -1;
        if (w < 0 || l[LINE_LEN - 1] != '\n' || atoi(l + 2) != next[w]) { bad++; continue; }
        next[w]++;
    }
    printf("%s: lines A=%d B=%d P=%d bad=%d\n", label, next[0], next[1], next[2], bad);
    if (bad || next[0] != LINES || next[1] != LINES || next[2] != LINES) guest_failures++;
    unlink("lines.txt");
}

#define STREAM (256u << 10)

static unsigned char pattern(size_t i) { return (unsigned char)(i * 131 + (i >> 12)); }

static void grandchildren_pipe(void)
{
    pid_t pid = fork_flushed();
    if (pid == 0) {
        CHILD_BEGIN();
        int p[2];
        CHECK("grandchildren: pipe in the child", pipe(p) == 0);
        pid_t writer = fork_flushed();
        if (writer == 0) {
            close(p[0]);
            static unsigned char chunk[4096];
            for (size_t off = 0; off < STREAM; off += sizeof chunk) {
                for (size_t i = 0; i < sizeof chunk; i++) chunk[i] = pattern(off + i);
                if (write(p[1], chunk, sizeof chunk) != (ssize_t)sizeof chunk) _exit(2);
            }
            _exit(0);
        }
        pid_t reader = fork_flushed();
        if (reader == 0) {
            CHILD_BEGIN();
            close(p[1]);
            static unsigned char buf[10000];
            size_t total = 0, wrong = 0;
            ssize_t n;
            while ((n = read(p[0], buf, sizeof buf)) > 0) {
                for (ssize_t i = 0; i < n; i++) wrong += buf[i] != pattern(total + i);
                total += (size_t)n;
            }
            printf("grandchild reader: %zu bytes, %zu out of place, then %s\n", total, wrong,
                   n == 0 ? "EOF" : err_name(errno));
            CHECK("grandchild reader: all of it in order", total == STREAM && wrong == 0 && n == 0);
            CHILD_END();
        }
        close(p[0]);
        close(p[1]);
        /* the reader first: it prints once the writer is gone */
        expect_child_ok("grandchild reader", reader);
        expect_child_ok("grandchild writer", writer);
        CHILD_END();
    }
    expect_child_ok("child of the two grandchildren", pid);
}

static void eof_and_poll(void)
{
    int p[2];
    struct gate g;
    char buf[16] = {0};
    CHECK("eof: pipe", pipe(p) == 0);
    gate_init(&g);
    pid_t w1 = fork_flushed();
    if (w1 == 0) { close(p[0]); _exit(write(p[1], "one", 3) == 3 ? 0 : 1); }
    pid_t w2 = fork_flushed();
    if (w2 == 0) { close(p[0]); gate_wait(&g); _exit(write(p[1], "two", 3) == 3 ? 0 : 1); }
    close(p[1]);
    expect_child_ok("eof: first writer", w1);
    EXPECT_RET("eof: read the first writer's bytes", read(p[0], buf, sizeof buf), 3);
    struct pollfd pf = {p[0], POLLIN, 0};
    EXPECT_RET("eof: poll while the second writer waits", poll(&pf, 1, 0), 0);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    EXPECT_FAIL("eof: no EOF while a writer lives in another process", read(p[0], buf, sizeof buf), EAGAIN);
    fcntl(p[0], F_SETFL, 0);
    gate_open(&g);
    pf.revents = 0;
    int r = poll(&pf, 1, 60000);
    CHECK("eof: poll wakes when the other process writes", r == 1 && (pf.revents & POLLIN));
    memset(buf, 0, sizeof buf);
    CHECK("eof: read the second writer's bytes", read(p[0], buf, sizeof buf) == 3 && !strcmp(buf, "two"));
    expect_child_ok("eof: second writer", w2);
    pf.revents = 0;
    r = poll(&pf, 1, 60000);
    CHECK("eof: poll says POLLHUP once every writer is gone", r == 1 && (pf.revents & POLLHUP));
    EXPECT_RET("eof: then read gives EOF", read(p[0], buf, sizeof buf), 0);
    close(p[0]);
    gate_close(&g);
}

static void broken_pipe(void)
{
    int p[2];
    struct gate g;
    signal(SIGPIPE, SIG_IGN);
    CHECK("epipe: pipe", pipe(p) == 0);
    gate_init(&g);
    pid_t reader = fork_flushed();
    if (reader == 0) { close(p[1]); gate_wait(&g); _exit(0); }
    close(p[0]);
    EXPECT_RET("epipe: write while the child holds the read end", write(p[1], "x", 1), 1);
    gate_open(&g);
    expect_child_ok("epipe: the reader exits", reader);
    EXPECT_FAIL("epipe: write once the last reader is gone", write(p[1], "x", 1), EPIPE);
    close(p[1]);
    gate_close(&g);

    pid_t pid = fork_flushed();
    if (pid == 0) {
        CHILD_BEGIN();
        int q[2];
        CHECK("epipe: the ignored SIGPIPE is inherited", signal(SIGPIPE, SIG_DFL) == SIG_IGN);
        if (pipe(q) != 0) _exit(2);
        close(q[0]);
        fflush(stdout);
        write(q[1], "x", 1);
        _exit(3); /* not reached: SIGPIPE kills */
    }
    int st = 0;
    waitpid(pid, &st, 0);
    printf("epipe: a child writing with SIGPIPE at its default: %s\n", status_text(st));
    CHECK("epipe: killed by SIGPIPE", WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE);
}

/* writes of up to PIPE_BUF bytes are atomic: four children write 4096-byte records
   into one pipe at once, and the reader finds every record whole */
static void pipe_atomic(void)
{
    int p[2];
    CHECK("atomic: pipe", pipe(p) == 0);
    EXPECT_RET("atomic: F_GETPIPE_SZ is 64 KiB", fcntl(p[0], F_GETPIPE_SZ), 65536);
    enum { WRITERS = 4, RECORDS = 64, RECORD = 4096 };
    pid_t pids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork_flushed();
        if (pids[w] == 0) {
            close(p[0]);
            static char rec[RECORD];
            for (int i = 0; i < RECORDS; i++) {
                memset(rec, 'a' + w, sizeof rec);
                snprintf(rec, 16, "%d %04d", w, i);
                if (write(p[1], rec, sizeof rec) != (ssize_t)sizeof rec) _exit(2);
            }
            _exit(0);
        }
    }
    close(p[1]);
    static char rec[RECORD];
    int next[WRITERS] = {0}, torn = 0, records = 0;
    for (;;) {
        size_t got = 0;
        ssize_t n = 0;
        while (got < sizeof rec && (n = read(p[0], rec + got, sizeof rec - got)) > 0) got += (size_t)n;
        if (got == 0) break;
        records++;
        int w = rec[0] - '0', i = atoi(rec + 2), whole = got == sizeof rec && w >= 0 && w < WRITERS;
        for (size_t k = 16; whole && k < sizeof rec; k++) whole = rec[k] == 'a' + w;
        if (!whole || i != next[w]) torn++;
        else next[w]++;
    }
    close(p[0]);
    for (int w = 0; w < WRITERS; w++) {
        char name[64];
        snprintf(name, sizeof name, "atomic: writer %d", w);
        expect_child_ok(name, pids[w]);
    }
    printf("atomic: %d records, %d torn or out of order\n", records, torn);
    CHECK("atomic: every record whole, each writer's in order", records == WRITERS * RECORDS && torn == 0);
}

/* flock locks belong to the open file description (shared with the child); fcntl record
   locks belong to the process (not inherited) */
static void locks(void)
{
    make_file("locked.txt");
    int fd = open("locked.txt", O_RDWR);
    EXPECT_RET("locks: flock LOCK_EX in the parent", flock(fd, LOCK_EX), 0);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    EXPECT_RET("locks: fcntl F_SETLK of bytes 0-9 in the parent", fcntl(fd, F_SETLK, &fl), 0);
    pid_t parent = getpid();
    pid_t pid = fork_flushed();
    if (pid == 0) {
        CHILD_BEGIN();
        EXPECT_RET("locks: child's flock through the inherited fd (the same lock)", flock(fd, LOCK_EX | LOCK_NB), 0);
        int other = open("locked.txt", O_RDWR);
        EXPECT_FAIL("locks: child's flock through its own open", flock(other, LOCK_EX | LOCK_NB), EWOULDBLOCK);
        struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
        EXPECT_RET("locks: child's F_GETLK", fcntl(fd, F_GETLK, &q), 0);
        CHECK("locks: the record lock is the parent's, not inherited", q.l_type == F_WRLCK && q.l_pid == parent);
        q.l_type = F_WRLCK;
        EXPECT_FAIL("locks: child's F_SETLK of the same bytes", fcntl(fd, F_SETLK, &q), EAGAIN);
        close(other);
        CHILD_END();
    }
    expect_child_ok("locks: child", pid);
    close(fd);
    unlink("locked.txt");
}

/* the tmpfs at /dev/shm is one for parent and child: files made by name on either side */
static void tmpfs_by_name(void)
{
    char child_path[80];
    snprintf(child_path, sizeof child_path, "%s-child", shm_path);
    make_file(shm_path);
    pid_t pid = fork_flushed();
    if (pid == 0) {
        CHILD_BEGIN();
        int fd = open(shm_path, O_RDONLY);
        char buf[32] = {0};
        CHECK("tmpfs: the child opens the parent's file by name", fd >= 0 && read(fd, buf, 20) == 20 && !strcmp(buf, "0123456789abcdefghij"));
        close(fd);
        fd = open(child_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        CHECK("tmpfs: the child makes a file", fd >= 0 && write(fd, "from the child", 14) == 14);
        close(fd);
        CHILD_END();
    }
    expect_child_ok("tmpfs: child", pid);
    int fd = open(child_path, O_RDONLY);
    char buf[32] = {0};
    CHECK("tmpfs: the parent reads the child's file", fd >= 0 && read(fd, buf, sizeof buf - 1) == 14 && !strcmp(buf, "from the child"));
    close(fd);
    unlink(child_path);
    unlink(shm_path);
}

int main(int argc, char **argv)
{
    GUEST_START();
    if (argc > 4 && !strcmp(argv[1], "exec-child")) return exec_child(argv);
    snprintf(shm_path, sizeof shm_path, "/dev/shm/picolx-fork-fds-%d", (int)getpid());
    shared_offset("cwd file", "data.txt");
    shared_offset("/dev/shm file", shm_path);
    other_kinds();
    exec_keeps_fds(argv[0]);
    concurrent_writers("O_APPEND", O_APPEND);
    concurrent_writers("shared offset", 0);
    grandchildren_pipe();
    eof_and_poll();
    broken_pipe();
    pipe_atomic();
    locks();
    tmpfs_by_name();
    return GUEST_END();
}
