/* openat2's RESOLVE_* restrictions, printed as errno names so that Linux and picolx can
   be compared: a tree with relative, absolute and ".." symlinks is made under the
   directory argv[1] (a tmpfs: /dev/shm), then opened from a dirfd inside it. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *errno_name(int e)
{
    switch (e) {
    case 0: return "ok";
    case ENOENT: return "ENOENT";
    case ELOOP: return "ELOOP";
    case EXDEV: return "EXDEV";
    case EINVAL: return "EINVAL";
    case EAGAIN: return "EAGAIN";
    case ENOTDIR: return "ENOTDIR";
    case E2BIG: return "E2BIG";
    default: return strerror(e);
    }
}

static int base;

static void try(const char *path, unsigned long long resolve, const char *resolve_name)
{
    struct open_how how = {.flags = O_RDONLY, .resolve = resolve};
    long fd = syscall(SYS_openat2, base, path, &how, sizeof how);
    int e = fd < 0 ? errno : 0;
    char what[64] = "";
    if (fd >= 0) {
        /* which file it opened: the marker inside, or "dir" */
        struct stat st;
        fstat((int)fd, &st);
        if (S_ISDIR(st.st_mode)) {
            strcpy(what, " (a directory)");
        } else {
            char buf[32] = {0};
            ssize_t n = read((int)fd, buf, sizeof buf - 1);
            if (n > 0 && buf[n - 1] == '\n') buf[n - 1] = 0;
            snprintf(what, sizeof what, " (%s)", buf);
        }
        close((int)fd);
    }
    printf("%-22s %-34s %s%s\n", path, resolve_name, errno_name(e), what);
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: openat2 DIR\n");
        return 2;
    }
    char top[4096];
    snprintf(top, sizeof top, "%s/openat2-test.%d", argv[1], (int)getpid());
    if (mkdir(top, 0755) || chdir(top)) {
        perror(top);
        return 2;
    }
    mkdir("base", 0755);
    mkdir("base/sub", 0755);
    put("base/sub/file", "inside\n");
    put("outside", "outside\n");
    symlink("sub/file", "base/rel");
    symlink("../outside", "base/up");
    symlink("/sub/file", "base/abs");
    symlink("sub", "base/subdir");
    symlink("/proc", "base/proc");
    base = open("base", O_RDONLY | O_DIRECTORY);
    if (base < 0) {
        perror("base");
        return 2;
    }

    static const struct {
        unsigned long long flags;
        const char *name;
    } modes[] = {
        {0, "none"},
        {RESOLVE_NO_SYMLINKS, "RESOLVE_NO_SYMLINKS"},
        {RESOLVE_NO_MAGICLINKS, "RESOLVE_NO_MAGICLINKS"},
        {RESOLVE_NO_XDEV, "RESOLVE_NO_XDEV"},
        {RESOLVE_BENEATH, "RESOLVE_BENEATH"},
        {RESOLVE_IN_ROOT, "RESOLVE_IN_ROOT"},
        {RESOLVE_BENEATH | RESOLVE_IN_ROOT, "RESOLVE_BENEATH|RESOLVE_IN_ROOT"},
    };
    static const char *paths[] = {"sub/file", "rel", "subdir/file", "up", "abs", "../outside",
                                  "sub/../sub/file", "sub/../../outside", "/sub/file", ".", "..",
                                  "proc/self", "/proc/self/fd/0"};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++)
        for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) try(paths[p], modes[m].flags, modes[m].name);

    /* bad arguments */
    struct open_how how = {.flags = O_RDONLY, .resolve = 0x1000};
    long r = syscall(SYS_openat2, base, "sub/file", &how, sizeof how);
    printf("unknown resolve flag: %s\n", errno_name(r < 0 ? errno : 0));
    how.resolve = RESOLVE_CACHED;
    r = syscall(SYS_openat2, base, "sub/file", &how, sizeof how);
    /* Linux answers from its caches when it can; picolx never can: either is right */
    printf("RESOLVE_CACHED: %s\n", (r >= 0 || errno == EAGAIN) ? "ok or EAGAIN" : errno_name(errno));
    if (r >= 0) close((int)r);
    how.resolve = 0;
    r = syscall(SYS_openat2, base, "sub/file", &how, sizeof how - 1);
    printf("short struct: %s\n", errno_name(r < 0 ? errno : 0));

    close(base);
    unlink("base/sub/file");
    unlink("base/rel");
    unlink("base/up");
    unlink("base/abs");
    unlink("base/subdir");
    unlink("base/proc");
    rmdir("base/sub");
    rmdir("base");
    unlink("outside");
    chdir("/");
    rmdir(top);
    return 0;
}
