/* Extended attributes on a tmpfs (/dev/shm natively and under picolx): get/set/list/
   remove in their path, l- and f- forms; XATTR_CREATE and XATTR_REPLACE; ERANGE for a
   small buffer or a long name, E2BIG for a big value; the namespaces (user.* only on
   regular files and directories, trusted.* and security.* as root, unknown ones
   EOPNOTSUPP). Run as root natively and under picolx (trusted.* needs it). Lists are
   printed in the order the file system gives (Linux's tmpfs: names descending).

   usage: xattr                 the checks in /dev/shm
          xattr test DIR        the checks in DIR (e.g. a distro's own directory)
          xattr get PATH NAME   prints the value (or the errno)
          xattr set PATH NAME VALUE
          xattr list PATH       prints the names */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "guest.h"

static char base[128], file[160], dir[160], link_[160], fifo[160];

/* A list as "a,b,c" (NUL-separated names); "(n bytes)" when it does not end with a NUL. */
static const char *show_list(const char *list, ssize_t n)
{
    static char out[4096];
    size_t at = 0;
    out[0] = 0;
    if (n < 0) return "-";
    if (n > 0 && list[n - 1] != 0) return "(unterminated)";
    for (ssize_t i = 0; i < n;) {
        size_t len = strlen(list + i);
        /* the long 255-byte name: shown by its length */
        if (len > 40) at += (size_t)snprintf(out + at, sizeof out - at, "%s<%zu-byte name>", at ? "," : "", len);
        else at += (size_t)snprintf(out + at, sizeof out - at, "%s%s", at ? "," : "", list + i);
        i += (ssize_t)len + 1;
    }
    return out;
}

static void print_list(const char *what, const char *path, int follow)
{
    char buf[4096];
    ssize_t n = follow ? listxattr(path, buf, sizeof buf) : llistxattr(path, buf, sizeof buf);
    printf("%s: %zd [%s]\n", what, n, show_list(buf, n));
}

static void print_value(const char *what, const char *path, const char *name)
{
    char buf[128];
    ssize_t n = getxattr(path, name, buf, sizeof buf);
    if (n < 0) {
        printf("%s: ret=-1 errno=%s\n", what, errno_name(errno));
        return;
    }
    printf("%s: %zd '", what, n);
    for (ssize_t i = 0; i < n; i++) printf(buf[i] >= 32 && buf[i] < 127 ? "%c" : "\\x%02x", (unsigned char)buf[i]);
    printf("'\n");
}

static int checks(const char *where);

int main(int argc, char **argv)
{
    GUEST_START();
    if (argc == 4 && !strcmp(argv[1], "get")) {
        print_value(argv[3], argv[2], argv[3]);
        return 0;
    }
    if (argc == 5 && !strcmp(argv[1], "set")) {
        EXPECT_RET(argv[3], setxattr(argv[2], argv[3], argv[4], strlen(argv[4]), 0), 0);
        return guest_failures != 0;
    }
    if (argc == 3 && !strcmp(argv[1], "list")) {
        print_list("list", argv[2], 1);
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "test")) return checks(argv[2]);
    return checks("/dev/shm");
}

static int checks(const char *where)
{
    snprintf(base, sizeof base, "%s/xattr-test-%d", where, (int)getpid());
    snprintf(file, sizeof file, "%s/file", base);
    snprintf(dir, sizeof dir, "%s/dir", base);
    snprintf(link_, sizeof link_, "%s/link", base);
    snprintf(fifo, sizeof fifo, "%s/fifo", base);
    CHECK("mkdir base", mkdir(base, 0755) == 0);
    int fd = open(file, O_CREAT | O_RDWR, 0644);
    CHECK("create file", fd >= 0);
    CHECK("mkdir dir", mkdir(dir, 0755) == 0);
    CHECK("symlink", symlink("file", link_) == 0);
    CHECK("mkfifo", mkfifo(fifo, 0644) == 0);

    /* an empty list */
    EXPECT_RET("list empty size 0", listxattr(file, NULL, 0), 0);
    print_list("list empty", file, 1);

    /* set, get, sizes */
    EXPECT_RET("set user.a", setxattr(file, "user.a", "hello", 5, 0), 0);
    EXPECT_RET("get user.a size 0", getxattr(file, "user.a", NULL, 0), 5);
    print_value("get user.a", file, "user.a");
    char small[4];
    EXPECT_ERRNO("get user.a into 4 bytes", getxattr(file, "user.a", small, sizeof small), ERANGE);
    EXPECT_ERRNO("get missing", getxattr(file, "user.missing", small, sizeof small), ENODATA);

    /* flags */
    EXPECT_ERRNO("create existing", setxattr(file, "user.a", "x", 1, XATTR_CREATE), EEXIST);
    EXPECT_ERRNO("replace missing", setxattr(file, "user.b", "x", 1, XATTR_REPLACE), ENODATA);
    EXPECT_ERRNO("create|replace existing", setxattr(file, "user.a", "x", 1, XATTR_CREATE | XATTR_REPLACE), EEXIST);
    EXPECT_ERRNO("create|replace missing", setxattr(file, "user.b", "x", 1, XATTR_CREATE | XATTR_REPLACE), ENODATA);
    EXPECT_ERRNO("bad flags", setxattr(file, "user.a", "x", 1, 4), EINVAL);
    EXPECT_RET("replace user.a", setxattr(file, "user.a", "world!", 6, XATTR_REPLACE), 0);
    print_value("get user.a after replace", file, "user.a");
    EXPECT_RET("create user.b", setxattr(file, "user.b", "", 0, XATTR_CREATE), 0);
    EXPECT_RET("get empty user.b", getxattr(file, "user.b", small, sizeof small), 0);
    const char binary[] = {'a', 0, 'b', 0, 0, (char)0xff};
    EXPECT_RET("set binary user.c", setxattr(file, "user.c", binary, sizeof binary, 0), 0);
    print_value("get binary user.c", file, "user.c");

    /* lists */
    EXPECT_RET("list size 0", listxattr(file, NULL, 0), 21);
    print_list("list", file, 1);
    char tight[21];
    EXPECT_RET("list exact size", listxattr(file, tight, sizeof tight), 21);
    EXPECT_ERRNO("list too small", listxattr(file, tight, 20), ERANGE);

    /* names and values at the limits */
    char name[300];
    memset(name, 'n', sizeof name);
    memcpy(name, "user.", 5);
    name[255] = 0;
    EXPECT_RET("set 255-byte name", setxattr(file, name, "1", 1, 0), 0);
    print_list("list with the long name", file, 1);
    EXPECT_RET("remove 255-byte name", removexattr(file, name), 0);
    name[255] = 'n';
    name[256] = 0;
    EXPECT_ERRNO("set 256-byte name", setxattr(file, name, "1", 1, 0), ERANGE);
    EXPECT_ERRNO("get 256-byte name", getxattr(file, name, small, sizeof small), ERANGE);
    EXPECT_ERRNO("remove 256-byte name", removexattr(file, name), ERANGE);
    EXPECT_ERRNO("set empty name", setxattr(file, "", "1", 1, 0), ERANGE);
    char *big = calloc(1, 65537);
    for (int i = 0; i < 65536; i++) big[i] = (char)('a' + i % 26);
    EXPECT_RET("set 64 KiB value", setxattr(file, "user.big", big, 65536, 0), 0);
    char *back = calloc(1, 65536);
    EXPECT_RET("get 64 KiB value", getxattr(file, "user.big", back, 65536), 65536);
    CHECK("64 KiB value intact", memcmp(big, back, 65536) == 0);
    EXPECT_ERRNO("set 64 KiB + 1 value", setxattr(file, "user.big2", big, 65537, 0), E2BIG);
    EXPECT_RET("remove user.big", removexattr(file, "user.big"), 0);

    /* remove */
    EXPECT_RET("remove user.b", removexattr(file, "user.b"), 0);
    EXPECT_ERRNO("remove user.b again", removexattr(file, "user.b"), ENODATA);
    EXPECT_ERRNO("get removed", getxattr(file, "user.b", small, sizeof small), ENODATA);
    print_list("list after removes", file, 1);

    /* the fd forms */
    EXPECT_RET("fsetxattr", fsetxattr(fd, "user.fd", "via fd", 6, XATTR_CREATE), 0);
    char fbuf[64];
    EXPECT_RET("fgetxattr", fgetxattr(fd, "user.fd", fbuf, sizeof fbuf), 6);
    EXPECT_RET("flistxattr size", flistxattr(fd, NULL, 0), 22);
    EXPECT_RET("fremovexattr", fremovexattr(fd, "user.fd"), 0);
    EXPECT_ERRNO("fgetxattr removed", fgetxattr(fd, "user.fd", fbuf, sizeof fbuf), ENODATA);
    EXPECT_ERRNO("fgetxattr bad fd", fgetxattr(999, "user.fd", fbuf, sizeof fbuf), EBADF);

    /* symlinks: followed by the plain calls; user.* on the link itself refused */
    print_value("get through the symlink", link_, "user.a");
    EXPECT_ERRNO("lsetxattr user.* on a symlink", lsetxattr(link_, "user.x", "1", 1, 0), EPERM);
    EXPECT_ERRNO("lgetxattr user.* on a symlink", lgetxattr(link_, "user.x", small, sizeof small), ENODATA);
    EXPECT_RET("lsetxattr trusted.* on a symlink", lsetxattr(link_, "trusted.l", "1", 1, 0), 0);
    print_list("llistxattr of the symlink", link_, 0);
    EXPECT_RET("lremovexattr trusted.* on a symlink", lremovexattr(link_, "trusted.l"), 0);

    /* a FIFO and a directory */
    EXPECT_ERRNO("user.* on a FIFO", setxattr(fifo, "user.x", "1", 1, 0), EPERM);
    EXPECT_ERRNO("get user.* of a FIFO", getxattr(fifo, "user.x", small, sizeof small), ENODATA);
    EXPECT_RET("user.* on a directory", setxattr(dir, "user.d", "dir", 3, 0), 0);
    print_value("get user.d", dir, "user.d");

    /* namespaces */
    EXPECT_RET("set trusted.t (root)", setxattr(file, "trusted.t", "tv", 2, 0), 0);
    print_value("get trusted.t", file, "trusted.t");
    EXPECT_RET("set security.test (root)", setxattr(file, "security.test", "sv", 2, 0), 0);
    static const unsigned char caps[20] = {0, 0, 0, 2, 0, 0x20, 0, 0}; /* v2: cap_net_bind_service, permitted */
    EXPECT_RET("set security.capability", setxattr(file, "security.capability", caps, sizeof caps, 0), 0);
    print_value("get security.capability", file, "security.capability");
    EXPECT_ERRNO("set a malformed security.capability", setxattr(file, "security.capability", "12345", 5, 0), EINVAL);
    EXPECT_ERRNO("set foo.bar", setxattr(file, "foo.bar", "1", 1, 0), EOPNOTSUPP);
    EXPECT_ERRNO("get foo.bar", getxattr(file, "foo.bar", small, sizeof small), EOPNOTSUPP);
    print_list("list of every namespace", file, 1);

    /* missing files */
    snprintf(name, sizeof name, "%s/no/such", where);
    EXPECT_ERRNO("get of a missing file", getxattr(name, "user.a", small, sizeof small), ENOENT);
    snprintf(name, sizeof name, "%s/no-such", where);
    EXPECT_ERRNO("list of a missing file", listxattr(name, NULL, 0), ENOENT);

    close(fd);
    unlink(fifo);
    unlink(link_);
    rmdir(dir);
    unlink(file);
    CHECK("cleanup", rmdir(base) == 0);
    return GUEST_END();
}
