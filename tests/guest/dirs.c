/* Directories: mkdir, getdents64 (listing sorted), rmdir, chdir, getcwd, fchdir,
   ENOTEMPTY, EEXIST, ENOTDIR. Run in an empty directory. */
#include "guest.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct linux_dirent64 {
    unsigned long long d_ino;
    long long d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void touch(const char *path)
{
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd >= 0) { write(fd, "x", 1); close(fd); }
}

/* Lists dir with raw getdents64 in small batches; prints sorted "name type". */
static void list(const char *dir)
{
    char *names[64];
    int n = 0;
    char buf[128] __attribute__((aligned(8)));   /* small: forces several calls */
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) { printf("list %s: open failed: %s\n", dir, errno_name(errno)); guest_failures++; return; }
    for (;;) {
        long got = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (got < 0) { printf("getdents64: %s\n", errno_name(errno)); guest_failures++; break; }
        if (got == 0) break;
        for (long off = 0; off < got;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            char type = d->d_type == DT_DIR ? 'd' : d->d_type == DT_REG ? 'f' : d->d_type == DT_UNKNOWN ? '?' : 'o';
            char *line = malloc(strlen(d->d_name) + 3);
            sprintf(line, "%s %c", d->d_name, type);
            if (n < 64) names[n++] = line;
            off += d->d_reclen;
        }
    }
    close(fd);
    qsort(names, n, sizeof *names, cmp);
    printf("list %s (%d entries):\n", dir, n);
    for (int i = 0; i < n; i++) { printf("  %s\n", names[i]); free(names[i]); }
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

int main(void)
{
    GUEST_START();
    char top[4096], cwd[4096];
    struct stat st;

    CHECK("getcwd", getcwd(top, sizeof top) != NULL);
    CHECK("getcwd absolute", top[0] == '/');
    EXPECT_RET("mkdir", mkdir("d", 0755), 0);
    EXPECT_ERRNO("mkdir existing", mkdir("d", 0755), EEXIST);
    CHECK("stat dir", stat("d", &st) == 0 && S_ISDIR(st.st_mode));
    touch("d/bravo");
    touch("d/alpha");
    touch("d/charlie");
    EXPECT_RET("mkdir sub", mkdir("d/sub", 0755), 0);
    touch("d/sub/inner");
    touch("plain");
    list("d");
    list("d/sub");

    /* long names, enough entries to need several getdents64 calls */
    EXPECT_RET("mkdir many", mkdir("many", 0755), 0);
    for (int i = 0; i < 40; i++) {
        char name[80];
        snprintf(name, sizeof name, "many/entry-with-a-longish-name-%02d", i);
        touch(name);
    }
    list("many");

    EXPECT_ERRNO("rmdir non-empty", rmdir("d"), ENOTEMPTY);
    EXPECT_ERRNO("rmdir missing", rmdir("nothere"), ENOENT);
    EXPECT_ERRNO("rmdir a file", rmdir("plain"), ENOTDIR);
    EXPECT_ERRNO("mkdir over a file", mkdir("plain", 0755), EEXIST);
    EXPECT_ERRNO("mkdir under a file", mkdir("plain/x", 0755), ENOTDIR);
    EXPECT_ERRNO("mkdir missing parent", mkdir("nothere/x", 0755), ENOENT);
    EXPECT_ERRNO("open file as dir", open("plain", O_RDONLY | O_DIRECTORY), ENOTDIR);
    EXPECT_ERRNO("chdir to a file", chdir("plain"), ENOTDIR);
    EXPECT_ERRNO("chdir missing", chdir("nothere"), ENOENT);

    int topfd = open(".", O_RDONLY | O_DIRECTORY);
    CHECK("open . as directory", topfd >= 0);
    EXPECT_RET("chdir", chdir("d/sub"), 0);
    CHECK("getcwd after chdir", getcwd(cwd, sizeof cwd) && ends_with(cwd, "/d/sub") &&
          strncmp(cwd, top, strlen(top)) == 0 && strlen(cwd) == strlen(top) + 6);
    CHECK("relative open after chdir", access("inner", F_OK) == 0);
    EXPECT_RET("chdir ..", chdir(".."), 0);
    CHECK("getcwd after chdir ..", getcwd(cwd, sizeof cwd) && ends_with(cwd, "/d") &&
          strlen(cwd) == strlen(top) + 2);
    EXPECT_RET("fchdir", fchdir(topfd), 0);
    CHECK("getcwd after fchdir", getcwd(cwd, sizeof cwd) && strcmp(cwd, top) == 0);
    close(topfd);
    EXPECT_ERRNO("fchdir bad fd", fchdir(-1), EBADF);
    char tiny[2];
    EXPECT_ERRNO("getcwd small buffer", getcwd(tiny, sizeof tiny) ? 0 : -1, ERANGE);

    /* rename a directory, then empty and remove everything */
    EXPECT_RET("rename dir", rename("d", "e"), 0);
    CHECK("renamed dir content", access("e/sub/inner", F_OK) == 0);
    EXPECT_RET("unlink inner", unlink("e/sub/inner"), 0);
    EXPECT_ERRNO("unlink a dir", unlink("e/sub"), EISDIR);
    EXPECT_RET("rmdir sub", rmdir("e/sub"), 0);
    unlink("e/alpha");
    unlink("e/bravo");
    unlink("e/charlie");
    list("e");
    EXPECT_RET("rmdir empty", rmdir("e"), 0);
    EXPECT_ERRNO("stat removed dir", stat("e", &st), ENOENT);
    for (int i = 0; i < 40; i++) {
        char name[80];
        snprintf(name, sizeof name, "many/entry-with-a-longish-name-%02d", i);
        unlink(name);
    }
    EXPECT_RET("rmdir many", rmdir("many"), 0);
    unlink("plain");
    list(".");
    return GUEST_END();
}
