/* The file syscall family on the cwd: links, renameat2, chmod/chown, times, truncate,
   fallocate, statfs, locks, sendfile, copy_file_range, mknod, trailing slashes, dirfds.
   It runs natively (on whatever file system the cwd is) and under picolx (drvfs, a
   Windows directory), and prints only what holds on both. Where drvfs differs from a
   Linux file system by design (no symlinks: EPERM; no FIFOs: EPERM; no xattrs:
   EOPNOTSUPP; modes not stored beyond the write bits), the check accepts either answer
   and says so. */
#include "guest.h"
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <time.h>
#include <utime.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#endif
#ifndef F_OFD_GETLK
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#endif

struct open_how_ {
    uint64_t flags, mode, resolve;
};

static void put(const char *name, const char *text)
{
    int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(fd, text, strlen(text));
    close(fd);
}

static const char *get(const char *name)
{
    static char buf[256];
    int fd = open(name, O_RDONLY);
    if (fd < 0) return "(none)";
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    return buf;
}

static long long size_of(const char *name)
{
    struct stat st;
    return stat(name, &st) == 0 ? (long long)st.st_size : -1;
}

static void links(void)
{
    put("a", "alpha");
    EXPECT_RET("link", link("a", "b"), 0);
    struct stat sa, sb;
    stat("a", &sa);
    stat("b", &sb);
    CHECK("link: nlink 2", sa.st_nlink == 2 && sb.st_nlink == 2);
    CHECK("link: one inode", sa.st_ino == sb.st_ino);
    CHECK("link: same data", !strcmp(get("b"), "alpha"));
    EXPECT_ERRNO("link: exists", link("a", "b"), EEXIST);
    EXPECT_ERRNO("link: missing", link("nothing", "c"), ENOENT);
    mkdir("dir", 0755);
    EXPECT_ERRNO("link: directory", link("dir", "dir2"), EPERM);
    EXPECT_RET("linkat", linkat(AT_FDCWD, "a", AT_FDCWD, "c", 0), 0);
    unlink("b");
    unlink("c");
    stat("a", &sa);
    CHECK("unlink: nlink 1", sa.st_nlink == 1);
    /* symlinks: drvfs has none (EPERM); elsewhere the link reads back */
    int r = symlink("a", "sl");
    int e = errno;
    char target[64] = {0};
    CHECK("symlink: made or EPERM",
          (r == 0 && readlink("sl", target, sizeof target) == 1 && target[0] == 'a') || (r == -1 && e == EPERM));
    unlink("sl");
    EXPECT_ERRNO("readlink: not a link", readlink("a", target, sizeof target), EINVAL);
    EXPECT_ERRNO("readlinkat: missing", readlinkat(AT_FDCWD, "nothing", target, sizeof target), ENOENT);
}

static void renames(void)
{
    put("r1", "one");
    put("r2", "two");
    EXPECT_ERRNO("renameat2 NOREPLACE", syscall(SYS_renameat2, AT_FDCWD, "r1", AT_FDCWD, "r2", RENAME_NOREPLACE), EEXIST);
    EXPECT_RET("renameat2 EXCHANGE", syscall(SYS_renameat2, AT_FDCWD, "r1", AT_FDCWD, "r2", RENAME_EXCHANGE), 0);
    CHECK("exchange: r1 has two", !strcmp(get("r1"), "two"));
    CHECK("exchange: r2 has one", !strcmp(get("r2"), "one"));
    EXPECT_ERRNO("renameat2 EXCHANGE missing", syscall(SYS_renameat2, AT_FDCWD, "r1", AT_FDCWD, "r9", RENAME_EXCHANGE), ENOENT);
    EXPECT_ERRNO("renameat2 bad flags", syscall(SYS_renameat2, AT_FDCWD, "r1", AT_FDCWD, "r2", RENAME_EXCHANGE | RENAME_NOREPLACE), EINVAL);
    EXPECT_RET("renameat2 NOREPLACE new", syscall(SYS_renameat2, AT_FDCWD, "r1", AT_FDCWD, "r3", RENAME_NOREPLACE), 0);
    CHECK("renamed", !strcmp(get("r3"), "two") && access("r1", F_OK) == -1);
    EXPECT_ERRNO("rename across mounts", rename("r3", "/proc/r3"), EXDEV);
    unlink("r2");
    unlink("r3");
}

static void modes(void)
{
    put("m", "mode");
    struct stat st;
    EXPECT_RET("chmod 0444", chmod("m", 0444), 0);
    stat("m", &st);
    printf("mode after 0444: %o\n", st.st_mode & 0777);
    EXPECT_RET("fchmodat 0644", fchmodat(AT_FDCWD, "m", 0644, 0), 0);
    stat("m", &st);
    printf("mode after 0644: %o\n", st.st_mode & 0777);
    int fd = open("m", O_RDONLY);
    EXPECT_RET("fchmod", fchmod(fd, 0644), 0);
    EXPECT_RET("fchown own ids", fchown(fd, getuid(), getgid()), 0);
    close(fd);
    EXPECT_RET("chown own ids", chown("m", getuid(), getgid()), 0);
    EXPECT_RET("lchown keep", lchown("m", -1, -1), 0);
    EXPECT_RET("fchownat own ids", fchownat(AT_FDCWD, "m", getuid(), getgid(), AT_SYMLINK_NOFOLLOW), 0);
    EXPECT_ERRNO("chmod missing", chmod("nothing", 0644), ENOENT);
    unlink("m");
}

static void times(void)
{
    put("t", "time");
    struct stat st;
    struct timespec ts[2] = {{.tv_sec = 1000000000, .tv_nsec = 123456700}, {.tv_sec = 1100000000, .tv_nsec = 500}};
    EXPECT_RET("utimensat", utimensat(AT_FDCWD, "t", ts, 0), 0);
    stat("t", &st);
    printf("mtime %lld.%09ld atime %lld.%09ld\n", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
           (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
    /* an atime in the future: a host mounted relatime then leaves it alone when picolx's
       stat reads a file's first bytes (to tell programs from data) */
    time_t later = time(NULL) + 100000;
    struct timespec future[2] = {{.tv_sec = later}, {.tv_nsec = UTIME_OMIT}};
    EXPECT_RET("utimensat atime, OMIT mtime", utimensat(AT_FDCWD, "t", future, 0), 0);
    stat("t", &st);
    printf("mtime kept %d atime set %d\n", st.st_mtim.tv_sec == 1100000000, st.st_atim.tv_sec == later);
    struct timespec omit[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = 1200000000, .tv_nsec = 0}};
    EXPECT_RET("utimensat OMIT", utimensat(AT_FDCWD, "t", omit, 0), 0);
    stat("t", &st);
    printf("mtime %lld atime kept %d\n", (long long)st.st_mtim.tv_sec, st.st_atim.tv_sec == later);
    struct timeval tv[2] = {{.tv_sec = 900000000}, {.tv_sec = 950000000, .tv_usec = 250000}};
    EXPECT_RET("utimes", utimes("t", tv), 0);
    stat("t", &st);
    printf("mtime %lld.%09ld\n", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    struct utimbuf ub = {.actime = 800000000, .modtime = 850000000};
    EXPECT_RET("utime", utime("t", &ub), 0);
    stat("t", &st);
    printf("mtime %lld\n", (long long)st.st_mtim.tv_sec);
    time_t before = time(NULL);
    EXPECT_RET("utimensat now", utimensat(AT_FDCWD, "t", NULL, 0), 0);
    stat("t", &st);
    CHECK("utimensat now: recent", st.st_mtim.tv_sec >= before - 2 && st.st_mtim.tv_sec <= before + 5);
    int fd = open("t", O_RDONLY);
    EXPECT_RET("futimens", futimens(fd, ts), 0);
    close(fd);
    stat("t", &st);
    printf("futimens mtime %lld\n", (long long)st.st_mtim.tv_sec);
    struct timespec bad[2] = {{.tv_nsec = 1000000000}, {.tv_nsec = 0}};
    EXPECT_ERRNO("utimensat bad nsec", utimensat(AT_FDCWD, "t", bad, 0), EINVAL);
    unlink("t");
}

static void sizes(void)
{
    put("s", "0123456789abcdef");
    EXPECT_RET("truncate", truncate("s", 10), 0);
    printf("size %lld\n", size_of("s"));
    EXPECT_ERRNO("truncate negative", truncate("s", -1), EINVAL);
    EXPECT_ERRNO("truncate directory", truncate("dir", 0), EISDIR);
    int fd = open("s", O_RDWR);
    EXPECT_RET("fallocate extend", fallocate(fd, 0, 0, 8192), 0);
    printf("size %lld\n", size_of("s"));
    EXPECT_RET("fallocate inside", fallocate(fd, 0, 0, 100), 0);
    printf("size %lld\n", size_of("s"));
    EXPECT_ERRNO("fallocate zero length", fallocate(fd, 0, 0, 0), EINVAL);
    EXPECT_RET("fdatasync", fdatasync(fd), 0);
    char buf[4] = {1, 1, 1, 1};
    pread(fd, buf, 4, 8000);
    CHECK("extension reads zeros", !buf[0] && !buf[1] && !buf[2] && !buf[3]);
    close(fd);
    fd = open("s", O_RDONLY);
    EXPECT_ERRNO("fallocate read-only", fallocate(fd, 0, 0, 10), EBADF);
    close(fd);
    unlink("s");
}

static void statfs_calls(void)
{
    struct statfs sf;
    EXPECT_RET("statfs", statfs(".", &sf), 0);
    CHECK("statfs: sizes", sf.f_bsize > 0 && sf.f_namelen == 255);
    int fd = open(".", O_RDONLY | O_DIRECTORY);
    EXPECT_RET("fstatfs", fstatfs(fd, &sf), 0);
    close(fd);
    EXPECT_ERRNO("statfs missing", statfs("nothing", &sf), ENOENT);
    EXPECT_RET("statfs /proc", statfs("/proc", &sf), 0);
    printf("proc magic: %d\n", sf.f_type == 0x9fa0);
}

static void locks(void)
{
    put("l", "lock");
    int fd1 = open("l", O_RDWR), fd2 = open("l", O_RDWR);
    EXPECT_RET("flock EX", flock(fd1, LOCK_EX), 0);
    EXPECT_ERRNO("flock EX other", flock(fd2, LOCK_EX | LOCK_NB), EWOULDBLOCK);
    EXPECT_ERRNO("flock SH other", flock(fd2, LOCK_SH | LOCK_NB), EWOULDBLOCK);
    EXPECT_RET("flock UN", flock(fd1, LOCK_UN), 0);
    EXPECT_RET("flock SH other now", flock(fd2, LOCK_SH | LOCK_NB), 0);
    EXPECT_RET("flock SH again", flock(fd1, LOCK_SH | LOCK_NB), 0);
    EXPECT_ERRNO("flock bad", flock(fd1, 0), EINVAL);
    flock(fd1, LOCK_UN);
    flock(fd2, LOCK_UN);

    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    EXPECT_RET("F_SETLK", fcntl(fd1, F_SETLK, &fl), 0);
    fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 10};
    EXPECT_RET("F_GETLK same process", fcntl(fd2, F_GETLK, &fl), 0);
    printf("F_GETLK: %s\n", fl.l_type == F_UNLCK ? "unlocked" : "locked");
    fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 20, .l_len = 5};
    EXPECT_RET("F_OFD_SETLK", fcntl(fd1, F_OFD_SETLK, &fl), 0);
    fl = (struct flock){.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 22, .l_len = 1};
    EXPECT_ERRNO("F_OFD_SETLK conflict", fcntl(fd2, F_OFD_SETLK, &fl), EAGAIN);
    fl = (struct flock){.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    EXPECT_RET("F_OFD_GETLK", fcntl(fd2, F_OFD_GETLK, &fl), 0);
    /* the process's own F_SETLK lock conflicts with an OFD lock: its pid is ours */
    printf("F_OFD_GETLK: type %s start %lld len %lld pid %s\n", fl.l_type == F_WRLCK ? "W" : "other",
           (long long)fl.l_start, (long long)fl.l_len, fl.l_pid == getpid() ? "ours" : "other");
    fl = (struct flock){.l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    EXPECT_RET("F_OFD_SETLK unlock", fcntl(fd1, F_OFD_SETLK, &fl), 0);
    fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 22, .l_len = 1};
    EXPECT_RET("F_OFD_SETLK after unlock", fcntl(fd2, F_OFD_SETLK, &fl), 0);
    fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0, .l_pid = 1};
    EXPECT_ERRNO("F_OFD_SETLK l_pid", fcntl(fd2, F_OFD_SETLK, &fl), EINVAL);
    fl = (struct flock){.l_type = 7, .l_whence = SEEK_SET};
    EXPECT_ERRNO("F_SETLK bad type", fcntl(fd1, F_SETLK, &fl), EINVAL);
    close(fd1);
    close(fd2);
    unlink("l");
}

static void copies(void)
{
    char data[3000];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (char)('a' + i % 26);
    int fd = open("src", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(fd, data, sizeof data);
    int out = open("dst", O_RDWR | O_CREAT | O_TRUNC, 0644);
    off_t off = 100;
    EXPECT_RET("sendfile", sendfile(out, fd, &off, 1000), 1000);
    printf("sendfile offset %lld, in position %lld\n", (long long)off, (long long)lseek(fd, 0, SEEK_CUR));
    lseek(fd, 0, SEEK_SET);
    EXPECT_RET("sendfile from position", sendfile(out, fd, NULL, 50), 50);
    printf("in position %lld, dst size %lld\n", (long long)lseek(fd, 0, SEEK_CUR), size_of("dst"));
    char back[1050];
    pread(out, back, sizeof back, 0);
    CHECK("sendfile data", !memcmp(back, data + 100, 1000) && !memcmp(back + 1000, data, 50));
    loff_t in_off = 2000, out_off = 5;
    EXPECT_RET("copy_file_range", copy_file_range(fd, &in_off, out, &out_off, 2000, 0), 1000);
    printf("offsets %lld %lld\n", (long long)in_off, (long long)out_off);
    pread(out, back, 1000, 5);
    CHECK("copy_file_range data", !memcmp(back, data + 2000, 1000));
    EXPECT_ERRNO("copy_file_range flags", copy_file_range(fd, NULL, out, NULL, 10, 1), EINVAL);
    int ro = open("src", O_RDONLY);
    EXPECT_ERRNO("copy_file_range to read-only", copy_file_range(fd, NULL, ro, NULL, 10, 0), EBADF);
    close(ro);
    close(fd);
    close(out);
    unlink("src");
    unlink("dst");
}

static void nodes(void)
{
    EXPECT_RET("mknod regular", mknod("node", S_IFREG | 0644, 0), 0);
    printf("node size %lld\n", size_of("node"));
    EXPECT_ERRNO("mknod exists", mknod("node", S_IFREG | 0644, 0), EEXIST);
    unlink("node");
    /* drvfs holds no FIFOs (EPERM); a Linux file system makes one */
    int r = mknod("fifo", S_IFIFO | 0644, 0);
    int e = errno;
    struct stat st;
    CHECK("mknod fifo: made or EPERM", (r == 0 && stat("fifo", &st) == 0 && S_ISFIFO(st.st_mode)) || (r == -1 && e == EPERM));
    unlink("fifo");
    EXPECT_ERRNO("mknod directory type", mknod("d2", S_IFDIR | 0755, 0), EPERM);
    /* xattrs: DrvFs has none (EOPNOTSUPP); a Linux file system has no such attribute */
    put("x", "x");
    char v[8];
    r = getxattr("x", "user.nothing", v, sizeof v);
    e = errno;
    CHECK("getxattr: ENODATA or EOPNOTSUPP", r == -1 && (e == ENODATA || e == EOPNOTSUPP));
    r = listxattr("x", v, sizeof v);
    CHECK("listxattr: none", r == 0 || (r == -1 && errno == EOPNOTSUPP));
    unlink("x");
}

static void paths(void)
{
    put("f", "file");
    struct stat st;
    EXPECT_ERRNO("open file/", open("f/", O_RDONLY), ENOTDIR);
    EXPECT_ERRNO("stat file/", stat("f/", &st), ENOTDIR);
    EXPECT_ERRNO("stat file/x", stat("f/x", &st), ENOTDIR);
    EXPECT_ERRNO("unlink file/", unlink("f/"), ENOTDIR);
    EXPECT_ERRNO("rmdir file", rmdir("f"), ENOTDIR);
    EXPECT_ERRNO("unlink dir", unlink("dir"), EISDIR);
    EXPECT_RET("stat dir/.", stat("dir/.", &st), 0);
    EXPECT_RET("stat dir/../f", stat("dir/../f", &st), 0);
    EXPECT_RET("stat dir/", stat("dir/", &st), 0);
    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    EXPECT_ERRNO("ENAMETOOLONG", open(longname, O_RDONLY), ENAMETOOLONG);
    int dfd = open("dir", O_RDONLY | O_DIRECTORY);
    int fd = openat(dfd, "inner", O_WRONLY | O_CREAT | O_EXCL, 0644);
    CHECK("openat dirfd", fd >= 0);
    close(fd);
    EXPECT_RET("stat dir/inner", stat("dir/inner", &st), 0);
    EXPECT_RET("fstatat dirfd", fstatat(dfd, "inner", &st, AT_SYMLINK_NOFOLLOW), 0);
    EXPECT_RET("fstatat AT_EMPTY_PATH", fstatat(dfd, "", &st, AT_EMPTY_PATH), 0);
    CHECK("AT_EMPTY_PATH is the directory", S_ISDIR(st.st_mode));
    EXPECT_ERRNO("openat dirfd of a file", openat(open("f", O_RDONLY), "x", O_RDONLY), ENOTDIR);
    struct open_how_ how = {.flags = O_RDONLY};
    fd = (int)syscall(SYS_openat2, dfd, "inner", &how, sizeof how);
    CHECK("openat2", fd >= 0);
    close(fd);
    how.mode = 0644;
    EXPECT_ERRNO("openat2 mode without O_CREAT", syscall(SYS_openat2, dfd, "inner", &how, sizeof how), EINVAL);
    how = (struct open_how_){.flags = O_RDONLY, .resolve = 1u << 30};
    EXPECT_ERRNO("openat2 unknown resolve", syscall(SYS_openat2, dfd, "inner", &how, sizeof how), EINVAL);
    EXPECT_ERRNO("openat2 small size", syscall(SYS_openat2, dfd, "inner", &how, 8), EINVAL);
    EXPECT_RET("unlinkat dirfd", unlinkat(dfd, "inner", 0), 0);
    close(dfd);
    EXPECT_ERRNO("chroot missing", chroot("nothing"), ENOENT);
    EXPECT_RET("rmdir dir", rmdir("dir"), 0);
    unlink("f");
    unlink("a");
}

int main(void)
{
    GUEST_START();
    links();
    renames();
    modes();
    times();
    sizes();
    statfs_calls();
    locks();
    copies();
    nodes();
    paths();
    return GUEST_END();
}
