/* Linux metadata on drvfs (issue 11, src/fs/drvfs_meta.c), in the cwd: modes (all 12
   bits, the umask at creation), owners as root and the EPERM of others, access(X_OK),
   FIFOs and device nodes made with mknod and working as such, hard links and renames
   keeping it all, stat leaving the access time alone, nanosecond times from utimensat,
   and the permission checks of a user other than root on the stored bits. Every line is
   compared with Linux's. The reproductions of ../shared/repro/fs (modes.c,
   chown_other.c, xok.c, stat_atime.c, times_ns.c) are its first sections. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include "guest.h"

static unsigned mode_of(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? st.st_mode & 07777 : 0xffff;
}

static const char *type_of(const char *p)
{
    struct stat st;
    if (lstat(p, &st) < 0) return errno_name(errno);
    switch (st.st_mode & S_IFMT) {
    case S_IFREG: return "file";
    case S_IFDIR: return "dir";
    case S_IFIFO: return "fifo";
    case S_IFCHR: return "chr";
    case S_IFBLK: return "blk";
    case S_IFSOCK: return "sock";
    case S_IFLNK: return "link";
    }
    return "?";
}

static const char *result(int r) { return r == 0 ? "0" : errno_name(errno); }

static void touch(const char *p, mode_t mode) { close(open(p, O_WRONLY | O_CREAT | O_TRUNC, mode)); }

static void modes(void)
{
    umask(0);
    touch("f666", 0666);
    printf("umask 0, open(O_CREAT, 0666): %04o\n", mode_of("f666"));
    touch("f600", 0600);
    printf("umask 0, open(O_CREAT, 0600): %04o\n", mode_of("f600"));
    mkdir("d555", 0555);
    printf("mkdir(0555): %04o\n", mode_of("d555"));
    mkdir("d700", 0700);
    printf("mkdir(0700): %04o\n", mode_of("d700"));
    static const unsigned modes[] = {0600, 04755, 02755, 01777, 07777, 0444, 0, 0644};
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
        chmod("f666", modes[i]);
        printf("chmod(%04o): %04o\n", modes[i], mode_of("f666"));
    }
    int fd = open("f600", O_RDONLY);
    const char *r = result(fchmod(fd, 0751));
    printf("fchmod(0751) = %s: %04o\n", r, mode_of("f600"));
    close(fd);
    r = result(fchmodat(AT_FDCWD, "f600", 0705, 0));
    printf("fchmodat(0705) = %s: %04o\n", r, mode_of("f600"));
    chmod("d555", 01770);
    printf("chmod(dir, 01770): %04o\n", mode_of("d555"));
    umask(027);
    touch("f027", 0777);
    mkdir("d027", 0777);
    printf("umask 027: file %04o dir %04o\n", mode_of("f027"), mode_of("d027"));
    umask(022);
    touch("f022", 0666);
    printf("umask 022: file %04o\n", mode_of("f022"));
    /* kept through a hard link and a rename */
    chmod("f027", 0710);
    link("f027", "f027-link");
    rename("f027", "f027-moved");
    printf("after link and rename: %04o %04o\n", mode_of("f027-link"), mode_of("f027-moved"));
    /* a new file under the name of a removed one has its own mode */
    unlink("f027-link");
    unlink("f027-moved");
    touch("f027-moved", 0644);
    printf("a new file under the old name: %04o\n", mode_of("f027-moved"));
}

static void owners(void)
{
    touch("owned.txt", 0644);
    int r = chown("owned.txt", 1000, 1000); /* tarfile.extract() as root, before chmod and utime */
    printf("uid %d: chown(file, 1000, 1000) = %s\n", getuid(), result(r));
    struct stat st;
    stat("owned.txt", &st);
    printf("owner %u:%u\n", st.st_uid, st.st_gid);
    chmod("owned.txt", 06755);
    r = chown("owned.txt", 1001, -1);
    printf("chown drops setuid and setgid: %d %04o\n", r, mode_of("owned.txt"));
    printf("lchown(2000, 2001) = %s\n", result(lchown("owned.txt", 2000, 2001)));
    int fd = open("owned.txt", O_RDONLY);
    printf("fchown(-1, 3000) = %s\n", result(fchown(fd, -1, 3000)));
    close(fd);
    printf("fchownat(0, 0) = %s\n", result(fchownat(AT_FDCWD, "owned.txt", 0, 0, 0)));
    stat("owned.txt", &st);
    printf("owner %u:%u mode %04o\n", st.st_uid, st.st_gid, st.st_mode & 07777);
}

static void xok(void)
{
    touch("prog.exe", 0644);
    printf("0644: access(X_OK) = %s\n", result(access("prog.exe", X_OK)));
    chmod("prog.exe", 0700);
    printf("chmod 0700: %04o access(X_OK) = %s\n", mode_of("prog.exe"), result(access("prog.exe", X_OK)));
    chmod("prog.exe", 0010);
    printf("chmod 0010: faccessat(X_OK) = %s\n", result(faccessat(AT_FDCWD, "prog.exe", X_OK, 0)));
    chmod("prog.exe", 0600);
    printf("chmod 0600: access(X_OK) = %s\n", result(access("prog.exe", X_OK)));
}

static void special_nodes(void)
{
    const char *r = result(mkfifo("fifo", 0640));
    printf("mkfifo = %s, type %s mode %04o\n", r, type_of("fifo"), mode_of("fifo"));
    pid_t child = fork();
    if (child == 0) {
        int w = open("fifo", O_WRONLY);
        write(w, "through the fifo\n", 17);
        _exit(0);
    }
    int rd = open("fifo", O_RDONLY);
    char buf[64] = {0};
    ssize_t n = read(rd, buf, sizeof buf - 1);
    printf("read %zd: %s", n, buf);
    n = read(rd, buf, sizeof buf);
    printf("then %zd (the writer closed)\n", n);
    close(rd);
    waitpid(child, NULL, 0);
    struct stat st;
    r = result(mknod("null", S_IFCHR | 0666, makedev(1, 3)));
    printf("mknod(c 1 3) = %s, type %s\n", r, type_of("null"));
    stat("null", &st);
    printf("rdev %u:%u size %lld\n", major(st.st_rdev), minor(st.st_rdev), (long long)st.st_size);
    int fd = open("null", O_RDWR);
    n = write(fd, "abc", 3);
    printf("write to it: %zd, read: %zd\n", n, read(fd, buf, sizeof buf));
    close(fd);
    r = result(mknod("fifo2", S_IFIFO | 0600, 0));
    printf("mknod(fifo) = %s, type %s\n", r, type_of("fifo2"));
    r = result(mknod("plain", S_IFREG | 0604, 0));
    printf("mknod(regular) = %s, type %s mode %04o\n", r, type_of("plain"), mode_of("plain"));
    printf("mknod over a name = %s\n", result(mknod("fifo", S_IFIFO | 0600, 0)));
    rename("fifo2", "fifo3");
    printf("renamed fifo: %s\n", type_of("fifo3"));
    unlink("fifo3");
    touch("fifo3", 0644);
    printf("a file under its name: %s\n", type_of("fifo3"));
}

static void atime(void)
{
    int fd = open("a.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(fd, "data\n", 5);
    close(fd);
    fd = open("s.sh", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(fd, "#!/bin/sh\n", 10);
    close(fd);
    struct timespec t[2] = {{1000000000, 0}, {1000000000, 0}}; /* atime = mtime = 2001-09-09 */
    utimensat(AT_FDCWD, "a.txt", t, 0);
    utimensat(AT_FDCWD, "s.sh", t, 0);
    struct stat a, b;
    stat("a.txt", &a);
    stat("a.txt", &b);
    printf("stat 1: atime %ld  stat 2: atime %ld  (mtime %ld)\n", (long)a.st_atime, (long)b.st_atime, (long)a.st_mtime);
    stat("s.sh", &a);
    stat("s.sh", &b);
    printf("a script: atime %ld then %ld\n", (long)a.st_atime, (long)b.st_atime);
}

static void times_ns(void)
{
    touch("t.txt", 0644);
    struct timespec t[2] = {{1600000000, 987654321}, {1500000000, 123456789}};
    utimensat(AT_FDCWD, "t.txt", t, 0);
    struct stat st;
    stat("t.txt", &st);
    printf("utimensat -> atime %ld.%09ld mtime %ld.%09ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
           (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    int fd = open("t.txt", O_WRONLY);
    struct timespec u[2] = {{0, UTIME_OMIT}, {1400000000, 1}};
    futimens(fd, u);
    fstat(fd, &st);
    printf("futimens -> mtime %ld.%09ld\n", (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    close(fd);
    link("t.txt", "t-link.txt");
    stat("t-link.txt", &st);
    printf("through a hard link: %ld.%09ld\n", (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    struct timespec whole[2] = {{1300000000, 500}, {1300000000, 200}};
    utimensat(AT_FDCWD, "t.txt", whole, 0);
    stat("t.txt", &st);
    printf("multiples of 100 ns: %ld.%09ld %ld.%09ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
           (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

/* As a user other than root: the stored bits decide (in a child: the ids stay changed). */
static void other_user(void)
{
    chmod(".", 0755); /* the runner's directory is 0700: let the user in */
    touch("root-only", 0600);
    touch("for-1000", 0600);
    chown("for-1000", 1000, 1000);
    touch("group-read", 0640);
    chown("group-read", 0, 1000);
    touch("world-read", 0604);
    mkdir("locked", 0755);
    touch("locked/inside", 0644);
    mkdir("mine", 0555);
    chown("mine", 1000, 1000);
    pid_t child = fork();
    if (child == 0) {
        if (setgid(1000) < 0 || setuid(1000) < 0) _exit(2);
        const char *names[] = {"root-only", "for-1000", "group-read", "world-read"};
        for (int i = 0; i < 4; i++) {
            int fd = open(names[i], O_RDONLY);
            printf("uid 1000 opens %s: %s", names[i], fd >= 0 ? "0" : errno_name(errno));
            if (fd >= 0) close(fd);
            fd = open(names[i], O_WRONLY);
            printf(", for writing: %s", fd >= 0 ? "0" : errno_name(errno));
            if (fd >= 0) close(fd);
            printf(", access(R_OK) %s\n", result(access(names[i], R_OK)));
        }
        const char *a = result(chmod("root-only", 0666));
        printf("chmod of root's file: %s; ", a);
        printf("of its own: %s\n", result(chmod("for-1000", 0644)));
        a = result(chown("for-1000", 0, -1));
        printf("chown of its own to root: %s; ", a);
        printf("to its group: %s\n", result(chown("for-1000", -1, 1000)));
        /* a directory of root's, 0755: no new names, none removed; one of its own, 0555: neither */
        int fd = open("locked/new", O_WRONLY | O_CREAT, 0644);
        printf("create in root's directory: %s", fd >= 0 ? "0" : errno_name(errno));
        printf(", open of a file there: %s", result(access("locked/inside", R_OK)));
        printf(", mkdir: %s", result(mkdir("locked/sub", 0755)));
        printf(", mkfifo: %s", result(mkfifo("locked/fifo", 0644)));
        printf(", unlink: %s", result(unlink("locked/inside")));
        printf(", rename out: %s\n", result(rename("locked/inside", "out-of-locked")));
        fd = open("mine/new", O_WRONLY | O_CREAT, 0644);
        printf("create in its own 0555 directory: %s", fd >= 0 ? "0" : errno_name(errno));
        chmod("mine", 0755);
        fd = open("mine/new", O_WRONLY | O_CREAT, 0644);
        printf(", after chmod 0755: %s", fd >= 0 ? "0" : errno_name(errno));
        printf(", link into root's: %s\n", result(link("mine/new", "locked/new-link")));
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    printf("child: %d\n", WEXITSTATUS(status));
}

int main(void)
{
    GUEST_START();
    modes();
    owners();
    xok();
    special_nodes();
    atime();
    times_ns();
    other_user();
    return 0;
}
